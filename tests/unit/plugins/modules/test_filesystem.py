# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import errno
import json
import os

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.hacluster.drbd.plugins.modules import filesystem as mod

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "blockdev")
DEV = "/dev/loop0"

EXT3 = "ext3 at 0x438 (UUID 291b96b5-e0d0-4c3f-870a-b981781a306f)"
EXT4 = "ext4 at 0x438 (UUID d5aeae68-57c0-4be3-aca8-9776d0fa8fdb)"
XFS = "xfs at 0x0 (UUID 635e0a6c-8d87-49bd-a2a4-135887748c5e)"
LVM = "LVM2_member at 0x218 (UUID BbDE8y-6eqG-kPJs-d3qK-HxME-nFeK-1kTe5K)"
DRBD_EXT4 = ["drbd at 0x13fff03c", "ext4 at 0x438 (UUID 32bdb031-2975-403d-90e4-42e4bf686899)"]


def cap(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as handle:
        doc = json.load(handle)
    return doc["rc"], doc["stdout"], doc["stderr"]


# What a write does to the device, from the captures: (command, state before)
# -> (captured output, state after). A write not listed here fails the test.
TRANSITIONS = {
    ("mkfs.ext4", "blank"): ("mkfs_ext4_blank", "ext4"),
    ("mkfs.ext3", "blank"): ("mkfs_ext3_blank", "ext3"),
    ("mkfs.xfs", "blank"): ("mkfs_xfs_blank", "xfs"),
    ("wipefs", "ext3"): ("wipefs_all_ext3", "after_wipefs_all_ext3"),
    ("mkfs.ext4", "after_wipefs_all_ext3"): ("mkfs_ext4_after_wipefs", "ext4"),
    # The loop device lost its file between the probes and mkfs.
    ("mkfs.ext4", "unattached_loop"): ("mkfs_ext4_unattached_loop", "unattached_loop"),
}


class Done(Exception):
    pass


class Failed(Exception):
    pass


class Device(object):
    """A block device whose probes answer from the captures of its current state."""

    def __init__(self, state, readable=True):
        self.state = state
        self.readable = readable
        self.calls = []
        self.warnings = []
        self.detach_before_mkfs = False

    def run_command(self, module, args, **kwargs):
        assert isinstance(args, list), "argv lists only, never a shell string"
        assert kwargs.get("environ_update") == {"LC_ALL": "C", "LANG": "C"}
        self.calls.append(list(args))
        tool = os.path.basename(args[0])
        if tool == "blkid" or args[1:3] == ["--no-act", "--parsable"]:
            return cap("%s_%s" % (tool, self.state))
        if self.detach_before_mkfs and tool.startswith("mkfs"):
            self.state = "unattached_loop"
        name, self.state = TRANSITIONS[(tool, self.state)]
        return cap(name)

    def device_size(self, path):
        if not self.readable:
            raise OSError(errno.ENOENT, "No such file or directory", path)
        return 335544320

    @property
    def writes(self):
        return [argv for argv in self.calls if "--no-act" not in argv and os.path.basename(argv[0]) != "blkid"]


@pytest.fixture
def device(monkeypatch):
    def setup(state, readable=True):
        dev = Device(state, readable)

        def run_command(module, args, **kwargs):
            return dev.run_command(module, args, **kwargs)

        def exit_json(module, **result):
            raise Done(result)

        def fail_json(module, **result):
            raise Failed(result)

        monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
        monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                            lambda module, name, required=False, opt_dirs=None: "/usr/sbin/" + name)
        monkeypatch.setattr(basic.AnsibleModule, "warn", lambda module, warning, **kw: dev.warnings.append(warning))
        monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
        monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
        monkeypatch.setattr(mod, "device_size", dev.device_size)
        return dev
    return setup


def run(check=False, diff=True, **params):
    args = {"dev": DEV, "fstype": "ext4", "_ansible_check_mode": check, "_ansible_diff": diff}
    args.update(params)
    with patch_module_args(args):
        with pytest.raises((Done, Failed)) as outcome:
            mod.main()
    result = outcome.value.args[0]
    result["failed"] = isinstance(outcome.value, Failed)
    return result


PROBES = [["/usr/sbin/blkid", "-p", "-o", "export", DEV], ["/usr/sbin/wipefs", "--no-act", "--parsable", DEV]]


