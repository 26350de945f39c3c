# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

import pytest

from ansible_collections.hacluster.drbd.plugins.module_utils import drbd
from ansible_collections.hacluster.drbd.plugins.module_utils.drbd_status import DrbdParseError
from ansible_collections.hacluster.drbd.tests.unit.plugins.modules.drbd_role_helpers import (
    CFS_8411_FRESH,
    CFS_8411_SYNCSOURCE,
    CFS_8411_WFCONNECTION,
    CFS_9_FRESH,
    FIXTURES,
    FailJson,
    ProcDrbd,
    Runner,
    UG_830_FRESH,
    fixture,
)

V_NO_MODULE = fixture("9.22.0/version_no_module.txt")
V_84 = fixture("9.22.0/version_override_8.4.11.txt")
V_83 = fixture("9.22.0/version_override_8.3.13.txt")
V_9 = fixture("9.22.0/version_override_9.2.12.txt")
STDERR_NO_MODULE = fixture("9.22.0/status_primary_no_module_stderr.txt")


class FakeModule(object):
    """The part of AnsibleModule the helpers use."""

    def __init__(self, table=None, binaries=("drbdadm", "drbdsetup")):
        self.runner = Runner(table or {})
        self.binaries = binaries

    def run_command(self, args, **kwargs):
        return self.runner(self, args, **kwargs)

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        return "/usr/sbin/%s" % arg if arg in self.binaries else None

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)


# ---------------------------------------------------------------------------
# run_drbd
# ---------------------------------------------------------------------------

def test_run_drbd_returns_output_with_c_locale():
    module = FakeModule({("drbdadm", "sh-minor", "r1"): (0, fixture("9.22.0/status_sh_minor_r1_84.txt"), "")})
    assert drbd.run_drbd(module, ["drbdadm", "sh-minor", "r1"]) == (0, "1\n", "")
    assert module.runner.environ == [{"LC_ALL": "C", "LANG": "C"}]


def test_run_drbd_failure_names_tool_rc_and_first_stderr_line():
    module = FakeModule({("drbdadm", "primary", "r0"): (20, "", STDERR_NO_MODULE)})
    with pytest.raises(FailJson) as exc:
        drbd.run_drbd(module, ["drbdadm", "primary", "r0"])
    result = exc.value.result
    assert result["msg"] == "drbdadm failed (rc=20): sh: 1: modinfo: not found"
    assert result["cmd"] == "drbdadm primary r0"
    assert result["rc"] == 20
    assert result["stderr"].splitlines()[-1] == "Command 'drbdsetup primary r0' terminated with exit code 20"


def test_run_drbd_unchecked_returns_the_exit_code():
    stderr = fixture("9.22.0/status_sh_minor_undefined_stderr.txt")
    module = FakeModule({("drbdadm", "sh-minor", "nosuch"): (1, "", stderr)})
    assert drbd.run_drbd(module, ["drbdadm", "sh-minor", "nosuch"], check=False) == (1, "", stderr)


def test_run_drbd_refuses_a_command_string():
    with pytest.raises(TypeError):
        drbd.run_drbd(FakeModule(), "drbdadm primary r0")


# ---------------------------------------------------------------------------
# Versions
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, utils, api, kernel_code", [
    ("version_no_module.txt", "9.22.0", 2, None),
    ("version_override_8.4.11.txt", "9.22.0", 1, None),
    ("version_override_8.3.13.txt", "9.22.0", 88, None),
    ("version_override_9.2.12.txt", "9.22.0", 2, 0x09020C),
])
def test_parse_drbdadm_version(name, utils, api, kernel_code):
    parsed = drbd.parse_drbdadm_version(fixture("9.22.0/" + name))
    assert parsed == {
        "utils": utils, "utils_api": api, "kernel_code": kernel_code,
        # The shell escapes are undone.
        "buildtag": "GIT-hash: 409097fe02187f83790b88ac3e0d94f3c167adab reproducible build, 2023-01-09 14:51:18",
    }


def test_parse_drbdadm_version_usage_text_of_old_drbdadm():
    # Built from the usage format of drbdadm 0.7.20 (LINBIT/drbd-utils
    # d6ea35a4 user/drbdadm_main.c: "\nVersion: "REL_VERSION" (api:%d)\n%s\n"),
    # not captured: no 0.7 userland is available to run.
    text = "\nVersion: 0.7.20 (api:79)\nSVN Revision: 2260 build by phil@mescal, 2006-07-04 15:18:57\n"
    assert drbd.parse_drbdadm_version(text) == {"utils": "0.7.20", "utils_api": 79, "kernel_code": None,
                                                "buildtag": None}


