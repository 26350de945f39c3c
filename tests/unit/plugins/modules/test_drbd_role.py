# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Each command output below is real: a fixture file, or a published capture
# quoted in drbd_role_helpers. A scenario sometimes strings together outputs
# of different hosts (for example the state before and after a promotion);
# the comment of the test says so where it matters.

from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.hacluster.drbd.plugins.modules import drbd_role
from ansible_collections.hacluster.drbd.tests.unit.plugins.modules.drbd_role_helpers import (
    CFS_8411_FRESH,
    CFS_8411_SYNCSOURCE,
    CFS_8411_UPTODATE,
    CFS_8411_WFCONNECTION,
    CFS_9_CONNECTING,
    CFS_9_FRESH,
    Clock,
    UG_830_FRESH,
    fixture,
    run_module,
)

V_84 = fixture("9.22.0/version_override_8.4.11.txt")
V_83 = fixture("9.22.0/version_override_8.3.13.txt")
V_9 = fixture("9.22.0/version_override_9.2.12.txt")
GI_FRESH_V08 = fixture("9.22.0/status_get_gi_v08_fresh.txt")
SH_MINOR_R0 = fixture("9.22.0/status_sh_minor_r0_84.txt")
SH_MINOR_R1 = fixture("9.22.0/status_sh_minor_r1_84.txt")
PROC_9 = fixture("9.0.32/proc_drbd.txt")
JSON_9 = fixture("9/drbdsetup_status_json.json")

WRITE_VERBS = ("primary", "secondary")


def writes(runner):
    """Commands that change a role (anything else the modules run reads)."""
    return [argv for argv in runner.calls if any(verb in argv for verb in WRITE_VERBS)]


def role(args, table, proc, versions=None, clock=None):
    extra = []
    if versions is not None:
        # No drbdadm of that release exists to capture from: the assessed
        # versions are given directly.
        extra.append(mock.patch.object(drbd_role, "detect_versions", lambda module: versions))
    clock = clock or Clock()
    extra.append(mock.patch.object(drbd_role, "time", clock))
    return run_module(drbd_role.main, args, table, proc, extra_patches=extra)


def versions_07():
    return {"kernel": "0.7.17", "api": 77, "proto": (74, 74), "utils": "0.7.17", "dialect": "0.7",
            "compatible": True, "problem": None}


def versions_83(utils):
    return {"kernel": "8.3.0", "api": 88, "proto": (86, 89), "utils": utils, "dialect": "8.3",
            "compatible": True, "problem": None}


# ---------------------------------------------------------------------------
# Plain promotion and demotion (8.3 kernel, drbd-utils 9.22.0 through drbdadm-83)
# ---------------------------------------------------------------------------

SECONDARY_832 = fixture("8.3.2/proc_drbd_secondary.txt")   # minor 0: Secondary/Secondary UpToDate/UpToDate
PRIMARY_831 = fixture("8.3.1/proc_drbd.txt")                # minor 0: Primary/Secondary UpToDate/UpToDate


def table_83(**extra):
    table = {("drbdadm", "--version"): (0, V_83, ""), ("drbdadm", "sh-minor", "r0"): (0, SH_MINOR_R0, "")}
    table.update({tuple(key.split()): value for key, value in extra.items()})
    return table


def test_promote():
    # The state after comes from another 8.3 host (8.3.1), whose minor 0 is Primary.
    outcome, result, runner, proc = role({"name": "r0", "state": "primary"},
                                         table_83(**{"drbdadm primary r0": (0, "", "")}),
                                         [SECONDARY_832, SECONDARY_832, PRIMARY_831])
    assert outcome == "exit"
    assert (result["changed"], result["role_before"], result["role_after"]) == (True, "Secondary", "Primary")
    assert result["commands"] == ["drbdadm primary r0"]
    assert writes(runner) == [["drbdadm", "primary", "r0"]]
    assert result["state"]["role"] == "Primary"
    assert result["versions"]["dialect"] == "8.3"
    assert proc.reads == 3   # versions, before, after


def test_already_primary_is_a_noop():
    outcome, result, runner, dummy = role({"name": "r0", "state": "primary"}, table_83(), [PRIMARY_831])
    assert outcome == "exit"
    assert (result["changed"], result["role_before"], result["role_after"], result["commands"]) == (
        False, "Primary", "Primary", [])
    assert writes(runner) == []