@pytest.mark.parametrize("fstype, params, argv, after", [
    ("ext4", {}, ["/usr/sbin/mkfs.ext4", "-q", DEV], [EXT4]),
    ("ext3", {"label": "data"}, ["/usr/sbin/mkfs.ext3", "-q", "-L", "data", DEV], [EXT3]),
    ("xfs", {"opts": ["-m", "reflink=0"]}, ["/usr/sbin/mkfs.xfs", "-q", "-m", "reflink=0", DEV], [XFS]),
])
def test_blank_device_gets_mkfs(device, fstype, params, argv, after):
    dev = device("blank")
    result = run(fstype=fstype, **params)
    assert result["failed"] is False
    assert result["changed"] is True
    assert dev.writes == [argv]
    # probe, mkfs, then the read-back probe
    assert dev.calls == PROBES + [argv] + PROBES
    assert result["commands"] == [" ".join(argv)]
    assert result["signatures_before"] == []
    assert result["destroyed"] == []
    assert result["fstype"] == fstype
    assert result["diff"] == {"before": {"fstype": None, "signatures": []},
                              "after": {"fstype": fstype, "signatures": after}}


@pytest.mark.parametrize("state, fstype, signature", [("ext4", "ext4", EXT4), ("xfs", "xfs", XFS),
                                                      ("ext3", "ext3", EXT3)])
def test_wanted_file_system_is_left_alone(device, state, fstype, signature):
    dev = device(state)
    result = run(fstype=fstype, discard_existing_data=True)
    assert result["failed"] is False
    assert result["changed"] is False
    assert dev.calls == PROBES
    assert result["commands"] == []
    assert result["destroyed"] == []
    assert result["signatures_before"] == [signature]
    assert result["diff"]["before"] == result["diff"]["after"] == {"fstype": fstype, "signatures": [signature]}


def test_existing_file_system_is_not_relabelled(device):
    dev = device("ext4")
    result = run(label="data")
    assert result["changed"] is False
    assert dev.writes == []
    assert dev.warnings == ["/dev/loop0 already holds ext4 with label '', not 'data'; this module does not "
                            "relabel an existing file system"]


@pytest.mark.parametrize("state, fstype, signatures", [
    ("ext3", "ext4", [EXT3]),
    ("ext4", "ext3", [EXT4]),
    ("ext4", "xfs", [EXT4]),
    ("lvm", "ext4", [LVM]),
    ("dos", "xfs", ["dos at 0x1fe"]),
])
def test_other_signatures_are_refused(device, state, fstype, signatures):
    dev = device(state)
    result = run(fstype=fstype)
    assert result["failed"] is True
    assert result["changed"] is False
    assert dev.calls == PROBES
    assert result["msg"] == ("refusing to make %s on /dev/loop0: it holds %s. Set discard_existing_data: true to "
                             "destroy it; nothing was changed" % (fstype, "; ".join(signatures)))
    assert result["signatures_before"] == signatures
    assert result["destroyed"] == []


@pytest.mark.parametrize("discard", [False, True])
def test_drbd_backing_device_is_refused_even_with_discard(device, discard):
    dev = device("drbd_v09_ext4")
    result = run(discard_existing_data=discard)
    assert result["failed"] is True
    assert dev.calls == PROBES
    assert result["msg"] == (
        "refusing to make a file system on /dev/loop0: it holds DRBD meta data (drbd at 0x13fff03c; ext4 at 0x438 "
        "(UUID 32bdb031-2975-403d-90e4-42e4bf686899)). This is a DRBD backing device; make the file system on the "
        "DRBD device (/dev/drbdN) on the Primary node instead. discard_existing_data does not override this; "
        "nothing was changed")
    assert result["signatures_before"] == DRBD_EXT4
    assert result["destroyed"] == []


def test_discard_wipes_then_makes_and_reports_destroyed(device):
    dev = device("ext3")
    result = run(discard_existing_data=True)
    assert result["failed"] is False
    assert result["changed"] is True
    assert dev.writes == [["/usr/sbin/wipefs", "--all", DEV], ["/usr/sbin/mkfs.ext4", "-q", DEV]]
    assert result["commands"] == ["/usr/sbin/wipefs --all /dev/loop0", "/usr/sbin/mkfs.ext4 -q /dev/loop0"]
    assert result["destroyed"] == [EXT3]
    assert result["signatures_before"] == [EXT3]
    assert result["diff"] == {"before": {"fstype": "ext3", "signatures": [EXT3]},
                              "after": {"fstype": "ext4", "signatures": [EXT4]}}


def test_discard_forces_xfs_only_after_wipefs(device):
    assert mod.mkfs_argv("/usr/sbin/mkfs.xfs", "xfs", None, None, True, DEV) == ["/usr/sbin/mkfs.xfs", "-q", "-f", DEV]
    # mke2fs is never given -F: that would also let it write to a mounted device.
    assert mod.mkfs_argv("/usr/sbin/mkfs.ext4", "ext4", "x", ["-m", "0"], True, DEV) == [
        "/usr/sbin/mkfs.ext4", "-q", "-L", "x", "-m", "0", DEV]


