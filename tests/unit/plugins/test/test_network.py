# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
import pytest

from ansible_collections.hacluster.drbd.plugins.test.network import TestModule as NetworkTests
from ansible_collections.hacluster.drbd.plugins.test.network import ip_address, ip_in_network, ip_network


@pytest.mark.parametrize("value", ["192.168.101.11", "10.0.0.1", "fd01::1", "::1"])
def test_addresses(value):
    assert ip_address(value) is True


@pytest.mark.parametrize("value", ["", "node1", "10.1", "192.168.1.256", "192.168.1.0/24", "1.2.3", None, 17, "fd01::1::2"])
def test_not_addresses(value):
    assert ip_address(value) is False


@pytest.mark.parametrize("value,network,expected", [
    ("192.168.101.100", "192.168.101.0/24", True),
    ("192.168.102.100", "192.168.101.0/24", False),
    ("fd01::5", "fd01::/64", True),
    ("node1", "192.168.101.0/24", False),
    ("192.168.101.1", "not-a-network", False),
])
def test_ip_in_network(value, network, expected):
    assert ip_in_network(value, network) is expected


@pytest.mark.parametrize("value,expected", [
    ("192.168.101.0/24", True),
    ("fd01::/64", True),
    ("10.0.0.0/8", True),
    ("192.168.101.7/24", False),
    ("192.168.101.0", False),
    ("192.168.101.0/33", False),
    ("not-a-network/24", False),
    ("10.1/8", False),
    ("192.168.101.0/24/1", False),
    (None, False),
])
def test_ip_network(value, expected):
    assert ip_network(value) is expected


def test_registered_names():
    assert set(NetworkTests().tests()) == {"ip_address", "ip_in_network", "ip_network"}
