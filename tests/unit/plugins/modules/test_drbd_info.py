# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Every command output is real (fixture files or the published captures in
# drbd_role_helpers). The `drbdadm status` text of the 8.4 cases is the
# LINBIT guide's (resource "home"), printed on another host than the
# /proc/drbd beside it; the test checks how the module combines outputs.

from __future__ import annotations

from ansible_collections.hacluster.drbd.plugins.modules import drbd_info
from ansible_collections.hacluster.drbd.tests.unit.plugins.modules.drbd_role_helpers import (
    CFS_8411_FRESH,
    fixture,
    run_module,
)

V_84 = fixture("9.22.0/version_override_8.4.11.txt")
V_83 = fixture("9.22.0/version_override_8.3.13.txt")
V_NO_MODULE = fixture("9.22.0/version_no_module.txt")
STATUS_84 = fixture("8.4/drbdadm_status.txt")
SH_RESOURCES = fixture("9.22.0/status_sh_resources_84.txt")
SH_MINOR_R0 = fixture("9.22.0/status_sh_minor_r0_84.txt")
SH_MINOR_R1 = fixture("9.22.0/status_sh_minor_r1_84.txt")

TABLE_84 = {
    ("drbdadm", "--version"): (0, V_84, ""),
    ("drbdadm", "status", "all"): (0, STATUS_84, ""),
    ("drbdadm", "sh-resources"): (0, SH_RESOURCES, ""),
    ("drbdadm", "sh-minor", "r0"): (0, SH_MINOR_R0, ""),
    ("drbdadm", "sh-minor", "r1"): (0, SH_MINOR_R1, ""),
}

FRESH_R1 = {
    "resource": "r1", "exists": True, "source": "/proc/drbd", "role": "Secondary", "minor": 1,
    "disk": "Inconsistent", "volumes": [{"volume": 0, "minor": 1, "disk": "Inconsistent"}],
    "peers": [{"name": "peer", "role": "Secondary", "connection": "Connected",
               "volumes": [{"volume": 0, "replication": "Established", "peer_disk": "Inconsistent",
                            "peer_client": None, "sync": None}]}],
    "peer_roles": ["Secondary"], "peer_disks": ["Inconsistent"], "connection": "Connected", "cstate": "Connected",
    "sync": None,
}
R0_NOT_UP = {
    "resource": "r0", "exists": False, "source": "/proc/drbd", "role": None, "minor": None, "disk": None,
    "volumes": [], "peers": [], "peer_roles": [], "peer_disks": [], "connection": None, "cstate": None, "sync": None,
}


def info(args, table, proc, binaries=("drbdadm", "drbdsetup")):
    return run_module(drbd_info.main, args, table, proc, binaries=binaries, proc_users=[drbd_info])


def test_lab_84_everything():
    outcome, result, runner, dummy = info({}, TABLE_84, [CFS_8411_FRESH])
    assert outcome == "exit"
    assert result["changed"] is False
    assert result["versions"] == {"kernel": "8.4.11-1", "api": 1, "proto": (86, 101), "utils": "9.22.0",
                                  "dialect": "8.4", "compatible": True, "problem": None}
    assert list(result["proc_drbd"]["devices"]) == ["1"]
    assert result["proc_drbd"]["devices"]["1"]["cstate"] == "Connected"
    assert result["proc_drbd"]["devices"]["1"]["oos"] == 524236
    assert result["status"] == {"home": {
        "role": "Secondary", "suspended": None, "volumes": {"0": {"minor": None, "disk": "UpToDate"}},
        "connections": {"peer": {"connection": "Connected", "role": "Secondary",
                                 "volumes": {"0": {"replication": "Established", "peer_disk": "UpToDate",
                                                   "done": None}}}}}}
    assert result["resources"] == {"r0": R0_NOT_UP, "r1": FRESH_R1}
    assert result["split_brain"] == []
    assert runner.calls == [["drbdadm", "--version"], ["drbdadm", "status", "all"], ["drbdadm", "sh-resources"],
                            ["drbdadm", "sh-minor", "r0"], ["drbdadm", "sh-minor", "r1"]]