def test_promote_check_mode_runs_no_write():
    outcome, result, runner, dummy = role(
        {"name": "r0", "state": "primary", "_ansible_check_mode": True, "_ansible_diff": True},
        table_83(), [SECONDARY_832])
    assert outcome == "exit"
    assert (result["changed"], result["role_before"], result["role_after"]) == (True, "Secondary", "Primary")
    assert result["commands"] == ["drbdadm primary r0"]
    assert result["diff"] == {"before": {"role": "Secondary"}, "after": {"role": "Primary"}}
    assert writes(runner) == []
    assert result["state"]["role"] == "Secondary"


def test_demote():
    outcome, result, runner, dummy = role({"name": "r0", "state": "secondary"},
                                          table_83(**{"drbdadm secondary r0": (0, "", "")}),
                                          [PRIMARY_831, PRIMARY_831, SECONDARY_832])
    assert outcome == "exit"
    assert (result["changed"], result["role_before"], result["role_after"]) == (True, "Primary", "Secondary")
    assert writes(runner) == [["drbdadm", "secondary", "r0"]]


def test_already_secondary_is_a_noop():
    outcome, result, runner, dummy = role({"name": "r0", "state": "secondary"}, table_83(), [SECONDARY_832])
    assert (outcome, result["changed"], result["commands"], writes(runner)) == ("exit", False, [], [])


def test_promotion_that_does_not_take_is_a_failure():
    outcome, result, dummy, dummy2 = role({"name": "r0", "state": "primary"},
                                          table_83(**{"drbdadm primary r0": (0, "", "")}), [SECONDARY_832])
    assert outcome == "fail"
    assert result["msg"] == "drbdadm primary r0 exited 0, but r0 is Secondary afterwards"
    assert (result["changed"], result["role_after"]) == (True, "Secondary")


def test_tool_failure_is_reported_with_its_first_stderr_line():
    stderr = fixture("9.22.0/status_primary_no_module_stderr.txt")
    outcome, result, dummy, dummy2 = role({"name": "r0", "state": "primary"},
                                          table_83(**{"drbdadm primary r0": (20, "", stderr)}), [SECONDARY_832])
    assert outcome == "fail"
    assert result["msg"] == "drbdadm failed (rc=20): sh: 1: modinfo: not found"
    assert (result["rc"], result["cmd"], result["changed"]) == (20, "drbdadm primary r0", False)
    assert result["stderr"] == stderr


def test_unknown_resource_fails_on_the_config_lookup():
    stderr = fixture("9.22.0/status_sh_minor_undefined_stderr.txt")
    table = {("drbdadm", "--version"): (0, V_83, ""), ("drbdadm", "sh-minor", "nosuch"): (1, "", stderr)}
    outcome, result, runner, dummy = role({"name": "nosuch", "state": "primary"}, table, [SECONDARY_832])
    assert outcome == "fail"
    assert result["msg"] == "drbdadm failed (rc=1): 'nosuch' not defined in your config (for this host)."
    assert writes(runner) == []


def test_resource_not_up():
    table = {("drbdadm", "--version"): (0, V_84, ""), ("drbdadm", "sh-minor", "r0"): (0, SH_MINOR_R0, "")}
    outcome, result, runner, dummy = role({"name": "r0", "state": "primary"}, table, [CFS_8411_FRESH])
    assert outcome == "fail"
    assert result["msg"] == "r0 is not up on this node (not configured in the kernel); bring it up first"
    outcome, result, runner, dummy = role({"name": "r0", "state": "secondary"}, table, [CFS_8411_FRESH])
    assert (outcome, result["changed"], result["role_before"], writes(runner)) == ("exit", False, None, [])


def test_mismatched_userland_is_refused_before_anything_runs():
    outcome, result, runner, dummy = role({"name": "r0", "state": "primary"},
                                          {("drbdadm", "--version"): (0, V_83, "")},
                                          [fixture("8.4.2/proc_drbd.txt")])
    assert outcome == "fail"
    assert result["msg"].startswith("API mismatch: the loaded DRBD kernel module 8.4.2 (api:1) expects API 1")
    assert runner.calls == [["drbdadm", "--version"]]


def test_unparsable_proc_drbd_fails_clearly():
    outcome, result, runner, dummy = role({"name": "r0", "state": "primary"},
                                          {("drbdadm", "--version"): (0, V_84, "")},
                                          [fixture("malformed/proc_drbd_no_version.txt")])
    assert outcome == "fail"
    assert result["msg"].startswith("cannot tell which DRBD release runs here: first line is not a DRBD version line")
    assert writes(runner) == []


