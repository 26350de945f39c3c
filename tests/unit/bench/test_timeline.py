# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""The bench's fail-over timelines, read from real logs of the lab's nodes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[2]
FIXTURES = TESTS / "unit" / "fixtures"
sys.path.insert(0, str(TESTS / "bench"))

import timeline  # noqa: E402  pylint: disable=wrong-import-position


def read(name: str) -> str:
    return (FIXTURES / name).read_text()


def at(text: str) -> float:
    return timeline.stamp(text, 2026)


def test_stamp_reads_fractions_and_single_digit_days():
    assert at("Nov 30 10:34:02.129454") - at("Nov 30 10:34:01") == pytest.approx(1.129454)
    assert at("Dec  1 00:00:00") - at("Nov 30 23:59:59.5") == pytest.approx(0.5)


def test_heartbeat_release_on_the_node_that_stops():
    steps = timeline.heartbeat_steps(read("heartbeat/switchover-node1.log"), 2026)
    scripts = [(s.what, round(s.end - s.start, 2)) for s in steps if s.end is not None]
    # Each script runs until ResourceManager's next line; the last until everything is released.
    assert scripts == [("smbd stop", 1.39), ("IPaddr2 stop", 2.21), ("Filesystem stop", 4.1), ("drbddisk stop", 0.27)]
    events = [s.what for s in steps if s.end is None]
    assert events == ["Heartbeat shutting down", "all resources released"]


def test_heartbeat_take_over_ignores_other_heartbeat_lines_while_a_script_runs():
    steps = timeline.heartbeat_steps(read("heartbeat/switchover-node2.log"), 2026)
    scripts = {s.what: round(s.end - s.start, 2) for s in steps if s.end is not None}
    # "node node1: is dead" arrives while IPaddr2 runs: it does not end that step.
    assert scripts == {"drbddisk start": 2.79, "Filesystem start": 4.62, "IPaddr2 start": 4.38, "smbd start": 3.17}
    events = [(s.node, s.what) for s in steps if s.end is None]
    assert events == [("node2", "shutdown notice from node1"), ("node2", "take-over begins"),
                      ("node2", "node1 declared dead"), ("node2", "take-over complete")]


def test_heartbeat_standby_hands_the_group_over_without_stopping_heartbeat():
    """hb_standby on node2: it releases the group (the last script ends at the release report) and node1,
    asked first, takes it."""
    giver = timeline.heartbeat_steps(read("heartbeat/standby-node2.log"), 2026)
    assert {s.what: round(s.end - s.start, 2) for s in giver if s.end is not None} == {
        "smbd stop": 1.41, "IPaddr2 stop": 2.4, "Filesystem stop": 4.48, "drbddisk stop": 0.3}
    assert [s.what for s in giver if s.end is None] == ["node2 asks to go standby", "all resources released"]
    taker = timeline.heartbeat_steps(read("heartbeat/standby-node1.log"), 2026)
    assert {s.what: round(s.end - s.start, 2) for s in taker if s.end is not None} == {
        "drbddisk start": 2.86, "Filesystem start": 4.86, "IPaddr2 start": 4.32, "smbd start": 2.6}
    assert [s.what for s in taker if s.end is None] == ["node2 asks to go standby", "take-over begins"]


def test_summary_splits_the_window_into_script_time_and_the_rest():
    steps = timeline.heartbeat_steps(read("heartbeat/switchover-node1.log") + read("heartbeat/switchover-node2.log"),
                                     2026)
    start = at("Nov 30 10:33:51.911")  # systemctl stop heartbeat
    end = max(s.end for s in steps if s.what == "smbd start")
    parts = timeline.summary(steps, start, end)
    assert parts["window_s"] == pytest.approx(28.5, abs=0.05)
    # scripts: 53.28-01.26 on node1, 05.47-20.44 on node2
    assert parts["agents_s"] == pytest.approx(7.98 + 14.97, abs=0.05)
    assert parts["cluster_s"] == pytest.approx(parts["window_s"] - parts["agents_s"], abs=0.1)


