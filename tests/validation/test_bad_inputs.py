# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""Bad input is refused before any host is touched, with an error that names
the variable. Each case runs the role's validation (argument spec and
tasks/assert.yml) with ansible-playbook against throw-away local hosts."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SECRET = "s3cret-heartbeat-key-0123456789"

GOOD_HEARTBEAT = {
    "heartbeat_nodes": ["node1", "node2"],
    "heartbeat_links": [{"interface": "eth3", "addresses": ["192.168.103.11", "192.168.103.12"]}],
    "heartbeat_authkey": SECRET,
    "heartbeat_resource_groups": [
        {"node": "node1", "resources": [{"agent": "drbddisk", "args": ["r0"]}, "samba"]},
    ],
    "heartbeat_stonith_hosts": [{"host": "*", "type": "external/lab", "params": []}],
}


def run_check(role: str, common: dict, per_host: dict | None = None, tmp_path: Path | None = None):
    """Run check_role.yml for node1 and node2 with the given variables."""
    hosts = {"node1": {}, "node2": {}}
    for host, extra in (per_host or {}).items():
        hosts[host].update(extra)
    inventory = {"all": {"hosts": hosts, "vars": dict(common, check_role=role,
                                                      ansible_python_interpreter=os.environ.get("CHECK_PYTHON", "auto_silent"))}}
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps(inventory))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""))
    proc = subprocess.run(["ansible-playbook", "-i", str(inv), str(HERE / "check_role.yml")],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def with_changes(base: dict, **changes) -> dict:
    out = copy.deepcopy(base)
    out.update(changes)
    return out


def test_good_heartbeat_input_passes(tmp_path):
    rc, out = run_check("heartbeat", GOOD_HEARTBEAT, tmp_path=tmp_path)
    assert rc == 0, out
    assert SECRET not in out


BAD_HEARTBEAT = [
    ("this host not a member", with_changes(GOOD_HEARTBEAT, heartbeat_nodes=["node1", "node3"]), "heartbeat_nodes"),
    ("duplicate member", with_changes(GOOD_HEARTBEAT, heartbeat_nodes=["node1", "node2", "node1"]), "heartbeat_nodes"),
    ("no links", with_changes(GOOD_HEARTBEAT, heartbeat_links=[]), "heartbeat_links"),
    ("invalid address", with_changes(GOOD_HEARTBEAT, heartbeat_links=[
        {"interface": "eth3", "addresses": ["192.168.103.11", "192.168.103.300"]}]), "192.168.103.300"),
    ("warntime not below deadtime", with_changes(GOOD_HEARTBEAT, heartbeat_warntime=30), "heartbeat_warntime"),
    ("initdead too short", with_changes(GOOD_HEARTBEAT, heartbeat_initdead=40), "heartbeat_initdead"),
    ("crc authentication", with_changes(GOOD_HEARTBEAT, heartbeat_auth_method="crc"), "heartbeat_auth_method"),
    ("short key", with_changes(GOOD_HEARTBEAT, heartbeat_authkey="short"), "heartbeat_authkey"),
    ("preferred node unknown", with_changes(GOOD_HEARTBEAT, heartbeat_resource_groups=[
        {"node": "node9", "resources": ["samba"]}]), "heartbeat_resource_groups"),
    ("no stonith", with_changes(GOOD_HEARTBEAT, heartbeat_stonith_hosts=[]), "heartbeat_stonith_hosts"),
    ("timing not a number", with_changes(GOOD_HEARTBEAT, heartbeat_deadtime="soon"), "heartbeat_deadtime"),
]


@pytest.mark.parametrize("case,variables,needle", BAD_HEARTBEAT, ids=[c[0] for c in BAD_HEARTBEAT])
def test_bad_heartbeat_input_is_refused(tmp_path, case, variables, needle):
    rc, out = run_check("heartbeat", variables, tmp_path=tmp_path)
    assert rc != 0, f"{case}: accepted\n{out}"
    assert needle in out, f"{case}: the error does not name {needle}\n{out}"
    assert SECRET not in out, f"{case}: the key leaked into the output"


def test_no_stonith_allowed_with_explicit_opt_out_warns(tmp_path):
    variables = with_changes(GOOD_HEARTBEAT, heartbeat_stonith_hosts=[], heartbeat_allow_no_stonith=True)
    rc, out = run_check("heartbeat", variables, tmp_path=tmp_path)
    assert rc == 0, out
    assert "WARNING: Heartbeat runs without STONITH" in out


def test_haresources_must_be_identical_on_every_node(tmp_path):
    common = {k: v for k, v in GOOD_HEARTBEAT.items() if k != "heartbeat_resource_groups"}
    per_host = {
        "node1": {"heartbeat_resource_groups": [{"node": "node1", "resources": ["samba"]}]},
        "node2": {"heartbeat_resource_groups": [{"node": "node2", "resources": ["samba"]}]},
    }
    rc, out = run_check("heartbeat", common, per_host=per_host, tmp_path=tmp_path)
    assert rc != 0, out
    assert "heartbeat_resource_groups differs" in out


GOOD_BASE = {"base_cluster_hosts": [{"name": "node1", "address": "192.168.103.11"},
                                    {"name": "node2", "address": "192.168.103.12"}]}

BAD_BASE = [
    ("duplicate address", {"base_cluster_hosts": [{"name": "node1", "address": "192.168.103.11"},
                                                  {"name": "node2", "address": "192.168.103.11"}]}, "base_cluster_hosts"),
    ("bad host name", {"base_cluster_hosts": [{"name": "node_1!", "address": "192.168.103.11"}]}, "base_cluster_hosts"),
    ("invalid address", {"base_cluster_hosts": [{"name": "node1", "address": "192.168.103.256"}]}, "base_cluster_hosts"),
    ("address missing", {"base_cluster_hosts": [{"name": "node1"}]}, "address"),
]


def test_good_base_input_passes(tmp_path):
    rc, out = run_check("base", GOOD_BASE, tmp_path=tmp_path)
    assert rc == 0, out


@pytest.mark.parametrize("case,variables,needle", BAD_BASE, ids=[c[0] for c in BAD_BASE])
def test_bad_base_input_is_refused(tmp_path, case, variables, needle):
    rc, out = run_check("base", variables, tmp_path=tmp_path)
    assert rc != 0, f"{case}: accepted\n{out}"
    assert needle in out, f"{case}: the error does not name {needle}\n{out}"
