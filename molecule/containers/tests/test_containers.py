# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""The container `web` (busybox httpd) keeps its configuration and root file
system on ext4 on DRBD and runs on node1, started by Heartbeat only; a client
outside the cluster reads it at the container's own address. A planned
switch-over (hb_standby) and a power cut of the active node (Heartbeat fences
it through the lab and takes over) move it with its data; the client probes it
throughout and the outages are measured. Check mode changes nothing. Last,
the rolling kernel upgrade takes both nodes from the kernel they boot (the
release before the base image's) to the next one, one at a time, the client
probing the container all along.

The tests run in file order and each starts from the state the previous one
left (which node runs the container is part of that state)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time

from labfixtures import (ETC_HASH, INVENTORY, PROJECT, check_mode_run, get_host, heartbeat_log, heartbeat_settled,
                         kernel_log_since, wait_for)

testinfra_hosts = ["ansible://node1", "ansible://node2"]
WEB_IP = "192.168.101.110"
MOUNT = "/srv/containers"
WWW = f"{MOUNT}/web/rootfs/srv/www"
DEADTIME = 10          # heartbeat_deadtime in molecule.yml
# Detection after deadtime, then STONITH (a power cycle through the lab), then
# drbddisk, Filesystem and the container's start, on an emulated CPU.
TAKEOVER_MARGIN = 120
PROBE_LOG = "/tmp/web-probe.log"
PROBE_PID = "/tmp/web-probe.pid"
# The client asks for the start page twice a second (1 s timeout) and logs
# each answer: "<epoch seconds> ok|fail".
PROBE_LOOP = f"""
import time, urllib.request
with open("{PROBE_LOG}", "a", buffering=1) as log:
    while True:
        started = time.time()
        try:
            urllib.request.urlopen("http://{WEB_IP}/index.html", timeout=1).read()
            log.write("%.2f ok\\n" % started)
        except Exception:
            log.write("%.2f fail\\n" % started)
        time.sleep(max(0.0, 0.5 - (time.time() - started)))
"""


def runs_web(node) -> bool:
    """node has the file system mounted from DRBD and the container running."""
    out = node.run(f"findmnt -n -o SOURCE {MOUNT} && lxc-info -s -n web")
    return out.rc == 0 and "/dev/drbd0" in out.stdout and re.search(r"State:\s+RUNNING", out.stdout) is not None


def idle(node) -> bool:
    out = node.run(f"findmnt -n {MOUNT}; lxc-info -s -n web 2>&1")
    return MOUNT not in out.stdout and "RUNNING" not in out.stdout


def fetch(client, name: str) -> str:
    """md5 of a file fetched over HTTP from the container ("" when it does not answer)."""
    out = client.run(f"python3 -c 'import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen("
                     f"\"http://{WEB_IP}/{name}\", timeout=5).read())' | md5sum")
    return out.stdout.split()[0] if out.rc == 0 and "d41d8cd98f00b204e9800998ecf8427e" not in out.stdout else ""


def proc_drbd(node) -> str:
    return node.file("/proc/drbd").content_string


def start_probe(client) -> None:
    script = base64.b64encode(PROBE_LOOP.encode()).decode()
    client.run_expect([0], f"if [ -f {PROBE_PID} ]; then kill $(cat {PROBE_PID}) 2>/dev/null; fi; rm -f {PROBE_LOG}; "
                           f"echo {script} | base64 -d > /tmp/web-probe.py; "
                           f"setsid python3 /tmp/web-probe.py >/dev/null 2>&1 < /dev/null & echo $! > {PROBE_PID}")
    wait_for(lambda: " ok" in client.run(f"cat {PROBE_LOG}").stdout, 30, what="the client's first answer")


def stop_probe(client) -> list[tuple[float, bool]]:
    """Stop the probe once it has had an answer again (it runs on its own: its last try may have begun before the
    container came back), and return its (time, answered) samples."""
    wait_for(lambda: client.run(f"tail -n 1 {PROBE_LOG}").stdout.strip().endswith(" ok"), 30,
             what="the client's probe to have an answer again")
    client.run_expect([0], f"kill $(cat {PROBE_PID}) && rm -f {PROBE_PID}")
    samples = []
    for line in client.check_output(f"cat {PROBE_LOG}").splitlines():
        when, result = line.split()
        samples.append((float(when), result == "ok"))
    return samples


def outages(samples: list[tuple[float, bool]]) -> list[float]:
    """Each time the container did not answer: from the last answer before a run of failed probes to the next
    answer, in seconds."""
    lengths, last_ok, failing = [], None, False
    for when, ok in samples:
        if ok:
            if failing and last_ok is not None:
                lengths.append(when - last_ok)
            last_ok, failing = when, False
        else:
            failing = True
    assert not failing, "the container did not answer again before the probe stopped"
    return lengths


def longest_outage(samples: list[tuple[float, bool]]) -> float:
    return max(outages(samples), default=0.0)


def test_only_heartbeat_starts_the_container(host):
    """LXC's autostart is off, the container never starts at boot, and Heartbeat has the resource script."""
    assert not host.service("lxc").is_enabled and not host.service("lxc").is_running
    assert host.file("/etc/lxc/lxc.conf").contains(f"^lxc.lxcpath = {MOUNT}$")
    script = host.file("/etc/ha.d/resource.d/LXC")
    assert script.mode == 0o755 and "resource.d/heartbeat/lxc" in script.content_string
    assert host.service("heartbeat").is_running
    # An idle node answers "stopped" to Heartbeat's status question.
    if idle(host):
        out = host.run("/etc/ha.d/resource.d/LXC web status")
        assert out.rc == 3 and "stopped" in out.stdout


def test_haresources_moves_drbd_the_file_system_and_the_container():
    texts = [get_host(n).file("/etc/ha.d/haresources").content_string for n in ("node1", "node2")]
    assert texts[0] == texts[1]
    assert "node1 drbddisk::r0 Filesystem::/dev/drbd0::/srv/containers::ext4 LXC::web\n" in texts[0]


def test_the_container_runs_on_node1_from_drbd_and_answers():
    node1, node2, client = get_host("node1"), get_host("node2"), get_host("client")
    wait_for(lambda: runs_web(node1), 120, what="node1 to run the container")
    assert idle(node2)
    assert re.search(r" 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate", proc_drbd(node1))
    config = node1.file(f"{MOUNT}/web/config").content_string
    assert re.search(r"^lxc.start.auto = 0$", config, re.M)
    assert re.search(r"^lxc.net.0.type = macvlan$", config, re.M)
    assert re.search(rf"^lxc.rootfs.path = dir:{MOUNT}/web/rootfs$", config, re.M)
    # The container's processes live in its own cgroup on node1.
    assert "httpd" in node1.check_output("lxc-attach -n web -- ps")
    status = node1.run("/etc/ha.d/resource.d/LXC web status")
    assert status.rc == 0 and "is running" in status.stdout
    node1.run_expect([0], f"dd if=/dev/urandom of={WWW}/payload bs=1M count=4 status=none && sync")
    want = node1.check_output(f"md5sum < {WWW}/payload").split()[0]
    assert fetch(client, "payload") == want


def test_planned_switchover_moves_the_container_with_its_data(lab, record_property):
    node1, node2, client = get_host("node1"), get_host("node2"), get_host("client")
    want = node1.check_output(f"md5sum < {WWW}/payload").split()[0]
    fences_before = len(lab.fence_log())
    start_probe(client)
    started = time.monotonic()
    node1.run_expect([0], "/usr/share/heartbeat/hb_standby all")
    wait_for(lambda: runs_web(node2), 180, what="node2 to take the container over")
    wait_for(lambda: fetch(client, "payload") == want, 60, what="the container to answer from node2 with its data")
    took = time.monotonic() - started
    outage = longest_outage(stop_probe(client))
    record_property("switchover_outage_s", round(outage, 1))
    print(f"planned switch-over: container answered again after {took:.1f} s; longest outage {outage:.1f} s")
    assert idle(node1)
    # hb_standby leaves node1 in the cluster, and fences nobody.
    assert heartbeat_settled(node1, "node2")
    assert lab.power_actions(fences_before) == [], lab.fence_log()[fences_before:]


def test_crash_of_the_active_node_is_fenced_and_the_container_taken_over(lab, record_property):
    node1, node2, client = get_host("node1"), get_host("node2"), get_host("client")
    assert runs_web(node2), "the planned switch-over left node2 running the container"
    want = node2.check_output(f"md5sum < {WWW}/payload").split()[0]
    fences_before = len(lab.fence_log())
    since = node1.check_output("date '+%Y-%m-%d %H:%M:%S'")
    start_probe(client)
    started = time.monotonic()
    lab.fault("poweroff", "node2")
    try:
        wait_for(lambda: runs_web(node1), DEADTIME + TAKEOVER_MARGIN, interval=2,
                 what="node1 to take the container over after the crash")
        wait_for(lambda: fetch(client, "payload") == want, 60, what="the container to answer from node1")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- node1 heartbeat since the crash:\n{heartbeat_log(node1, since)}\n"
                             f"--- /proc/drbd on node1:\n{proc_drbd(node1)}\n--- fence log:\n"
                             f"{lab.fence_log()[fences_before:]}") from exc
    took = time.monotonic() - started
    outage = longest_outage(stop_probe(client))
    record_property("crash_outage_s", round(outage, 1))
    print(f"crash: container answered again {took:.1f} s after the power cut; longest outage {outage:.1f} s")
    # Heartbeat shot node2 (through the plugin and fence_lab) before taking its resources.
    fences = [e for e in lab.fence_log()[fences_before:] if e.get("requester") == "node1"
              and e.get("request", "").split()[-1:] == ["node2"] and e.get("reply", "").startswith("OK")]
    assert fences, lab.fence_log()

    # The fence power-cycled node2: it rejoins as Secondary, resyncs, and
    # (auto_failback off) leaves the container on node1; it never starts it.
    lab.wait("node2")
    node2 = get_host("node2")
    wait_for(lambda: heartbeat_settled(node2, "node1"), 300, interval=3, what="Heartbeat on node2 to join after its boot")
    wait_for(lambda: re.search(r" 0: cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate", proc_drbd(node2)),
             300, interval=3, what="node2 Connected, Secondary and UpToDate again")
    assert runs_web(node1) and idle(node2)
    assert not get_host("node2").service("lxc").is_running