@pytest.mark.parametrize("args, msg", [
    ({"name": "-r0", "state": "primary"}, 'name: "-r0" is not a DRBD resource name'),
    ({"name": "r0\n", "state": "primary"}, "name: contains a control character"),
    ({"name": "r0", "state": "secondary", "initial_sync": True}, "initial_sync only applies to state=primary"),
    ({"name": "r0", "state": "primary", "timeout": 0}, "timeout must be a positive number of seconds"),
])
def test_argument_checks(args, msg):
    outcome, result, runner, dummy = role(args, {}, [None])
    assert outcome == "fail"
    assert result["msg"].startswith(msg)
    assert runner.calls == []


# ---------------------------------------------------------------------------
# Initial sync: the version's own force form, only on a proven fresh pair
# ---------------------------------------------------------------------------

def test_initial_sync_84_lab_chain():
    # 8.4.11 with drbd-utils 9.22.0 (the lab's pairing), all from captures.
    table = {
        ("drbdadm", "--version"): (0, V_84, ""),
        ("drbdadm", "sh-minor", "r1"): (0, SH_MINOR_R1, ""),
        ("drbdadm", "get-gi", "r1"): (0, GI_FRESH_V08, ""),
        ("drbdadm", "primary", "--force", "r1"): (0, "", ""),
    }
    outcome, result, runner, dummy = role(
        {"name": "r1", "state": "primary", "initial_sync": True, "wait_for": "uptodate", "timeout": 600},
        table, [CFS_8411_FRESH, CFS_8411_FRESH, CFS_8411_SYNCSOURCE, CFS_8411_UPTODATE])
    assert outcome == "exit", result["msg"]
    assert (result["changed"], result["role_before"], result["role_after"]) == (True, "Secondary", "Primary")
    assert result["commands"] == ["drbdadm primary --force r1"]
    assert writes(runner) == [["drbdadm", "primary", "--force", "r1"]]
    assert runner.calls.index(["drbdadm", "get-gi", "r1"]) < runner.calls.index(["drbdadm", "primary", "--force", "r1"])
    assert result["progress"] == {"percent": None, "eta_seconds": None, "speed_kib_s": None, "average_kib_s": None, "cstate": "Connected",
                                  "disk": "UpToDate", "peer_disk": "UpToDate"}


def test_initial_sync_without_wait_reports_the_resync():
    table = {
        ("drbdadm", "--version"): (0, V_84, ""),
        ("drbdadm", "sh-minor", "r1"): (0, SH_MINOR_R1, ""),
        ("drbdadm", "get-gi", "r1"): (0, GI_FRESH_V08, ""),
        ("drbdadm", "primary", "--force", "r1"): (0, "", ""),
    }
    outcome, result, dummy, dummy2 = role({"name": "r1", "state": "primary", "initial_sync": True}, table,
                                          [CFS_8411_FRESH, CFS_8411_FRESH, CFS_8411_SYNCSOURCE])
    assert outcome == "exit"
    assert result["progress"] == {"percent": 8.6, "eta_seconds": 111, "speed_kib_s": 4316, "average_kib_s": 4316, "cstate": "SyncSource",
                                  "disk": "UpToDate", "peer_disk": "Inconsistent"}


def test_initial_sync_check_mode_probes_but_does_not_force():
    table = {
        ("drbdadm", "--version"): (0, V_84, ""),
        ("drbdadm", "sh-minor", "r1"): (0, SH_MINOR_R1, ""),
        ("drbdadm", "get-gi", "r1"): (0, GI_FRESH_V08, ""),
    }
    outcome, result, runner, dummy = role(
        {"name": "r1", "state": "primary", "initial_sync": True, "wait_for": "uptodate", "_ansible_check_mode": True},
        table, [CFS_8411_FRESH])
    assert outcome == "exit"
    assert (result["changed"], result["commands"], result["role_after"]) == (True, ["drbdadm primary --force r1"],
                                                                             "Primary")
    assert writes(runner) == []