def test_check_mode_returns_the_same():
    outcome, result, runner, dummy = info({"_ansible_check_mode": True}, TABLE_84, [CFS_8411_FRESH])
    assert (outcome, result["changed"]) == ("exit", False)
    assert result["resources"] == {"r0": R0_NOT_UP, "r1": FRESH_R1}


def test_split_brain_hint_for_standalone():
    # 8.4.2: minor 0 StandAlone, Primary/Unknown, UpToDate/DUnknown.
    outcome, result, dummy, dummy2 = info({}, TABLE_84, [fixture("8.4.2/proc_drbd_sync.txt")])
    assert outcome == "exit"
    assert result["split_brain"] == [{
        "resource": "r0", "peer": "peer", "role": "Primary", "disk": "UpToDate",
        "hint": ("r0: the connection to peer is StandAlone although a peer is configured; DRBD does this after "
                 "detecting split brain (or after drbdadm disconnect). Look for 'Split-Brain detected' in the kernel "
                 "log before reconnecting."),
    }]
    assert (result["resources"]["r0"]["cstate"], result["resources"]["r1"]["exists"]) == ("StandAlone", False)


def test_resources_that_are_up_are_kept_when_status_exits_10_for_one_that_is_down():
    # drbdadm status prints the resources that are up and exits 10 for a configured one that is not. The
    # stdout is the published 8.4 capture; the stderr line is drbdadm's own wording for a failed drbdsetup
    # (as in fixtures/drbd/9.22.0/status_status_no_module_84_stderr.txt) with drbdsetup's exit 10.
    table = dict(TABLE_84)
    table[("drbdadm", "status", "all")] = (10, STATUS_84, "Command 'drbdsetup-84 status r0' terminated with exit "
                                                          "code 10\n")
    outcome, result, runner, dummy = info({}, table, [CFS_8411_FRESH])
    assert outcome == "exit", result
    assert list(result["status"]) == ["home"]
    assert result["resources"] == {"r0": R0_NOT_UP, "r1": FRESH_R1}


def test_an_unconfigured_84_minor_exists():
    # Minor 3 of the real 8.4.2 capture is "cs:Unconfigured": there in the kernel, StandAlone and Diskless.
    table = {("drbdadm", "--version"): (0, V_84, ""), ("drbdadm", "status", "r0"): (0, "", ""),
             ("drbdadm", "sh-minor", "r0"): (0, "3\n", "")}
    outcome, result, runner, dummy = info({"resource": "r0"}, table, [fixture("8.4.2/proc_drbd_sync.txt")])
    assert outcome == "exit", result
    state = result["resources"]["r0"]
    assert (state["exists"], state["cstate"], state["role"], state["disk"]) == (True, "Unconfigured", "Secondary",
                                                                                "Diskless")
    assert result["split_brain"] == []


def test_the_average_resync_speed_is_returned():
    # Minor 5 of the real 8.4.2 capture resyncs: "speed: 64,800 (64,800) K/sec", the second the average.
    table = {("drbdadm", "--version"): (0, V_84, ""), ("drbdadm", "status", "r0"): (0, "", ""),
             ("drbdadm", "sh-minor", "r0"): (0, "5\n", "")}
    outcome, result, runner, dummy = info({"resource": "r0"}, table, [fixture("8.4.2/proc_drbd_sync.txt")])
    assert outcome == "exit", result
    assert result["resources"]["r0"]["sync"] == {"percent": 68.5, "eta_seconds": 5, "speed": 64800,
                                                 "average": 64800}


def test_one_resource_without_status_support():
    # 8.3 kernel: drbdadm status gives no text status there, so it is not run.
    proc = fixture("8.3.11/proc_drbd_sync_want.txt")
    table = {("drbdadm", "--version"): (0, V_83, ""), ("drbdadm", "sh-minor", "r0"): (0, SH_MINOR_R0, "")}
    outcome, result, runner, dummy = info({"resource": "r0"}, table, [proc])
    assert outcome == "exit"
    assert result["status"] is None
    assert list(result["resources"]) == ["r0"]
    state = result["resources"]["r0"]
    assert (state["role"], state["cstate"], state["disk"], state["peer_roles"]) == ("Secondary", "SyncTarget",
                                                                                    "Inconsistent", ["Primary"])
    assert state["sync"] == {"percent": 44.4, "eta_seconds": 8, "speed": 65736, "average": 65736}
    assert runner.calls == [["drbdadm", "--version"], ["drbdadm", "sh-minor", "r0"]]


