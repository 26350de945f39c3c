# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure parsers of LVM's machine-readable output."""

from __future__ import annotations

import json
import re

# The volume groups LVM sees, with their physical volumes.
VGS_ARGV = ["vgs", "--reportformat", "json", "-o", "vg_name,pv_name"]


class LvmParseError(ValueError):
    """Output LVM printed that this parser does not understand."""


def parse_vgs_json(text):
    """`vgs --reportformat json -o vg_name,pv_name`: {volume group: [physical volumes]}."""
    try:
        data = json.loads(text)
        rows = [row for report in data["report"] for row in report["vg"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise LvmParseError("not the JSON report of vgs: %s" % exc)
    groups = {}
    for row in rows:
        if not isinstance(row, dict) or not row.get("vg_name"):
            raise LvmParseError("a vgs row without vg_name: %r" % (row,))
        pvs = groups.setdefault(row["vg_name"], [])
        if row.get("pv_name") and row["pv_name"] not in pvs:
            pvs.append(row["pv_name"])
    return groups


def hidden_volume_groups(groups, cluster_vg, host_vgs, accept):
    """The volume groups of `groups` ({vg: [pvs]}, from parse_vgs_json) that an LVM configuration which activates
    only `host_vgs` (volume_list) and sees only /dev/drbdN and the `accept` patterns (global_filter) would hide
    from the host: [(vg, why)]. The cluster's own volume group is Pacemaker's to activate."""
    patterns = [re.compile(r"/dev/drbd[0-9]+")] + [re.compile(p) for p in accept]
    hidden = []
    for vg, pvs in sorted(groups.items()):
        if vg == cluster_vg:
            continue
        if vg not in host_vgs:
            hidden.append((vg, "not in iscsi_target_host_volume_groups, so volume_list keeps it from activating"))
            continue
        unseen = [pv for pv in pvs if not any(p.fullmatch(pv) for p in patterns)]
        if unseen:
            hidden.append((vg, "its physical volume%s %s match%s no drbd_lvm_accept pattern, so the filter hides %s"
                           % ("s" if len(unseen) > 1 else "", ", ".join(unseen), "" if len(unseen) > 1 else "es",
                              "them" if len(unseen) > 1 else "it")))
    return hidden