@pytest.mark.parametrize("state, params, commands, destroyed", [
    ("blank", {}, ["/usr/sbin/mkfs.ext4 -q /dev/loop0"], []),
    ("ext3", {"discard_existing_data": True},
     ["/usr/sbin/wipefs --all /dev/loop0", "/usr/sbin/mkfs.ext4 -q /dev/loop0"], [EXT3]),
])
def test_check_mode_predicts_and_writes_nothing(device, state, params, commands, destroyed):
    dev = device(state)
    result = run(check=True, **params)
    assert result["failed"] is False
    assert result["changed"] is True
    assert dev.calls == PROBES
    assert dev.writes == []
    assert dev.state == state
    assert result["commands"] == commands
    assert result["destroyed"] == destroyed
    assert result["diff"]["after"] == {"fstype": "ext4", "signatures": ["ext4 (to be made)"]}


def test_check_mode_refuses_like_a_real_run(device):
    dev = device("lvm")
    result = run(check=True)
    assert result["failed"] is True
    assert result["msg"].startswith("refusing to make ext4 on /dev/loop0: it holds %s." % LVM)
    assert dev.writes == []


def test_unreadable_device_stops_before_any_probe(device):
    dev = device("missing", readable=False)
    result = run(dev="/dev/hC-no-such-device")
    assert result["failed"] is True
    assert dev.calls == []
    assert result["msg"] == ("cannot read /dev/hC-no-such-device (No such file or directory), so it cannot be shown "
                             "to be blank; nothing was changed")


def test_failing_probe_is_not_blank(device):
    # The captures of a vanished device: blkid calls it blank (exit 2, no
    # output), wipefs fails; the module must stop on the wipefs failure.
    dev = device("missing")
    result = run()
    assert result["failed"] is True
    assert result["changed"] is False
    assert dev.calls == PROBES
    assert result["msg"] == (
        "/usr/sbin/wipefs --no-act --parsable /dev/loop0 failed (rc=1: wipefs: error: /dev/hC-no-such-device: "
        "probing initialization failed: No such file or directory), so /dev/loop0 cannot be shown to be empty; "
        "nothing was changed")


def test_mkfs_failure_is_reported_with_its_message(device):
    dev = device("blank")
    dev.detach_before_mkfs = True
    result = run()
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["rc"] == 1
    assert result["cmd"] == "/usr/sbin/mkfs.ext4 -q /dev/loop0"
    assert result["msg"] == ("/usr/sbin/mkfs.ext4 -q /dev/loop0 failed (rc=1): mkfs.ext4: Device size reported to "
                             "be zero.  Invalid partition specified, or.")
    assert result["stderr"].startswith("mkfs.ext4: Device size reported to be zero.")


def test_mkfs_failure_after_wipefs_says_what_was_erased(device):
    dev = device("ext3")
    dev.detach_before_mkfs = True
    result = run(discard_existing_data=True)
    assert result["failed"] is True
    assert result["changed"] is True
    assert result["destroyed"] == [EXT3]
    assert dev.writes == [["/usr/sbin/wipefs", "--all", DEV], ["/usr/sbin/mkfs.ext4", "-q", DEV]]
    assert result["msg"] == ("/usr/sbin/mkfs.ext4 -q /dev/loop0 failed (rc=1): mkfs.ext4: Device size reported to "
                             "be zero.  Invalid partition specified, or. The signatures were already erased by "
                             "/usr/sbin/wipefs --all /dev/loop0: %s." % EXT3)


def test_too_long_label_is_caught_before_the_device_is_touched(device):
    dev = device("blank")
    result = run(fstype="xfs", label="thirteen-char")
    assert result["failed"] is True
    assert dev.calls == []
    assert result["msg"] == ("label 'thirteen-char' is not one line of at most the 12 characters xfs allows; "
                             "nothing was changed")


@pytest.mark.parametrize("dev,label", [("/dev/loop0\n", None), ("loop0", None), ("/dev/loop0", "data\n")])
def test_values_with_a_line_break_or_a_relative_device_are_refused_untouched(device, dev, label):
    probe = device("blank")
    result = run(fstype="ext4", label=label, dev=dev) if label else run(fstype="ext4", dev=dev)
    assert result["failed"] is True
    assert probe.calls == []
    assert "nothing was changed" in result["msg"]
