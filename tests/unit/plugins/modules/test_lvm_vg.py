# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""lvm_vg on real captures: vgs and vgcreate of lvm2 2.03.16 (fixtures/lvm), the device probes of
util-linux 2.38.1 (fixtures/blockdev), all taken on /dev/loop0."""

from __future__ import annotations

import errno
import json
import os

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.hacluster.drbd.plugins.module_utils.lvm import LvmParseError, parse_vgs_json
from ansible_collections.hacluster.drbd.plugins.modules import lvm_vg as mod

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
DEV = "/dev/loop0"


def cap(folder, name):
    with open(os.path.join(FIXTURES, folder, name + ".json"), encoding="utf-8") as handle:
        run = json.load(handle)
    return run["rc"], run["stdout"], run["stderr"]


VGS_NONE = cap("lvm/2.03.16", "vgs_none")
VGS_ONE = cap("lvm/2.03.16", "vgs_one")        # vgcap on /dev/loop0
VGCREATE = cap("lvm/2.03.16", "vgcreate")


class Done(Exception):
    pass


class Failed(Exception):
    pass


class Host(object):
    def __init__(self, device_state="blank", vgs=(VGS_NONE, VGS_ONE), readable=True, blkid=None):
        self.state = device_state
        self.vgs = list(vgs)
        self.readable = readable
        self.blkid = blkid
        self.calls = []

    def run_command(self, module, args, **kwargs):
        assert isinstance(args, list)
        assert kwargs.get("environ_update") == {"LC_ALL": "C", "LANG": "C"}
        self.calls.append(list(args))
        tool = os.path.basename(args[0])
        if tool == "vgs":
            return self.vgs.pop(0) if len(self.vgs) > 1 else self.vgs[0]
        if tool == "blkid":
            return self.blkid or cap("blockdev", "blkid_" + self.state)
        if tool == "wipefs":
            return cap("blockdev", "wipefs_" + self.state)
        if tool == "vgcreate":
            return VGCREATE
        raise AssertionError("unexpected command %s" % args)

    def device_size(self, path):
        if not self.readable:
            raise OSError(errno.ENOENT, "No such file or directory", path)
        return 67108864

    @property
    def writes(self):
        return [c for c in self.calls if os.path.basename(c[0]) == "vgcreate"]


@pytest.fixture
def host(monkeypatch):
    def setup(**kwargs):
        target = Host(**kwargs)

        def exit_json(module, **result):
            raise Done(result)

        def fail_json(module, **result):
            raise Failed(result)

        def run_command(module, args, **kwargs):
            return target.run_command(module, args, **kwargs)

        monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
        monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                            lambda module, name, required=False, opt_dirs=None: "/usr/sbin/" + name)
        monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
        monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
        monkeypatch.setattr(mod, "device_size", target.device_size)
        return target
    return setup


def run(check=False, **params):
    args = {"vg": "vgcap", "pvs": [DEV], "auto_activation": False, "_ansible_check_mode": check}
    args.update(params)
    with patch_module_args(args):
        with pytest.raises((Done, Failed)) as outcome:
            mod.main()
    result = outcome.value.args[0]
    result["failed"] = isinstance(outcome.value, Failed)
    return result


def test_parse_vgs_json_on_captures():
    assert parse_vgs_json(VGS_NONE[1]) == {}
    assert parse_vgs_json(VGS_ONE[1]) == {"vgcap": ["/dev/loop0"]}
    with pytest.raises(LvmParseError):
        parse_vgs_json("  Volume group vgcap not found\n")


def test_blank_device_gets_the_volume_group(host):
    target = host()
    result = run()
    assert result["failed"] is False and result["changed"] is True
    assert result["commands"] == ["/usr/sbin/vgcreate --setautoactivation n vgcap /dev/loop0"]
    assert target.writes == [["/usr/sbin/vgcreate", "--setautoactivation", "n", "vgcap", DEV]]
    assert result["signatures"] == {DEV: []}
    assert result["pvs"] == [DEV]
    assert "/usr/sbin/blkid -p -o export /dev/loop0" in result["commands_run"]


def test_check_mode_reports_and_writes_nothing(host):
    target = host()
    result = run(check=True)
    assert result["changed"] is True
    assert result["commands"] == ["/usr/sbin/vgcreate --setautoactivation n vgcap /dev/loop0"]
    assert target.writes == []


def test_existing_volume_group_is_left_alone(host):
    target = host(vgs=(VGS_ONE,))
    result = run()
    assert (result["failed"], result["changed"], result["pvs"]) == (False, False, [DEV])
    assert [os.path.basename(c[0]) for c in target.calls] == ["vgs"]


def test_existing_volume_group_on_other_devices_is_refused(host):
    target = host(vgs=(VGS_ONE,))
    result = run(pvs=["/dev/loop1"])
    assert result["failed"] is True and "exists on /dev/loop0, not on /dev/loop1" in result["msg"]
    assert target.writes == []


@pytest.mark.parametrize("state", ["lvm", "ext4", "dos", "xfs"])
def test_a_device_that_holds_anything_is_refused(host, state):
    target = host(device_state=state)
    result = run(vg="vgnew")
    assert result["failed"] is True
    assert result["msg"].startswith("refusing to create volume group vgnew: /dev/loop0 holds ")
    assert target.writes == []


def test_a_failed_probe_is_not_blank(host):
    # blkid exit 4 (usage or internal error): it could not tell, which is never "blank".
    target = host(blkid=(4, "", "blkid: error\n"))
    result = run(vg="vgnew")
    assert result["failed"] is True and "cannot be shown to be empty" in result["msg"]
    assert target.writes == []


def test_an_unreadable_device_is_refused(host):
    target = host(readable=False)
    result = run(vg="vgnew")
    assert result["failed"] is True and result["msg"].startswith("cannot read /dev/loop0")
    assert target.writes == []


@pytest.mark.parametrize("params", [{"vg": "vg 0"}, {"vg": "vg0\n"}, {"pvs": ["loop0"]}, {"pvs": []}])
def test_bad_arguments_are_refused_untouched(host, params):
    target = host()
    result = run(**params)
    assert result["failed"] is True and result["msg"].endswith("nothing was changed")
    assert target.calls == []