def test_parse_drbdadm_version_rejects_other_output():
    with pytest.raises(DrbdParseError, match="no DRBDADM_VERSION= line"):
        drbd.parse_drbdadm_version(fixture("9.22.0/status_get_gi_v08_fresh.txt"))


ASSESS_CASES = [
    # The lab: in-tree-style 8.4.11 with drbd-utils 9.22.0 dispatching to drbdadm-84.
    ("cfs-8.4.11", CFS_8411_FRESH, V_84,
     {"kernel": "8.4.11-1", "api": 1, "proto": (86, 101), "utils": "9.22.0", "dialect": "8.4",
      "compatible": True, "problem": None}),
    ("8.4.3 srcversion", fixture("8.4.3/proc_drbd.txt"), V_84,
     {"kernel": "8.4.3", "api": 1, "proto": (86, 101), "utils": "9.22.0", "dialect": "8.4",
      "compatible": True, "problem": None}),
    ("8.3 kernel, drbdadm-83 of drbd-utils", fixture("8.3.11/proc_drbd_sync_want.txt"), V_83,
     {"kernel": "8.3.11", "api": 88, "proto": (86, 96), "utils": "9.22.0", "dialect": "8.3",
      "compatible": True, "problem": None}),
    ("9 kernel", fixture("9.0.32/proc_drbd.txt"), V_9,
     {"kernel": "9.0.32-1", "api": 2, "proto": (86, 121), "utils": "9.22.0", "dialect": "9",
      "compatible": True, "problem": None}),
    # Nothing loaded: the userland's default stack decides the dialect.
    ("no module", None, V_NO_MODULE,
     {"kernel": None, "api": None, "proto": None, "utils": "9.22.0", "dialect": "9",
      "compatible": True, "problem": None}),
    ("no module, 8.4 found by modinfo", None, V_84,
     {"kernel": None, "api": None, "proto": None, "utils": "9.22.0", "dialect": "8.4",
      "compatible": True, "problem": None}),
]


@pytest.mark.parametrize("label, proc, version, expected", ASSESS_CASES, ids=[case[0] for case in ASSESS_CASES])
def test_assess_versions_compatible(label, proc, version, expected):
    assert drbd.assess_versions(proc, version) == expected


MISMATCH_CASES = [
    ("8.3 API against 8.4 kernel", fixture("8.4.2/proc_drbd.txt"), V_83, "8.4",
     ["API mismatch", "8.4.2 (api:1)", "drbdadm 9.22.0 (API 88)", "install drbd-utils"]),
    ("8.4 API against 8.3 kernel", fixture("8.3.11/proc_drbd_sync_want.txt"), V_84, "8.3",
     ["API mismatch", "8.3.11 (api:88)", "needs a userland of API 88", "drbdadm 9.22.0 (API 1)"]),
    ("8.4 API against 9 kernel", fixture("9.0.32/proc_drbd.txt"), V_84, "9",
     ["API mismatch", "9.0.32-1 (api:2)", "drbdadm 9.22.0 (API 1)"]),
    ("0.7 kernel against drbd-utils", fixture("0.7.17/proc_drbd_connected_inconsistent.txt"), V_84, "0.7",
     ["different DRBD generations", "0.7.17 (api:77)", "drbd0.7-utils"]),
]


@pytest.mark.parametrize("label, proc, version, dialect, words", MISMATCH_CASES,
                         ids=[case[0] for case in MISMATCH_CASES])
def test_assess_versions_mismatch(label, proc, version, dialect, words):
    result = drbd.assess_versions(proc, version)
    assert result["compatible"] is False
    assert result["dialect"] == dialect
    for word in words:
        assert word in result["problem"]


def test_assess_versions_without_drbdadm():
    result = drbd.assess_versions(CFS_8411_FRESH, None)
    assert (result["kernel"], result["utils"], result["dialect"]) == ("8.4.11-1", None, "8.4")
    assert result["compatible"] is False
    assert result["problem"].startswith("drbdadm was not found, so the loaded DRBD 8.4.11-1 module cannot be managed")


def test_assess_versions_nothing_installed():
    assert drbd.assess_versions(None, None) == {
        "kernel": None, "api": None, "proto": None, "utils": None, "dialect": None, "compatible": False,
        "problem": ("DRBD is not installed: /proc/drbd is absent (no module loaded) and drbdadm was not found; "
                    "install drbd-utils"),
    }


