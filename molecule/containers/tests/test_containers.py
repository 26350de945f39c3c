# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""The container `web` (busybox httpd) keeps its configuration and root file
system on ext4 on DRBD and runs on node1, started by Heartbeat only; a client
outside the cluster reads it at the container's own address. A planned
switch-over (hb_standby) and a power cut of the active node (Heartbeat fences
it through the lab and takes over) move it with its data; the client probes it
throughout and the outages are measured. Check mode changes nothing.

The tests run in file order and each starts from the state the previous one
left (which node runs the container is part of that state)."""

from __future__ import annotations

import base64
import re
import time

from labfixtures import ETC_HASH, PROJECT, check_mode_run, get_host, heartbeat_log, heartbeat_settled, wait_for

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


def longest_outage(samples: list[tuple[float, bool]]) -> float:
    """Longest time between a failed probe's start after an answer and the next answer."""
    longest, last_ok, failing = 0.0, None, False
    for when, ok in samples:
        if ok:
            if failing and last_ok is not None:
                longest = max(longest, when - last_ok)
            last_ok, failing = when, False
        else:
            failing = True
    assert not failing, "the container did not answer again before the probe stopped"
    return longest


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
