# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""gfs2_fs driven through run_command, answered from real captures: gfs2-utils 3.5.0 (fixtures/gfs2) and the
util-linux 2.38.1 probes of the same device states (fixtures/blockdev), all on /dev/loop0."""

from __future__ import annotations

import errno
import json
import os

import pytest

from ansible_collections.hacluster.drbd.plugins.modules import gfs2_fs as mod
from ansible_collections.hacluster.drbd.tests.unit.plugins.modules.module_harness import (
    FakeHost,
    patch_module,
    run_module,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
DEV = "/dev/loop0"
UUID = "f2534170-2560-46c5-806e-7b8cdc34783b"
MOUNTED = "/dev/loop0 /srv/gfs0 gfs2 rw,noatime 0 0\n"
# gfs2_jadd's summary as print_results() in gfs2/mkfs/main_jadd.c of 3.5.0 writes it. Not captured: the capture
# host has no gfs2 kernel module, and gfs2_jadd works only on a mounted file system.
JADD_OK = (0, "Filesystem: /srv/gfs0\nOld journals: 2\nNew journals: 3\n", "")


def cap(folder, name):
    with open(os.path.join(FIXTURES, folder, name + ".json"), encoding="utf-8") as handle:
        doc = json.load(handle)
    return doc["rc"], doc["stdout"], doc["stderr"]


def g(name):
    return cap("gfs2/3.5.0", name)


# What each query answers in each device state.
PROBES = {
    "blank": {"blkid": cap("blockdev", "blkid_blank"), "wipefs": cap("blockdev", "wipefs_blank")},
    "ext4": {"blkid": cap("blockdev", "blkid_ext4"), "wipefs": cap("blockdev", "wipefs_ext4"),
             "tunegfs2": g("tunegfs2_list_ext4"), "gfs2_edit": g("gfs2_edit_jindex_ext4")},
    "gfs2_2": {"blkid": cap("blockdev", "blkid_gfs2"), "wipefs": cap("blockdev", "wipefs_gfs2"),
               "tunegfs2": g("tunegfs2_list_dlm_2"), "gfs2_edit": g("gfs2_edit_jindex_2")},
    # gfs2_jadd writes journals, not the superblock: the same superblock, three journals.
    "gfs2_3": {"blkid": cap("blockdev", "blkid_gfs2"), "wipefs": cap("blockdev", "wipefs_gfs2"),
               "tunegfs2": g("tunegfs2_list_dlm_2"), "gfs2_edit": g("gfs2_edit_jindex_3")},
}
# (tool, state before) -> (answer, state after). A write not listed here fails the test.
WRITES = {
    ("mkfs.gfs2", "blank", "2"): (g("mkfs_gfs2_dlm_2_blank"), "gfs2_2"),
    ("mkfs.gfs2", "blank", "3"): (g("mkfs_gfs2_dlm_3_blank"), "gfs2_3"),
    ("gfs2_jadd", "gfs2_2", "1"): (JADD_OK, "gfs2_3"),
}


class Device(FakeHost):
    def __init__(self, state, readable=True, mounts="", answers=None, write_fails=None, write_to=None):
        super(Device, self).__init__()
        self.state = state
        self.readable = readable
        self.mounts = mounts
        self.answers = answers or {}
        self.write_fails = write_fails
        self.write_to = write_to
        self.dropped = []

    def answer(self, tool, args):
        if tool in self.answers:
            return self.answers[tool]
        if tool == "mkfs.gfs2" and args[1] == "-V":
            return g("mkfs_gfs2_version")
        if tool in ("blkid", "wipefs", "tunegfs2", "gfs2_edit"):
            return PROBES[self.state][tool]
        if self.write_fails:
            return self.write_fails
        answer, after = WRITES[(tool, self.state, args[args.index("-j") + 1])]
        self.state = self.write_to or after
        return answer

    def device_size(self, path):
        if not self.readable:
            raise OSError(errno.ENOENT, "No such file or directory", path)
        return 268435456

    @property
    def writes(self):
        return [c for c in self.calls if os.path.basename(c[0]) == "gfs2_jadd"
                or (os.path.basename(c[0]) == "mkfs.gfs2" and c[1] != "-V")]


@pytest.fixture
def device(monkeypatch):
    def setup(state, **kwargs):
        dev = patch_module(monkeypatch, Device(state, **kwargs))
        monkeypatch.setattr(mod, "device_size", dev.device_size)
        monkeypatch.setattr(mod, "drop_cached_blocks", dev.dropped.append)
        monkeypatch.setattr(mod, "read_mounts", lambda: dev.mounts)
        return dev
    return setup


def run(check=False, diff=True, **params):
    args = {"dev": DEV, "lock_table": "hacluster:gfs0", "cluster_name": "hacluster", "journals": 2}
    args.update(params)
    return run_module(mod.main, args, check=check, diff=diff)


MKFS = "/usr/sbin/mkfs.gfs2 -O -p lock_dlm -t hacluster:gfs0 -j 2 /dev/loop0"


def test_blank_device_gets_gfs2_and_the_result_is_read_back(device):
    dev = device("blank")
    result = run()
    assert result["failed"] is False and result["changed"] is True, result
    assert result["commands"] == [MKFS]
    assert dev.writes == [MKFS.split()]
    assert result["found"] is None and result["signatures_before"] == []
    assert (result["lock_proto"], result["lock_table"], result["journals"], result["uuid"]) == \
        ("lock_dlm", "hacluster:gfs0", 2, UUID)
    assert result["tool_version"] == "3.5.0"
    # The read-back ran after mkfs: superblock and journal index.
    tools = [os.path.basename(c[0]) for c in dev.calls]
    assert tools[tools.index("mkfs.gfs2", 1):] == ["mkfs.gfs2", "blkid", "wipefs", "tunegfs2", "gfs2_edit"]
    # Before the probes and again before the read-back, the host's cached blocks of the device were dropped.
    assert dev.dropped == [DEV, DEV]
    assert result["diff"]["before"]["fstype"] is None
    assert result["diff"]["after"] == {"fstype": "gfs2", "lock_proto": "lock_dlm", "lock_table": "hacluster:gfs0",
                                       "journals": 2}


def test_an_existing_file_system_is_left_alone_and_reported(device):
    dev = device("gfs2_2")
    result = run()
    assert (result["failed"], result["changed"], result["commands"]) == (False, False, [])
    assert dev.writes == []
    assert result["found"] == {"lock_proto": "lock_dlm", "lock_table": "hacluster:gfs0", "journals": 2,
                               "uuid": UUID, "format": "1802"}
    assert result["diff"]["before"] == result["diff"]["after"]


def test_more_journals_than_wanted_is_converged(device):
    device("gfs2_3")
    result = run(journals=2)
    assert (result["changed"], result["journals"]) == (False, 3)


def test_check_mode_reports_mkfs_and_writes_nothing(device):
    dev = device("blank")
    result = run(check=True)
    assert (result["failed"], result["changed"], result["commands"]) == (False, True, [MKFS])
    assert dev.writes == []
    assert result["journals"] == 2 and "uuid" not in result


def test_a_node_more_adds_a_journal_through_the_mounted_file_system(device):
    dev = device("gfs2_2", mounts=MOUNTED)
    result = run(journals=3, mount_point="/srv/gfs0")
    assert result["failed"] is False and result["changed"] is True, result
    assert result["commands"] == ["/usr/sbin/gfs2_jadd -j 1 /srv/gfs0"]
    assert dev.writes == [["/usr/sbin/gfs2_jadd", "-j", "1", "/srv/gfs0"]]
    assert result["found"]["journals"] == 2 and result["journals"] == 3
    assert result["diff"]["before"]["journals"] == 2 and result["diff"]["after"]["journals"] == 3


def test_check_mode_reports_the_journal_to_add(device):
    dev = device("gfs2_2", mounts=MOUNTED)
    result = run(check=True, journals=4, mount_point="/srv/gfs0", journal_size=64)
    assert (result["changed"], result["commands"]) == (True, ["/usr/sbin/gfs2_jadd -j 2 -J 64 /srv/gfs0"])
    assert dev.writes == []


@pytest.mark.parametrize("mounts,mount_point,where", [
    ("", "/srv/gfs0", "mounted nowhere"),
    (MOUNTED, None, "mounted at /srv/gfs0"),
    (MOUNTED, "/srv/other", "mount_point is /srv/other"),
    ("/dev/loop0 /srv/gfs0 ext4 rw 0 0\n", "/srv/gfs0", "mounted nowhere"),
])
def test_journals_are_added_only_through_the_mounted_file_system(device, mounts, mount_point, where):
    dev = device("gfs2_2", mounts=mounts)
    result = run(journals=3, mount_point=mount_point)
    assert result["failed"] is True
    assert "has 2 journals, 3 wanted" in result["msg"] and where in result["msg"], result["msg"]
    assert dev.writes == []


def test_a_failed_journal_add_fails_with_the_tool_message(device):
    dev = device("gfs2_2", mounts=MOUNTED, write_fails=g("gfs2_jadd_not_mounted"))
    result = run(journals=3, mount_point="/srv/gfs0")
    assert result["failed"] is True
    assert result["msg"] == "gfs2_jadd failed (rc=255): Error looking up mount '/srv/gfs0': No such file or directory"
    assert result["rc"] == 255 and dev.writes


@pytest.mark.parametrize("params,needle", [
    ({"lock_table": "other:gfs0", "cluster_name": None}, "lock table 'hacluster:gfs0', not lock_dlm and 'other:gfs0'"),
    ({"lock_table": "hacluster:gfs1"}, "not lock_dlm and 'hacluster:gfs1'"),
    ({"lock_proto": "lock_nolock", "lock_table": None, "cluster_name": None}, "not lock_nolock and ''"),
])
def test_an_existing_file_system_of_other_locking_is_refused(device, params, needle):
    dev = device("gfs2_2")
    result = run(**params)
    assert result["failed"] is True and needle in result["msg"], result["msg"]
    assert "tunegfs2 -o" in result["msg"]
    assert dev.writes == []


def test_a_device_that_holds_anything_else_is_refused(device):
    dev = device("ext4")
    result = run()
    assert result["failed"] is True
    assert result["msg"].startswith("refusing to make GFS2 on /dev/loop0: it holds ext4 at 0x438")
    assert dev.writes == []
    assert [os.path.basename(c[0]) for c in dev.calls] == ["mkfs.gfs2", "blkid", "wipefs"]


def test_a_failed_probe_is_not_blank(device):
    dev = device("blank", answers={"blkid": (4, "", "blkid: error\n")})
    result = run()
    assert result["failed"] is True and "cannot be shown to be empty" in result["msg"]
    assert dev.writes == []


def test_an_unreadable_device_is_refused(device):
    dev = device("blank", readable=False)
    result = run()
    assert result["failed"] is True and result["msg"].startswith("cannot read /dev/loop0")
    assert dev.writes == []


def test_a_failed_mkfs_fails_with_the_tool_message(device):
    # The loop device lost its file between the probes and mkfs.
    dev = device("blank", write_fails=g("mkfs_gfs2_unattached_loop"))
    result = run()
    assert result["failed"] is True
    assert result["msg"] == "mkfs.gfs2 failed (rc=1): Device '/dev/loop0' is too small"
    assert result["changed"] is True and result["commands"] == [MKFS] and len(dev.writes) == 1


def test_mkfs_that_exits_0_without_making_gfs2_is_a_failure(device):
    dev = device("blank", write_to="blank")
    result = run()
    assert result["failed"] is True
    assert result["msg"] == "%s exited 0, but /dev/loop0 now holds nothing" % MKFS
    assert len(dev.writes) == 1


@pytest.mark.parametrize("tool,answer,needle", [
    ("mkfs.gfs2", g("tunegfs2_list_dlm_2"), "cannot read the version of mkfs.gfs2"),
    ("tunegfs2", g("gfs2_edit_jindex_2"), "cannot read the superblock of /dev/loop0"),
    ("gfs2_edit", g("tunegfs2_list_dlm_2"), "cannot read the journal index of /dev/loop0"),
    ("tunegfs2", g("tunegfs2_list_blank"), "tunegfs2 failed (rc=74): Device does not contain a GFS or GFS2"),
])
def test_unparsable_or_failed_queries_stop_before_any_write(device, tool, answer, needle):
    dev = device("gfs2_2", answers={tool: answer})
    result = run()
    assert result["failed"] is True and needle in result["msg"], result["msg"]
    assert result["msg"].endswith("nothing was changed")
    assert dev.writes == []


@pytest.mark.parametrize("params,needle", [
    ({"lock_table": "c" * 33 + ":gfs0", "cluster_name": None}, "cluster name ccccccccccccccccccccccccccccccccc"),
    ({"lock_table": "hacluster:" + "f" * 31}, "takes at most 30"),
    ({"lock_table": "other:gfs0"}, "DLM refuses"),
    ({"lock_table": "hacluster"}, "exactly one colon"),
    ({"journals": 0}, "journals: must be between 1 and 64"),
    ({"journal_size": 8}, "journal_size: must be between 32 and 1024"),
    ({"dev": "loop0"}, "dev: \"loop0\" is a relative path"),
    ({"mount_point": "/srv/../gfs0"}, "mount_point"),
])
def test_bad_arguments_are_refused_before_the_device_is_probed(device, params, needle):
    dev = device("blank")
    result = run(**params)
    assert result["failed"] is True and needle in result["msg"], result["msg"]
    assert not [c for c in dev.calls if os.path.basename(c[0]) in ("blkid", "wipefs")]
    assert dev.writes == []


def test_lock_dlm_needs_a_lock_table(device):
    dev = device("blank")
    result = run(lock_table=None, cluster_name=None)
    assert result["failed"] is True and "lock_table" in result["msg"]
    assert dev.calls == []