def test_assess_versions_unparsable_proc():
    with pytest.raises(DrbdParseError, match="first line is not a DRBD version line"):
        drbd.assess_versions(fixture("malformed/proc_drbd_no_version.txt"), V_84)


def test_detect_versions_reads_proc_and_drbdadm(monkeypatch):
    module = FakeModule({("drbdadm", "--version"): (0, V_84, "")})
    monkeypatch.setattr(drbd, "read_proc_drbd", ProcDrbd([CFS_8411_FRESH]))
    assert drbd.detect_versions(module) == {"kernel": "8.4.11-1", "api": 1, "proto": (86, 101), "utils": "9.22.0",
                                            "dialect": "8.4", "compatible": True, "problem": None}
    assert module.runner.calls == [["drbdadm", "--version"]]


def test_detect_versions_without_drbdadm_runs_nothing(monkeypatch):
    monkeypatch.setattr(drbd, "PROC_DRBD", os.path.join(FIXTURES, "8.4.3", "proc_drbd.txt"))
    module = FakeModule(binaries=())
    result = drbd.detect_versions(module)
    assert (result["kernel"], result["utils"], result["compatible"]) == ("8.4.3", None, False)
    assert module.runner.calls == []


def test_detect_versions_unparsable_proc_fails(monkeypatch):
    monkeypatch.setattr(drbd, "PROC_DRBD", os.path.join(FIXTURES, "malformed", "proc_drbd_no_version.txt"))
    module = FakeModule({("drbdadm", "--version"): (0, V_84, "")})
    with pytest.raises(FailJson) as exc:
        drbd.detect_versions(module)
    assert exc.value.result["msg"].startswith("cannot tell which DRBD release runs here: first line is not a DRBD")


def test_read_proc_drbd(monkeypatch):
    monkeypatch.setattr(drbd, "PROC_DRBD", os.path.join(FIXTURES, "8.4.3", "proc_drbd.txt"))
    assert drbd.read_proc_drbd().startswith("version: 8.4.3 (api:1/proto:86-101)\nsrcversion:")
    monkeypatch.setattr(drbd, "PROC_DRBD", os.path.join(FIXTURES, "no-such-dir", "drbd"))
    assert drbd.read_proc_drbd() is None


# ---------------------------------------------------------------------------
# Forced promotion (reference 7.5)
# ---------------------------------------------------------------------------

DO_WHAT = ["drbdadm", "--", "--do-what-I-say", "primary", "r0"]
OVERWRITE = ["drbdadm", "--", "--overwrite-data-of-peer", "primary", "r0"]
FORCE = ["drbdadm", "primary", "--force", "r0"]


@pytest.mark.parametrize("release, argv", [
    ("0.7", DO_WHAT), ("0.7.17", DO_WHAT), ("0.7.25", DO_WHAT),
    ("8.0.16", OVERWRITE), ("8.2.7", OVERWRITE), ("8.3.2", OVERWRITE), ("8.3.7", OVERWRITE),
    # Only the series: the long form, which every 8.0-8.3 release knows.
    ("8.3", OVERWRITE),
    ("8.3.8", FORCE), ("8.3.11", FORCE), ("8.4", FORCE), ("8.4.11", FORCE), ("9", FORCE),
    ("9.22.0", FORCE), ("9.0.32-1", FORCE),
])
def test_force_primary_argv(release, argv):
    assert drbd.force_primary_argv(release, "r0") == argv


@pytest.mark.parametrize("release", ["0.6.13", "7.0", "latest", ""])
def test_force_primary_argv_unknown_release(release):
    with pytest.raises(ValueError):
        drbd.force_primary_argv(release, "r0")


# ---------------------------------------------------------------------------
# read_state
# ---------------------------------------------------------------------------

def versions_for(proc, version_text):
    return drbd.assess_versions(proc, version_text)


def read(monkeypatch, resource, versions, table, proc_texts):
    module = FakeModule(table)
    monkeypatch.setattr(drbd, "read_proc_drbd", ProcDrbd(proc_texts))
    return drbd.read_state(module, resource, versions), module.runner


SH_MINOR_R1 = {("drbdadm", "sh-minor", "r1"): (0, fixture("9.22.0/status_sh_minor_r1_84.txt"), "")}
SH_MINOR_R0 = {("drbdadm", "sh-minor", "r0"): (0, fixture("9.22.0/status_sh_minor_r0_84.txt"), "")}


