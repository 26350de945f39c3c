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


DRBD_SECRET = "drbd-secret-do-not-print-4711"
R0 = {"name": "r0", "port": 7789, "minor": 0, "disk": "/dev/vdb", "protocol": "C", "initial_primary": "node1"}
GOOD_DRBD = {"drbd_resources": [R0], "drbd_shared_secret": DRBD_SECRET}
DRBD_ADDRESSES = {"node1": {"drbd_address": "192.168.102.11"}, "node2": {"drbd_address": "192.168.102.12"}}


def drbd_case(resources=None, per_host=None, **extra):
    variables = copy.deepcopy(GOOD_DRBD)
    if resources is not None:
        variables["drbd_resources"] = resources
    variables.update(extra)
    hosts = copy.deepcopy(DRBD_ADDRESSES)
    for host, values in (per_host or {}).items():
        hosts[host].update(values)
    return variables, hosts


def r0(**changes):
    res = copy.deepcopy(R0)
    res.update(changes)
    return res


def test_good_drbd_input_passes(tmp_path):
    variables, hosts = drbd_case()
    rc, out = run_check("drbd", variables, per_host=hosts, tmp_path=tmp_path)
    assert rc == 0, out
    assert DRBD_SECRET not in out


BAD_DRBD = [
    ("no resources", drbd_case(resources=[]), "drbd_resources"),
    ("bad resource name", drbd_case(resources=[r0(name="my res")]), "drbd_resources"),
    ("port collision", drbd_case(resources=[r0(), r0(name="r1", minor=1)]), "port"),
    ("minor collision", drbd_case(resources=[r0(), r0(name="r1", port=7790)]), "minor"),
    ("port out of range", drbd_case(resources=[r0(port=70000)]), "port"),
    ("node without drbd_address", drbd_case(per_host={"node2": {"drbd_address": None}}), "drbd_address"),
    ("invalid drbd_address", drbd_case(per_host={"node2": {"drbd_address": "192.168.102.300"}}), "drbd_address"),
    ("same address twice", drbd_case(per_host={"node2": {"drbd_address": "192.168.102.11"}}), "drbd_address"),
    ("protocol A under a cluster manager", drbd_case(resources=[r0(protocol="A")]), "protocol"),
    ("dual primary with protocol B",
     drbd_case(resources=[r0(protocol="B", net={"allow-two-primaries": True})], drbd_cluster_managed=False),
     "allow-two-primaries"),
    ("violently-as0p", drbd_case(resources=[r0(net={"after-sb-1pri": "violently-as0p"})]), "after-sb-1pri violently-as0p"),
    ("discard-younger-primary", drbd_case(resources=[r0(net={"after-sb-0pri": "discard-younger-primary"})]),
     "drbd_allow_automatic_split_brain_discard"),
    ("initial primary not a node", drbd_case(resources=[r0(initial_primary="node7")]), "initial_primary"),
    ("secret too long", drbd_case(drbd_shared_secret="x" * 65), "drbd_shared_secret"),
    ("resources differ between nodes", drbd_case(per_host={"node2": {"drbd_resources": [r0(port=7790)]}}),
     "drbd_resources differs"),
]


@pytest.mark.parametrize("case,setup,needle", BAD_DRBD, ids=[c[0] for c in BAD_DRBD])
def test_bad_drbd_input_is_refused(tmp_path, case, setup, needle):
    variables, hosts = setup
    hosts = {h: {k: v for k, v in values.items() if v is not None} for h, values in hosts.items()}
    rc, out = run_check("drbd", variables, per_host=hosts, tmp_path=tmp_path)
    assert rc != 0, f"{case}: accepted\n{out}"
    assert needle in out, f"{case}: the error does not name {needle}\n{out}"
    assert DRBD_SECRET not in out, f"{case}: the shared secret leaked into the output"


def test_split_brain_discard_allowed_with_explicit_opt_out(tmp_path):
    variables, hosts = drbd_case(resources=[r0(net={"after-sb-0pri": "discard-zero-changes"})],
                                 drbd_allow_automatic_split_brain_discard=True)
    rc, out = run_check("drbd", variables, per_host=hosts, tmp_path=tmp_path)
    assert rc == 0, out


