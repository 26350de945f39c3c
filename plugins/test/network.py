# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jinja tests for addresses in cluster inventories, built on netaddr."""

from __future__ import annotations

from ansible.errors import AnsibleError

try:
    import netaddr
except ImportError:  # pragma: no cover - reported when a test is used
    netaddr = None


def _need_netaddr():
    if netaddr is None:
        raise AnsibleError("the hacluster.drbd address tests need the Python library netaddr on the controller")


def ip_address(value):
    """True for a single IPv4 or IPv6 host address (no prefix, no host name)."""
    _need_netaddr()
    if not isinstance(value, str) or "/" in value:
        return False
    try:
        netaddr.IPAddress(value, flags=netaddr.INET_PTON)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return False
    return True


def ip_in_network(value, network):
    """True when the address `value` lies inside `network` (CIDR notation)."""
    _need_netaddr()
    if not ip_address(value):
        return False
    try:
        return netaddr.IPAddress(value) in netaddr.IPNetwork(network)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return False


def ip_network(value):
    """True for a network in CIDR notation (address/prefix) with no host bits set."""
    _need_netaddr()
    if not isinstance(value, str) or value.count("/") != 1 or not ip_address(value.split("/")[0]):
        return False
    try:
        net = netaddr.IPNetwork(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return False
    return net.ip == net.network


class TestModule:
    """Address tests."""

    def tests(self):
        return {"ip_address": ip_address, "ip_in_network": ip_in_network, "ip_network": ip_network}
