# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jinja test for iSCSI names (RFC 3720 section 3.2.6, RFC 3721)."""

from __future__ import annotations

import re

_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_IQN = re.compile(
    r"iqn\.[0-9]{4}-(?:0[1-9]|1[0-2])"      # iqn.YYYY-MM: when the naming authority owned the domain
    rf"\.{_LABEL}(?:\.{_LABEL})*"            # the domain, reversed
    r"(?::[a-z0-9._:-]+)?"                   # optional unique part
)
_EUI = re.compile(r"eui\.[0-9a-f]{16}")
_NAA = re.compile(r"naa\.(?:[0-9a-f]{16}|[0-9a-f]{32})")
MAX_LENGTH = 223


def iscsi_name(value):
    """True for an iSCSI name in its normalised (lower-case) form: iqn., eui. or naa."""
    if not isinstance(value, str) or not value or len(value.encode()) > MAX_LENGTH:
        return False
    return any(rx.fullmatch(value) for rx in (_IQN, _EUI, _NAA))


class TestModule:
    """iSCSI tests."""

    def tests(self):
        return {"iscsi_name": iscsi_name}
