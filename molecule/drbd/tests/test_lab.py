# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""The lab does what it claims (checked in the drbd scenario, whose VMs boot
from the plain base image and install everything from the offline repository
during converge): each fault is injected from the controller and its effect
observed from the other VM. These run after test_drbd.py (file order): the
faults leave DRBD disconnected or down on node2."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from labfixtures import get_host, wait_for

testinfra_hosts = ["ansible://node1", "ansible://node2"]
NETWORKS = ("public", "drbd", "back")


def peer_of(name: str) -> str:
    return "node2" if name == "node1" else "node1"


def addr(node: str, net: str) -> str:
    return get_host(node).ansible.get_variables()["lab_networks"][net]["address"]


def reaches(src, dst_address: str) -> bool:
    return src.run(f"ping -c 1 -W 2 {dst_address}").rc == 0


def boot_id(node) -> str:
    return node.file("/proc/sys/kernel/random/boot_id").content_string.strip()


# ---------------------------------------------------------------- per-VM checks


def test_vm_runs_debian_kernel_with_its_own_name(host):
    name = host.ansible.get_variables()["inventory_hostname"]
    assert host.check_output("uname -n") == name
    assert re.fullmatch(r"6\.1\.0-\d+-amd64", host.check_output("uname -r"))
    assert host.system_info.distribution == "debian"
    assert host.system_info.release.startswith("12")


@pytest.mark.parametrize("net", NETWORKS)
def test_vm_reaches_peer_on_every_private_network(host, net):
    me = host.ansible.get_variables()["inventory_hostname"]
    assert reaches(host, addr(peer_of(me), net)), f"{me} cannot reach {peer_of(me)} on {net}"


def test_vm_has_no_way_out(host):
    # Guests must reach nothing outside the lab: no default route at all.
    assert "default" not in host.check_output("ip route show; ip -6 route show")


def test_drbd_kernel_module_loads(host):
    host.run_expect([0], "modprobe drbd")
    version = host.file("/proc/drbd").content_string.splitlines()[0]
    assert re.match(r"version: 8\.4\.\d+ \(api:1/proto:86-\d+\)", version), version


def test_converge_installed_from_offline_repository(host):
    assert host.package("psmisc").is_installed
    policy = host.check_output("apt-cache policy psmisc")
    assert "file:/srv/lab-repo" in policy
    assert "http" not in host.check_output("cat /etc/apt/sources.list; cat /etc/apt/sources.list.d/* 2>/dev/null || true")


def test_hosts_file_lists_cluster_nodes(host):
    hosts = host.file("/etc/hosts").content_string
    for node in ("node1", "node2"):
        assert re.search(rf"^{re.escape(addr(node, 'back'))} {node}$", hosts, re.M), hosts


# ---------------------------------------------------------------- faults (node1 watches node2)


def test_apt_install_runs_for_real_from_offline_repository(host):
    """The image does not carry drbd-utils: converge installed it during this
    boot, from the offline repository."""
    assert host.package("drbd-utils").is_installed
    installs = host.check_output("grep ' install drbd-utils:' /var/log/dpkg.log || true").splitlines()
    assert len(installs) == 1, installs
    booted = host.check_output("date -d \"$(uptime -s)\" +%s")
    installed = host.check_output(f"date -d '{' '.join(installs[0].split()[:2])}' +%s")
    assert int(installed) >= int(booted), f"drbd-utils was installed before this boot: {installs[0]}"
    assert "file:/srv/lab-repo" in host.check_output("apt-cache policy drbd-utils")
    # drbd-utils 9 drives the in-tree 8.4 module: 0x08040b is 8.4.11.
    version = host.check_output("drbdadm --version")
    assert re.search(r"^DRBD_KERNEL_VERSION_CODE=0x0804[0-9a-f]{2}$", version, re.M), version
    assert re.search(r"^DRBDADM_VERSION=9\.", version, re.M), version


