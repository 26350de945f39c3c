# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""r0 is replicated for real: both sides UpToDate, data written on node1 is
read back on node2 after a switch-over."""

from __future__ import annotations

import re

from labfixtures import get_host, wait_for

testinfra_hosts = ["ansible://node1", "ansible://node2"]
SECRET = "lab-drbd-secret-8f2c41"


def proc_drbd(node) -> str:
    return node.file("/proc/drbd").content_string


def test_resource_connected_and_uptodate(host):
    text = proc_drbd(host)
    assert re.search(r"^version: 8\.4\.\d+", text, re.M), text
    assert re.search(r"^ 0: cs:Connected ro:\w+/\w+ ds:UpToDate/UpToDate C ", text, re.M), text


def test_roles_after_initial_sync():
    assert re.search(r" 0: cs:Connected ro:Primary/Secondary ", proc_drbd(get_host("node1")))
    assert re.search(r" 0: cs:Connected ro:Secondary/Primary ", proc_drbd(get_host("node2")))


def test_configuration_keeps_the_secret_private(host):
    res = host.file("/etc/drbd.d/r0.res")
    assert res.exists
    assert res.mode & 0o077 == 0, oct(res.mode)
    assert SECRET in res.content_string
    assert host.run("drbdadm dump r0").rc == 0


def test_data_written_on_node1_is_read_on_node2():
    node1, node2 = get_host("node1"), get_host("node2")
    node1.run_expect([0], "dd if=/dev/urandom of=/root/payload bs=1M count=16 status=none")
    want = node1.check_output("md5sum < /root/payload").split()[0]
    node1.run_expect([0], "dd if=/root/payload of=/dev/drbd0 bs=1M oflag=direct status=none && sync")
    node1.run_expect([0], "drbdadm secondary r0")
    node2.run_expect([0], "drbdadm primary r0")
    try:
        got = node2.check_output("dd if=/dev/drbd0 bs=1M count=16 iflag=direct status=none | md5sum").split()[0]
        assert got == want
    finally:
        node2.run_expect([0], "drbdadm secondary r0")
        node1.run_expect([0], "drbdadm primary r0")
    wait_for(lambda: re.search(r"ro:Primary/Secondary ds:UpToDate/UpToDate", proc_drbd(node1)), 60,
             what="node1 Primary again with both disks UpToDate")