def state_lines(node) -> list[str]:
    return re.findall(r"^ *\d+: cs:\S+ ro:\S+ ds:\S+", proc_drbd(node), re.M) + [str(runs_web(node))]


def test_check_mode_on_a_converged_cluster_changes_nothing():
    nodes = [get_host("node1"), get_host("node2")]
    before = [(n.check_output(ETC_HASH), state_lines(n)) for n in nodes]
    out = check_mode_run(PROJECT / "molecule" / "containers" / "converge.yml", ["node1", "node2"])
    after = [(n.check_output(ETC_HASH), state_lines(n)) for n in nodes]
    assert after == before
    assert "lab-heartbeat-key-91d0a5c3" not in out
    assert "lab-drbd-secret-7c41e2" not in out


# A probe that fails alone is a slow read (1 s timeout, 1-2 s under
# emulation), not an outage; a switch-over takes tens of seconds.
OUTAGE_MIN = 5.0


def test_rolling_kernel_upgrade_to_the_next_kernel_moves_the_container_once(lab, record_property, tmp_path):
    """playbooks/rolling_kernel_upgrade.yml from the kernel the nodes boot (the release before the base image's,
    molecule/shared/installed_kernel.yml) to the next, with the kernel staged on both nodes first: node2, the
    passive node, then node1 after hb_standby. The client probes the container all along: one outage only (that
    switch-over), Heartbeat up on at least one node at every sample, both nodes rebooted into the new kernel, DRBD
    Connected and UpToDate, no split brain, the data kept and served by node2, nobody fenced."""
    node1, node2, client = get_host("node1"), get_host("node2"), get_host("client")
    assert runs_web(node1) and idle(node2), "the crash test left node1 running the container"
    lab_vars = node1.ansible.get_variables()
    old, new = (f"{lab_vars[k]}-cloud-amd64" for k in ("lab_kernel_previous", "lab_kernel_base"))
    assert [n.check_output("uname -r") for n in (node1, node2)] == [old, old]
    want = node1.check_output(f"md5sum < {WWW}/payload").split()[0]
    boots = {n: get_host(n).check_output("cat /proc/sys/kernel/random/boot_id") for n in ("node1", "node2")}
    since = node1.check_output("date '+%Y-%m-%d %H:%M:%S'")
    fences_before = len(lab.fence_log())
    extra = json.dumps({"upgrade_hosts": "containers", "upgrade_packages": [f"linux-image-{new}"],
                        "upgrade_kernel": new, "upgrade_stage": True})
    log = tmp_path / "upgrade.log"
    start_probe(client)
    started = time.monotonic()
    heartbeat_down_on_both = []
    with log.open("w") as sink, subprocess.Popen(
            ["ansible-playbook", "-i", str(INVENTORY), str(PROJECT / "playbooks" / "rolling_kernel_upgrade.yml"),
             "-e", extra], stdout=sink, stderr=subprocess.STDOUT, env=dict(os.environ, ANSIBLE_NOCOLOR="1")) as run:
        while run.poll() is None:
            # lab.ssh, with a timeout: a node may be rebooting.
            if all(lab.ssh(n, "systemctl is-active --quiet heartbeat", timeout=8) is None for n in ("node1", "node2")):
                heartbeat_down_on_both.append(round(time.monotonic() - started))
            time.sleep(2)
    took = time.monotonic() - started
    out = log.read_text()
    assert run.returncode == 0, out[-6000:]
    gaps = outages(stop_probe(client))
    long_gaps = [round(g, 1) for g in gaps if g > OUTAGE_MIN]
    record_property("upgrade_total_s", round(took))
    record_property("upgrade_longest_outage_s", round(max(gaps, default=0.0), 1))
    print(f"rolling upgrade {old} -> {new}: {took:.0f} s; outages over {OUTAGE_MIN:.0f} s: {long_gaps}")
    assert len(long_gaps) == 1, f"outages {long_gaps}, not the one switch-over\n{out[-6000:]}"
    assert heartbeat_down_on_both == [], f"Heartbeat down on both nodes at {heartbeat_down_on_both} s"
    for name in ("node1", "node2"):
        node = get_host(name)
        assert node.check_output("cat /proc/sys/kernel/random/boot_id") != boots[name], f"{name} was not rebooted"
        assert node.check_output("uname -r") == new
        assert re.search(r" 0: cs:Connected ro:\w+/\w+ ds:UpToDate/UpToDate", proc_drbd(node)), proc_drbd(node)
        assert "Split-Brain detected" not in kernel_log_since(node, since, "Split-Brain detected")
    # node2 was upgraded first and keeps the container: no fail-back.
    node1, node2 = get_host("node1"), get_host("node2")
    assert runs_web(node2) and idle(node1)
    assert fetch(client, "payload") == want
    # Each node left Heartbeat cleanly before its reboot: nobody was fenced.
    assert lab.power_actions(fences_before) == [], lab.fence_log()[fences_before:]