PS_COMMON = dict(GOOD_DRBD, primary_secondary_cluster_ip="192.168.101.100", primary_secondary_cluster_ip_interface="eth1",
                 **{k: v for k, v in GOOD_HEARTBEAT.items() if k not in ("heartbeat_nodes", "heartbeat_resource_groups")})


def ps_case(**changes):
    variables = copy.deepcopy(PS_COMMON)
    variables.update(changes)
    return variables


def test_good_primary_secondary_input_passes(tmp_path):
    rc, out = run_check("primary_secondary", ps_case(), per_host=copy.deepcopy(DRBD_ADDRESSES), tmp_path=tmp_path)
    assert rc == 0, out


BAD_PS = [
    ("cluster IP missing", ps_case(primary_secondary_cluster_ip=""), "primary_secondary_cluster_ip"),
    ("cluster IP invalid", ps_case(primary_secondary_cluster_ip="192.168.101.999"), "primary_secondary_cluster_ip"),
    ("cluster IP is a node address", ps_case(primary_secondary_cluster_ip="192.168.102.11"), "must be an address of its own"),
    ("unknown resource", ps_case(primary_secondary_resource="r9"), "primary_secondary_resource"),
    ("xfs not offered", ps_case(primary_secondary_fstype="xfs"), "primary_secondary_fstype"),
    ("relative mount point", ps_case(primary_secondary_mount="srv/share"), "primary_secondary_mount"),
    ("not a DRBD device", ps_case(primary_secondary_device="/dev/sdb1"), "primary_secondary_device"),
    ("unknown IP resource script", ps_case(primary_secondary_ip_agent="IPaddr3"), "primary_secondary_ip_agent"),
    ("preferred node unknown", ps_case(primary_secondary_preferred_node="node3"), "primary_secondary_preferred_node"),
    ("Heartbeat without STONITH", ps_case(heartbeat_stonith_hosts=[]), "heartbeat_stonith_hosts"),
    ("Heartbeat key too short", ps_case(heartbeat_authkey="short"), "heartbeat_authkey"),
]


@pytest.mark.parametrize("case,variables,needle", BAD_PS, ids=[c[0] for c in BAD_PS])
def test_bad_primary_secondary_input_is_refused(tmp_path, case, variables, needle):
    rc, out = run_check("primary_secondary", variables, per_host=copy.deepcopy(DRBD_ADDRESSES), tmp_path=tmp_path)
    assert rc != 0, f"{case}: accepted\n{out}"
    assert needle in out, f"{case}: the error does not name {needle}\n{out}"


# ---------------------------------------------------------------- pacemaker (Corosync membership, fencing)

FENCE_SECRET = "s3cret-ipmi-password-42"
GOOD_PACEMAKER = {
    "pacemaker_fence_devices": [
        {"id": "fence_node1", "agent": "stonith:fence_ipmilan", "params": {"ip": "10.0.3.71", "pcmk_host_list": "node1"}},
        {"id": "fence_node2", "agent": "stonith:fence_ipmilan", "params": {"ip": "10.0.3.72", "pcmk_host_list": "node2"}},
    ],
    "pacemaker_fence_secrets": {"fence_node1": {"password": FENCE_SECRET}, "fence_node2": {"password": FENCE_SECRET}},
}
PM_LINKS = {"node1": {"pacemaker_link_addresses": ["192.168.103.11", "192.168.101.11"]},
            "node2": {"pacemaker_link_addresses": ["192.168.103.12", "192.168.101.12"]}}


def pm_case(links=None, **changes):
    variables = copy.deepcopy(GOOD_PACEMAKER)
    variables.update(changes)
    return variables, copy.deepcopy(links or PM_LINKS)


def test_good_pacemaker_input_passes(tmp_path):
    variables, hosts = pm_case()
    rc, out = run_check("pacemaker", variables, per_host=hosts, tmp_path=tmp_path)
    assert rc == 0, out
    assert FENCE_SECRET not in out


