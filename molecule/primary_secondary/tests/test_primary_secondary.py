# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""The share lives on node1 behind the cluster IP and is read from the peer;
it moves with its data when Heartbeat stops (planned), when the active node
loses power (Heartbeat fences it through the lab and takes over), and a split
brain made by a switch-over while replication is cut is detected, never
merged, and recovered with the survivor's data, then moved back with
hb_standby (the node that hands it over stays in the cluster). Check mode
changes nothing. Last, the rolling kernel upgrade playbook reboots one node
at a time with one switch-over, and refuses a cluster whose DRBD is not
Connected.

The tests run in file order and each starts from the state the previous one
left (which node serves is part of that state)."""

from __future__ import annotations

import os
import re
import subprocess
import time

from labfixtures import (ETC_HASH, INVENTORY, PROJECT, check_mode_run, get_host, heartbeat_log,
                         heartbeat_settled, kernel_log_since, wait_for)

testinfra_hosts = ["ansible://node1", "ansible://node2"]
CLUSTER_IP = "192.168.101.100"
MOUNT = "/srv/share"
DEADTIME = 10          # heartbeat_deadtime in molecule.yml
# Detection after deadtime, then STONITH (a power cycle through the lab), then
# drbddisk, Filesystem, IPaddr2 and smbd, on an emulated CPU.
TAKEOVER_MARGIN = 120


# One look at a node, one command: does it serve the whole group (file system
# mounted, cluster IP, smbd), and does Heartbeat run there.
PROBE = (f"s=; findmnt -n {MOUNT} >/dev/null && ip -br addr | grep -q '{CLUSTER_IP}/' && "
         "systemctl is-active --quiet smbd && s=serves; h=; systemctl is-active --quiet heartbeat && h=heartbeat; "
         "echo \"$s $h\"")


def probe_words(node) -> set[str]:
    out = node.run(PROBE)
    return set(out.stdout.split()) if out.rc == 0 else set()


def serves(node) -> bool:
    """node holds the whole group: file system (on DRBD, Primary) mounted, cluster IP, smbd."""
    return "serves" in probe_words(node)


def idle(node) -> bool:
    return (node.run(f"findmnt -n {MOUNT}").rc != 0 and CLUSTER_IP not in node.check_output("ip -br addr")
            and node.run("systemctl is-active --quiet smbd").rc != 0)


def read_share(client, name: str) -> str:
    """md5 of a file fetched over SMB at the cluster IP ("" when it cannot be fetched)."""
    out = client.run(f"rm -f /tmp/from-share; smbclient -N //{CLUSTER_IP}/share -c 'get {name} /tmp/from-share' "
                     ">/dev/null 2>&1 && md5sum < /tmp/from-share")
    return out.stdout.split()[0] if out.rc == 0 else ""


def proc_drbd(node) -> str:
    return node.file("/proc/drbd").content_string


def cstate(node) -> str:
    match = re.search(r"^ 0: cs:(\w+)", proc_drbd(node), re.M)
    return match.group(1) if match else "?"


def write_file(node, name: str, mib: int = 4) -> str:
    node.run_expect([0], f"dd if=/dev/urandom of={MOUNT}/{name} bs=1M count={mib} status=none && sync")
    return node.check_output(f"md5sum < {MOUNT}/{name}").split()[0]


def test_heartbeat_runs_with_private_key(host):
    assert host.service("heartbeat").is_running
    authkeys = host.file("/etc/ha.d/authkeys")
    assert authkeys.mode == 0o600
    assert "lab-heartbeat-key-3b9f0c2a" in authkeys.content_string
    assert host.file("/etc/ha.d/ha.cf").mode == 0o600  # STONITH parameters may hold a password
    ha_cf = host.file("/etc/ha.d/ha.cf").content_string
    assert re.search(r"^ucast eth3 192\.168\.103\.1[12]$", ha_cf, re.M)
    assert re.search(r"^stonith_host \* external/lab node1 node2$", ha_cf, re.M)
    # Shell scripts' cluster messages reach Heartbeat's FIFO in one write each
    # (two senders at once lost a crash take-over in CI: resource-agents #396).
    shellfuncs = host.file("/etc/ha.d/shellfuncs").content_string
    assert "| dd bs=4096 count=1 iflag=fullblock status=none >> \"$HA_FIFO\"" in shellfuncs
    assert "| cat - >> $HA_FIFO" not in shellfuncs

    # drbd.service brings r0 up at boot (drbddisk only promotes); the one-node
    # Corosync/Pacemaker cluster Debian's heartbeat package starts is gone.
    assert host.service("drbd").is_enabled
    for unit in ("corosync", "pacemaker"):
        assert not host.service(unit).is_running and not host.service(unit).is_enabled
    # Heartbeat R1 needs none of its recommended Pacemaker stack.
    assert host.package("heartbeat").is_installed
    assert not host.package("pacemaker").is_installed


def test_haresources_identical():
    texts = [get_host(n).file("/etc/ha.d/haresources").content_string for n in ("node1", "node2")]
    assert texts[0] == texts[1]
    assert "node1 drbddisk::r0 Filesystem::/dev/drbd0::/srv/share::ext4 IPaddr2::192.168.101.100/24/eth1 smbd" in texts[0]


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


def test_planned_switchover_moves_the_share_with_its_data(lab):
    node1, node2 = get_host("node1"), get_host("node2")
    want = node1.check_output(f"md5sum < {MOUNT}/payload").split()[0]
    fences_before = len(lab.fence_log())
    node1.run_expect([0], "systemctl stop heartbeat")
    wait_for(lambda: serves(node2), 180, what="node2 to take over the resource group")
    assert idle(node1)
    assert read_share(node1, "payload") == want
    node1.run_expect([0], "systemctl start heartbeat")
    # auto_failback off: the group stays where it is when node1 returns.
    wait_for(lambda: heartbeat_settled(node1, "node2"), 180, interval=2, what="heartbeat on node1 to join again")
    assert serves(node2)
    # A planned switch-over fences nobody.
    assert lab.power_actions(fences_before) == [], lab.fence_log()[fences_before:]


def test_crash_of_the_active_node_is_fenced_and_taken_over(lab):
    node1, node2 = get_host("node1"), get_host("node2")
    assert serves(node2), "the planned switch-over left node2 serving"
    want = node2.check_output(f"md5sum < {MOUNT}/payload").split()[0]
    fences_before = len(lab.fence_log())
    since = node1.check_output("date '+%Y-%m-%d %H:%M:%S'")
    started = time.monotonic()
    lab.fault("poweroff", "node2")
    try:
        wait_for(lambda: serves(node1), DEADTIME + TAKEOVER_MARGIN, interval=2,
                 what="node1 to take over after the crash")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- node1 heartbeat since the crash:\n{heartbeat_log(node1, since)}\n"
                             f"--- /proc/drbd on node1:\n{proc_drbd(node1)}\n--- fence log:\n"
                             f"{lab.fence_log()[fences_before:]}") from exc
    took = time.monotonic() - started
    assert took <= DEADTIME + TAKEOVER_MARGIN
    # Heartbeat shot node2 (through the plugin and fence_lab) before taking its resources.
    fences = [e for e in lab.fence_log()[fences_before:] if e.get("requester") == "node1"
              and e.get("request", "").split()[-1:] == ["node2"] and e.get("reply", "").startswith("OK")]
    assert fences, lab.fence_log()
    assert read_share(node1, "payload") == want
    # node1 wrote on its own while node2 was down; node2 must resync that.
    write_file(node1, "while-node2-was-down")

    # The fence power-cycled node2: it boots, drbd.service brings r0 up, it
    # rejoins as Secondary and resyncs; Heartbeat (auto_failback off) leaves
    # the group on node1.
    lab.wait("node2")
    node2 = get_host("node2")
    wait_for(lambda: heartbeat_settled(node2, "node1"), 300, interval=3, what="Heartbeat on node2 to join after its boot")
    wait_for(lambda: re.search(r" 0: cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate", proc_drbd(node2)),
             300, interval=3, what="node2 Connected, Secondary and UpToDate again")
    assert "Began resync as SyncSource" in kernel_log_since(node1, since, "Began resync")
    assert serves(node1) and idle(node2)
    assert read_share(node2, "payload") == want


def recover(victim: str):
    argv = ["ansible-playbook", "-i", str(INVENTORY), str(PROJECT / "playbooks" / "split_brain_recover.yml"),
            "-e", "split_brain_resource=r0", "-e", f"split_brain_victim={victim}"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    return proc.returncode, proc.stdout + proc.stderr


def test_split_brain_is_detected_and_recovered_with_the_survivors_data(lab):
    """Replication cut, then a switch-over: both nodes write as Primary. DRBD
    must refuse to reconnect (never merge); the recovery playbook, told to
    discard node1's changes, keeps what node2 wrote."""
    node1, node2 = get_host("node1"), get_host("node2")
    assert serves(node1)
    since = node1.check_output("date '+%Y-%m-%d %H:%M:%S'")
    lab.fault("cut", "node2", net="drbd")
    try:
        wait_for(lambda: cstate(node1) not in ("Connected", "?") and cstate(node2) not in ("Connected", "?"), 120,
                 interval=2, what="both sides to notice the cut replication link")
        write_file(node1, "node1-only")
        node1.run_expect([0], "systemctl stop heartbeat")
        wait_for(lambda: serves(node2), 180, interval=2, what="node2 to take over with replication cut")
        survivor = write_file(node2, "node2-only")
    finally:
        lab.fault("restore", "node2", net="drbd")
    wait_for(lambda: "StandAlone" in (cstate(node1), cstate(node2)), 120, interval=2,
             what="DRBD to detect the split brain")
    time.sleep(5)
    assert "Connected" not in (cstate(node1), cstate(node2)), "DRBD reconnected after a split brain"
    logs = kernel_log_since(node1, since, "Split-Brain detected") + kernel_log_since(node2, since, "Split-Brain detected")
    assert "Split-Brain detected" in logs

    rc, out = recover("node1")
    assert rc == 0, out
    wait_for(lambda: re.search(r" 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate", proc_drbd(node2)), 120,
             interval=2, what="node2 Primary, Connected, both UpToDate")
    assert read_share(node1, "node2-only") == survivor
    assert read_share(node1, "node1-only") == "", "node1's discarded changes are visible"

    # node1 holds the survivor's data too: move the group back the way the README recommends for a planned
    # switch-over (hb_standby: node2 hands the group over and stays in the cluster) and read it there.
    node1.run_expect([0], "systemctl start heartbeat")
    wait_for(lambda: heartbeat_settled(node1, "node2"), 180, interval=2, what="Heartbeat on node1 to join again")
    fences_before = len(lab.fence_log())
    node2.run_expect([0], "/usr/share/heartbeat/hb_standby")
    wait_for(lambda: serves(node1), 180, interval=2, what="node1 to take the group back from node2's standby")
    assert idle(node2)
    wait_for(lambda: heartbeat_settled(node2, "node1") and heartbeat_settled(node1, "node2"), 60, interval=2,
             what="both nodes active in Heartbeat after the standby (node2 never left)")
    assert lab.power_actions(fences_before) == [], lab.fence_log()[fences_before:]
    assert node1.check_output(f"md5sum < {MOUNT}/node2-only").split()[0] == survivor
    assert node1.run(f"test -e {MOUNT}/node1-only").rc != 0