def test_module_not_loaded():
    table = {("drbdadm", "--version"): (0, V_NO_MODULE, ""), ("drbdadm", "sh-resources"): (0, SH_RESOURCES, "")}
    outcome, result, runner, dummy = info({}, table, [None])
    assert outcome == "exit"
    assert (result["versions"]["kernel"], result["versions"]["dialect"], result["versions"]["compatible"]) == (
        None, "9", True)
    assert (result["proc_drbd"], result["status"]) == (None, None)
    assert {name: state["exists"] for name, state in result["resources"].items()} == {"r0": False, "r1": False}
    # Nothing that could load the module (drbdadm status/sh-minor) ran.
    assert runner.calls == [["drbdadm", "--version"], ["drbdadm", "sh-resources"]]


def test_no_resources_configured():
    table = {("drbdadm", "--version"): (0, V_NO_MODULE, ""),
             ("drbdadm", "sh-resources"): (0, fixture("9.22.0/status_sh_resources_empty.txt"), "")}
    outcome, result, dummy, dummy2 = info({}, table, [None])
    assert (outcome, result["resources"], result["split_brain"]) == ("exit", {}, [])


def test_module_loaded_but_no_resource_configured_yet():
    # Live lab capture: `drbdadm status all` exits 1 with "no resources defined!".
    table = {("drbdadm", "--version"): (0, V_84, ""),
             ("drbdadm", "status", "all"): (1, "", fixture("8.4.11/drbdadm_status_all_no_resources_stderr.txt")),
             ("drbdadm", "sh-resources"): (0, fixture("9.22.0/status_sh_resources_empty.txt"), "")}
    outcome, result, runner, dummy = info({}, table, [fixture("8.4.11/proc_drbd_loaded_no_devices.txt")])
    assert outcome == "exit", result
    assert result["status"] == {}
    assert result["resources"] == {}
    assert result["proc_drbd"]["version"] == "8.4.11"
    assert result["proc_drbd"]["devices"] == {}
    assert runner.calls == [["drbdadm", "--version"], ["drbdadm", "status", "all"], ["drbdadm", "sh-resources"]]


def test_without_drbdadm_only_versions_and_proc():
    outcome, result, runner, dummy = info({}, {}, [CFS_8411_FRESH], binaries=())
    assert outcome == "exit"
    assert (result["versions"]["utils"], result["versions"]["compatible"]) == (None, False)
    assert result["versions"]["problem"].startswith("drbdadm was not found")
    assert result["proc_drbd"]["version"] == "8.4.11-1"
    assert (result["status"], result["resources"]) == (None, {})
    assert runner.calls == []


def test_status_failure_is_reported():
    stderr = fixture("9.22.0/status_status_no_module_84_stderr.txt")
    table = dict(TABLE_84)
    table[("drbdadm", "status", "all")] = (20, "", stderr)
    outcome, result, dummy, dummy2 = info({}, table, [CFS_8411_FRESH])
    assert outcome == "fail"
    assert result["msg"] == "drbdadm failed (rc=20): sh: 1: /sbin/modprobe: not found"
    assert (result["rc"], result["cmd"]) == (20, "drbdadm status all")


def test_unparsable_proc_drbd():
    outcome, result, dummy, dummy2 = info({}, TABLE_84, [fixture("malformed/proc_drbd_no_version.txt")])
    assert outcome == "fail"
    assert result["msg"].startswith("cannot tell which DRBD release runs here: first line is not a DRBD version line")


def test_unparsable_status():
    table = dict(TABLE_84)
    table[("drbdadm", "status", "all")] = (0, fixture("9/drbdsetup_status_json.json"), "")
    outcome, result, dummy, dummy2 = info({}, table, [CFS_8411_FRESH])
    assert outcome == "fail"
    assert result["msg"].startswith("cannot parse the output of `drbdadm status all`: ")
