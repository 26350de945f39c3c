# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""`make demo`: two lab VMs become the README's primary/secondary cluster
through `ansible-playbook site.yml`, then the demo shows what was built.

    demo.py [--keep]

The VMs boot from the cached disk layer that playbooks/install.yml makes for
the topology (built on the first run). With --keep the cluster stays up and
the teardown command is printed; otherwise it is torn down at the end, also
when something fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAB = [sys.executable, str(ROOT / "tests" / "lab" / "lab.py")]
NAME = "demo"
NODES = ("node1", "node2")
GROUPS = "hacluster,primary_secondary"
CLUSTER_IP = "192.168.101.100"


def lab(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(LAB + list(args), capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"lab.py {' '.join(args)} failed:\n{proc.stderr.strip()}")
    return proc


def on(node: str, command: str) -> str:
    proc = lab("ssh", "--name", NAME, node, "--", command, check=False)
    return (proc.stdout + proc.stderr).rstrip()


def section(title: str, text: str) -> None:
    print(f"\n## {title}")
    print("\n".join("   " + line for line in text.splitlines()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = parser.parse_args()
    inventory = Path(tempfile.mkdtemp(prefix="hacluster-demo-"))
    keep = False
    started = time.monotonic()
    try:
        shutil.copytree(ROOT / "tests" / "lab" / "demo" / "group_vars", inventory / "group_vars")
        print(f"booting {' and '.join(NODES)} (lab {NAME}) ...", flush=True)
        up = json.loads(lab("up", "--name", NAME, *[f"--node={n}" for n in NODES],
                            *[f"--node-group={n}={GROUPS}" for n in NODES], "--disks", "1", "--disk-size", "256M",
                            "--inventory", str(inventory / "hosts.yml"),
                            "--layer-playbook", str(ROOT / "playbooks" / "install.yml"),
                            "--layer-group-vars", str(ROOT / "tests" / "lab" / "demo" / "group_vars")).stdout)
        print(f"up in {time.monotonic() - started:.0f} s (layers {', '.join(sorted(set(up['layers'].values())))}"
              f"{', built now' if up.get('layers_built') else ', cached'})", flush=True)
        print(f"ansible-playbook site.yml -i {inventory} ...", flush=True)
        rc = subprocess.call(["ansible-playbook", "-i", str(inventory), str(ROOT / "site.yml")],
                             env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
        if rc != 0:
            raise SystemExit(f"site.yml failed (rc={rc})")
        active = next((n for n in NODES if CLUSTER_IP in on(n, "ip -br addr")), None)
        peer = next(n for n in NODES if n != active) if active else NODES[1]
        print(f"\n# What was built ({time.monotonic() - started:.0f} s since the start)")
        for node in NODES:
            section(f"DRBD on {node} (/proc/drbd)", on(node, "cat /proc/drbd"))
        if active:
            section(f"The replicated file system, mounted on the active node {active}",
                    on(active, "findmnt -n -o SOURCE,TARGET,FSTYPE /srv/share; df -h /srv/share | tail -1"))
            section(f"The DRBD resource as drbdadm reports it on {active}", on(active, "drbdadm status"))
            on(active, "date > /srv/share/hello.txt && sync")
        section(f"The share at the cluster IP, as a client on {peer} sees it",
                on(peer, f"smbclient -N -L //{CLUSTER_IP} 2>&1 | grep -E 'Disk|share'; "
                         f"smbclient -N //{CLUSTER_IP}/share -c ls"))
        section("Heartbeat's resource group (/etc/ha.d/haresources)", on(NODES[0], "grep -v '^#' /etc/ha.d/haresources"))
        lab_cmd = "python3 tests/lab/lab.py"
        print(f"""
# Look further
   {lab_cmd} ssh --name {NAME} node1 -- cat /proc/drbd
   {lab_cmd} ssh --name {NAME} {peer} -- smbclient -N //{CLUSTER_IP}/share -c 'get hello.txt -'
   {lab_cmd} ssh --name {NAME} {active or 'node1'} -- systemctl stop heartbeat     # a planned switch-over
   {lab_cmd} fault --name {NAME} poweroff {active or 'node1'}                      # a crash: fenced, taken over
   ansible-playbook -i {inventory} site.yml                            # a re-run changes nothing""")
        keep = args.keep
        if keep:
            print(f"\nThe cluster keeps running (KEEP=1). Tear it down with:\n   {lab_cmd} down --name {NAME}"
                  f" && rm -rf {inventory}")
        return 0
    finally:
        if not keep:
            lab("down", "--name", NAME, check=False)
            shutil.rmtree(inventory, ignore_errors=True)
            print(f"\ntorn down; the demo took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