def state_lines(node) -> list[str]:
    # Connection, roles and disk states (not the I/O counters), and where the group runs.
    return re.findall(r"^ *\d+: cs:\S+ ro:\S+ ds:\S+", proc_drbd(node), re.M) + [str(serves(node))]


def test_check_mode_on_a_converged_cluster_changes_nothing():
    nodes = [get_host("node1"), get_host("node2")]
    before = [(n.check_output(ETC_HASH), state_lines(n)) for n in nodes]
    out = check_mode_run(PROJECT / "molecule" / "primary_secondary" / "converge.yml", ["node1", "node2"])
    after = [(n.check_output(ETC_HASH), state_lines(n)) for n in nodes]
    assert after == before
    assert "lab-heartbeat-key-3b9f0c2a" not in out
    assert "lab-drbd-secret-5e1d77" not in out


def probe(node) -> set[str]:
    """probe_words, and nothing from a node that does not answer (rebooting)."""
    try:
        return probe_words(node)
    except Exception:  # pylint: disable=broad-exception-caught  # a rebooting node answers nothing
        return set()


def outages(samples: list[tuple[float, bool]]) -> list[float]:
    """Lengths (seconds) of the stretches in which no node served, from (time, served) samples."""
    lengths, started = [], None
    for when, served in samples:
        if not served and started is None:
            started = when
        elif served and started is not None:
            lengths.append(when - started)
            started = None
    if started is not None:
        lengths.append(samples[-1][0] - started)
    return lengths