def test_read_state_84_fresh_pair(monkeypatch):
    state, runner = read(monkeypatch, "r1", versions_for(CFS_8411_FRESH, V_84), SH_MINOR_R1, [CFS_8411_FRESH])
    assert state == {
        "resource": "r1", "exists": True, "source": "/proc/drbd", "role": "Secondary", "minor": 1,
        "disk": "Inconsistent", "volumes": [{"volume": 0, "minor": 1, "disk": "Inconsistent"}],
        "peers": [{"name": "peer", "role": "Secondary", "connection": "Connected",
                   "volumes": [{"volume": 0, "replication": "Established", "peer_disk": "Inconsistent",
                                "peer_client": None, "sync": None}]}],
        "peer_roles": ["Secondary"], "peer_disks": ["Inconsistent"], "connection": "Connected",
        "cstate": "Connected", "sync": None,
    }
    assert runner.calls == [["drbdadm", "sh-minor", "r1"]]


def test_read_state_84_resync_progress(monkeypatch):
    state, dummy = read(monkeypatch, "r1", versions_for(CFS_8411_FRESH, V_84), SH_MINOR_R1, [CFS_8411_SYNCSOURCE])
    assert (state["role"], state["cstate"], state["connection"]) == ("Primary", "SyncSource", "Connected")
    assert state["sync"] == {"percent": 8.6, "eta_seconds": 111, "speed": 4316, "average": 4316}
    assert drbd.progress(state) == {"percent": 8.6, "eta_seconds": 111, "speed_kib_s": 4316, "average_kib_s": 4316, "cstate": "SyncSource",
                                    "disk": "UpToDate", "peer_disk": "Inconsistent"}


def test_read_state_84_waiting_for_peer(monkeypatch):
    state, dummy = read(monkeypatch, "r1", versions_for(CFS_8411_FRESH, V_84), SH_MINOR_R1, [CFS_8411_WFCONNECTION])
    assert state["peers"] == [{"name": "peer", "role": "Unknown", "connection": "Connecting",
                               "volumes": [{"volume": 0, "replication": "Off", "peer_disk": "DUnknown",
                                            "peer_client": None, "sync": None}]}]
    assert (state["cstate"], state["disk"]) == ("WFConnection", "Inconsistent")


def test_read_state_83_fresh_pair(monkeypatch):
    # 8.3.0 of the LINBIT guide with the drbdadm-83 stack of drbd-utils (both API 88).
    versions = versions_for(UG_830_FRESH, V_83)
    assert (versions["dialect"], versions["compatible"]) == ("8.3", True)
    state, dummy = read(monkeypatch, "r1", versions, SH_MINOR_R1, [UG_830_FRESH])
    assert (state["role"], state["cstate"], state["minor"]) == ("Secondary", "Connected", 1)
    assert state["disk"] == "Inconsistent"
    assert (state["peer_roles"], state["peer_disks"]) == (["Secondary"], ["Inconsistent"])


def test_read_state_resource_not_up(monkeypatch):
    # r0 is minor 0, which the kernel does not list.
    state, dummy = read(monkeypatch, "r0", versions_for(CFS_8411_FRESH, V_84), SH_MINOR_R0, [CFS_8411_FRESH])
    assert (state["exists"], state["role"], state["peers"], state["source"]) == (False, None, [], "/proc/drbd")


def test_read_state_no_module_loaded_runs_nothing(monkeypatch):
    state, runner = read(monkeypatch, "r0", versions_for(None, V_NO_MODULE), {}, [None])
    assert state["exists"] is False
    assert runner.calls == []


def test_read_state_83_standalone(monkeypatch):
    proc = fixture("8.4.2/proc_drbd_sync.txt")
    state, dummy = read(monkeypatch, "r0", versions_for(proc, V_84), SH_MINOR_R0, [proc])
    assert (state["role"], state["cstate"], state["connection"], state["disk"]) == ("Primary", "StandAlone",
                                                                                    "StandAlone", "UpToDate")
    assert state["peer_disks"] == ["DUnknown"]


def test_read_state_07_uses_sh_dev(monkeypatch):
    proc = fixture("0.7.17/proc_drbd_connected_inconsistent.txt")
    versions = {"kernel": "0.7.17", "api": 77, "proto": (74, 74), "utils": "0.7.17", "dialect": "0.7",
                "compatible": True, "problem": None}
    table = {("drbdadm", "sh-dev", "r0"): (0, fixture("9.22.0/status_sh_dev_r0_84.txt"), "")}
    state, runner = read(monkeypatch, "r0", versions, table, [proc])
    assert runner.calls == [["drbdadm", "sh-dev", "r0"]]
    assert (state["role"], state["disk"], state["cstate"], state["peer_roles"], state["peer_disks"]) == (
        "Secondary", "Inconsistent", "Connected", ["Secondary"], [None])


