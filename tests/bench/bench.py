# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""`make bench`: measure the lab and print the figures.

Figures are printed, never asserted: they depend on the machine.
    image_cold_s      building the base image and offline repository from scratch
                      (from the cache manifest, or measured now with BENCH_COLD=1)
    image_warm_s      reusing the cached image
    up_N_vms_s        `lab.py up` until every VM answers on ssh, for N = 2 and 3
    down_N_vms_s      tearing that lab down
    drbd_*            the drbd role on two VMs: first converge (initial sync of a
                      256 MiB disk included), idempotent re-run, and sequential
                      direct writes to /dev/drbd0 (protocol C) against the same
                      VM's local disk
    ps_*              the primary_secondary topology (molecule/primary_secondary's
                      variables and playbooks) on two VMs: first converge,
                      idempotent re-run, and the longest gap between successful
                      reads of a file over SMB at the cluster IP by a client
                      (a third VM) polling every 0.2 s, for a planned switch-over
                      (Heartbeat stopped on the active node; then, the way the
                      README recommends, hb_standby on the new active node) and
                      for a crash (the active node powered off; Heartbeat fences
                      it, then takes over);
                      then, with Heartbeat stopped, the same switch-over done
                      by hand with the bare operations its scripts wrap
                      (ps_bare_*: drbdadm, mount, ip, systemctl; each step's
                      seconds, release, take-over, the client's gap),
                      and the ratios: planned outage / bare gap, crash outage /
                      (deadtime + bare take-over)
    iscsi_*           the iscsi_pacemaker topology (molecule/iscsi_pacemaker's
                      variables and playbook) on three VMs: first converge,
                      idempotent re-run, and the longest gap between completed
                      4 KiB direct writes to the LUN by an initiator writing
                      every 0.2 s, for a planned move of the group and for a
                      crash of the active node (Pacemaker fences it, then the
                      peer takes over); then, in maintenance mode, the same move
                      done by hand (iscsi_bare_*: the group's agents through
                      crm_resource --force-stop/--force-start, DRBD demoted and
                      promoted with drbdadm), and the ratios: planned stall /
                      bare stall, crash stall / (token timeout + bare take-over)

Each fail-over also gets a timeline from the cluster manager's own logs (Heartbeat's and ResourceManager's
journal lines; the DC's pacemaker.log): every script or agent run and every fencing with its start and end,
in seconds from the fault on the host's clock, printed after the figures (the log lines are kept in
tests/output/bench-logs). Beside it: the window from the fault to the end of the last start, the part of it
some script or agent was running (*_scripts_s, *_agents_s) and the rest, the cluster manager's own handling
(*_heartbeat_s, *_cluster_s: detection, scheduling, messages, waits), and the fencing in it (*_stonith_s,
*_fence_s). *_limit_s and *_within_limits hold the figures against the targets: a planned move within 1.5
times the bare move's gap; a crash within the dead time (Heartbeat's deadtime; Corosync's token plus its
consensus, 1.2 times the token), the fencing it took and 1.5 times the bare take-over.

    gfs2_*            the dual_primary_gfs2 topology (molecule/dual_primary_gfs2's
                      variables and playbooks) on two VMs: first converge,
                      re-run, ctdb's ping_pong POSIX lock rate on one node and
                      on both at once (and -rw on both), a live migration of
                      the guest (Pacemaker's whole move, libvirt's migration
                      time and the guest's downtime from virsh domjobinfo),
                      and 64 MiB direct writes through GFS2 against ext4 made
                      afterwards on the same DRBD device

    ct_*              the containers topology (molecule/containers's variables and
                      playbooks) on two VMs and a client: first converge,
                      re-run, and the longest gap between successful reads of
                      a file over HTTP from the container by the client polling
                      every 0.2 s, for a planned switch-over (hb_standby) and
                      for a crash of the active node (fenced, then taken over);
                      then the rolling kernel upgrade to the next kernel: its
                      total time, the client's outages (gaps over 5 s) and
                      the longest gap

    module_*          playbooks/drbd_module.yml on one VM running the base image's
                      kernel, for the release before it (installed, not
                      running): the first run (DKMS, headers, kernel sources,
                      build, checks), the build task alone, a re-run (changed
                      must be 0), and a build against the wrong kernel's
                      headers, which must be refused (its time and message)

BENCH_SKIP_DRBD=1, BENCH_SKIP_PS=1, BENCH_SKIP_ISCSI=1, BENCH_SKIP_GFS2=1, BENCH_SKIP_CONTAINERS=1,
BENCH_SKIP_MODULE=1 leave a part out;
BENCH_SKIP_TOPOLOGIES=1 leaves out every topology (not the module part); BENCH_CONVERGE_ONLY=1
measures only the playbook runs of each part. The strategy is the Makefile's
(Mitogen unless MITOGEN=0) and is printed with the figures.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import timeline

ROOT = Path(__file__).resolve().parents[2]
# Only the playbook runs (first converge, re-run) of each part: for comparing
# strategies (`make bench MITOGEN=0 BENCH_CONVERGE_ONLY=1` against MITOGEN=1).
CONVERGE_ONLY = os.environ.get("BENCH_CONVERGE_ONLY") == "1"
LAB = [sys.executable, str(ROOT / "tests" / "lab" / "lab.py")]


def timed(args: list[str], env: dict | None = None) -> tuple[float, dict]:
    start = time.monotonic()
    proc = subprocess.run(LAB + args, capture_output=True, text=True, env=env, check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"lab.py {' '.join(args)} failed:\n{proc.stderr}")
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError:
        out = {}
    return round(seconds, 1), out


def ansible_env(**extra: str) -> dict:
    """ansible-playbook's environment: the copied collection tree, no colours, and `extra`."""
    return dict(os.environ, **extra, ANSIBLE_COLLECTIONS_PATH=os.environ["HACLUSTER_TREE_ROOT"], ANSIBLE_NOCOLOR="1")


def playbook(inventory: str, play: Path, env: dict, *args: str, must_fail: bool = False) -> tuple[float, str]:
    """Seconds and stdout of an ansible-playbook run; a failed run stops the bench. With must_fail the other way
    round, and the output holds stderr too."""
    start = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", inventory, str(play), *args], capture_output=True, text=True,
                          env=env, check=False)
    seconds = round(time.monotonic() - start, 1)
    if must_fail:
        if proc.returncode == 0:
            raise SystemExit(f"{play} passed where it must fail:\n{proc.stdout[-3000:]}")
        return seconds, proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise SystemExit(f"{play} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return seconds, proc.stdout


def lab_ssh(name: str, node: str, command: str, check: bool = True) -> str:
    proc = subprocess.run(LAB + ["ssh", "--name", name, node, "--", command], capture_output=True, text=True,
                          check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"{command!r} on {node} failed: {proc.stdout}{proc.stderr}")
    return proc.stdout


def clock_offset(name: str, node: str) -> float:
    """The node's clock minus the host's, in seconds (within half an ssh round trip)."""
    before = time.time()
    guest = float(lab_ssh(name, node, "date +%s.%N"))
    return guest - (before + time.time()) / 2


def log_sizes(name: str, nodes: list[str], path: str) -> dict[str, int]:
    """Current size of the log at `path` on each node: the place its new lines start."""
    return {node: int(lab_ssh(name, node, f"stat -c %s {path}")) for node in nodes}


def log_since(name: str, node: str, path: str, size: int) -> str:
    return lab_ssh(name, node, f"tail -c +{size + 1} {path}", check=False)


def write_mib_s(name: str, node: str, target: str, mib: int = 128) -> float:
    """MiB/s of a sequential direct write of random data (no zero shortcuts), as dd reports it."""
    lab_ssh(name, node, f"test -s /dev/shm/bench || head -c {mib}M /dev/urandom > /dev/shm/bench")
    proc = subprocess.run(LAB + ["ssh", "--name", name, node, "--",
                                 f"dd if=/dev/shm/bench of={target} bs=1M count={mib} oflag=direct 2>&1 | tail -1"],
                          capture_output=True, text=True, check=False)
    match = re.search(r"copied, ([\d.]+) s", proc.stdout)
    if proc.returncode != 0 or not match:
        raise SystemExit(f"dd to {target} on {node} failed: {proc.stdout}{proc.stderr}")
    return round(mib / float(match.group(1)), 1)


def bench_drbd(figures: dict) -> None:
    name = "benchdrbd"
    tmp = Path(tempfile.mkdtemp(prefix="hacluster-bench-"))
    try:
        shutil.copytree(ROOT / "tests" / "bench" / "drbd" / "group_vars", tmp / "group_vars")
        timed(["up", "--name", name, "--vms", "2", "--disks", "2", "--disk-size", "256M",
               "--group", "hacluster", "--inventory", str(tmp / "hosts.yml")])
        # `make bench` copies the collection to ansible_collections/hacluster/drbd first.
        env = ansible_env()
        play = ROOT / "tests" / "bench" / "drbd" / "converge.yml"
        figures["drbd_first_converge_s"], dummy = playbook(str(tmp), play, env)
        figures["drbd_rerun_s"], out = playbook(str(tmp), play, env)
        figures["drbd_rerun_changed"] = sum(int(n) for n in re.findall(r"changed=(\d+)", out))
        if CONVERGE_ONLY:
            return
        local = write_mib_s(name, "node1", "/dev/disk/by-id/virtio-data2")
        replicated = write_mib_s(name, "node1", "/dev/drbd0")
        figures["drbd_local_write_mib_s"] = local
        figures["drbd_replicated_write_mib_s"] = replicated
        figures["drbd_replicated_to_local_ratio"] = round(replicated / local, 2) if local else None
    finally:
        timed(["down", "--name", name])
        shutil.rmtree(tmp, ignore_errors=True)


# A client reads a file over SMB at the cluster IP every 0.2 s and logs
# "<epoch seconds> ok|fail" per attempt.
READER = """#!/bin/sh
while :; do
    t=$(date +%s.%N)
    if timeout 5 smbclient -N //$1/share -c 'get payload /dev/null' >/dev/null 2>&1; then
        echo "$t ok"
    else
        echo "$t fail"
    fi
    sleep 0.2
done >/root/reads.log
"""


# The containers topology's client reads a file from the container's web server every 0.2 s.
HTTP_READER = """#!/bin/sh
while :; do
    t=$(date +%s.%N)
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()' \\
            "http://$1/payload" 2>/dev/null; then
        echo "$t ok"
    else
        echo "$t fail"
    fi
    sleep 0.2
done >/root/http-reads.log
"""


def gaps(log: str) -> list[float]:
    """The times between successive successful reads in the reader's log."""
    oks = [float(line.split()[0]) for line in log.splitlines() if line.endswith(" ok")]
    if len(oks) < 2:
        raise SystemExit(f"the reader never read twice:\n{log[-2000:]}")
    return [round(b - a, 1) for a, b in zip(oks, oks[1:])]


def longest_gap(log: str) -> float:
    """Longest time between two successful reads in the reader's log."""
    return max(gaps(log))


def serving(name: str, node: str, ip: str) -> bool:
    out = lab_ssh(name, node, f"ip -br addr | grep -c ' {ip}/'; systemctl is-active smbd", check=False)
    return out.split() == ["1", "active"]


def share_moved(name: str, client: str, node: str, ip: str) -> bool:
    """The share is served from `node`: `client` reads it at the cluster IP, and then `node` holds the address
    and runs smbd. The share is read from the client first because every lab ssh login costs an emulated node
    about 1.1 s of its only CPU (see iscsi_moved), which the node taking over needs for the move itself."""
    if "ok" not in lab_ssh(name, client, f"timeout 5 smbclient -N //{ip}/share -c 'get payload /dev/null' "
                           ">/dev/null 2>&1 && echo ok", check=False):
        return False
    return serving(name, node, ip)


def timed_steps(name: str, node: str, steps: list[tuple[str, str]]) -> dict[str, float]:
    """Run each (label, command) on `node` in one ssh session, timed on the node itself; every command must
    succeed. Returns {label: seconds}."""
    script = "set -e\n" + "".join(
        f's=$(date +%s.%N); {cmd} >/dev/null 2>&1; echo "{label} $s $(date +%s.%N)"\n' for label, cmd in steps)
    out = lab_ssh(name, node, script)
    times = {}
    for line in out.splitlines():
        label, start, end = line.rsplit(" ", 2)
        times[label] = round(float(end) - float(start), 2)
    if len(times) != len(steps):
        raise SystemExit(f"a step failed on {node}: ran {list(times)} of {[label for label, dummy in steps]}")
    return times


def wait_until(what: str, predicate, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(2)


def probe_during(name: str, client: str, probe: str, arg: str, fault, until, settle: float = 10,
                 poll: float = 1) -> str:
    """Run the probe script `probe` (READER, HTTP_READER or WRITER) on `client` as a transient unit, run `fault`,
    wait for `until()` and `settle` seconds more, and return the probe's log."""
    unit, log = {READER: ("bench-reader", "/root/reads.log"), HTTP_READER: ("bench-http", "/root/http-reads.log"),
                 WRITER: ("bench-writer", "/root/writes.log")}[probe]
    script = base64.b64encode(probe.encode()).decode()
    lab_ssh(name, client, f"rm -f {log}; systemctl stop {unit} 2>/dev/null; "
            f"systemctl reset-failed {unit} 2>/dev/null; true", check=False)
    lab_ssh(name, client, f"echo {script} | base64 -d > /root/{unit}.sh && systemd-run --unit={unit} sh /root/{unit}.sh {arg}")
    time.sleep(settle)
    fault()
    deadline = time.monotonic() + 900
    while not until():
        if time.monotonic() > deadline:
            raise SystemExit("the service did not come back after the fault")
        time.sleep(poll)
    time.sleep(settle)
    return lab_ssh(name, client, f"systemctl stop {unit}; cat {log}")


def outage(name: str, client: str, ip: str, fault, new_home: str, settle: float = 10) -> float:
    """Longest gap between successful SMB reads at `ip` from `client` while `fault` moves the share to `new_home`."""
    return longest_gap(probe_during(name, client, READER, ip, fault,
                                    lambda: share_moved(name, client, new_home, ip), settle, poll=3))


def scenario_inventory(scenario: Path, inventory: Path) -> tuple[dict, dict]:
    """Write a Molecule scenario's group_vars into the inventory directory `inventory`; return them and the
    environment Molecule gives ansible-playbook in that scenario (pipelining, ...)."""
    import yaml  # pylint: disable=import-outside-toplevel  # ships with ansible-core

    provisioner = yaml.safe_load((scenario / "molecule.yml").read_text())["provisioner"]
    group_vars = provisioner["inventory"]["group_vars"]
    (inventory / "group_vars").mkdir()
    for group, values in group_vars.items():
        (inventory / "group_vars" / f"{group}.yml").write_text(yaml.safe_dump(values))
    return group_vars, ansible_env(**{k: str(v) for k, v in provisioner.get("env", {}).items()})


def layer_args(inventory: Path) -> list[str]:
    """Boot from the cached disk layers the scenario's VMs use (the same group_vars give the same layers)."""
    return ["--layer-playbook", str(ROOT / "playbooks" / "install.yml"), "--layer-group-vars",
            str(inventory / "group_vars")]


def bench_primary_secondary(figures: dict) -> None:
    name = "benchps"
    scenario = ROOT / "molecule" / "primary_secondary"
    tmp = Path(tempfile.mkdtemp(prefix="hacluster-bench-"))
    try:
        group_vars, env = scenario_inventory(scenario, tmp)
        ip = group_vars["hacluster"]["primary_secondary_cluster_ip"]
        # The scenario's two nodes and a client in no group (it boots from the base image, which has smbclient):
        # the reader runs there, not on a node whose one CPU the take-over needs.
        timed(["up", "--name", name, "--node", "node1", "--node", "node2", "--node", "client1",
               "--node-group", "node1=hacluster,primary_secondary", "--node-group", "node2=hacluster,primary_secondary",
               "--disks", "1", "--disk-size", "256M", "--inventory", str(tmp / "hosts.yml"), *layer_args(tmp)])
        figures["ps_first_converge_s"], dummy = playbook(str(tmp), scenario / "converge.yml", env)
        figures["ps_rerun_s"], out = playbook(str(tmp), scenario / "converge.yml", env)
        figures["ps_rerun_changed"] = sum(int(n) for n in re.findall(r"changed=(\d+)", out))
        if CONVERGE_ONLY:
            return
        wait_until("node1 to serve the group", lambda: serving(name, "node1", ip), 300)
        lab_ssh(name, "node1", "dd if=/dev/urandom of=/srv/share/payload bs=1M count=1 status=none && sync")
        began: dict[str, float] = {}

        def stop_heartbeat():
            began["planned"] = time.time()
            lab_ssh(name, "node1", "systemctl stop heartbeat")

        figures["ps_planned_switchover_outage_s"] = outage(name, "client1", ip, stop_heartbeat, "node2")
        heartbeat_timeline(name, ["node1", "node2"], began["planned"], "node2", figures, "ps_planned_switchover")
        lab_ssh(name, "node1", "systemctl start heartbeat")
        # node1 rejoins as standby (auto_failback off); a node still inside
        # initdead would not take over, so wait until it has joined.
        wait_until("Heartbeat on node1 to join again", lambda: lab_ssh(
            name, "node1", "cl_status rscstatus; cl_status nodestatus node2", check=False).split() == ["none", "active"],
            300)

        # The switch-over the README recommends: hb_standby on the active node (node2 now) hands the group to
        # its peer and leaves Heartbeat running there, ready to take the group back.
        def standby():
            began["standby"] = time.time()
            lab_ssh(name, "node2", HB_STANDBY)

        figures["ps_standby_switchover_outage_s"] = outage(name, "client1", ip, standby, "node1")
        heartbeat_timeline(name, ["node2", "node1"], began["standby"], "node1", figures, "ps_standby_switchover")

        def crash():
            began["crash"] = time.time()
            timed(["fault", "--name", name, "poweroff", "node1"])

        figures["ps_crash_failover_outage_s"] = outage(name, "client1", ip, crash, "node2")
        heartbeat_timeline(name, ["node2"], began["crash"], "node2", figures, "ps_crash_failover")
        figures["ps_heartbeat_deadtime_s"] = group_vars["hacluster"]["heartbeat_deadtime"]
        bare_ps(figures, name, ip, active="node2", peer="node1")
    finally:
        timed(["down", "--name", name])
        shutil.rmtree(tmp, ignore_errors=True)


def container_runs(name: str, client: str, node: str, ip: str) -> bool:
    """The container answers `client` at `ip`, and runs on `node` (read from the client first, as share_moved)."""
    if "ok" not in lab_ssh(name, client, "python3 -c 'import urllib.request; urllib.request.urlopen("
                           f"\"http://{ip}/payload\", timeout=3).read()' && echo ok", check=False):
        return False
    return "RUNNING" in lab_ssh(name, node, "lxc-info -s -n web", check=False)


def bench_containers(figures: dict) -> None:
    """The containers topology (molecule/containers): converge, then the container's outage seen by a client for
    a planned switch-over (hb_standby) and a crash of the active node (fenced, then taken over)."""
    name = "benchct"
    scenario = ROOT / "molecule" / "containers"
    tmp = Path(tempfile.mkdtemp(prefix="hacluster-bench-"))
    try:
        group_vars, env = scenario_inventory(scenario, tmp)
        ip = group_vars["hacluster"]["lxc_containers"][0]["config"]["lxc.net.0.ipv4.address"].split("/")[0]
        www = group_vars["hacluster"]["lxc_path"] + "/web/rootfs/srv/www"
        timed(["up", "--name", name, "--node", "node1", "--node", "node2", "--node", "client",
               "--node-group", "node1=hacluster,containers", "--node-group", "node2=hacluster,containers",
               "--disks", "1", "--disk-size", "256M", "--inventory", str(tmp / "hosts.yml"),
               "--layer-playbook", str(scenario / "install.yml"), "--layer-group-vars", str(tmp / "group_vars"),
               "--extra-repo", str(scenario / "extra-packages.txt")])
        figures["ct_first_converge_s"], dummy = playbook(str(tmp), scenario / "converge.yml", env)
        figures["ct_rerun_s"], out = playbook(str(tmp), scenario / "converge.yml", env)
        figures["ct_rerun_changed"] = sum(int(n) for n in re.findall(r"changed=(\d+)", out))
        if CONVERGE_ONLY:
            return
        lab_ssh(name, "node1", f"dd if=/dev/urandom of={www}/payload bs=1M count=1 status=none && sync")
        wait_until("the container to answer from node1", lambda: container_runs(name, "client", "node1", ip), 300)
        began: dict[str, float] = {}

        def standby():
            began["standby"] = time.time()
            lab_ssh(name, "node1", HB_STANDBY)

        figures["ct_standby_switchover_outage_s"] = longest_gap(probe_during(
            name, "client", HTTP_READER, ip, standby, lambda: container_runs(name, "client", "node2", ip), poll=3))
        heartbeat_timeline(name, ["node1", "node2"], began["standby"], "node2", figures, "ct_standby_switchover")

        def crash():
            began["crash"] = time.time()
            timed(["fault", "--name", name, "poweroff", "node2"])

        figures["ct_crash_failover_outage_s"] = longest_gap(probe_during(
            name, "client", HTTP_READER, ip, crash, lambda: container_runs(name, "client", "node1", ip), poll=3))
        heartbeat_timeline(name, ["node1"], began["crash"], "node1", figures, "ct_crash_failover")
        figures["ct_heartbeat_deadtime_s"] = group_vars["hacluster"]["heartbeat_deadtime"]
        bench_kernel_upgrade(name, tmp, env, ip, www, figures)
    finally:
        timed(["down", "--name", name])
        shutil.rmtree(tmp, ignore_errors=True)


def fence_log(name: str, *args: str) -> list[dict]:
    """The lab's fencing requests so far (lab.py fence-log, with `args` such
    as --power)."""
    proc = subprocess.run(LAB + ["fence-log", "--name", name, *args], capture_output=True, text=True, check=True)
    return [json.loads(line) for line in proc.stdout.splitlines() if line]


def bench_kernel_upgrade(name: str, inventory: Path, env: dict, ip: str, www: str, figures: dict) -> None:
    """playbooks/rolling_kernel_upgrade.yml on the containers lab, from the kernel the nodes run (the release
    before the base image's, molecule/shared/installed_kernel.yml) to the next, staged on both nodes first: its
    total time, each outage the client saw (more than 5 s between two answers; a read takes 1-2 s on an emulated
    CPU) and the longest gap.
    Starts when node1 runs the container and node2, back from the crash, is UpToDate in the cluster; stops with
    an error unless there was one outage (the switch-over), both nodes run the new kernel with DRBD Connected and
    UpToDate, the container answers from node2 with its data, and nobody was fenced."""
    import yaml  # pylint: disable=import-outside-toplevel  # ships with ansible-core

    timed(["wait", "--name", name, "node2"])
    wait_until("node2 back in the cluster and UpToDate", lambda: lab_ssh(
        name, "node2", "systemctl is-active heartbeat; drbdadm dstate r0", check=False).split()
        == ["active", "UpToDate/UpToDate"], 600)
    lab_vars = yaml.safe_load((inventory / "hosts.yml").read_text())["all"]["vars"]
    old, new = (f"{lab_vars[k]}-cloud-amd64" for k in ("lab_kernel_previous", "lab_kernel_base"))
    extra = json.dumps({"upgrade_hosts": "containers", "upgrade_packages": [f"linux-image-{new}"],
                        "upgrade_kernel": new, "upgrade_stage": True})
    payload = lab_ssh(name, "node1", f"md5sum < {www}/payload").split()[0]
    fences_before = len(fence_log(name))

    def upgrade():
        figures["ct_upgrade_total_s"], dummy = playbook(
            str(inventory), ROOT / "playbooks" / "rolling_kernel_upgrade.yml", env, "-e", extra)

    log = probe_during(name, "client", HTTP_READER, ip, upgrade, lambda: container_runs(name, "client", "node2", ip))
    figures["ct_upgrade_kernels"] = f"{old} -> {new}"
    figures["ct_upgrade_outages_s"] = [g for g in gaps(log) if g > 5]
    figures["ct_upgrade_longest_outage_s"] = max(gaps(log))
    problems = []
    if len(figures["ct_upgrade_outages_s"]) != 1:
        problems.append(f"outages {figures['ct_upgrade_outages_s']}, not the one switch-over")
    for node in ("node1", "node2"):
        seen = lab_ssh(name, node, "uname -r; drbdadm cstate r0; drbdadm dstate r0", check=False).split()
        if seen != [new, "Connected", "UpToDate/UpToDate"]:
            problems.append(f"{node}: {seen}")
    if lab_ssh(name, "node2", f"md5sum < {www}/payload").split()[0] != payload:
        problems.append("the container's data changed")
    fences = fence_log(name, "--since", str(fences_before), "--power")
    if fences:
        problems.append(f"fenced: {fences}")
    if problems:
        raise SystemExit("rolling kernel upgrade: " + "; ".join(problems))


def task_seconds(times: Path, task: str) -> float:
    """The seconds the last run that wrote to `times` (the task_times callback's file) spent in `task`."""
    run = json.loads(times.read_text().splitlines()[-1])
    return round(sum(seconds for seconds, name, dummy in run["tasks"] if name.endswith(task)), 1)


def bench_drbd_module(figures: dict) -> None:
    """playbooks/drbd_module.yml on one VM that runs the base image's kernel, for the release before it (installed,
    not running): the first run (DKMS, headers, the kernel sources, the build and its checks), the build task alone,
    an idempotent re-run; then the same tree built against the wrong kernel's headers (/lib/modules/KERNEL/build
    pointed at the base release's), which must be refused, naming both kernels. Stops with an error otherwise."""
    import yaml  # pylint: disable=import-outside-toplevel  # ships with ansible-core

    name = "benchmod"
    tmp = Path(tempfile.mkdtemp(prefix="hacluster-bench-"))
    times = tmp / "task-times.jsonl"
    env = ansible_env(ANSIBLE_CALLBACK_PLUGINS=str(ROOT / "tests" / "ansible" / "callback_plugins"),
                      ANSIBLE_CALLBACKS_ENABLED="task_times", HACLUSTER_TASK_TIMES=str(times))
    play = ROOT / "playbooks" / "drbd_module.yml"
    build_task = "Build, install and check the module for each kernel"
    try:
        timed(["up", "--name", name, "--vms", "1", "--networks", "0", "--group", "hacluster",
               "--inventory", str(tmp / "hosts.yml"),
               "--extra-repo", str(ROOT / "tests" / "bench" / "drbd_module" / "extra-packages.txt")])
        lab_vars = yaml.safe_load((tmp / "hosts.yml").read_text())["all"]["vars"]
        target, wrong = (f"{lab_vars[k]}-cloud-amd64" for k in ("lab_kernel_previous", "lab_kernel_base"))
        running = lab_ssh(name, "node1", "uname -r").strip()
        # The kernel about to boot is installed first, as it would be before an upgrade's reboot; so are the
        # headers of the wrong kernel, for the refusal below.
        start = time.monotonic()
        lab_ssh(name, "node1", "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive "
                f"apt-get install -q -y --no-install-recommends linux-image-{target} linux-headers-{wrong} >/dev/null")
        figures["module_kernel_install_s"] = round(time.monotonic() - start, 1)
        params = {"drbd_dkms_version": "8.4.11", "drbd_dkms_kernels": [target]}
        extra = json.dumps(params)
        figures["module_kernels"] = f"running {running}, built for {target}"
        figures["module_first_run_s"], dummy = playbook(str(tmp), play, env, "-e", extra)
        figures["module_build_s"] = task_seconds(times, build_task)
        seen = lab_ssh(name, "node1", f"modinfo -k {target} -F filename drbd; modinfo -k {target} -F vermagic drbd")
        figures["module_installed"] = " ".join(seen.split()[:2])
        problems = []
        if not seen.startswith(f"/lib/modules/{target}/updates/dkms/") or f"\n{target} " not in seen:
            problems.append(f"modprobe would not load the DKMS build for {target}: {seen!r}")
        figures["module_rerun_s"], out = playbook(str(tmp), play, env, "-e", extra)
        figures["module_rerun_changed"] = sum(int(n) for n in re.findall(r"changed=(\d+)", out))
        if figures["module_rerun_changed"]:
            problems.append(f"the re-run changed {figures['module_rerun_changed']} things")
        if problems:
            raise SystemExit("DRBD module build: " + "; ".join(problems))
        if CONVERGE_ONLY:
            return
        # Built against another kernel's headers, the module names that kernel: it must be refused.
        playbook(str(tmp), play, env, "-e", json.dumps(dict(params, drbd_dkms_state="absent")))
        lab_ssh(name, "node1", f"ln -sfn /usr/src/linux-headers-{wrong} /lib/modules/{target}/build")
        figures["module_wrong_headers_s"], out = playbook(str(tmp), play, env, "-e", extra, must_fail=True)
        refusal = re.search(r"refusing kernel [^\n\"]*", out)
        figures["module_wrong_headers_refusal"] = refusal.group(0)[:160] if refusal else None
        if not refusal or target not in refusal.group(0) or f"built for kernel {wrong}" not in out:
            raise SystemExit(f"DRBD module build: the wrong-headers build was not refused by name: {out[-1500:]}")
    finally:
        timed(["down", "--name", name])
        shutil.rmtree(tmp, ignore_errors=True)


SEND_ARP = "/usr/libexec/heartbeat/send_arp"
HB_STANDBY = "/usr/share/heartbeat/hb_standby"


def heartbeat_steps(name: str, node: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The start and the stop steps of the first haresources group as the bare operations the resource scripts
    wrap (promote/demote, mount/umount, address up/down, service start/stop); a script this does not know is run
    itself."""
    line = lab_ssh(name, node, "grep -v '^#' /etc/ha.d/haresources | grep -v '^ *$' | head -1").split()
    start, stop = [], []
    for resource in line[1:]:
        script, *args = resource.split("::")
        if script == "drbddisk":
            start.append(("promote", f"drbdadm primary {args[0]}"))
            stop.append(("demote", f"drbdadm secondary {args[0]}"))
        elif script == "Filesystem":
            start.append(("mount", f"mount -t {args[2]} {args[0]} {args[1]}"))
            stop.append(("unmount", f"umount {args[1]}"))
        elif script in ("IPaddr2", "IPaddr"):
            address, prefix, interface = args[0].split("/")
            # Announced the way IPaddr2 does (send_arp from resource-agents, in the background): without it a
            # client on the network keeps the old node's MAC until its ARP entry expires.
            start.append(("address up", f"ip addr add {address}/{prefix} dev {interface} && "
                                        f"({SEND_ARP} -i 200 -r 5 -p /run/bench-send_arp.pid {interface} {address} "
                                        "auto not_used not_used >/dev/null 2>&1 &)"))
            stop.append(("address down", f"ip addr del {address}/{prefix} dev {interface}"))
        elif len(args) == 0 and lab_ssh(name, node, f"systemctl cat {script}.service >/dev/null 2>&1 && echo yes || true"
                                        ).strip() == "yes":
            start.append((f"{script} start", f"systemctl start {script}"))
            stop.append((f"{script} stop", f"systemctl stop {script}"))
        else:
            path = f"/etc/ha.d/resource.d/{script}"
            start.append((f"{script} start", " ".join([path, *args, "start"])))
            stop.append((f"{script} stop", " ".join([path, *args, "stop"])))
    return start, list(reversed(stop))


def bare_ps(figures: dict, name: str, ip: str, active: str, peer: str) -> None:
    """The planned switch-over and the take-over done by hand in the same lab, Heartbeat stopped on both nodes:
    the bare operations its scripts wrap, timed on the nodes, from `active` (the crash's survivor) to `peer` (the
    node it fenced); the client's gap then, and the ratios of the cluster's outages to it."""
    timed(["wait", "--name", name, peer])  # fenced by a power cycle: it boots again
    wait_until(f"{peer} to rejoin, Connected and UpToDate", lambda: re.search(
        r"cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate", lab_ssh(name, peer, "cat /proc/drbd",
                                                                           check=False)))
    start, stop = heartbeat_steps(name, active)
    for node in (peer, active):  # the standby first: the active node then releases the group
        lab_ssh(name, node, "systemctl stop heartbeat")
    wait_until("the group to be released", lambda: not serving(name, active, ip))
    timed_steps(name, active, start)
    steps: dict[str, float] = {}

    def by_hand():
        steps.update({f"{active} {k}": v for k, v in timed_steps(name, active, stop).items()})
        steps.update({f"{peer} {k}": v for k, v in timed_steps(name, peer, start).items()})

    gap = longest_gap(probe_during(name, "client1", READER, ip, by_hand,
                                   lambda: share_moved(name, "client1", peer, ip), poll=3))
    release = round(sum(v for k, v in steps.items() if k.startswith(active + " ")), 1)
    takeover = round(sum(v for k, v in steps.items() if k.startswith(peer + " ")), 1)
    figures["ps_bare_steps_s"] = steps
    figures["ps_bare_release_s"], figures["ps_bare_takeover_s"] = release, takeover
    figures["ps_bare_switchover_gap_s"] = gap
    figures["ps_planned_switchover_ratio"] = round(figures["ps_planned_switchover_outage_s"] / gap, 1)
    figures["ps_standby_switchover_ratio"] = round(figures["ps_standby_switchover_outage_s"] / gap, 1)
    # A crash costs at least the dead time before the peer acts; the rest is set against the bare take-over.
    floor = figures["ps_heartbeat_deadtime_s"] + takeover
    figures["ps_crash_floor_s"] = round(floor, 1)
    figures["ps_crash_failover_ratio"] = round(figures["ps_crash_failover_outage_s"] / floor, 1)
    # The limits this topology is held to: a switch-over within 1.5 times the bare gap; a crash within the
    # dead time, the STONITH reset it took and 1.5 times the bare take-over. The switch-over held to it is the
    # one the README recommends (hb_standby); stopping Heartbeat is measured beside it.
    figures["ps_planned_switchover_limit_s"] = round(1.5 * gap, 1)
    figures["ps_crash_limit_s"] = round(figures["ps_heartbeat_deadtime_s"]
                                        + figures.get("ps_crash_failover_stonith_s", 0) + 1.5 * takeover, 1)
    figures["ps_within_limits"] = (
        figures["ps_standby_switchover_outage_s"] <= figures["ps_planned_switchover_limit_s"]
        and figures["ps_crash_failover_outage_s"] <= figures["ps_crash_limit_s"])


# An initiator writes one 4 KiB block (direct I/O) to the LUN every 0.2 s and
# logs "<epoch seconds> ok|fail" when each write returns. A write issued while
# the target moves is queued by the initiator and returns once the target is
# back, so the longest gap between returns is the stall an application sees.
WRITER = """#!/bin/sh
i=0
while :; do
    dd if=/dev/urandom of=$1 bs=4k count=1 seek=$((i % 1024)) oflag=direct conv=notrunc status=none \\
        && echo "$(date +%s.%N) ok" || echo "$(date +%s.%N) fail"
    i=$((i + 1))
    sleep 0.2
done >/root/writes.log
"""


def iscsi_active(name: str, node: str, group: str) -> str | None:
    """The one node on which crm_mon (asked on `node`) shows every member of the group Started; None otherwise."""
    out = lab_ssh(name, node, "crm_mon --output-as=xml 2>/dev/null", check=False)
    try:
        elem = next((g for g in ET.fromstring(out).iter("group") if g.get("id") == group), None)
    except ET.ParseError:
        return None
    members = elem.findall("resource") if elem is not None else []
    where = {n.get("name") for r in members for n in r.findall("node")}
    if not members or len(where) != 1 or any(r.get("role") != "Started" for r in members):
        return None
    return where.pop()


PACEMAKER_LOG = "/var/log/pacemaker/pacemaker.log"
# The log lines each timeline was made from, kept for a closer look.
LOGS = ROOT / "tests" / "output" / "bench-logs"


def keep_log(prefix: str, node: str, text: str) -> None:
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / f"{prefix}-{node}.log").write_text(text)


def node_steps(name: str, nodes: list[str], prefix: str, read, parse, year: int) -> list[timeline.Step]:
    """The steps `parse` finds in what `read(node, clock offset)` returns on each node, moved to the host's
    clock; the text is kept in tests/output/bench-logs. A node that does not answer (powered off) is left out."""
    steps: list[timeline.Step] = []
    for node in nodes:
        try:
            offset = clock_offset(name, node)
        except (SystemExit, ValueError):
            continue
        text = read(node, offset)
        keep_log(prefix, node, text)
        for step in parse(text, year):
            step.start -= offset
            step.end = None if step.end is None else step.end - offset
            steps.append(step)
    return steps


def timeline_figures(steps: list[timeline.Step], start: float, ends: list[float], figures: dict, prefix: str,
                     names: tuple[str, str, str]) -> None:
    """The window from `start` to the latest of `ends` (else the last step), split into the time some agent or
    script ran and the rest; the time the fencing steps in it took; the timeline."""
    end = max(ends) if ends else max((s.end or s.start for s in steps), default=start)
    parts = timeline.summary(steps, start, end)
    figures[f"{prefix}_window_s"] = parts["window_s"]
    figures[f"{prefix}_{names[0]}_s"] = parts["agents_s"]
    figures[f"{prefix}_{names[1]}_s"] = parts["cluster_s"]
    figures[f"{prefix}_{names[2]}_s"] = round(sum(s.end - s.start for s in steps if s.fencing and s.end is not None
                                                  and start <= s.start <= end), 1)
    TIMELINES[prefix] = timeline.render(steps, start, end)


def pacemaker_timeline(name: str, nodes: list[str], sizes: dict[str, int], start: float, last: str,
                       figures: dict, prefix: str) -> None:
    """The fail-over that began at host time `start`, from the new lines of the nodes' pacemaker.log (the DC
    logs each action it initiates and its confirmation), up to the end of the step named `last` (the group's
    last start)."""
    steps = node_steps(name, nodes, prefix, lambda node, offset: log_since(name, node, PACEMAKER_LOG, sizes[node]),
                       timeline.pacemaker_steps, time.gmtime(start).tm_year)
    timeline_figures(steps, start, [s.end for s in steps if s.what == last and s.end is not None], figures, prefix,
                     ("agents", "cluster", "fence"))


def heartbeat_timeline(name: str, nodes: list[str], start: float, home: str, figures: dict, prefix: str) -> None:
    """The fail-over that began at host time `start`, from the nodes' journals (Heartbeat, ResourceManager,
    mach_down), up to the end of the last start on `home` (the node that took over)."""
    def journal(node: str, offset: float) -> str:
        return lab_ssh(name, node, f"journalctl -q -o short-precise --since @{int(start + offset) - 1}", check=False)

    steps = node_steps(name, nodes, prefix, journal, timeline.heartbeat_steps, time.gmtime(start).tm_year)
    ends = [s.end for s in steps if s.node == home and s.what.endswith(" start") and s.end is not None]
    timeline_figures(steps, start, ends, figures, prefix, ("scripts", "heartbeat", "stonith"))


# Timelines printed after the figures: {figure prefix: lines}.
TIMELINES: dict[str, list[str]] = {}


def iscsi_moved(name: str, client: str, node: str, group: str, ip: str) -> bool:
    """The group runs on `node`: the portal answers at the cluster IP (the group's last member) as `client`
    sees it, and then crm_mon on `node` says so. The portal is asked from the client because every lab ssh
    login costs an emulated node about 1.1 s of its only CPU (measured: 10 logins, 12.3 s of CPU on an idle
    node; crm_mon itself 0.13 s), which the node taking over needs for the move being waited for."""
    if "open" not in lab_ssh(name, client, f"timeout 2 bash -c '</dev/tcp/{ip}/3260' && echo open", check=False):
        return False
    return iscsi_active(name, node, group) == node


def stall(name: str, client: str, lun: str, fault, until) -> float:
    """Longest gap between completed writes to `lun` from `client` while `fault` moves the target; no write may fail."""
    log = probe_during(name, client, WRITER, lun, fault, until, settle=15, poll=3)
    if " fail" in log:
        raise SystemExit(f"a write failed during the move:\n{log[-2000:]}")
    return longest_gap(log)


def bare_iscsi(figures: dict, name: str, lun: str, group: str, active: str, peer: str) -> None:
    """The planned move done by hand in the same lab: Pacemaker in maintenance mode, the group's agents run
    directly on the nodes (crm_resource --force-stop/--force-start, with the CIB's parameters) and DRBD demoted
    and promoted with drbdadm; the initiator's stall then, and the ratios of the cluster's stalls to it."""
    timed(["wait", "--name", name, peer])  # fenced by a power cycle: it boots again
    wait_until(f"{peer} to rejoin, Connected and UpToDate", lambda: re.search(
        r"cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate", lab_ssh(name, peer, "cat /proc/drbd",
                                                                           check=False)))
    out = lab_ssh(name, active, "crm_mon --output-as=xml")
    members = [r.get("id") for g in ET.fromstring(out).iter("group") if g.get("id") == group
               for r in g.findall("resource")]
    resource = lab_ssh(name, active, "drbdadm sh-resources").split()[0]
    lab_ssh(name, active, "crm_attribute --type crm_config --name maintenance-mode --update true")
    stop = [(f"{m} stop", f"crm_resource --force-stop --resource {m}") for m in reversed(members)]
    stop.append(("drbd demote", f"drbdadm secondary {resource}"))
    start = [("drbd promote", f"drbdadm primary {resource}")]
    start += [(f"{m} start", f"crm_resource --force-start --resource {m}") for m in members]
    steps: dict[str, float] = {}

    def by_hand():
        steps.update({f"{active} {k}": v for k, v in timed_steps(name, active, stop).items()})
        steps.update({f"{peer} {k}": v for k, v in timed_steps(name, peer, start).items()})

    stalled = stall(name, "client1", lun, by_hand, lambda: len(steps) == len(stop) + len(start))
    takeover = round(sum(v for k, v in steps.items() if k.startswith(peer + " ")), 1)
    figures["iscsi_bare_steps_s"] = steps
    figures["iscsi_bare_release_s"] = round(sum(v for k, v in steps.items() if k.startswith(active + " ")), 1)
    figures["iscsi_bare_takeover_s"] = takeover
    figures["iscsi_bare_move_stall_s"] = stalled
    figures["iscsi_planned_move_ratio"] = round(figures["iscsi_planned_move_stall_s"] / stalled, 1)
    # A crash costs at least Corosync's token timeout before the peer acts; the rest is set against the
    # bare take-over.
    floor = figures["iscsi_corosync_token_ms"] / 1000 + takeover
    figures["iscsi_crash_floor_s"] = round(floor, 1)
    figures["iscsi_crash_failover_ratio"] = round(figures["iscsi_crash_failover_stall_s"] / floor, 1)
    # The limits this topology is held to: a planned move within 1.5 times the bare move's stall; a crash
    # within the configured dead time (token, then consensus: Corosync's default 1.2 times the token),
    # the fencing it took and 1.5 times the bare take-over.
    figures["iscsi_planned_move_limit_s"] = round(1.5 * stalled, 1)
    dead = figures["iscsi_corosync_token_ms"] / 1000 * 2.2
    figures["iscsi_crash_limit_s"] = round(dead + figures.get("iscsi_crash_failover_fence_s", 0) + 1.5 * takeover, 1)
    figures["iscsi_within_limits"] = (figures["iscsi_planned_move_stall_s"] <= figures["iscsi_planned_move_limit_s"]
                                      and figures["iscsi_crash_failover_stall_s"] <= figures["iscsi_crash_limit_s"])


def bench_iscsi(figures: dict) -> None:
    name = "benchiscsi"
    scenario = ROOT / "molecule" / "iscsi_pacemaker"
    tmp = Path(tempfile.mkdtemp(prefix="hacluster-bench-"))
    try:
        group_vars, env = scenario_inventory(scenario, tmp)
        iqn, ip = group_vars["all"]["iscsi_target_iqn"], group_vars["all"]["iscsi_target_cluster_ip"]
        lun = f"/dev/disk/by-path/ip-{ip}:3260-iscsi-{iqn}-lun-1"
        group = "g_" + group_vars["hacluster"]["iscsi_target_vg"]
        # The scenario's VMs: two targets and one initiator.
        timed(["up", "--name", name, "--node", "node1", "--node", "node2", "--node", "client1",
               "--node-group", "node1=hacluster,iscsi_target", "--node-group", "node2=hacluster,iscsi_target",
               "--node-group", "client1=iscsi_initiator",
               "--disks", "1", "--disk-size", "256M", "--inventory", str(tmp / "lab.yml"), *layer_args(tmp)])
        figures["iscsi_first_converge_s"], dummy = playbook(str(tmp), scenario / "converge.yml", env)
        figures["iscsi_rerun_s"], out = playbook(str(tmp), scenario / "converge.yml", env)
        figures["iscsi_rerun_changed"] = sum(int(n) for n in re.findall(r"changed=(\d+)", out))
        if CONVERGE_ONLY:
            return
        first = iscsi_active(name, "node1", group)
        if not first:
            raise SystemExit("the iSCSI group is not running on one node")
        other = "node2" if first == "node1" else "node1"

        targets = ["node1", "node2"]
        last = f"p_ip_{group_vars['hacluster']['iscsi_target_vg']}_start"
        began: dict[str, float] = {}

        def move():
            began["move"] = time.time()
            lab_ssh(name, other, f"crm_resource --move --resource {group} --node {other}")

        sizes = log_sizes(name, targets, PACEMAKER_LOG)
        figures["iscsi_planned_move_stall_s"] = stall(
            name, "client1", lun, move, lambda: iscsi_moved(name, "client1", other, group, ip))
        pacemaker_timeline(name, targets, sizes, began["move"], last, figures, "iscsi_planned_move")
        lab_ssh(name, other, f"crm_resource --clear --resource {group}")

        def crash():
            began["crash"] = time.time()
            timed(["fault", "--name", name, "poweroff", other])

        sizes = log_sizes(name, targets, PACEMAKER_LOG)
        figures["iscsi_crash_failover_stall_s"] = stall(
            name, "client1", lun, crash, lambda: iscsi_moved(name, "client1", first, group, ip))
        pacemaker_timeline(name, [first], sizes, began["crash"], last, figures, "iscsi_crash_failover")
        figures["iscsi_corosync_token_ms"] = group_vars["hacluster"].get("pacemaker_token", 3000)
        bare_iscsi(figures, name, lun, group, active=first, peer=other)
    finally:
        timed(["down", "--name", name])
        shutil.rmtree(tmp, ignore_errors=True)


PING_PONG = "/usr/local/bin/ping_pong"


def ping_pong_rate(name: str, nodes: list[str], args: str, seconds: int = 20) -> list[float]:
    """locks/s ctdb's ping_pong printed last on each of `nodes`, all running at once for `seconds` on one file
    with 3 locks (the nodes plus one, its rule)."""
    for node in nodes:
        lab_ssh(name, node, f"rm -f /root/pp.out; (timeout {seconds} {PING_PONG} {args} /srv/gfs0/bench-pp 3 "
                            "> /root/pp.out 2>&1 &)")
    time.sleep(seconds + 2)
    rates = []
    for node in nodes:
        out = lab_ssh(name, node, "tr '\\r' '\\n' < /root/pp.out")
        found = re.findall(r"^\s*(\d+) locks/sec", out, re.M)
        if not found:
            raise SystemExit(f"ping_pong on {node} printed no rate: {out}")
        rates.append(float(found[-1]))
    return rates


def gfs2_guest_node(name: str, node: str) -> str | None:
    """Where Pacemaker runs the guest, as `node` sees it."""
    out = lab_ssh(name, node, "crm_resource --resource p_vm_guest1 --locate", check=False)
    match = re.search(r"is running on: (\S+)", out)
    return match.group(1) if match else None


def guest_count(name: str, node: str) -> int:
    out = lab_ssh(name, node, "dd if=/srv/gfs0/guest1.img bs=512 count=1 iflag=direct status=none | tr -d '\\0'",
                  check=False)
    match = re.search(r"count=(\d+)", out)
    return int(match.group(1)) if match else 0


def bench_gfs2(figures: dict) -> None:
    """The dual_primary_gfs2 scenario's lab: POSIX lock rates, a live migration, GFS2 against ext4 writes."""
    import yaml  # pylint: disable=import-outside-toplevel  # ships with ansible-core

    name = "benchgfs2"
    scenario = ROOT / "molecule" / "dual_primary_gfs2"
    tmp = Path(tempfile.mkdtemp(prefix="hacluster-bench-"))
    try:
        dummy, env = scenario_inventory(scenario, tmp)
        platform = yaml.safe_load((scenario / "molecule.yml").read_text())["platforms"][0]
        timed(["up", "--name", name, "--node", "node1", "--node", "node2",
               "--node-group", "node1=hacluster,dual_primary_gfs2", "--node-group", "node2=hacluster,dual_primary_gfs2",
               "--disks", "1", "--disk-size", platform["lab_disk_size"], "--memory", str(platform["lab_memory"]),
               "--inventory", str(tmp / "hosts.yml"), *layer_args(tmp)])
        figures["gfs2_prepare_s"], dummy = playbook(str(tmp), scenario / "prepare.yml", env)
        figures["gfs2_first_converge_s"], dummy = playbook(str(tmp), scenario / "converge.yml", env)
        figures["gfs2_rerun_s"], out = playbook(str(tmp), scenario / "converge.yml", env)
        figures["gfs2_rerun_changed"] = sum(int(n) for n in re.findall(r"changed=(\d+)", out))
        if CONVERGE_ONLY:
            return
        # Seed 000 measured 2159 locks/s on one node, 1336 on two, and 2 with -rw on two.
        figures["gfs2_plock_one_node_per_s"] = ping_pong_rate(name, ["node1"], "")[0]
        figures["gfs2_plock_two_nodes_per_s"] = ping_pong_rate(name, ["node1", "node2"], "")
        figures["gfs2_plock_rw_two_nodes_per_s"] = ping_pong_rate(name, ["node1", "node2"], "-rw")

        # A live migration node1 -> node2 once the guest counts: Pacemaker's whole move, and what libvirt
        # reports of its migration job (time and the guest's downtime).
        wait_until("the guest to run on node1", lambda: gfs2_guest_node(name, "node1") == "node1", 600)
        wait_until("the guest to count", lambda: guest_count(name, "node1") > 0, 600)
        start = time.monotonic()
        lab_ssh(name, "node1", "crm_resource --move --resource p_vm_guest1 --node node2")
        wait_until("the guest to run on node2", lambda: gfs2_guest_node(name, "node1") == "node2", 600)
        figures["gfs2_live_migration_s"] = round(time.monotonic() - start, 1)
        lab_ssh(name, "node1", "crm_resource --clear --resource p_vm_guest1")
        jobinfo = lab_ssh(name, "node2", "virsh domjobinfo --completed guest1", check=False)
        keep_log("gfs2_migration_jobinfo", "node2", jobinfo)
        for key, label in (("Time elapsed", "gfs2_migration_job_ms"), ("Total downtime", "gfs2_guest_downtime_ms")):
            match = re.search(rf"^{key}:\s+(\d+)\s+ms", jobinfo, re.M)
            figures[label] = int(match.group(1)) if match else None

        # The same DRBD device, the same data, written through GFS2 (mounted on both nodes) and through ext4
        # (Pacemaker stopped, the resource Primary on node1 only, still replicating to node2).
        # The guest stopped first: its emulated CPU would compete with the GFS2 writes only.
        lab_ssh(name, "node1", "crm_resource --resource p_vm_guest1 --meta --set-parameter target-role "
                               "--parameter-value Stopped")
        wait_until("the guest to stop", lambda: gfs2_guest_node(name, "node1") is None, 600)
        figures["gfs2_write_mib_s"] = write_mib_s(name, "node1", "/srv/gfs0/bench-write", 64)
        for node in ("node2", "node1"):
            lab_ssh(name, node, "systemctl stop pacemaker corosync")
        for node in ("node1", "node2"):
            lab_ssh(name, node, "drbdadm up r0")
        wait_until("DRBD to connect", lambda: "cs:Connected" in lab_ssh(name, "node1", "cat /proc/drbd"), 300)
        lab_ssh(name, "node1", "drbdadm primary r0 && mkfs.ext4 -q -F /dev/drbd0 && mkdir -p /mnt/ext4 && "
                               "mount /dev/drbd0 /mnt/ext4")
        figures["gfs2_same_device_ext4_write_mib_s"] = write_mib_s(name, "node1", "/mnt/ext4/bench-write", 64)
        lab_ssh(name, "node1", "umount /mnt/ext4")
    finally:
        timed(["down", "--name", name])
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    figures: dict[str, object] = {"strategy": os.environ.get("ANSIBLE_STRATEGY", "linear")}
    if os.environ.get("BENCH_COLD") == "1":
        with tempfile.TemporaryDirectory(prefix="lab-bench-cache-") as cache:
            env = dict(os.environ, HACLUSTER_LAB_CACHE=cache)
            figures["image_cold_s"] = timed(["image"], env)[0]
            figures["image_cold_source"] = "measured now"
    seconds, manifest = timed(["image"])
    figures["image_warm_s"] = seconds
    figures.setdefault("image_cold_s", manifest.get("build_seconds"))
    figures.setdefault("image_cold_source", f"cache manifest, built {manifest.get('built')}")
    figures["image_key"] = manifest.get("key")
    figures["repo_packages"] = manifest.get("repo_packages")
    for count in (2, 3):
        name = f"bench{count}"
        try:
            figures[f"up_{count}_vms_s"], up = timed(["up", "--name", name, "--vms", str(count)])
            figures[f"ssh_ready_{count}_vms_per_vm_s"] = up.get("per_vm")
            figures["accel"] = up.get("accel")
        finally:
            figures[f"down_{count}_vms_s"] = timed(["down", "--name", name])[0]
    if os.environ.get("BENCH_SKIP_DRBD") != "1":
        bench_drbd(figures)
    if os.environ.get("BENCH_SKIP_TOPOLOGIES") != "1":
        if os.environ.get("BENCH_SKIP_PS") != "1":
            bench_primary_secondary(figures)
        if os.environ.get("BENCH_SKIP_ISCSI") != "1":
            bench_iscsi(figures)
        if os.environ.get("BENCH_SKIP_GFS2") != "1":
            bench_gfs2(figures)
        if os.environ.get("BENCH_SKIP_CONTAINERS") != "1":
            bench_containers(figures)
    if os.environ.get("BENCH_SKIP_MODULE") != "1":
        bench_drbd_module(figures)
    width = max(len(k) for k in figures)
    print("lab figures")
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
    for prefix, lines in TIMELINES.items():
        print(f"{prefix} timeline (seconds from the fault on the host's clock: start, end, took, node, step)")
        for line in lines:
            print("  " + line)
    print("BENCH " + json.dumps(dict(figures, timelines=TIMELINES)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
