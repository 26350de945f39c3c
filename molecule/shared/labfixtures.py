# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""pytest fixtures shared by the Molecule scenarios' testinfra tests.

They drive the lab (tests/lab/lab.py) from the controller, the way a person
at the console would: faults are injected from outside the VMs and their
effect is observed from inside another VM.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import testinfra

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[2]))
LAB_PY = PROJECT / "tests" / "lab" / "lab.py"
INVENTORY = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory"
# testinfra multiplexes its ssh connections (one handshake per VM, not one per
# command: each costs a TCG guest most of a second) only when Ansible's
# control path directory exists, which Mitogen's connections never create.
Path("~/.ansible/cp").expanduser().mkdir(parents=True, exist_ok=True)


class Lab:
    """Thin client of the lab command for one running lab."""

    def __init__(self, name: str):
        self.name = name

    def _run(self, *args: str, timeout: float = 900) -> str:
        proc = subprocess.run(
            [sys.executable, str(LAB_PY), *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if proc.returncode != 0:
            raise AssertionError(f"lab.py {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout

    def fault(self, action: str, node: str, net: str | None = None) -> None:
        args = ["fault", "--name", self.name, action, node]
        if net:
            args += ["--net", net]
        self._run(*args)

    def start(self, node: str) -> None:
        self._run("fault", "--name", self.name, "start", node, "--wait")

    def wait(self, node: str) -> None:
        self._run("wait", "--name", self.name, node)

    def status(self) -> dict:
        return json.loads(self._run("status", "--name", self.name))

    def power(self, node: str) -> str:
        return self.status()["nodes"][node]["power"]

    def run_state(self, node: str) -> str | None:
        return self.status()["nodes"][node].get("run_state")

    def fence_log(self) -> list[dict]:
        return [json.loads(line) for line in self._run("fence-log", "--name", self.name).splitlines() if line]

    def power_actions(self, since: int) -> list[dict]:
        """Fencing requests after the first `since` entries of the fence log
        that switch a VM off, on or power-cycle it (not the agents' `list`
        and `status` queries)."""
        out = self._run("fence-log", "--name", self.name, "--since", str(since), "--power")
        return [json.loads(line) for line in out.splitlines() if line]


def get_host(name: str):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=str(INVENTORY))


def wait_for(predicate, timeout: float, interval: float = 1.0, what: str = "condition"):
    """Poll until predicate() is truthy; fail the test with `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


# Heartbeat (R1) scenarios: primary_secondary and containers.
def heartbeat_settled(node, peer: str) -> bool:
    """Heartbeat on node has finished joining: both nodes active, no resource
    transition under way. A node still inside initdead does not take over a
    peer that dies, so faults wait for this."""
    out = node.run(f"cl_status rscstatus && cl_status nodestatus {peer} && cl_status nodestatus $(uname -n)")
    words = out.stdout.split()
    return out.rc == 0 and len(words) == 3 and words[0] in ("none", "local", "foreign", "all") \
        and words[1:] == ["active", "active"]


def heartbeat_log(node, since: str) -> str:
    """Heartbeat's journal lines since `since`, its resource scripts' included (for failure messages)."""
    return node.run(f"journalctl --no-pager --since '{since}' -u heartbeat | grep -v 'glib: ucast' | tail -80").stdout


# Every file under /etc, hashed: check mode must leave it byte for byte.
ETC_HASH = "find /etc -xdev -type f -print0 | sort -z | xargs -0 md5sum | md5sum"


def kernel_log_since(node, since: str, pattern: str) -> str:
    """The node's kernel messages of this boot since `since` that match `pattern`."""
    return node.run(f"journalctl --dmesg --no-pager --since '{since}' --grep '{pattern}'").stdout


def playbook_run(playbook: Path, nodes: list[str], *args: str) -> str:
    """Run playbook (with extra ansible-playbook args) against the scenario's
    inventory; fail unless it succeeds with zero changes on exactly `nodes`.
    Returns its output."""
    proc = subprocess.run(["ansible-playbook", *args, "-i", str(INVENTORY), str(playbook)],
                          capture_output=True, text=True, timeout=900, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))
    # Molecule may force colours; the recap pads host names inside them.
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    assert proc.returncode == 0, out
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", out, re.M)
    assert sorted(recap) == [(node, "0") for node in sorted(nodes)], out
    return out


def check_mode_run(playbook: Path, nodes: list[str]) -> str:
    """playbook_run with --check --diff."""
    return playbook_run(playbook, nodes, "--check", "--diff")


@pytest.fixture(scope="session")
def lab():
    first = get_host(os.environ.get("LAB_PROBE_HOST", "node1"))
    return Lab(first.ansible.get_variables()["lab_name"])
