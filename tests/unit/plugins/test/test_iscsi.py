# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
import pytest

from ansible_collections.hacluster.drbd.plugins.test.iscsi import TestModule as IscsiTests
from ansible_collections.hacluster.drbd.plugins.test.iscsi import iscsi_name


@pytest.mark.parametrize("value", [
    "iqn.1994-05.com.redhat:cfd95480cf87.clustervol",   # seed 003's target
    "iqn.2003-01.org.linux-iscsi.node1.x8664:sn.4d2f1a9c0b3e",
    "iqn.2026-11.org.hacluster.lab",
    "eui.02004567a425678d",
    "naa.52004567ba64678d",
    "naa.52004567ba64678d52004567ba64678d",
])
def test_iscsi_names(value):
    assert iscsi_name(value) is True


@pytest.mark.parametrize("value", [
    "", None, 17,
    "iqn.2026-13.org.example:vg0",            # month 13
    "iqn.26-11.org.example:vg0",              # two-digit year
    "iqn.org.example:vg0",                    # no date
    "iqn.2026-11",                            # no naming authority
    "iqn.2026-11.org.Example:vg0",            # not normalised
    "iqn.2026-11.org.example:vg 0",           # space
    "iqn.2026-11.-org.example",               # label starts with a hyphen
    "eui.02004567a425678",                    # 15 hex digits
    "naa.52004567ba64678dz",
    "iqn.2026-11.org.example:" + "x" * 200,   # longer than 223 bytes
])
def test_not_iscsi_names(value):
    assert iscsi_name(value) is False


def test_registered_names():
    assert set(IscsiTests().tests()) == {"iscsi_name"}
