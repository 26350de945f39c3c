# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: the volume groups a cluster node's LVM configuration would hide from it."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.hacluster.drbd.plugins.module_utils.lvm import (
    LvmParseError,
    hidden_volume_groups as _hidden,
    parse_vgs_json,
)


def hidden_volume_groups(vgs_json, cluster_vg, host_vgs, accept):
    try:
        groups = parse_vgs_json(vgs_json)
    except LvmParseError as exc:
        raise AnsibleFilterError("hidden_volume_groups: %s" % exc)
    return ["%s: %s" % (vg, why) for vg, why in _hidden(groups, cluster_vg, list(host_vgs or []), list(accept or []))]


class FilterModule:
    """LVM filters."""

    def filters(self):
        return {"hidden_volume_groups": hidden_volume_groups}
