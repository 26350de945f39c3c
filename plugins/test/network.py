# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jinja tests for addresses in cluster inventories. The rules live in the collection's model
(plugins/module_utils/model.py, on Python's ipaddress), so that playbooks, roles and modules agree."""

from __future__ import annotations

import ipaddress

from ansible_collections.hacluster.drbd.plugins.module_utils.model import ip_address as parse_address
from ansible_collections.hacluster.drbd.plugins.module_utils.model import network_error


def ip_address(value):
    """True for a single IPv4 or IPv6 host address (no prefix, no host name)."""
    return parse_address(value) is not None


def ip_in_network(value, network):
    """True when the address `value` lies inside `network` (CIDR notation)."""
    addr = parse_address(value)
    if addr is None or not isinstance(network, str):
        return False
    try:
        return addr in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def ip_network(value):
    """True for a network in CIDR notation (address/prefix) with no host bits set."""
    return network_error(value) is None


class TestModule:
    """Address tests."""

    def tests(self):
        return {"ip_address": ip_address, "ip_in_network": ip_in_network, "ip_network": ip_network}