def test_pacemaker_without_fencing_only_with_opt_out_and_a_warning(tmp_path):
    variables, hosts = pm_case(pacemaker_fence_devices=[], pacemaker_fence_secrets={}, pacemaker_allow_no_fencing=True)
    rc, out = run_check("pacemaker", variables, per_host=hosts, tmp_path=tmp_path)
    assert rc == 0, out
    assert "split brain" in out


BAD_PM = [
    ("no fencing", pm_case(pacemaker_fence_devices=[], pacemaker_fence_secrets={}), "pacemaker_fence_devices"),
    ("fence agent without stonith: class",
     pm_case(pacemaker_fence_devices=[{"id": "f1", "agent": "fence_ipmilan"}], pacemaker_fence_secrets={}),
     "pacemaker_fence_devices"),
    ("secret for an unknown device", pm_case(pacemaker_fence_secrets={"fence_node3": {"password": FENCE_SECRET}}),
     "pacemaker_fence_secrets"),
    ("this host not a member", pm_case(pacemaker_nodes=["node1", "node3"]), "pacemaker_nodes"),
    ("cluster name with a space", pm_case(pacemaker_cluster_name="my cluster"), "pacemaker_cluster_name"),
    ("invalid link address", pm_case(links={"node1": {"pacemaker_link_addresses": ["192.168.103.311"]},
                                            "node2": {"pacemaker_link_addresses": ["192.168.103.12"]}}),
     "pacemaker_link_addresses"),
    ("different link counts", pm_case(links={"node1": {"pacemaker_link_addresses": ["192.168.103.11"]},
                                             "node2": {"pacemaker_link_addresses": ["192.168.103.12", "192.168.101.12"]}}),
     "one address per Corosync link"),
    ("address used twice", pm_case(links={"node1": {"pacemaker_link_addresses": ["192.168.103.11"]},
                                          "node2": {"pacemaker_link_addresses": ["192.168.103.11"]}}),
     "no address may be used twice"),
    ("unknown no-quorum policy", pm_case(pacemaker_no_quorum_policy="ignore"), "pacemaker_no_quorum_policy"),
]


def assert_refused(role: str, case: str, setup: tuple, needle: str, tmp_path: Path) -> None:
    """The role's checks refuse the input, name `needle`, and print no fencing secret."""
    variables, hosts = setup
    rc, out = run_check(role, variables, per_host=hosts, tmp_path=tmp_path)
    assert rc != 0, f"{case}: accepted\n{out}"
    assert needle in out, f"{case}: the error does not name {needle}\n{out}"
    assert FENCE_SECRET not in out, f"{case}: a fencing secret leaked into the output"


@pytest.mark.parametrize("case,setup,needle", BAD_PM, ids=[c[0] for c in BAD_PM])
def test_bad_pacemaker_input_is_refused(tmp_path, case, setup, needle):
    assert_refused("pacemaker", case, setup, needle, tmp_path)


# ---------------------------------------------------------------- iscsi_target / iscsi_initiator (seed 003)

TARGET_IQN = "iqn.2026-11.org.example:storage.vg0"
CLIENT_IQN = "iqn.2026-11.org.example:client1"
GOOD_ISCSI = dict(
    copy.deepcopy(GOOD_DRBD), **copy.deepcopy(GOOD_PACEMAKER),
    iscsi_target_iqn=TARGET_IQN,
    iscsi_target_vg="vg0",
    iscsi_target_luns=[{"lun": 1, "lv": "lun1", "size": "10G"}, {"lun": 2, "path": "/dev/vg0/lun2", "size": "512M"}],
    iscsi_target_allowed_initiators=[CLIENT_IQN],
    iscsi_target_cluster_ip="192.168.101.100",
    iscsi_target_cluster_ip_interface="eth1",
    iscsi_target_networks=["192.168.101.0/24"],
)


def iscsi_case(**changes):
    variables = copy.deepcopy(GOOD_ISCSI)
    variables.update(changes)
    hosts = copy.deepcopy(DRBD_ADDRESSES)
    for host, values in PM_LINKS.items():
        hosts[host].update(values)
    return variables, hosts