def test_read_state_9_from_json(monkeypatch):
    versions = versions_for(fixture("9.0.32/proc_drbd.txt"), V_9)
    table = {("drbdsetup", "status", "--json", "1-single-0"): (0, fixture("9/drbdsetup_status_json.json"), "")}
    state, dummy = read(monkeypatch, "1-single-0", versions, table, [fixture("9.0.32/proc_drbd.txt")])
    assert state == {
        "resource": "1-single-0", "exists": True, "source": "drbdsetup status --json", "role": "Secondary",
        "minor": 2, "disk": "UpToDate", "volumes": [{"volume": 0, "minor": 2, "disk": "UpToDate"}],
        "peers": [{"name": "SLE15-sp1-gm-drbd1145296-node1", "role": "Primary", "connection": "Connected",
                   "volumes": [{"volume": 0, "replication": "Established", "peer_disk": "UpToDate",
                                "peer_client": "no", "sync": None}]}],
        "peer_roles": ["Primary"], "peer_disks": ["UpToDate"], "connection": "Connected", "cstate": "Connected",
        "sync": None,
    }


def test_read_state_9_text_before_json_support(monkeypatch):
    # drbd-utils 8.9.0-8.9.7 have no --json; the text leaves out a replication
    # state of Established or Off alike, so it stays unknown.
    versions = {"kernel": "9.0.32-1", "api": 2, "proto": (86, 121), "utils": "8.9.5", "dialect": "9",
                "compatible": True, "problem": None}
    table = {("drbdadm", "status", "wwwdata"): (0, CFS_9_FRESH, "")}
    state, dummy = read(monkeypatch, "wwwdata", versions, table, [fixture("9.0.32/proc_drbd.txt")])
    assert state["peers"] == [{"name": "pcmk-2", "role": "Secondary", "connection": "Connected",
                               "volumes": [{"volume": 0, "replication": None, "peer_disk": "Inconsistent",
                                            "peer_client": None, "sync": None}]}]
    assert (state["cstate"], state["minor"]) == (None, None)


def test_read_state_undefined_resource_fails(monkeypatch):
    stderr = fixture("9.22.0/status_sh_minor_undefined_stderr.txt")
    table = {("drbdadm", "sh-minor", "nosuch"): (1, "", stderr)}
    with pytest.raises(FailJson) as exc:
        read(monkeypatch, "nosuch", versions_for(CFS_8411_FRESH, V_84), table, [CFS_8411_FRESH])
    assert exc.value.result["msg"] == "drbdadm failed (rc=1): 'nosuch' not defined in your config (for this host)."


def test_read_state_unparsable_minor_fails(monkeypatch):
    table = {("drbdadm", "sh-minor", "r0"): (0, fixture("9.22.0/status_dump_r0_84.txt"), "")}
    with pytest.raises(FailJson) as exc:
        read(monkeypatch, "r0", versions_for(CFS_8411_FRESH, V_84), table, [CFS_8411_FRESH])
    assert exc.value.result["msg"] == (
        "cannot parse the output of `drbdadm sh-minor r0`: not a minor number: '# resource r0 on vm: not ignored, "
        "not stacked'")


def test_read_state_unparsable_json_fails(monkeypatch):
    versions = versions_for(fixture("9.0.32/proc_drbd.txt"), V_9)
    table = {("drbdsetup", "status", "--json", "wwwdata"): (0, CFS_9_FRESH, "")}
    with pytest.raises(FailJson) as exc:
        read(monkeypatch, "wwwdata", versions, table, [fixture("9.0.32/proc_drbd.txt")])
    assert exc.value.result["msg"].startswith(
        "cannot parse the output of `drbdsetup status --json wwwdata`: drbdsetup status --json output is not JSON")


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("versions, expected", [
    ({"utils": "9.22.0", "dialect": "8.4"}, True),
    ({"utils": "9.0.0", "dialect": "8.4"}, False),
    ({"utils": "8.9.10", "dialect": "9"}, True),
    ({"utils": "9.22.0", "dialect": "8.3"}, False),
    ({"utils": None, "dialect": "9"}, False),
])
def test_status_text_supported(versions, expected):
    assert drbd.status_text_supported(versions) is expected


def test_jsonable_turns_int_keys_into_strings():
    assert drbd.jsonable({1: {"volumes": {0: [(86, 101)]}}}) == {"1": {"volumes": {"0": [[86, 101]]}}}
