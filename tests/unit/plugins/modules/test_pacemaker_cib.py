# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""pacemaker_cib against captured Pacemaker 2.1.5 output: verify before push,
push only a non-empty difference, never in check mode, secrets kept out."""

from __future__ import annotations

import contextlib
import os
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.hacluster.drbd.plugins.modules import pacemaker_cib
from ansible_collections.hacluster.drbd.tests.unit.plugins.modules.drbd_role_helpers import (
    ExitJson,
    FailJson,
    Runner,
    _exit_json,
    _fail_json,
    module_args,
)

HERE = os.path.dirname(__file__)
FIX = os.path.join(HERE, "..", "..", "fixtures", "pacemaker", "2.1.5")
SECRET = "hunter2-secret"


def fix(name):
    with open(os.path.join(FIX, name), encoding="utf-8") as handle:
        return handle.read()


DRBD = {
    "type": "clone", "id": "cl_drbd_r0", "promotable": True,
    "meta": {"promoted-max": 1, "promoted-node-max": 1, "clone-max": 2, "clone-node-max": 1, "notify": True},
    "child": {"id": "drbd_r0", "agent": "ocf:linbit:drbd", "params": {"drbd_resource": "r0"},
              "ops": [{"name": "monitor", "interval": "29s", "role": "Promoted"},
                      {"name": "monitor", "interval": "31s", "role": "Unpromoted"}]},
}
FS = {"id": "fs_r0", "agent": "ocf:heartbeat:Filesystem",
      "params": {"device": "/dev/drbd0", "directory": "/srv", "fstype": "ext4"}}
FENCE = {"id": "fence_node1", "agent": "stonith:fence_lab", "params": {"pcmk_host_list": "node1"}}
CONSTRAINTS = [
    {"type": "colocation", "id": "fs_on_drbd", "rsc": "fs_r0", "with_rsc": "cl_drbd_r0", "with_rsc_role": "Promoted"},
    {"type": "order", "id": "drbd_then_fs", "first": "cl_drbd_r0", "first_action": "promote", "then": "fs_r0"},
]
ARGS = {"properties": {"stonith-enabled": True, "no-quorum-policy": "stop"}, "resources": [DRBD, FENCE, FS],
        "secrets": {"fence_node1": {"password": SECRET}}, "constraints": CONSTRAINTS}


def run(args, table, tmp_path, check_mode=False, diff=False):
    runner = Runner(table)
    written = {}

    def run_command(self, argv, **kwargs):
        for arg in argv:
            if str(arg).startswith(str(tmp_path)) and os.path.exists(arg):
                with open(arg, encoding="utf-8") as handle:
                    written[os.path.basename(arg)] = handle.read()
        return runner(self, argv, **kwargs)

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        return "/usr/sbin/%s" % arg

    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with contextlib.ExitStack() as stack:
        for patch in (mock.patch.object(basic.AnsibleModule, "run_command", run_command),
                      mock.patch.object(basic.AnsibleModule, "get_bin_path", get_bin_path),
                      mock.patch.object(basic.AnsibleModule, "exit_json", _exit_json),
                      mock.patch.object(basic.AnsibleModule, "fail_json", _fail_json),
                      mock.patch.object(pacemaker_cib.tempfile, "mkdtemp", lambda prefix: str(tmp_path))):
            stack.enter_context(patch)
        stack.enter_context(module_args(args))
        try:
            pacemaker_cib.main()
        except ExitJson as exc:
            return "exit", exc.result, runner, written
        except FailJson as exc:
            return "fail", exc.result, runner, written
    raise AssertionError("the module neither exited nor failed")


def table(tmp_path, live, verify=("crm_verify-good", 0), diff_rc=1, push=(0, "", "")):
    new, patch = str(tmp_path / "new.xml"), str(tmp_path / "patch.xml")
    return {
        ("/usr/sbin/pacemakerd", "--version"): (0, fix("pacemakerd-version.stdout"), ""),
        ("/usr/sbin/cibadmin", "--query"): (0, live, ""),
        ("/usr/sbin/crm_verify", "--verbose", "--xml-file", new):
            (verify[1], fix(verify[0] + ".stdout"), fix(verify[0] + ".stderr")),
        ("/usr/sbin/crm_diff", "--original", str(tmp_path / "live.xml"), "--new", new):
            (diff_rc, fix("crm_diff-no-stonith.stdout") if diff_rc else "", ""),
        ("/usr/sbin/cibadmin", "--patch", "--xml-file", patch): push,
    }


def test_new_objects_verified_then_pushed_as_one_patch(tmp_path):
    outcome, result, runner, written = run(ARGS, table(tmp_path, fix("cibadmin-empty.xml")), tmp_path, diff=True)
    assert outcome == "exit", result
    assert result["changed"] and result["dialect"] == "2.1"
    assert "clone cl_drbd_r0" in result["changes"] and "property stonith-enabled" in result["changes"]
    verify_at = next(i for i, c in enumerate(runner.calls) if c[0].endswith("crm_verify"))
    push_at = next(i for i, c in enumerate(runner.calls) if c[1:2] == ["--patch"])
    assert verify_at < push_at
    assert 'epoch="2"' in written["new.xml"], "the scratch CIB must be newer than the live one"
    assert SECRET in written["new.xml"]  # the CIB holds it; nothing else may
    assert not any(SECRET in " ".join(c) for c in runner.calls)
    assert SECRET not in result["diff"]["after"] and SECRET not in result["crm_shell"]
    assert "clone cl_drbd_r0 drbd_r0" in result["crm_shell"]
    assert not tmp_path.exists(), "the scratch directory must be removed"


def test_same_objects_again_change_nothing(tmp_path):
    outcome, result, runner, dummy = run(ARGS, table(tmp_path, fix("cib-after-push.xml")), tmp_path)
    assert outcome == "exit", result
    assert result["changed"] is False and result["changes"] == []
    assert [c[1] for c in runner.calls if c[0].endswith("cibadmin")] == ["--query"]


def test_crm_verify_refusal_pushes_nothing(tmp_path):
    args = dict(ARGS, resources=[DRBD, FS], secrets={})
    outcome, result, runner, dummy = run(args, table(tmp_path, fix("cibadmin-empty.xml"),
                                                     verify=("crm_verify-no-stonith", 78)), tmp_path)
    assert outcome == "fail"
    assert "nothing was pushed" in result["msg"] and "no STONITH resources have been defined" in result["msg"]
    assert not any(c[1:2] == ["--patch"] for c in runner.calls)


def test_check_mode_verifies_but_never_pushes(tmp_path):
    outcome, result, runner, dummy = run(ARGS, table(tmp_path, fix("cibadmin-empty.xml")), tmp_path,
                                         check_mode=True)
    assert outcome == "exit" and result["changed"]
    assert any(c[0].endswith("crm_verify") for c in runner.calls)
    assert not any(c[1:2] == ["--patch"] for c in runner.calls)


# What cibadmin 2.1.5 answered in the lab when the DC had changed the CIB between read and push.
OLDER = (103, "", "Call cib_apply_diff failed: Update was older than existing configuration\n")


def test_a_cib_that_keeps_changing_is_reported_and_nothing_forced(tmp_path):
    outcome, result, runner, dummy = run(ARGS, table(tmp_path, fix("cibadmin-empty.xml"), push=OLDER), tmp_path)
    assert outcome == "fail" and "Update was older than existing configuration" in result["msg"]
    assert "every one of 5 attempts" in result["msg"]
    assert [c[1] for c in runner.calls if c[0].endswith("cibadmin")] == ["--query", "--patch"] * 5
    assert not any("--replace" in c or "--force" in c for c in runner.calls)


def test_a_cib_changed_between_read_and_push_is_read_again(tmp_path):
    """The DC wrote its version into the CIB after the read: the patch is refused, the module reads the new CIB,
    makes the change from it and pushes that."""
    tab = table(tmp_path, fix("cibadmin-empty.xml"), push=[OLDER, (0, "", "")])
    outcome, result, runner, written = run(ARGS, tab, tmp_path)
    assert outcome == "exit", result
    assert result["changed"]
    assert [c[1] for c in runner.calls if c[0].endswith("cibadmin")] == ["--query", "--patch", "--query", "--patch"]
    assert sum(1 for c in runner.calls if c[0].endswith("crm_verify")) == 2
    assert not tmp_path.exists(), "the scratch directory must be removed"


def test_another_refused_patch_fails_at_once(tmp_path):
    """The cluster went away between read and push (cibadmin's real answer then)."""
    push = (int(fix("cibadmin-no-cluster.rc")), fix("cibadmin-no-cluster.stdout"), fix("cibadmin-no-cluster.stderr"))
    outcome, result, runner, dummy = run(ARGS, table(tmp_path, fix("cibadmin-empty.xml"), push=push), tmp_path)
    assert outcome == "fail" and result["msg"].startswith("cibadmin failed (rc=102): ")
    assert [c[1] for c in runner.calls if c[0].endswith("cibadmin")] == ["--query", "--patch"]


def test_legacy_dialect_writes_master(tmp_path):
    args = dict(ARGS, dialect="1.1")
    outcome, result, runner, written = run(args, table(tmp_path, fix("cibadmin-empty.xml")), tmp_path)
    assert outcome == "exit", result
    assert '<master id="cl_drbd_r0">' in written["new.xml"] and 'role="Master"' in written["new.xml"]
    assert "ms cl_drbd_r0 drbd_r0" in result["crm_shell"]
    assert not any(c[0].endswith("pacemakerd") for c in runner.calls)


@pytest.mark.parametrize("args,message", [
    (dict(ARGS, secrets={"ghost": {"password": SECRET}}), "secrets name primitives that are not in resources"),
    (dict(ARGS, constraints=[{"type": "order", "id": "o", "first": "nothere", "then": "fs_r0"}]), "nothere"),
    (dict(ARGS, resources=[dict(FS, agent="Filesystem")], secrets={}), "agent 'Filesystem'"),
    (dict(ARGS, resources=[DRBD, dict(FENCE, params={"pcmk_host_list": "node1", "passwd": SECRET}), FS], secrets={}),
     "fence device fence_node1 carries passwd in params"),
])
def test_bad_input_refused_before_any_push(args, message, tmp_path):
    outcome, result, runner, dummy = run(args, table(tmp_path, fix("cibadmin-empty.xml")), tmp_path)
    assert outcome == "fail" and message in result["msg"], result
    assert not any(c[1:2] == ["--patch"] for c in runner.calls)
    assert SECRET not in str(result)