@pytest.mark.parametrize("versions, resource, proc_before, proc_after, minor_cmd, minor_out, gi, argv", [
    # 0.7: no sh-minor, no get-gi; the state after is the same host type syncing.
    (versions_07(), "r0", fixture("0.7.17/proc_drbd_connected_inconsistent.txt"),
     fixture("0.7.17/proc_drbd_syncsource.txt"), "sh-dev", fixture("9.22.0/status_sh_dev_r0_84.txt"), False,
     ["drbdadm", "--", "--do-what-I-say", "primary", "r0"]),
    # 8.3.2 userland (before --force existed) and 8.3.11 on the 8.3.0 kernel of the
    # LINBIT guide; the state after is the 8.4.11 capture's minor 1 (another host).
    (versions_83("8.3.2"), "r1", UG_830_FRESH, CFS_8411_SYNCSOURCE, "sh-minor", SH_MINOR_R1, True,
     ["drbdadm", "--", "--overwrite-data-of-peer", "primary", "r1"]),
    (versions_83("8.3.11"), "r1", UG_830_FRESH, CFS_8411_SYNCSOURCE, "sh-minor", SH_MINOR_R1, True,
     ["drbdadm", "primary", "--force", "r1"]),
], ids=["0.7.17", "8.3.2", "8.3.11"])
def test_initial_sync_force_form_by_release(versions, resource, proc_before, proc_after, minor_cmd, minor_out, gi,
                                            argv):
    table = {("drbdadm", minor_cmd, resource): (0, minor_out, ""), tuple(argv): (0, "", "")}
    if gi:
        table[("drbdadm", "get-gi", resource)] = (0, GI_FRESH_V08, "")
    outcome, result, runner, dummy = role({"name": resource, "state": "primary", "initial_sync": True}, table,
                                          [proc_before, proc_after], versions=versions)
    assert outcome == "exit", result["msg"]
    assert (result["changed"], result["role_before"], result["role_after"]) == (True, "Secondary", "Primary")
    assert writes(runner) == [argv]
    assert (["drbdadm", "get-gi", resource] in runner.calls) is gi


def test_initial_sync_refused_when_peer_is_uptodate():
    # 8.3.11: this node is the SyncTarget of an UpToDate peer.
    proc = fixture("8.3.11/proc_drbd_sync_want.txt")
    table = {("drbdadm", "--version"): (0, V_83, ""), ("drbdadm", "sh-minor", "r0"): (0, SH_MINOR_R0, "")}
    outcome, result, runner, dummy = role({"name": "r0", "state": "primary", "initial_sync": True}, table, [proc])
    assert outcome == "fail"
    assert result["msg"] == (
        "refusing the forced promotion of r0 (initial_sync): peer peer's disk is UpToDate: forcing would overwrite "
        "the data it holds; let it sync to this node instead. Seen: role=Secondary, cstate=SyncTarget, "
        "disk=Inconsistent; peer peer: role=Primary, connection=Connected, replication=SyncTarget, disk=UpToDate")
    assert writes(runner) == [] and ["drbdadm", "get-gi", "r0"] not in runner.calls
    assert result["progress"]["percent"] == 44.4


def test_initial_sync_refused_when_peer_is_unknown():
    table = {("drbdadm", "--version"): (0, V_84, ""), ("drbdadm", "sh-minor", "r1"): (0, SH_MINOR_R1, "")}
    outcome, result, runner, dummy = role({"name": "r1", "state": "primary", "initial_sync": True}, table,
                                          [CFS_8411_WFCONNECTION])
    assert outcome == "fail"
    assert result["msg"] == (
        "refusing the forced promotion of r1 (initial_sync): peer peer is not connected (connection Connecting, "
        "replication Off), so its disk state is unknown, and unknown is not empty. Seen: role=Secondary, "
        "cstate=WFConnection, disk=Inconsistent; peer peer: role=Unknown, connection=Connecting, replication=Off, "
        "disk=DUnknown")
    assert writes(runner) == []


def test_initial_sync_refused_when_local_disk_is_uptodate():
    # 8.2.4 waiting for its peer, this node UpToDate (drbd-utils' drbdadm-83, API 88 = the module's).
    proc = fixture("8.2.4/proc_drbd_wfconnection.txt")
    table = {("drbdadm", "--version"): (0, V_83, ""), ("drbdadm", "sh-minor", "r1"): (0, SH_MINOR_R1, "")}
    outcome, result, runner, dummy = role({"name": "r1", "state": "primary", "initial_sync": True}, table, [proc])
    assert outcome == "fail"
    assert result["msg"].startswith(
        "refusing the forced promotion of r1 (initial_sync): this node's disk is UpToDate, so it holds data of its "
        "own; promote without initial_sync. Seen: role=Secondary, cstate=WFConnection, disk=UpToDate")
    assert writes(runner) == []