def test_hang_and_resume(lab):
    node1, node2 = get_host("node1"), get_host("node2")
    target = addr("node2", "public")
    assert reaches(node1, target)
    lab.fault("hang", "node2")
    try:
        assert lab.run_state("node2") == "paused"
        assert not reaches(node1, target), "a hung VM still answers ping"
    finally:
        lab.fault("resume", "node2")
    assert lab.run_state("node2") == "running"
    wait_for(lambda: reaches(node1, target), 30, what="node2 to answer after resume")
    assert node2.check_output("true") == ""


@pytest.mark.parametrize("net", NETWORKS)
def test_cut_and_restore_one_link(lab, net):
    node1, node2 = get_host("node1"), get_host("node2")
    others = [n for n in NETWORKS if n != net]
    lab.fault("cut", "node2", net=net)
    try:
        assert not reaches(node1, addr("node2", net)), f"{net} still carries traffic after the cut"
        for other in others:
            assert reaches(node1, addr("node2", other)), f"cutting {net} also cut {other}"
        # Seen from node2 itself: the cable is unplugged, the address kept.
        iface = get_host("node2").ansible.get_variables()["lab_networks"][net]["interface"]
        link = node2.check_output(f"ip -br link show {iface}")
        assert "NO-CARRIER" in link or "DOWN" in link, link
        assert addr("node2", net) in node2.check_output(f"ip -br addr show {iface}")
    finally:
        lab.fault("restore", "node2", net=net)
    wait_for(lambda: reaches(node1, addr("node2", net)), 30, what=f"{net} to carry traffic again")


def test_power_off_and_start(lab):
    node1, node2 = get_host("node1"), get_host("node2")
    lab.fault("poweroff", "node2")
    assert lab.power("node2") == "off"
    for net in NETWORKS:
        assert not reaches(node1, addr("node2", net))
    before = boot_id(node1)
    lab.start("node2")
    assert lab.power("node2") == "on"
    assert node2.check_output("uname -n") == "node2"
    assert boot_id(node1) == before, "node1 must not notice anything but the peer's absence"
    wait_for(lambda: reaches(node1, addr("node2", "drbd")), 60, what="node2 back on the drbd network")


def test_reboot(lab):
    node2 = get_host("node2")
    before = boot_id(node2)
    lab.fault("reboot", "node2")
    lab.wait("node2")
    assert boot_id(node2) != before


def test_fence_agent_metadata_is_valid():
    node1 = get_host("node1")
    root = ET.fromstring(node1.check_output("fence_lab -o metadata"))
    assert root.tag == "resource-agent" and root.get("name") == "fence_lab"
    actions = {a.get("name") for a in root.iter("action")}
    assert {"on", "off", "reboot", "status", "list", "monitor", "metadata"} <= actions


def test_fencing_from_the_peer_powers_the_vm_off(lab):
    node1, node2 = get_host("node1"), get_host("node2")
    assert node1.run("fence_lab -o status -n node2").rc == 0
    seen = len(lab.fence_log())
    # Pacemaker's fencer passes arguments on stdin; use that form here.
    fence = node1.run("printf 'action=off\\nport=node2\\n' | fence_lab")
    assert fence.rc == 0, fence.stderr
    assert lab.power("node2") == "off", "the fence returned but the VM still runs"
    assert not reaches(node1, addr("node2", "back"))
    assert node1.run("fence_lab -o status -n node2").rc == 2
    entries = lab.fence_log()[seen:]
    assert any(e["requester"] == "node1" and e["request"] == "off node2" and e.get("effect") == "powered off"
               for e in entries), entries
    assert node1.run("fence_lab -o on -n node2").rc == 0
    lab.wait("node2")
    assert node2.check_output("uname -n") == "node2"
    assert node1.run("fence_lab -o status -n node2").rc == 0


def test_fence_agent_refuses_unknown_vm():
    node1 = get_host("node1")
    result = node1.run("fence_lab -o off -n no-such-vm")
    assert result.rc == 1
    assert "unknown VM" in result.stderr
