# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import errno
import json
import os

import pytest

from ansible_collections.hacluster.drbd.plugins.module_utils import blockdev

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "blockdev")

EXT3_UUID = "291b96b5-e0d0-4c3f-870a-b981781a306f"
EXT4_UUID = "d5aeae68-57c0-4be3-aca8-9776d0fa8fdb"
XFS_UUID = "635e0a6c-8d87-49bd-a2a4-135887748c5e"
LVM_UUID = "BbDE8y-6eqG-kPJs-d3qK-HxME-nFeK-1kTe5K"
DRBD_EXT4_UUID = "32bdb031-2975-403d-90e4-42e4bf686899"


def cap(name):
    with open(os.path.join(FIXTURES, name + ".json")) as handle:
        doc = json.load(handle)
    return doc["rc"], doc["stdout"], doc["stderr"]


@pytest.mark.parametrize("case, expected", [
    ("blank", []),
    ("ext3", ["ext3 (UUID %s)" % EXT3_UUID]),
    ("ext4", ["ext4 (UUID %s)" % EXT4_UUID]),
    ("xfs", ["xfs (UUID %s)" % XFS_UUID]),
    ("dos", ["dos partition table"]),
    ("lvm", ["LVM2_member (UUID %s)" % LVM_UUID]),
    # blkid stops at the RAID-usage DRBD signature and never reports the ext4 under it.
    ("drbd_v09_ext4", ["drbd v09 meta data"]),
    # The trap: a missing path and a loop device with nothing behind it look
    # exactly like a blank disk (exit 2, no output).
    ("missing", []),
    ("unattached_loop", []),
])
def test_parse_blkid_export(case, expected):
    rc, out, err = cap("blkid_" + case)
    assert blockdev.parse_blkid_export(rc, out) == expected


def test_parse_blkid_export_could_not_tell():
    assert blockdev.parse_blkid_export(4, "") is None
    assert blockdev.parse_blkid_export(8, "") == ["ambivalent probe result (several signatures)"]
    assert blockdev.parse_blkid_export(0, "DEVNAME=/dev/loop0\n") == ["unrecognised blkid result (DEVNAME)"]


def test_blkid_values_undoes_escapes():
    rc, out, err = cap("blkid_lvm")
    values = blockdev.blkid_values(out)
    assert values == {"DEVNAME": "/dev/loop0", "UUID": LVM_UUID, "VERSION": "LVM2 001",
                      "TYPE": "LVM2_member", "USAGE": "raid"}


@pytest.mark.parametrize("case, expected", [
    ("blank", []),
    ("ext3", ["ext3 at 0x438 (UUID %s)" % EXT3_UUID]),
    ("xfs", ["xfs at 0x0 (UUID %s)" % XFS_UUID]),
    ("dos", ["dos at 0x1fe"]),
    ("lvm", ["LVM2_member at 0x218 (UUID %s)" % LVM_UUID]),
    ("drbd_v09_ext4", ["drbd at 0x13fff03c", "ext4 at 0x438 (UUID %s)" % DRBD_EXT4_UUID]),
    ("missing", None),
])
def test_parse_wipefs_parsable(case, expected):
    rc, out, err = cap("wipefs_" + case)
    assert blockdev.parse_wipefs_parsable(rc, out) == expected


def test_parse_wipefs_parsable_rejects_unknown_lines():
    assert blockdev.parse_wipefs_parsable(0, "garbage\n") is None
    assert blockdev.parse_wipefs_parsable(0, "# offset,uuid,label,type\n0x438,abc,,ext3\n") == ["ext3 at 0x438 (UUID abc)"]


def test_merge_keeps_wipefs_offsets_and_adds_blkid_only_types():
    assert blockdev.merge_signatures(["drbd v09 meta data"], ["drbd at 0x13fff03c"]) == ["drbd at 0x13fff03c"]
    assert blockdev.merge_signatures(["ambivalent probe result (several signatures)"], ["dos at 0x1fe"]) == [
        "dos at 0x1fe", "ambivalent probe result (several signatures)"]


class Runner(object):
    """Answers blkid and wipefs from captured fixtures and records the argv."""

    def __init__(self, blkid_case, wipefs_case):
        self.answers = {"blkid": cap("blkid_" + blkid_case), "wipefs": cap("wipefs_" + wipefs_case)}
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        return self.answers[os.path.basename(argv[0])]


def test_probe_runs_both_tools_read_only_and_merges():
    run = Runner("drbd_v09_ext4", "drbd_v09_ext4")
    found = blockdev.probe("/dev/loop0", run, blkid="/usr/sbin/blkid", wipefs="/usr/sbin/wipefs")
    assert run.calls == [["/usr/sbin/blkid", "-p", "-o", "export", "/dev/loop0"],
                         ["/usr/sbin/wipefs", "--no-act", "--parsable", "/dev/loop0"]]
    assert found["blkid"]["TYPE"] == "drbd"
    assert found["blkid"]["VERSION"] == "v09"
    assert found["signatures"] == ["drbd at 0x13fff03c", "ext4 at 0x438 (UUID %s)" % DRBD_EXT4_UUID]


def test_probe_blank_is_empty():
    run = Runner("blank", "blank")
    assert blockdev.probe("/dev/loop0", run) == {"blkid": {}, "signatures": []}
    assert blockdev.probe_signatures("/dev/loop0", run) == []


def test_probe_failure_is_never_empty():
    run = Runner("missing", "missing")
    with pytest.raises(blockdev.ProbeError) as info:
        blockdev.probe_signatures("/dev/hC-no-such-device", run)
    assert str(info.value) == (
        "wipefs --no-act --parsable /dev/hC-no-such-device failed (rc=1: wipefs: error: /dev/hC-no-such-device: "
        "probing initialization failed: No such file or directory), so /dev/hC-no-such-device cannot be shown "
        "to be empty")


def test_probe_blkid_usage_error():
    def run(argv):
        return (4, "", "blkid: invalid option\n") if argv[0] == "blkid" else (0, "", "")
    with pytest.raises(blockdev.ProbeError) as info:
        blockdev.probe("/dev/loop0", run)
    assert str(info.value).startswith("blkid -p -o export /dev/loop0 failed (rc=4: blkid: invalid option)")


def test_device_size_refuses_what_is_not_a_block_device(tmp_path):
    regular = tmp_path / "image"
    regular.write_bytes(b"\0" * 4096)
    with pytest.raises(OSError) as info:
        blockdev.device_size(str(regular))
    assert info.value.errno == errno.ENOTBLK
    with pytest.raises(OSError) as info:
        blockdev.device_size(str(tmp_path / "absent"))
    assert info.value.errno == errno.ENOENT


def test_dropping_cached_blocks_reads_and_writes_nothing(tmp_path):
    from ansible_collections.hacluster.drbd.plugins.module_utils.blockdev import drop_cached_blocks
    image = tmp_path / "image"
    image.write_bytes(b"gfs2" * 1024)
    drop_cached_blocks(str(image))
    assert image.read_bytes() == b"gfs2" * 1024
    with pytest.raises(OSError):
        drop_cached_blocks(str(tmp_path / "missing"))