def test_initial_sync_refused_on_9_text_status_that_cannot_tell_established_from_off():
    # drbd-utils before 8.9.8 give DRBD 9 state only as text, which omits both
    # Established and Off: the handshake cannot be confirmed.
    versions = {"kernel": "9.0.32-1", "api": 2, "proto": (86, 121), "utils": "8.9.5", "dialect": "9",
                "compatible": True, "problem": None}
    table = {("drbdadm", "status", "wwwdata"): (0, CFS_9_FRESH, "")}
    outcome, result, runner, dummy = role({"name": "wwwdata", "state": "primary", "initial_sync": True}, table,
                                          [PROC_9], versions=versions)
    assert outcome == "fail"
    assert "does not show whether the handshake with peer pcmk-2 is done" in result["msg"]
    assert writes(runner) == []


def test_initial_sync_refused_on_9_when_peer_holds_data():
    table = {("drbdadm", "--version"): (0, V_9, ""),
             ("drbdsetup", "status", "--json", "1-single-0"): (0, JSON_9, "")}
    outcome, result, runner, dummy = role({"name": "1-single-0", "state": "primary", "initial_sync": True}, table,
                                          [PROC_9])
    assert outcome == "fail"
    assert result["msg"].startswith("refusing the forced promotion of 1-single-0 (initial_sync): this node's disk is "
                                    "UpToDate")
    assert writes(runner) == []


def test_initial_sync_refused_when_generation_identifiers_are_unreadable():
    # The pretty show-gi output where get-gi's one line is expected.
    table = {
        ("drbdadm", "--version"): (0, V_84, ""),
        ("drbdadm", "sh-minor", "r1"): (0, SH_MINOR_R1, ""),
        ("drbdadm", "get-gi", "r1"): (0, fixture("9.22.0/status_show_gi_v08_fresh.txt"), ""),
    }
    outcome, result, runner, dummy = role({"name": "r1", "state": "primary", "initial_sync": True}, table,
                                          [CFS_8411_FRESH])
    assert outcome == "fail"
    assert result["msg"].startswith("refusing the forced promotion of r1 (initial_sync): cannot read the generation "
                                    "identifiers printed by drbdadm get-gi: '+--<  Current data generation UUID  >-'")
    assert writes(runner) == []


# ---------------------------------------------------------------------------
# Two primaries
# ---------------------------------------------------------------------------

def test_promotion_refused_while_peer_is_primary_without_two_primaries():
    table = {("drbdadm", "--version"): (0, V_9, ""),
             ("drbdsetup", "status", "--json", "1-single-0"): (0, JSON_9, ""),
             ("drbdadm", "dump", "1-single-0"): (0, fixture("9.22.0/status_dump_r1_9.txt"), "")}
    outcome, result, runner, dummy = role({"name": "1-single-0", "state": "primary"}, table, [PROC_9])
    assert outcome == "fail"
    assert result["msg"].startswith(
        "refusing to promote 1-single-0: peer SLE15-sp1-gm-drbd1145296-node1 is Primary and the resource does not "
        "allow two primaries (net option allow-two-primaries is not set)")
    assert writes(runner) == []


def test_promotion_beside_a_primary_peer_when_two_primaries_are_allowed():
    table = {("drbdadm", "--version"): (0, V_9, ""),
             ("drbdsetup", "status", "--json", "1-single-0"): (0, JSON_9, ""),
             ("drbdadm", "dump", "1-single-0"): (0, fixture("9.22.0/status_dump_r0_9.txt"), "")}
    outcome, result, runner, dummy = role({"name": "1-single-0", "state": "primary", "_ansible_check_mode": True},
                                          table, [PROC_9])
    assert outcome == "exit"
    assert (result["changed"], result["commands"]) == (True, ["drbdadm primary 1-single-0"])
    assert writes(runner) == []


@pytest.mark.parametrize("name, allowed", [
    ("status_dump_r0_84.txt", True), ("status_dump_r1_84.txt", False), ("status_dump_r0_83.txt", True),
    ("status_dump_r0_9.txt", True), ("status_dump_r1_9.txt", False),
])
def test_two_primaries_allowed(name, allowed):
    assert drbd_role.two_primaries_allowed(fixture("9.22.0/" + name)) is allowed


@pytest.mark.parametrize("name, refusal", [
    ("status_get_gi_v08_fresh.txt", None),
    ("status_get_gi_v09_fresh.txt", None),
    ("status_sh_minor_r0_84.txt", "cannot read the generation identifiers printed by drbdadm get-gi: '0'"),
    ("status_sh_resources_empty.txt", "drbdadm get-gi printed no generation identifiers"),
])
def test_gi_refusal(name, refusal):
    assert drbd_role.gi_refusal(fixture("9.22.0/" + name)) == refusal