def test_rolling_kernel_upgrade_reboots_one_node_at_a_time_with_one_switch_over(lab):
    """playbooks/rolling_kernel_upgrade.yml with the kernel the nodes run (the lab offers no other yet): node2,
    the passive node, first; then node1 hands the share over (hb_standby) and reboots. Probed throughout: one
    outage only (that switch-over), Heartbeat always up on at least one node, both nodes rebooted, the data
    kept, DRBD Connected and UpToDate at the end, no split brain."""
    node1, node2 = get_host("node1"), get_host("node2")
    assert serves(node1) and idle(node2)
    want = node1.check_output(f"md5sum < {MOUNT}/node2-only").split()[0]
    kernel = node1.check_output("uname -r")
    boots = {n: h.check_output("cat /proc/sys/kernel/random/boot_id") for n, h in (("node1", node1), ("node2", node2))}
    since = node1.check_output("date '+%Y-%m-%d %H:%M:%S'")
    fences_before = len(lab.fence_log())
    argv = ["ansible-playbook", "-i", str(INVENTORY), str(PROJECT / "playbooks" / "rolling_kernel_upgrade.yml"),
            "-e", "upgrade_hosts=primary_secondary", "-e", f"upgrade_kernel={kernel}"]
    started = time.monotonic()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1")) as run:
        samples, heartbeat_down_on_both = [], []
        while run.poll() is None:
            seen = {"node1": probe(node1), "node2": probe(node2)}
            now = time.monotonic() - started
            samples.append((now, any("serves" in s for s in seen.values())))
            if not any("heartbeat" in s for s in seen.values()):
                heartbeat_down_on_both.append(round(now))
            time.sleep(1)
        out = run.stdout.read()
    took = time.monotonic() - started
    assert run.returncode == 0, out
    print(f"rolling upgrade: {took:.0f} s; outages without service: {[round(x) for x in outages(samples)]} s")
    assert len(outages(samples)) == 1, f"{outages(samples)}\n{out}"
    assert heartbeat_down_on_both == [], f"Heartbeat down on both nodes at {heartbeat_down_on_both} s\n{out}"
    for name, host in (("node1", node1), ("node2", node2)):
        assert host.check_output("cat /proc/sys/kernel/random/boot_id") != boots[name], f"{name} was not rebooted"
        assert host.check_output("uname -r") == kernel
        assert re.search(r" 0: cs:Connected ro:\w+/\w+ ds:UpToDate/UpToDate", proc_drbd(host)), proc_drbd(host)
        assert "Split-Brain detected" not in kernel_log_since(host, since, "Split-Brain detected")
    # The share stays on node2, upgraded first: no fail-back.
    assert serves(node2) and idle(node1)
    assert node2.check_output(f"md5sum < {MOUNT}/node2-only").split()[0] == want
    # Nodes left the cluster cleanly (Heartbeat stopped first): nobody was fenced.
    assert lab.power_actions(fences_before) == [], lab.fence_log()[fences_before:]


def test_the_rolling_upgrade_refuses_a_degraded_cluster():
    """With DRBD disconnected on one node the playbook stops before it stops or reboots anything."""
    node1, node2 = get_host("node1"), get_host("node2")
    boots = [h.check_output("cat /proc/sys/kernel/random/boot_id") for h in (node1, node2)]
    node1.run_expect([0], "drbdadm disconnect r0")
    try:
        proc = subprocess.run(["ansible-playbook", "-i", str(INVENTORY),
                               str(PROJECT / "playbooks" / "rolling_kernel_upgrade.yml"),
                               "-e", "upgrade_hosts=primary_secondary"],
                              capture_output=True, text=True, timeout=600, check=False,
                              env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    finally:
        node1.run_expect([0], "drbdadm connect r0")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "r0 is StandAlone, not Connected" in out, out
    assert [h.check_output("cat /proc/sys/kernel/random/boot_id") for h in (node1, node2)] == boots
    assert serves(node1) != serves(node2), "the share is not served by exactly one node"
    assert node1.service("heartbeat").is_running and node2.service("heartbeat").is_running
    wait_for(lambda: cstate(node1) == "Connected" and cstate(node2) == "Connected", 120, interval=2,
             what="DRBD to connect again")
