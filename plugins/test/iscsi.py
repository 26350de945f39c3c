# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jinja test for iSCSI names (RFC 3720 section 3.2.6, RFC 3721); the rule lives in the collection's model."""

from __future__ import annotations

from ansible_collections.hacluster.drbd.plugins.module_utils.model import iscsi_name_error


def iscsi_name(value):
    """True for an iSCSI name in its normalised (lower-case) form: iqn., eui. or naa."""
    return iscsi_name_error(value) is None


class TestModule:
    """iSCSI tests."""

    def tests(self):
        return {"iscsi_name": iscsi_name}