# ---------------------------------------------------------------------------
# Waiting
# ---------------------------------------------------------------------------

def test_wait_timeout_reports_progress():
    table = {
        ("drbdadm", "--version"): (0, V_84, ""),
        ("drbdadm", "sh-minor", "r1"): (0, SH_MINOR_R1, ""),
        ("drbdadm", "get-gi", "r1"): (0, GI_FRESH_V08, ""),
        ("drbdadm", "primary", "--force", "r1"): (0, "", ""),
    }
    clock = Clock()
    outcome, result, runner, proc = role(
        {"name": "r1", "state": "primary", "initial_sync": True, "wait_for": "uptodate", "timeout": 10},
        table, [CFS_8411_FRESH, CFS_8411_FRESH, CFS_8411_SYNCSOURCE], clock=clock)
    assert outcome == "fail"
    assert result["msg"] == (
        "timed out after 10 s waiting for r1 to be UpToDate on both sides, 8.6% done, about 111 s left; last seen: "
        "role=Primary, cstate=SyncSource, disk=UpToDate; peer peer: role=Secondary, connection=Connected, "
        "replication=SyncSource, disk=Inconsistent")
    assert result["progress"] == {"percent": 8.6, "eta_seconds": 111, "speed_kib_s": 4316, "average_kib_s": 4316, "cstate": "SyncSource",
                                  "disk": "UpToDate", "peer_disk": "Inconsistent"}
    # The promotion happened and is reported although the wait failed.
    assert (result["changed"], result["commands"], result["role_after"]) == (True, ["drbdadm primary --force r1"],
                                                                             "Primary")
    assert sum(clock.slept) == 10
    assert proc.reads == 3 + len(clock.slept)


def test_wait_for_connection_before_deciding():
    table = {("drbdadm", "--version"): (0, V_84, ""), ("drbdadm", "sh-minor", "r1"): (0, SH_MINOR_R1, ""),
             ("drbdadm", "get-gi", "r1"): (0, GI_FRESH_V08, ""),
             ("drbdadm", "primary", "--force", "r1"): (0, "", "")}
    clock = Clock()
    outcome, result, runner, dummy = role(
        {"name": "r1", "state": "primary", "initial_sync": True, "wait_for": "connected", "timeout": 30},
        table, [CFS_8411_WFCONNECTION, CFS_8411_WFCONNECTION, CFS_8411_WFCONNECTION, CFS_8411_FRESH,
                CFS_8411_SYNCSOURCE], clock=clock)
    assert outcome == "exit", result["msg"]
    assert clock.slept == [2, 2]
    assert writes(runner) == [["drbdadm", "primary", "--force", "r1"]]


def test_wait_for_connection_times_out_without_changing_anything():
    table = {("drbdadm", "--version"): (0, V_84, ""), ("drbdadm", "sh-minor", "r1"): (0, SH_MINOR_R1, "")}
    outcome, result, runner, dummy = role(
        {"name": "r1", "state": "primary", "initial_sync": True, "wait_for": "connected", "timeout": 5},
        table, [CFS_8411_WFCONNECTION])
    assert outcome == "fail"
    assert result["msg"].startswith("timed out after 5 s waiting for r1 to be connected; last seen: role=Secondary, "
                                    "cstate=WFConnection")
    assert (result["changed"], result["commands"]) == (False, [])
    assert result["progress"]["cstate"] == "WFConnection"
    assert writes(runner) == []


def test_wait_on_9_text_status_then_still_no_force():
    # Waiting accepts the printed peer disk state as the end of the handshake;
    # forcing does not, because the text cannot show Established.
    versions = {"kernel": "9.0.32-1", "api": 2, "proto": (86, 121), "utils": "8.9.5", "dialect": "9",
                "compatible": True, "problem": None}
    table = {("drbdadm", "status", "wwwdata"): [(0, CFS_9_CONNECTING, ""), (0, CFS_9_FRESH, "")]}
    clock = Clock()
    outcome, result, runner, dummy = role(
        {"name": "wwwdata", "state": "primary", "initial_sync": True, "wait_for": "connected", "timeout": 30},
        table, [PROC_9], versions=versions, clock=clock)
    assert outcome == "fail"
    assert clock.slept == [2]
    assert result["state"]["peer_disks"] == ["Inconsistent"]
    assert "does not show whether the handshake with peer pcmk-2 is done" in result["msg"]
    assert writes(runner) == []