def test_summary_counts_overlapping_steps_once_and_clips_to_the_window():
    steps = [timeline.Step("a", "x", 0.0, 4.0), timeline.Step("b", "y", 2.0, 6.0), timeline.Step("a", "z", 8.0, 20.0),
             timeline.Step("a", "point", 7.0)]
    assert timeline.summary(steps, 1.0, 10.0) == {"window_s": 9.0, "agents_s": 7.0, "cluster_s": 2.0}


def test_render_lists_steps_in_time_order_from_the_start():
    steps = [timeline.Step("node2", "later", 15.0, 16.5), timeline.Step("node1", "first", 10.0, 12.0),
             timeline.Step("node1", "event", 11.0)]
    lines = timeline.render(steps, 10.0)
    assert [line.split()[-1] for line in lines] == ["first", "event", "later"]
    assert lines[0].split()[:3] == ["+0.0", "+2.0", "2.0s"]


def pacemaker(name: str) -> list:
    return timeline.pacemaker_steps(read(f"pacemaker/failover/{name}"), 2026)


def test_pacemaker_pairs_each_initiated_action_with_its_confirmation():
    steps = {(s.node, s.what): round(s.end - s.start, 3) for s in pacemaker("planned-move-dc.log")}
    # Notifications carry their own key when initiated and the resource's notify key when confirmed;
    # the action number pairs them.
    assert steps[("node1", "p_ip_vg_iscsi_stop")] == pytest.approx(6.5, abs=0.1)
    assert ("node2", "p_drbd_r0_pre_notify_demote") in steps and ("node1", "p_drbd_r0_pre_notify_demote") in steps
    assert steps[("node2", "p_drbd_r0_promote")] > 0
    assert ("node1", "cancel p_drbd_r0_monitor_29000") in steps
    assert all(took is not None for took in steps.values())


def test_pacemaker_planned_move_runs_the_group_in_order():
    steps = pacemaker("planned-move-dc.log")
    order = [s.what for s in sorted(steps, key=lambda s: s.start)
             if s.what.endswith(("_stop", "_start", "_demote", "_promote")) and "notify" not in s.what]
    assert order == ["p_ip_vg_iscsi_stop", "p_lu_vg_iscsi_lun1_stop", "p_target_vg_iscsi_stop", "p_lvm_vg_iscsi_stop",
                     "p_drbd_r0_demote", "p_drbd_r0_promote", "p_lvm_vg_iscsi_start", "p_target_vg_iscsi_start",
                     "p_lu_vg_iscsi_lun1_start", "p_ip_vg_iscsi_start"]


def test_pacemaker_crash_shows_the_loss_the_fencing_and_the_probes_of_the_returning_node():
    steps = pacemaker("crash-survivor.log")
    lost = next(s for s in steps if s.what == "seen lost by node1")
    fence = next(s for s in steps if s.what.startswith("fence"))
    assert (fence.node, fence.what) == ("node2", "fence (reboot, asked on node1)")
    # Only the fencing operation counts as fencing, not the start of the fencing device's resource.
    assert [s.what for s in steps if s.fencing] == [fence.what]
    assert fence.start > lost.start and fence.end - fence.start == pytest.approx(0.93, abs=0.01)
    promote = next(s for s in steps if s.what == "p_drbd_r0_promote")
    assert promote.node == "node1" and promote.start > fence.end
    # node2 came back from the reboot during the take-over: its probes ran before the logical unit started.
    probes = [s for s in steps if s.node == "node2" and s.what.endswith(" probe")]
    lu_start = next(s for s in steps if s.what == "p_lu_vg_iscsi_lun1_start")
    assert {s.what for s in probes} >= {"p_target_vg_iscsi probe", "p_lu_vg_iscsi_lun1 probe"}
    assert lu_start.start >= max(s.end for s in probes if s.what == "p_target_vg_iscsi probe")


def test_heartbeat_crash_shows_the_stonith_reset_as_fencing_before_the_take_over():
    steps = timeline.heartbeat_steps(read("heartbeat/crash-survivor-node1.log"), 2026)
    fencing = [s for s in steps if s.fencing]
    assert [(s.node, s.what, round(s.end - s.start, 2)) for s in fencing] == [
        ("node2", "STONITH reset (by node1)", 1.87)]
    dead = next(s for s in steps if s.what == "node2 declared dead")
    first_start = min(s.start for s in steps if s.what.endswith(" start"))
    assert dead.start < fencing[0].start < fencing[0].end < first_start
