# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""r0 is replicated for real: both sides UpToDate, data written on node1 is
read back on node2 after a switch-over."""

from __future__ import annotations

import os
import re
import subprocess

from labfixtures import ETC_HASH, INVENTORY, PROJECT, check_mode_run, get_host, wait_for

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


# ---------------------------------------------------------------- split brain

def recover(victim: str | None):
    """Run playbooks/split_brain_recover.yml against the scenario's inventory."""
    argv = ["ansible-playbook", "-i", str(INVENTORY), str(PROJECT / "playbooks" / "split_brain_recover.yml"),
            "-e", "split_brain_resource=r0"]
    if victim:
        argv += ["-e", f"split_brain_victim={victim}"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    return proc.returncode, proc.stdout + proc.stderr


def cstate(node) -> str:
    match = re.search(r"^ 0: cs:(\w+)", proc_drbd(node), re.M)
    return match.group(1) if match else "?"


def md5_of_drbd(node, mib: int = 8) -> str:
    return node.check_output(f"dd if=/dev/drbd0 bs=1M count={mib} iflag=direct status=none | md5sum").split()[0]


def write_random(node, mib: int = 8) -> str:
    node.run_expect([0], f"dd if=/dev/urandom of=/root/sb bs=1M count={mib} status=none")
    node.run_expect([0], "dd if=/root/sb of=/dev/drbd0 bs=1M oflag=direct status=none && sync")
    return node.check_output("md5sum < /root/sb").split()[0]


def test_recovery_refuses_without_split_brain():
    rc, out = recover("node2")
    assert rc != 0, out
    assert "No split brain of r0 found" in out, out
    assert cstate(get_host("node1")) == "Connected"


def test_recovery_needs_a_named_victim():
    rc, out = recover(None)
    assert rc != 0, out
    assert "split_brain_victim" in out, out


def test_split_brain_is_detected_and_recovered_with_survivor_data(lab):
    node1, node2 = get_host("node1"), get_host("node2")
    lab.fault("cut", "node2", net="drbd")
    try:
        wait_for(lambda: cstate(node1) not in ("Connected", "?") and cstate(node2) not in ("Connected", "?"), 120,
                 what="both sides to notice the cut replication link")
        survivor = write_random(node1)
        node2.run_expect([0], "drbdadm primary r0")
        victim = write_random(node2)
        assert victim != survivor
    finally:
        lab.fault("restore", "node2", net="drbd")
    # Never merged silently: DRBD must refuse to reconnect on its own.
    wait_for(lambda: "StandAlone" in (cstate(node1), cstate(node2)), 120, what="DRBD to detect the split brain")
    assert "Connected" not in (cstate(node1), cstate(node2))
    logs = node1.run("journalctl --dmesg --no-pager --grep 'Split-Brain detected'").stdout + \
        node2.run("journalctl --dmesg --no-pager --grep 'Split-Brain detected'").stdout
    assert "Split-Brain detected" in logs

    rc, out = recover("node2")
    assert rc == 0, out
    assert cstate(node1) == "Connected" and cstate(node2) == "Connected"
    assert re.search(r"ro:Primary/Secondary ds:UpToDate/UpToDate", proc_drbd(node1))
    assert md5_of_drbd(node1) == survivor, "the survivor's data changed"
    node1.run_expect([0], "drbdadm secondary r0")
    node2.run_expect([0], "drbdadm primary r0")
    try:
        assert md5_of_drbd(node2) == survivor, "the victim did not resync the survivor's data"
    finally:
        node2.run_expect([0], "drbdadm secondary r0")
        node1.run_expect([0], "drbdadm primary r0")


# ---------------------------------------------------------------- check mode

def test_install_playbook_in_check_mode_reports_and_installs_nothing(tmp_path):
    """playbooks/install.yml --check, with node1 made an iSCSI initiator for the
    run: it reports open-iscsi as to be installed and installs nothing."""
    node1 = get_host("node1")
    assert not node1.package("open-iscsi").is_installed
    (tmp_path / "groups.yml").write_text("all:\n  children:\n    iscsi_initiator:\n      hosts:\n        node1: {}\n")
    argv = ["ansible-playbook", "--check", "-i", str(INVENTORY), "-i", str(tmp_path / "groups.yml"),
            "-e", "iscsi_initiator_name=iqn.2026-11.org.hacluster.lab:node1",
            "-e", "iscsi_initiator_portal=192.168.101.100",
            "-e", '{"iscsi_initiator_targets": ["iqn.2026-11.org.hacluster.lab:storage"]}',
            str(PROJECT / "playbooks" / "install.yml")]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert re.search(r"TASK \[hacluster\.drbd\.iscsi_initiator : Install open-iscsi\][^\n]*\nchanged: \[node1\]", out), out
    assert re.search(r"^node1\s+: ok=\d+\s+changed=1 ", out, re.M), out
    assert re.search(r"^node2\s+: ok=\d+\s+changed=0 ", out, re.M), out
    assert not node1.package("open-iscsi").is_installed


def drbd_state_lines(node) -> list[str]:
    # Connection, roles and disk states, without the I/O counters that move on their own.
    return re.findall(r"^ *\d+: cs:\S+ ro:\S+ ds:\S+", proc_drbd(node), re.M)


def test_check_mode_on_a_converged_cluster_changes_nothing():
    nodes = [get_host("node1"), get_host("node2")]
    before = [(n.check_output(ETC_HASH), drbd_state_lines(n)) for n in nodes]
    out = check_mode_run(PROJECT / "molecule" / "drbd" / "converge.yml", ["node1", "node2"])
    after = [(n.check_output(ETC_HASH), drbd_state_lines(n)) for n in nodes]
    assert after == before
    assert "lab-drbd-secret-8f2c41" not in out
