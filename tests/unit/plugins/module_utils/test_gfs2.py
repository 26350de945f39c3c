# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The gfs2-utils parsers on real captures of gfs2-utils 3.5.0 (fixtures/gfs2/README.md), and the lock table
rules mkfs.gfs2 applies."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.hacluster.drbd.plugins.module_utils import gfs2
from ansible_collections.hacluster.drbd.plugins.module_utils.model import gfs2_lock_table_error

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "gfs2", "3.5.0")


def cap(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


def test_mkfs_version():
    assert gfs2.parse_mkfs_version(cap("mkfs_gfs2_version")["stdout"]) == (3, 5, 0)
    assert gfs2.lock_table_limits((3, 5, 0)) == (32, 30)
    assert gfs2.lock_table_limits((3, 1, 9)) == (32, 30)
    assert gfs2.lock_table_limits((3, 1, 8)) == (16, 16)
    assert gfs2.lock_table_limits((3, 0, 12)) == (16, 16)
    with pytest.raises(gfs2.Gfs2ParseError):
        gfs2.parse_mkfs_version(cap("tunegfs2_list_dlm_2")["stdout"])


def test_superblock_of_a_dlm_file_system():
    assert gfs2.parse_tunegfs2_list(cap("tunegfs2_list_dlm_2")["stdout"]) == {
        "lock_proto": "lock_dlm", "lock_table": "hacluster:gfs0", "uuid": "f2534170-2560-46c5-806e-7b8cdc34783b",
        "format": "1802"}


def test_superblock_of_a_nolock_file_system_has_an_empty_lock_table():
    sb = gfs2.parse_tunegfs2_list(cap("tunegfs2_list_nolock")["stdout"])
    assert (sb["lock_proto"], sb["lock_table"]) == ("lock_nolock", "")


@pytest.mark.parametrize("name", ["tunegfs2_list_blank", "tunegfs2_list_ext4", "gfs2_edit_jindex_2"])
def test_superblock_parser_refuses_other_text(name):
    run = cap(name)
    with pytest.raises(gfs2.Gfs2ParseError):
        gfs2.parse_tunegfs2_list(run["stdout"] + run["stderr"])


@pytest.mark.parametrize("name,count", [("gfs2_edit_jindex_1", 1), ("gfs2_edit_jindex_2", 2), ("gfs2_edit_jindex_3", 3)])
def test_journal_index(name, count):
    assert gfs2.parse_jindex(cap(name)["stdout"]) == count


@pytest.mark.parametrize("text", [
    cap("gfs2_edit_jindex_blank")["stderr"], cap("tunegfs2_list_dlm_2")["stdout"], "",
    # A gap in the numbering is not a journal index this parser understands.
    cap("gfs2_edit_jindex_3")["stdout"].replace("File    journal1", "File    journal7"),
])
def test_journal_index_parser_refuses_other_text(text):
    with pytest.raises(gfs2.Gfs2ParseError):
        gfs2.parse_jindex(text)


@pytest.mark.parametrize("value,limits,cluster,error", [
    ("hacluster:gfs0", (32, 30), None, None),
    ("hacluster:gfs0", (32, 30), "hacluster", None),
    ("c" * 32 + ":" + "f" * 30, (32, 30), None, None),
    ("c" * 33 + ":gfs0", (32, 30), None, "cluster name"),
    ("hacluster:" + "f" * 31, (32, 30), None, "file system name"),
    ("c" * 17 + ":gfs0", (16, 16), None, "at most 16"),
    ("hacluster:" + "f" * 17, (16, 16), None, "at most 16"),
    ("hacluster", (32, 30), None, "exactly one colon"),
    ("a:b:c", (32, 30), None, "exactly one colon"),
    (":gfs0", (32, 30), None, "letters, digits"),
    ("hacluster:", (32, 30), None, "letters, digits"),
    ("ha cluster:gfs0", (32, 30), None, "letters, digits"),
    ("hacluster:gfs.0", (32, 30), None, "letters, digits"),
    ("hacluster:gfs0\n", (32, 30), None, "control character"),
    ("core-01:gfs2-00", (32, 30), "hardcore", "DLM refuses"),
])
def test_lock_table_rules(value, limits, cluster, error):
    result = gfs2_lock_table_error(value, limits, cluster)
    if error is None:
        assert result is None
    else:
        assert result and error in result


def test_the_tools_own_limits_agree_with_the_rules():
    """mkfs.gfs2 3.5.0 refused exactly what the rules refuse: 33 characters of cluster, 31 of file system."""
    for name, table in (("mkfs_gfs2_table_cluster_too_long", "c" * 33 + ":gfs0"),
                        ("mkfs_gfs2_table_fsname_too_long", "hacluster:" + "f" * 31)):
        run = cap(name)
        assert run["rc"] != 0 and "Invalid lock table" in run["stderr"]
        assert run["argv"][run["argv"].index("-t") + 1] == table
        assert gfs2_lock_table_error(table, gfs2.lock_table_limits((3, 5, 0))) is not None


def test_mounts_of_a_device_resolve_links():
    mounts = ("/dev/vda / ext4 rw,relatime 0 0\n"
              "/dev/drbd0 /srv/gfs\\0400 gfs2 rw,noatime 0 0\n"
              "tmpfs /run tmpfs rw 0 0\n")
    links = {"/dev/drbd/by-res/r0/0": "/dev/drbd0"}
    assert gfs2.mounts_of("/dev/drbd/by-res/r0/0", mounts, realpath=lambda p: links.get(p, p)) == [
        ("/srv/gfs 0", "gfs2", ["rw", "noatime"])]
    assert gfs2.mounts_of("/dev/drbd1", mounts, realpath=lambda p: p) == []


def test_commands():
    assert gfs2.mkfs_argv("mkfs.gfs2", "lock_dlm", "hacluster:gfs0", 2, None, "/dev/drbd0") == \
        cap("mkfs_gfs2_dlm_2_blank")["argv"][:-1] + ["/dev/drbd0"]
    assert gfs2.mkfs_argv("mkfs.gfs2", "lock_nolock", None, 1, None, "/dev/loop0") == \
        cap("mkfs_gfs2_nolock_1_blank")["argv"]
    assert gfs2.mkfs_argv("mkfs.gfs2", "lock_dlm", "a:b", 3, 64, "/dev/x") == \
        ["mkfs.gfs2", "-O", "-p", "lock_dlm", "-t", "a:b", "-j", "3", "-J", "64", "/dev/x"]
    assert gfs2.jadd_argv("gfs2_jadd", 1, None, "/srv/gfs0") == cap("gfs2_jadd_not_mounted")["argv"]