def test_good_iscsi_target_input_passes(tmp_path):
    variables, hosts = iscsi_case()
    rc, out = run_check("iscsi_target", variables, per_host=hosts, tmp_path=tmp_path)
    assert rc == 0, out
    assert FENCE_SECRET not in out and DRBD_SECRET not in out


def test_good_tgt_input_passes(tmp_path):
    variables, hosts = iscsi_case(iscsi_target_implementation="tgt", iscsi_target_tid=3,
                                  iscsi_target_allowed_initiators=["192.168.101.50"])
    rc, out = run_check("iscsi_target", variables, per_host=hosts, tmp_path=tmp_path)
    assert rc == 0, out


LUN1 = {"lun": 1, "lv": "lun1", "size": "10G"}
BAD_ISCSI = [
    ("no fence configuration", iscsi_case(pacemaker_fence_devices=[], pacemaker_fence_secrets={}), "pacemaker_fence_devices"),
    ("malformed IQN", iscsi_case(iscsi_target_iqn="iqn.2026-13.org.example:vg0"), "iscsi_target_iqn"),
    ("IQN in upper case", iscsi_case(iscsi_target_iqn="iqn.2026-11.org.Example:vg0"), "iscsi_target_iqn"),
    ("IQN without date", iscsi_case(iscsi_target_iqn="iqn.org.example:vg0"), "iscsi_target_iqn"),
    ("implementation left to chance", iscsi_case(iscsi_target_implementation=""), "iscsi_target_implementation"),
    ("tgt without tid", iscsi_case(iscsi_target_implementation="tgt", iscsi_target_tid=0,
                                   iscsi_target_allowed_initiators=["ALL"]), "iscsi_target_tid"),
    ("cluster IP outside every network", iscsi_case(iscsi_target_cluster_ip="192.168.109.100"), "iscsi_target_networks"),
    ("network with host bits", iscsi_case(iscsi_target_networks=["192.168.101.7/24"]), "iscsi_target_networks"),
    ("cluster IP is a node address", iscsi_case(iscsi_target_cluster_ip="192.168.101.11",
                                                iscsi_target_networks=["192.168.101.0/24"]), "not a node's"),
    ("LUN path outside the volume group", iscsi_case(iscsi_target_luns=[
        LUN1, {"lun": 2, "path": "/dev/vg9/lun2", "size": "1G"}]), "/dev/vg9/lun2"),
    ("LUN path on the DRBD device", iscsi_case(iscsi_target_luns=[{"lun": 1, "path": "/dev/drbd0", "size": "1G"}]),
     "/dev/drbd0"),
    ("duplicate LUN numbers", iscsi_case(iscsi_target_luns=[LUN1, {"lun": 1, "lv": "lun2", "size": "1G"}]),
     "its own LUN number"),
    ("LUN 0 with tgt", iscsi_case(iscsi_target_implementation="tgt", iscsi_target_allowed_initiators=["ALL"],
                                  iscsi_target_luns=[{"lun": 0, "lv": "lun0", "size": "1G"}]), "tgt keeps LUN 0"),
    ("one volume for two LUNs", iscsi_case(iscsi_target_luns=[LUN1, {"lun": 2, "lv": "lun1", "size": "1G"}]),
     "used once"),
    ("size without unit", iscsi_case(iscsi_target_luns=[{"lun": 1, "lv": "lun1", "size": "10"}]), "iscsi_target_luns"),
    ("no logical units", iscsi_case(iscsi_target_luns=[]), "iscsi_target_luns"),
    ("nobody may log in", iscsi_case(iscsi_target_allowed_initiators=[]), "iscsi_target_allowed_initiators"),
    ("address as lio-t initiator", iscsi_case(iscsi_target_allowed_initiators=["192.168.101.50"]),
     "iscsi_target_allowed_initiators"),
    ("volume group also activated by the host", iscsi_case(iscsi_target_host_volume_groups=["vg0"]),
     "iscsi_target_host_volume_groups"),
    ("unknown DRBD resource", iscsi_case(iscsi_target_resource="r7"), "iscsi_target_resource"),
]


