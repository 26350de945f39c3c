# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which volume groups the iscsi_target role's LVM configuration would hide, on lvm2 2.03.16's real report."""

from __future__ import annotations

import json
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.hacluster.drbd.plugins.filter.lvm import FilterModule, hidden_volume_groups

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "lvm", "2.03.16")


def vgs(name):
    with open(os.path.join(FIXTURE, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)["stdout"]


def test_a_host_volume_group_not_listed_is_hidden_by_volume_list():
    # vgcap on /dev/loop0, the host's own; the cluster's is vg_iscsi.
    assert hidden_volume_groups(vgs("vgs_one"), "vg_iscsi", [], []) == [
        "vgcap: not in iscsi_target_host_volume_groups, so volume_list keeps it from activating"]


def test_a_listed_group_whose_device_the_filter_rejects_is_hidden():
    assert hidden_volume_groups(vgs("vgs_one"), "vg_iscsi", ["vgcap"], ["/dev/sda[0-9]"]) == [
        "vgcap: its physical volume /dev/loop0 matches no drbd_lvm_accept pattern, so the filter hides it"]


@pytest.mark.parametrize("report,cluster_vg,host_vgs,accept", [
    ("vgs_one", "vg_iscsi", ["vgcap"], ["/dev/loop[0-9]+"]),
    ("vgs_one", "vgcap", [], []),
    ("vgs_none", "vg_iscsi", [], []),
], ids=["listed and accepted", "the cluster's own", "no volume group"])
def test_nothing_hidden(report, cluster_vg, host_vgs, accept):
    assert hidden_volume_groups(vgs(report), cluster_vg, host_vgs, accept) == []


def test_unreadable_report_is_an_error():
    with pytest.raises(AnsibleFilterError):
        hidden_volume_groups("  Volume group not found", "vg_iscsi", [], [])
    assert "hidden_volume_groups" in FilterModule().filters()
