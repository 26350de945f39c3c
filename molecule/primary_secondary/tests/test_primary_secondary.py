# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""The share lives on node1 behind the cluster IP, is read from the peer, and
moves to node2 when Heartbeat stops on node1, with the same data."""

from __future__ import annotations

import re

from labfixtures import get_host, wait_for

testinfra_hosts = ["ansible://node1", "ansible://node2"]
CLUSTER_IP = "192.168.101.100"
MOUNT = "/srv/share"


def serves(node) -> bool:
    """node holds the whole group: DRBD Primary, file system mounted, cluster IP, smbd."""
    mounted = node.run(f"findmnt -n {MOUNT}").rc == 0
    has_ip = CLUSTER_IP in node.check_output("ip -br addr")
    smbd = node.run("systemctl is-active --quiet smbd").rc == 0
    return mounted and has_ip and smbd


def idle(node) -> bool:
    return (node.run(f"findmnt -n {MOUNT}").rc != 0 and CLUSTER_IP not in node.check_output("ip -br addr")
            and node.run("systemctl is-active --quiet smbd").rc != 0)


def read_share(client, name: str) -> str:
    out = client.check_output(f"smbclient -N //{CLUSTER_IP}/share -c 'get {name} /tmp/from-share' >/dev/null 2>&1; "
                              "md5sum < /tmp/from-share")
    return out.split()[0]


def test_heartbeat_runs_with_private_key(host):
    assert host.service("heartbeat").is_running
    authkeys = host.file("/etc/ha.d/authkeys")
    assert authkeys.mode == 0o600
    assert "lab-heartbeat-key-3b9f0c2a" in authkeys.content_string
    ha_cf = host.file("/etc/ha.d/ha.cf").content_string
    assert re.search(r"^ucast eth3 192\.168\.103\.1[12]$", ha_cf, re.M)
    assert re.search(r"^stonith_host \* external/lab$", ha_cf, re.M)


def test_haresources_identical():
    texts = [get_host(n).file("/etc/ha.d/haresources").content_string for n in ("node1", "node2")]
    assert texts[0] == texts[1]
    assert "node1 drbddisk::r0 Filesystem::/dev/drbd0::/srv/share::ext4 IPaddr::192.168.101.100/24/eth1 smbd" in texts[0]


def test_services_only_on_the_preferred_node():
    node1, node2 = get_host("node1"), get_host("node2")
    wait_for(lambda: serves(node1), 120, what="node1 to run the resource group")
    assert idle(node2)
    assert re.search(r" 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate", node1.file("/proc/drbd").content_string)


def test_share_readable_at_cluster_ip_from_the_peer():
    node1, node2 = get_host("node1"), get_host("node2")
    node1.run_expect([0], f"dd if=/dev/urandom of={MOUNT}/payload bs=1M count=4 status=none && sync")
    want = node1.check_output(f"md5sum < {MOUNT}/payload").split()[0]
    assert read_share(node2, "payload") == want


def test_planned_switchover_moves_the_share_with_its_data():
    node1, node2 = get_host("node1"), get_host("node2")
    want = node1.check_output(f"md5sum < {MOUNT}/payload").split()[0]
    node1.run_expect([0], "systemctl stop heartbeat")
    wait_for(lambda: serves(node2), 180, what="node2 to take over the resource group")
    assert idle(node1)
    assert read_share(node1, "payload") == want
    node1.run_expect([0], "systemctl start heartbeat")
    # auto_failback off: the group stays where it is when node1 returns.
    wait_for(lambda: node1.service("heartbeat").is_running, 60, what="heartbeat back on node1")
    assert serves(node2)