@pytest.mark.parametrize("case,setup,needle", BAD_ISCSI, ids=[c[0] for c in BAD_ISCSI])
def test_bad_iscsi_target_input_is_refused(tmp_path, case, setup, needle):
    assert_refused("iscsi_target", case, setup, needle, tmp_path)


GOOD_INITIATOR = {"iscsi_initiator_name": CLIENT_IQN, "iscsi_initiator_portal": "192.168.101.100",
                  "iscsi_initiator_targets": [TARGET_IQN]}


def test_good_initiator_input_passes(tmp_path):
    rc, out = run_check("iscsi_initiator", GOOD_INITIATOR, tmp_path=tmp_path)
    assert rc == 0, out


BAD_INITIATOR = [
    ("no initiator name", with_changes(GOOD_INITIATOR, iscsi_initiator_name=""), "iscsi_initiator_name"),
    ("portal is a name", with_changes(GOOD_INITIATOR, iscsi_initiator_portal="storage"), "iscsi_initiator_portal"),
    ("malformed target IQN", with_changes(GOOD_INITIATOR, iscsi_initiator_targets=["iqn.2026-11"]),
     "iscsi_initiator_targets"),
]


@pytest.mark.parametrize("case,variables,needle", BAD_INITIATOR, ids=[c[0] for c in BAD_INITIATOR])
def test_bad_initiator_input_is_refused(tmp_path, case, variables, needle):
    rc, out = run_check("iscsi_initiator", variables, tmp_path=tmp_path)
    assert rc != 0, f"{case}: accepted\n{out}"
    assert needle in out, f"{case}: the error does not name {needle}\n{out}"


# ---------------------------------------------------------------- site.yml: every topology checked before base set-up

def run_site_validation(groups: dict, common: dict, per_host: dict, tmp_path: Path):
    """Run playbooks/validate.yml (site.yml's first play) against local hosts in the given groups."""
    hosts = {h: dict(v) for h, v in per_host.items()}
    inventory = {"all": {"vars": dict(common, ansible_connection="local",
                                      ansible_python_interpreter=os.environ.get("CHECK_PYTHON", "auto_silent")),
                         "hosts": hosts,
                         "children": {g: {"hosts": {h: {} for h in members}} for g, members in groups.items()}}}
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps(inventory))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_LOCALHOST_WARNING="0")
    playbook = Path(os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")) / "ansible_collections/hacluster/drbd/playbooks/validate.yml"
    proc = subprocess.run(["ansible-playbook", "-i", str(inv), str(playbook)],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_site_validation_passes_good_topologies(tmp_path):
    variables, hosts = iscsi_case()
    variables.update(PS_COMMON)
    hosts["client1"] = dict(GOOD_INITIATOR)
    rc, out = run_site_validation({"primary_secondary": ["node1", "node2"], "iscsi_target": ["node1", "node2"],
                                   "iscsi_initiator": ["client1"]}, variables, hosts, tmp_path)
    assert rc == 0, out
    assert "ok=" in out and "failed=0" in out, out


@pytest.mark.parametrize("group,bad,needle", [
    ("primary_secondary", {"primary_secondary_cluster_ip": "192.168.101.999"}, "primary_secondary_cluster_ip"),
    ("primary_secondary", {"drbd_shared_secret": "x" * 65}, "drbd_shared_secret"),
    ("primary_secondary", {"heartbeat_stonith_hosts": []}, "heartbeat_stonith_hosts"),
    ("iscsi_target", {"iscsi_target_iqn": "iqn.2026-11"}, "iscsi_target_iqn"),
    ("iscsi_target", {"pacemaker_fence_devices": [], "pacemaker_fence_secrets": {}}, "pacemaker_fence_devices"),
], ids=["ps cluster IP", "ps DRBD secret", "ps no STONITH", "target IQN", "target fencing"])
def test_site_validation_stops_bad_input(tmp_path, group, bad, needle):
    variables, hosts = iscsi_case()
    variables.update(PS_COMMON)
    variables.update(bad)
    rc, out = run_site_validation({group: ["node1", "node2"]}, variables, hosts, tmp_path)
    assert rc != 0, out
    assert needle in out, out
