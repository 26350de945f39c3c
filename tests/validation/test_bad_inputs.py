# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""Bad input is refused before any host is touched, with an error that names
the variable. Each case runs the role's validation (argument spec and
tasks/assert.yml) with ansible-playbook against throw-away local hosts."""

from __future__ import annotations

import atexit
import copy
import re
import json
import os
import subprocess
from pathlib import Path

import pytest
from playbook_forker import PlaybookForker

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


# Every run is forked from one Python that has imported Ansible already
# (playbook_forker.py): the same ansible-playbook, without paying its imports
# several hundred times. Ansible reads this environment once, at import.
# Ansible's own strategy: `make` exports Mitogen's for the emulated lab
# nodes, where it pays; for these local throw-away hosts its bootstrap of
# an interpreter per host and run costs more than it saves.
FORKER = PlaybookForker(dict(os.environ, ANSIBLE_STRATEGY="linear",
                             ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0",
                             ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                             ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""),
                             ANSIBLE_VERBOSITY="0"))
atexit.register(FORKER.close)


def ansible_playbook(*args: str, verbosity: int = 0, timeout: float = 300) -> tuple[int, str]:
    """ansible-playbook with plain, uncoloured output and the collection only from ANSIBLE_COLLECTIONS_PATH;
    returns its exit status and its output (stdout, then stderr)."""
    return FORKER.run([*args, *(["-" + "v" * verbosity] if verbosity else [])], timeout=timeout)


def run_check(role: str, common: dict, per_host: dict | None = None, tmp_path: Path | None = None,
              verbosity: int = 0):
    """Run check_role.yml for node1 and node2 with the given variables."""
    hosts = {"node1": {}, "node2": {}}
    for host, extra in (per_host or {}).items():
        hosts[host].update(extra)
    inventory = {"all": {"hosts": hosts, "vars": dict(common, check_role=role,
                                                      ansible_python_interpreter=os.environ.get("CHECK_PYTHON", "auto_silent"))}}
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps(inventory))
    return ansible_playbook("-i", str(inv), str(HERE / "check_role.yml"), verbosity=verbosity)


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
    ("initdead too short", with_changes(GOOD_HEARTBEAT, heartbeat_initdead=15), "heartbeat_initdead"),
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


# ---------------------------------------------------------------- containers (seed 002: LXC on DRBD under Heartbeat)

WEB = {"name": "web", "template": "busybox",
       "config": {"lxc.net.0.type": "macvlan", "lxc.net.0.link": "eth1", "lxc.net.0.ipv4.address": "192.0.2.80/24"}}


def containers_case(**changes):
    """The containers topology: primary_secondary's variables without the Samba share's cluster IP, and LXC's."""
    variables = {k: v for k, v in copy.deepcopy(PS_COMMON).items() if not k.startswith("primary_secondary_cluster_ip")}
    variables.update(primary_secondary_mount="/srv/containers", lxc_path="/srv/containers",
                     lxc_containers=[copy.deepcopy(WEB)])
    variables.update(changes)
    return variables


def test_good_containers_input_passes(tmp_path):
    """No cluster IP: the containers bring addresses of their own, and Samba is not part of the topology."""
    rc, out = run_check("containers", containers_case(), per_host=copy.deepcopy(DRBD_ADDRESSES), tmp_path=tmp_path)
    assert rc == 0, out


def test_primary_secondary_without_samba_takes_resources_and_needs_no_cluster_ip(tmp_path):
    variables = ps_case(primary_secondary_samba=False, primary_secondary_cluster_ip="",
                        primary_secondary_resources=["apache2", {"agent": "LXC", "args": ["web"]}])
    rc, out = run_check("primary_secondary", variables, per_host=copy.deepcopy(DRBD_ADDRESSES), tmp_path=tmp_path)
    assert rc == 0, out
    bad = ps_case(primary_secondary_resources=[{"agent": "LXC", "args": ["a::b"]}])
    rc, out = run_check("primary_secondary", bad, per_host=copy.deepcopy(DRBD_ADDRESSES), tmp_path=tmp_path)
    assert rc != 0 and "separate haresources' fields" in out, out


BAD_CONTAINERS = [
    ("containers not on the replicated file system", containers_case(lxc_path="/var/lib/lxc"),
     "lxc_path: /var/lib/lxc is not on the replicated file system"),
    ("no container", containers_case(lxc_containers=[]), "lxc_containers: lists no container"),
    ("container name with a space", containers_case(lxc_containers=[dict(WEB, name="my web")]),
     "lxc_containers[0].name"),
    ("the same container twice", containers_case(lxc_containers=[WEB, WEB]), "lxc_containers"),
    ("misspelt container key", containers_case(lxc_containers=[dict(WEB, confg={})]), "unknown key confg"),
    ("not an LXC key", containers_case(lxc_containers=[dict(WEB, config={"net.0.type": "veth"})]),
     "is not an LXC configuration key"),
    ("started at boot as well", containers_case(lxc_containers=[dict(WEB, config={"lxc.start.auto": 1})]),
     "it would run on both nodes at once"),
    ("root file system outside lxc_path", containers_case(
        lxc_containers=[dict(WEB, config={"lxc.rootfs.path": "dir:/var/lib/lxc/web/rootfs"})]),
     "would not move with the container's configuration"),
    ("stop timeout too short", containers_case(lxc_stop_timeout=1), "lxc_stop_timeout"),
    ("Heartbeat without STONITH", containers_case(heartbeat_stonith_hosts=[]), "heartbeat_stonith_hosts"),
    ("cluster IP given but invalid", containers_case(primary_secondary_cluster_ip="192.168.101.999"),
     "primary_secondary_cluster_ip"),
]


@pytest.mark.parametrize("case,variables,needle", BAD_CONTAINERS, ids=[c[0] for c in BAD_CONTAINERS])
def test_bad_containers_input_is_refused(tmp_path, case, variables, needle):
    rc, out = run_check("containers", variables, per_host=copy.deepcopy(DRBD_ADDRESSES), tmp_path=tmp_path)
    assert rc != 0, f"{case}: accepted\n{out}"
    assert needle in out, f"{case}: the error does not name {needle}\n{out}"


def openvz_case(**changes):
    """The containers topology with OpenVZ, as seed 002 had it: /vz on ext3 on DRBD, no LXC containers."""
    variables = containers_case(containers_engine="openvz", primary_secondary_mount="/vz",
                                primary_secondary_fstype="ext3", lxc_containers=[])
    del variables["lxc_path"]
    variables.update(changes)
    return variables


def test_good_openvz_containers_input_passes(tmp_path):
    rc, out = run_check("containers", openvz_case(), per_host=copy.deepcopy(DRBD_ADDRESSES), tmp_path=tmp_path)
    assert rc == 0, out


BAD_OPENVZ = [
    ("openvz root not the mount point", openvz_case(openvz_root="/srv/vz"),
     "openvz_root: \"/srv/vz\" is not the replicated file system's mount point"),
    ("openvz root a system directory", openvz_case(openvz_root="/var", primary_secondary_mount="/var"),
     "openvz_root: /var belongs to the operating system"),
    ("ext2", openvz_case(primary_secondary_fstype="ext2"), "primary_secondary_fstype"),
    ("LXC containers with engine openvz", openvz_case(lxc_containers=[copy.deepcopy(WEB)]),
     "lxc_containers: lists LXC containers, but containers_engine is openvz"),
    ("link path outside the layout", openvz_case(openvz_linked_paths=["/etc/passwd"]),
     "openvz_linked_paths[0]: \"/etc/passwd\" is not one of the paths"),
    ("seed path with the vzctl 4 layout", openvz_case(openvz_linked_paths=["/etc/sysconfig/vz-scripts"]),
     "with openvz_layout etc_vz"),
    ("unknown layout", openvz_case(openvz_layout="rhel5"), "openvz_layout"),
    ("unknown engine", openvz_case(containers_engine="docker"), "containers_engine"),
]


@pytest.mark.parametrize("case,variables,needle", BAD_OPENVZ, ids=[c[0] for c in BAD_OPENVZ])
def test_bad_openvz_containers_input_is_refused(tmp_path, case, variables, needle):
    rc, out = run_check("containers", variables, per_host=copy.deepcopy(DRBD_ADDRESSES), tmp_path=tmp_path)
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
     "uses LUN number 1 more than once"),
    ("LUN 0 with tgt", iscsi_case(iscsi_target_implementation="tgt", iscsi_target_allowed_initiators=["ALL"],
                                  iscsi_target_luns=[{"lun": 0, "lv": "lun0", "size": "1G"}]), "kept by tgt"),
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

PS_HOSTS = ["node1", "node2"]
ISCSI_HOSTS = ["node3", "node4"]


def site_inventory(groups: dict, common: dict, per_host: dict) -> dict:
    hosts = {h: dict(v) for h, v in per_host.items()}
    return {"all": {"vars": dict(common, ansible_connection="local",
                                 ansible_python_interpreter=os.environ.get("CHECK_PYTHON", "auto_silent")),
                    "hosts": hosts,
                    "children": {g: {"hosts": {h: {} for h in members}} for g, members in groups.items()}}}


def run_site_validation(groups: dict, common: dict, per_host: dict, tmp_path: Path):
    """Run validate_then_touch.yml: playbooks/validate.yml, then a play that marks each host that went on.
    Returns rc, output and {host: what the model derived} for the hosts that went on."""
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps(site_inventory(groups, common, per_host)))
    return run_validate_then_touch(inv, tmp_path)


def run_validate_then_touch(inv: Path, tmp_path: Path):
    touched = tmp_path / "touched"
    touched.mkdir()
    rc, out = ansible_playbook("-i", str(inv), str(HERE / "validate_then_touch.yml"), "-e", "touch_dir=%s" % touched)
    marks = {p.name: json.loads(p.read_text()) for p in touched.iterdir()}
    return rc, out, marks


def two_topologies(bad_ps=None, bad_iscsi=None, per_host_bad=None):
    """primary_secondary on node1/node2, iscsi_target on node3/node4 (all in hacluster), client1 initiator."""
    common = copy.deepcopy(GOOD_INITIATOR)
    hosts = {}
    ps_vars = ps_case(**dict({"primary_secondary_cluster_ip": "192.168.101.101"}, **(bad_ps or {})))
    iscsi_vars, iscsi_hosts = iscsi_case(**(bad_iscsi or {}))
    for number, host in enumerate(PS_HOSTS, start=1):
        hosts[host] = dict(ps_vars, drbd_address="192.168.102.1%d" % number,
                           hacluster_cluster_address="192.168.103.1%d" % number)
        hosts[host]["drbd_resources"] = [r0(initial_primary="node1")]
    for number, host in enumerate(ISCSI_HOSTS, start=3):
        hosts[host] = dict(iscsi_vars, drbd_address="192.168.102.1%d" % number,
                           hacluster_cluster_address="192.168.103.1%d" % number,
                           pacemaker_link_addresses=["192.168.103.1%d" % number, "192.168.101.1%d" % number])
        hosts[host]["drbd_resources"] = [r0(initial_primary="node3")]
    hosts["client1"] = {}
    for host, values in (per_host_bad or {}).items():
        hosts[host].update(values)
    groups = {"hacluster": PS_HOSTS + ISCSI_HOSTS, "primary_secondary": PS_HOSTS, "iscsi_target": ISCSI_HOSTS,
              "iscsi_initiator": ["client1"]}
    return groups, common, hosts


def test_site_validation_passes_good_topologies(tmp_path):
    rc, out, marks = run_site_validation(*two_topologies(), tmp_path=tmp_path)
    assert rc == 0, out
    assert sorted(marks) == ["client1", "node1", "node2", "node3", "node4"], out
    # The one resource is used by both topologies, its device taken from its minor.
    assert marks["node1"]["resource"] == "r0" and marks["node1"]["device"] == "/dev/drbd0"
    assert marks["node3"]["resource"] == "r0" and marks["node3"]["device"] == "/dev/drbd0"
    assert DRBD_SECRET not in out and FENCE_SECRET not in out and SECRET not in out


@pytest.mark.parametrize("bad_ps,bad_iscsi,needle", [
    ({"primary_secondary_cluster_ip": "192.168.101.999"}, None, "primary_secondary_cluster_ip"),
    ({"drbd_shared_secret": "x" * 65}, None, "drbd_shared_secret"),
    ({"heartbeat_stonith_hosts": []}, None, "heartbeat_stonith_hosts"),
    ({"primary_secondary_mount": "/"}, None, "primary_secondary_mount"),
    (None, {"iscsi_target_iqn": "iqn.2026-11"}, "iscsi_target_iqn"),
    (None, {"pacemaker_fence_devices": [], "pacemaker_fence_secrets": {}}, "pacemaker_fence_devices"),
], ids=["ps cluster IP", "ps DRBD secret", "ps no STONITH", "ps mount on /", "target IQN", "target fencing"])
def test_site_validation_stops_every_host(tmp_path, bad_ps, bad_iscsi, needle):
    rc, out, marks = run_site_validation(*two_topologies(bad_ps, bad_iscsi), tmp_path=tmp_path)
    assert rc != 0, out
    assert needle in out, out
    bad_hosts = PS_HOSTS if bad_ps else ISCSI_HOSTS
    assert any(f"- {h}: {needle}" in out for h in bad_hosts), f"the error names no host\n{out}"
    # Hosts of the other topology, and the initiator, did not go on either.
    assert marks == {}, f"hosts went on after a refusal: {sorted(marks)}\n{out}"
    assert DRBD_SECRET not in out and FENCE_SECRET not in out and SECRET not in out


def test_site_validation_checks_the_module_build_of_hosts_that_ask_for_it(tmp_path):
    """hacluster_build_drbd_module on node1 only: its DKMS input is checked with the topologies', a bad kernel
    release stops every host; node2's unused (and bad) DKMS values are not its concern."""
    build = {"hacluster_build_drbd_module": True, "drbd_dkms_version": "8.4.11",
             "drbd_dkms_kernels": ["6.1.0-57-amd64", "6.1.0-57-amd64; reboot"]}
    idle = {"drbd_dkms_kernels": ["not a kernel"]}
    rc, out, marks = run_site_validation(*two_topologies(per_host_bad={"node1": build, "node2": idle}),
                                         tmp_path=tmp_path)
    assert rc != 0, out
    assert "- node1: drbd_dkms_kernels[1]: " in out, out
    assert "node2: drbd_dkms_kernels" not in out, out
    assert marks == {}, f"hosts went on after a refusal: {sorted(marks)}\n{out}"
    build["drbd_dkms_kernels"] = ["6.1.0-57-amd64"]
    (tmp_path / "again").mkdir()
    rc, out, marks = run_site_validation(*two_topologies(per_host_bad={"node1": build, "node2": idle}),
                                         tmp_path=tmp_path / "again")
    assert rc == 0 and sorted(marks) == ["client1", "node1", "node2", "node3", "node4"], out


def test_one_bad_host_stops_the_good_one(tmp_path):
    """node2 alone has a bad value (in its host_vars); node1's input is good, and node1 must not go on."""
    groups, common, hosts = two_topologies(per_host_bad={"node2": {"drbd_address": "0.0.0.0"}})
    rc, out, marks = run_site_validation(groups, common, hosts, tmp_path)
    assert rc != 0, out
    assert "- node2: drbd_address: 0.0.0.0 is the unspecified address" in out, out
    assert "- node1: drbd_address" not in out, out
    assert marks == {}, f"hosts went on after node2 was refused: {sorted(marks)}\n{out}"


def test_host_in_two_topologies_is_refused(tmp_path):
    groups, common, hosts = two_topologies()
    groups["iscsi_target"] = ["node2", "node3", "node4"]
    rc, out, marks = run_site_validation(groups, common, hosts, tmp_path)
    assert rc != 0, out
    assert "- node2: inventory groups: the host is in primary_secondary and iscsi_target" in out, out
    assert marks == {}


# The README's own-inventory examples, read from README.md as a user would copy them: each ```yaml block of a
# section holds one or more inventory files, each starting with a comment naming it (# inventory/...). The
# vault lookups get dummy values, as from the user's vault file; the hosts are on this machine.
README = HERE.parent.parent / "README.md"
README_VAULT = {"vault_drbd_secret": DRBD_SECRET, "vault_heartbeat_key": SECRET, "vault_ipmi_pw": FENCE_SECRET}


def readme_inventory(section: str) -> dict[str, str]:
    """{inventory file: its text} from the ```yaml blocks of the README section whose heading starts so."""
    text = README.read_text()
    match = re.search(r"^### %s.*?(?=^##)" % re.escape(section), text, re.M | re.S)
    assert match, "README.md has no section %r" % section
    files: dict[str, str] = {}
    for block in re.findall(r"^```yaml\n(.*?)^```", match.group(0), re.M | re.S):
        name = None
        for line in block.splitlines(keepends=True):
            heading = re.fullmatch(r"# (inventory/\S+\.yml)\s*", line)
            if heading:
                name = heading.group(1)
                files[name] = ""
            elif name is not None:
                files[name] += line
    return files


def own_inventory(files: dict[str, str], hosts: dict[str, str] | None = None, resource: dict | None = None,
                  **group_vars_changes):
    """The README's inventory files with hosts renamed ({old: new}), its one DRBD resource changed and top-level
    values of group_vars files replaced ({file stem: {variable: value}})."""
    out = {}
    for name, text in files.items():
        for old, new in (hosts or {}).items():
            text = re.sub(r"\b%s\b" % re.escape(old), new, text)
        data = yaml.safe_load(text) or {}
        if name.startswith("inventory/group_vars/"):
            if resource and "drbd_resources" in data:
                assert len(data["drbd_resources"]) == 1, "the README's example has one DRBD resource"
                data["drbd_resources"][0].update(resource)
            data.update(group_vars_changes.get(Path(name).stem, {}))
        out[name] = data
    return out


def run_own_inventory(inventory: dict, tmp_path: Path):
    """validate_then_touch.yml against the inventory files, on this machine, with the vault's dummy values."""
    vault = sorted(set(re.findall(r"\bvault_\w+", json.dumps(inventory))))
    assert set(vault) <= set(README_VAULT), "give these README vault variables a dummy value: %s" % vault
    root = tmp_path / "own"
    for name, data in inventory.items():
        path = root / Path(name).relative_to("inventory")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    local = dict({k: README_VAULT[k] for k in vault}, ansible_connection="local",
                 ansible_python_interpreter=os.environ.get("CHECK_PYTHON", "auto_silent"))
    (root / "this_machine.yml").write_text(yaml.safe_dump({"all": {"vars": local}}))
    return run_validate_then_touch(root, tmp_path)


def haresources_lines(groups):
    """haresources as the heartbeat role's template writes it."""
    return [" ".join([group["node"]] + [res if isinstance(res, str) else "::".join([res["agent"]] + list(res["args"]))
                                        for res in group["resources"]]) for group in groups]


PS_README = "Primary/secondary with Heartbeat and a Samba share"


def test_readme_own_inventory_as_written_passes_and_gives_its_haresources(tmp_path):
    files = readme_inventory(PS_README)
    assert sorted(files) == ["inventory/group_vars/primary_secondary.yml", "inventory/hosts.yml"], sorted(files)
    rc, out, marks = run_own_inventory(own_inventory(files), tmp_path)
    assert rc == 0, out
    assert sorted(marks) == ["an-node01", "an-node02"], out
    shown = re.search(r"^(an-node01 drbddisk::.*)$", README.read_text(), re.M).group(1)
    assert haresources_lines(marks["an-node01"]["groups"]) == [shown]
    assert DRBD_SECRET not in out and SECRET not in out and FENCE_SECRET not in out


def test_readme_own_inventory_with_any_resource_name(tmp_path):
    """The README's primary/secondary example with resource web, minor 5, port 7795, ext3 and other host
    names: no primary_secondary_resource or primary_secondary_device needed, and both derived."""
    inventory = own_inventory(
        readme_inventory(PS_README), hosts={"an-node01": "alpha", "an-node02": "beta"},
        resource={"name": "web", "minor": 5, "port": 7795},
        primary_secondary={"primary_secondary_fstype": "ext3", "primary_secondary_mount": "/srv/web"})
    rc, out, marks = run_own_inventory(inventory, tmp_path)
    assert rc == 0, out
    assert marks["alpha"]["resource"] == "web" and marks["alpha"]["device"] == "/dev/drbd5", marks
    assert marks["beta"] == marks["alpha"]
    assert haresources_lines(marks["alpha"]["groups"]) == [
        "alpha drbddisk::web Filesystem::/dev/drbd5::/srv/web::ext3 IPaddr2::192.0.2.100/24/eth0 smbd"]
    assert DRBD_SECRET not in out and SECRET not in out and FENCE_SECRET not in out


@pytest.mark.parametrize("hosts,resource,device", [
    (None, None, "/dev/drbd0"),
    ({"san1": "store-a", "san2": "store-b"}, {"name": "web", "minor": 5, "port": 7795}, "/dev/drbd5"),
], ids=["as written", "other resource and hosts"])
def test_readme_iscsi_inventory(tmp_path, hosts, resource, device):
    files = readme_inventory("Highly available iSCSI target with Pacemaker")
    assert sorted(files) == ["inventory/group_vars/all.yml", "inventory/group_vars/iscsi_initiator.yml",
                             "inventory/group_vars/iscsi_target.yml", "inventory/hosts.yml"], sorted(files)
    rc, out, marks = run_own_inventory(own_inventory(files, hosts=hosts, resource=resource), tmp_path)
    assert rc == 0, out
    targets = [(hosts or {}).get(h, h) for h in ("san1", "san2")]
    assert sorted(marks) == sorted(targets + ["app1"]), out
    for host in targets:
        assert (marks[host]["resource"], marks[host]["device"]) == ((resource or {}).get("name", "r0"), device), marks
    assert DRBD_SECRET not in out and FENCE_SECRET not in out


# ---------------------------------------------------------------- the model itself, on many more bad inputs
#
# The cases above prove that the roles and validate.yml call the model and that a refusal stops the run. The
# cases below feed the same model (plugins/module_utils/model.py, through the action plugin's own way of reading
# a host's variables and its roles' defaults) without a playbook around it, so that hundreds stay fast.

import sys  # noqa: E402

sys.path.insert(0, os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""))

from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.template import Templar  # noqa: E402

from ansible_collections.hacluster.drbd.plugins.action.validate import host_input  # noqa: E402
from ansible_collections.hacluster.drbd.plugins.module_utils.model import check_cluster, check_host  # noqa: E402

LOADER = DataLoader()


def model_problems(topology: str, common: dict, per_host: dict, groups: dict | None = None):
    """Problems of one topology for hosts with the given variables, as the host and cluster stages find them."""
    hosts = sorted(per_host)
    groups = groups or {topology: hosts}
    views, problems = {}, []
    for host in hosts:
        task_vars = dict(common, **per_host[host])
        task_vars.update(inventory_hostname=host, ansible_play_hosts_all=hosts,
                         groups=dict(groups, all=sorted(set(hosts) | set(sum(groups.values(), [])))),
                         group_names=sorted(g for g, members in groups.items() if host in members))
        view, found, dummy = check_host(topology, host_input(topology, task_vars, LOADER, Templar(loader=LOADER)))
        views[host] = view
        problems.extend(found)
    problems.extend(check_cluster(topology, views, hosts[0]))
    return problems


def assert_model_refuses(topology, setup, variable, host, secrets=()):
    common, per_host = setup
    problems = model_problems(topology, common, per_host)
    text = "\n".join("%s: %s: %s" % (p["host"], p["variable"], p["message"]) for p in problems)
    assert problems, "accepted"
    assert any(variable in p["variable"] and p["host"] == host for p in problems), \
        f"no problem names {variable} on {host}:\n{text}"
    for secret in secrets:
        assert secret not in text, "a secret is in the message"


def hosts_of(per_host_common, changes=None):
    out = copy.deepcopy(per_host_common)
    for host, values in (changes or {}).items():
        out[host].update(values)
    return out


def m_drbd(res=None, host=None, **common):
    base = copy.deepcopy(GOOD_DRBD)
    if res is not None:
        base["drbd_resources"] = res
    base.update(common)
    return base, hosts_of(DRBD_ADDRESSES, host)


def m_ps(host=None, **changes):
    base = copy.deepcopy(PS_COMMON)
    base.update(changes)
    return base, hosts_of(DRBD_ADDRESSES, host)


def m_hb(host=None, **changes):
    base = copy.deepcopy(GOOD_HEARTBEAT)
    base.update(changes)
    return base, hosts_of({"node1": {}, "node2": {}}, host)


def m_pm(host=None, **changes):
    base = copy.deepcopy(GOOD_PACEMAKER)
    base.update(changes)
    return base, hosts_of(PM_LINKS, host)


def m_iscsi(host=None, **changes):
    base, per_host = iscsi_case(**changes)
    return base, hosts_of(per_host, host)


def m_samba(**changes):
    base = {"samba_shares": [{"name": "data", "path": "/srv/data", "comment": "Data"}]}
    base.update(changes)
    return base, {"node1": {}}


def m_init(**changes):
    base = copy.deepcopy(GOOD_INITIATOR)
    base.update(changes)
    return base, {"client1": {}}


def m_base(**changes):
    base = copy.deepcopy(GOOD_BASE)
    base.update(changes)
    return base, {"node1": {}}


N1, N2 = "node1", "node2"
NL = "\n"
MODEL_CASES = [
    # --- drbd: resources
    ("drbd", "resources not a list", m_drbd(res={"name": "r0"}), "drbd_resources", N1),
    ("drbd", "resource not a dict", m_drbd(res=["r0"]), "drbd_resources[0]", N1),
    ("drbd", "name missing", m_drbd(res=[{k: v for k, v in R0.items() if k != "name"}]), ".name", N1),
    ("drbd", "name with newline", m_drbd(res=[r0(name="r0" + NL)]), ".name", N1),
    ("drbd", "name with space", m_drbd(res=[r0(name="my res")]), ".name", N1),
    ("drbd", "name starting with dash", m_drbd(res=[r0(name="-r0")]), ".name", N1),
    ("drbd", "name too long", m_drbd(res=[r0(name="r" * 65)]), ".name", N1),
    ("drbd", "name with slash", m_drbd(res=[r0(name="a/b")]), ".name", N1),
    ("drbd", "duplicate names", m_drbd(res=[r0(), r0(port=7790, minor=1)]), "drbd_resources", N1),
    ("drbd", "port missing", m_drbd(res=[{k: v for k, v in R0.items() if k != "port"}]), "drbd_resources[r0].port", N1),
    ("drbd", "port 0", m_drbd(res=[r0(port=0)]), "drbd_resources[r0].port", N1),
    ("drbd", "port negative", m_drbd(res=[r0(port=-1)]), "drbd_resources[r0].port", N1),
    ("drbd", "port 65536", m_drbd(res=[r0(port=65536)]), "drbd_resources[r0].port", N1),
    ("drbd", "port a word", m_drbd(res=[r0(port="http")]), "drbd_resources[r0].port", N1),
    ("drbd", "port a boolean", m_drbd(res=[r0(port=True)]), "drbd_resources[r0].port", N1),
    ("drbd", "port with newline", m_drbd(res=[r0(port="7789" + NL)]), "drbd_resources[r0].port", N1),
    ("drbd", "minor missing", m_drbd(res=[{k: v for k, v in R0.items() if k != "minor"}]), "drbd_resources[r0].minor", N1),
    ("drbd", "minor negative", m_drbd(res=[r0(minor=-1)]), "drbd_resources[r0].minor", N1),
    ("drbd", "minor too big", m_drbd(res=[r0(minor=1 << 20)]), "drbd_resources[r0].minor", N1),
    ("drbd", "minor a word", m_drbd(res=[r0(minor="zero")]), "drbd_resources[r0].minor", N1),
    ("drbd", "device disagrees with minor", m_drbd(res=[r0(device="/dev/drbd1")]), "drbd_resources[r0].device", N1),
    ("drbd", "device not drbd", m_drbd(res=[r0(device="/dev/sdb")]), "drbd_resources[r0].device", N1),
    ("drbd", "disk missing", m_drbd(res=[{k: v for k, v in R0.items() if k != "disk"}]), "drbd_resources[r0].disk", N1),
    ("drbd", "disk relative", m_drbd(res=[r0(disk="vdb")]), "drbd_resources[r0].disk", N1),
    ("drbd", "disk outside /dev", m_drbd(res=[r0(disk="/srv/disk.img")]), "drbd_resources[r0].disk", N1),
    ("drbd", "disk with newline", m_drbd(res=[r0(disk="/dev/vdb" + NL)]), "drbd_resources[r0].disk", N1),
    ("drbd", "disk with space", m_drbd(res=[r0(disk="/dev/my disk")]), "drbd_resources[r0].disk", N1),
    ("drbd", "disk with ..", m_drbd(res=[r0(disk="/dev/../etc/passwd")]), "drbd_resources[r0].disk", N1),
    ("drbd", "disk is a drbd device", m_drbd(res=[r0(disk="/dev/drbd1")]), "drbd_resources[r0].disk", N1),
    ("drbd", "disk with semicolon", m_drbd(res=[r0(disk="/dev/vdb;")]), "drbd_resources[r0].disk", N1),
    ("drbd", "per-node disk relative", m_drbd(host={N2: {"drbd_disks": {"r0": "sdc"}}}), "drbd_disks.r0", N2),
    ("drbd", "per-node disk for unknown resource", m_drbd(host={N2: {"drbd_disks": {"r9": "/dev/sdc"}}}),
     "drbd_disks", N2),
    ("drbd", "meta disk relative", m_drbd(res=[r0(meta_disk="sdc1")]), "drbd_resources[r0].meta_disk", N1),
    ("drbd", "meta disk is the data disk", m_drbd(res=[r0(meta_disk="/dev/vdb")]), "drbd_resources[r0].meta_disk", N1),
    ("drbd", "meta disk bad index", m_drbd(res=[r0(meta_disk="/dev/sdc[x]")]), "drbd_resources[r0].meta_disk", N1),
    ("drbd", "protocol D", m_drbd(res=[r0(protocol="D")]), "drbd_resources[r0].protocol", N1),
    ("drbd", "protocol A managed", m_drbd(res=[r0(protocol="A")]), "drbd_resources[r0].protocol", N1),
    ("drbd", "nodes one", m_drbd(res=[r0(nodes=["node1"])]), "drbd_resources[r0].nodes", N1),
    ("drbd", "nodes unknown host", m_drbd(res=[r0(nodes=["node1", "node9"])]), "drbd_resources[r0].nodes", N1),
    ("drbd", "nodes twice", m_drbd(res=[r0(nodes=["node1", "node1"])]), "drbd_resources[r0].nodes", N1),
    ("drbd", "initial primary elsewhere", m_drbd(res=[r0(initial_primary="node3")]), "initial_primary", N1),
    ("drbd", "node ids incomplete", m_drbd(res=[r0(node_ids={"node1": 0})]), "node_ids", N1),
    ("drbd", "node id 32", m_drbd(res=[r0(node_ids={"node1": 0, "node2": 32})]), "node_ids", N1),
    ("drbd", "node ids twice", m_drbd(res=[r0(node_ids={"node1": 1, "node2": 1})]), "node_ids", N1),
    ("drbd", "unknown resource key", m_drbd(res=[r0(intial_primary="node1")]), "drbd_resources[r0]", N1),
    ("drbd", "net not a dict", m_drbd(res=[r0(net="fast")]), "drbd_resources[r0].net", N1),
    ("drbd", "net value with newline", m_drbd(res=[r0(net={"max-buffers": "8000" + NL + "}"})]),
     "drbd_resources[r0].net.max-buffers", N1),
    ("drbd", "net value with quote", m_drbd(res=[r0(net={"verify-alg": 'sha1"'})]), "net.verify-alg", N1),
    ("drbd", "option name upper case", m_drbd(res=[r0(net={"Max-Buffers": 8000})]), "drbd_resources[r0].net", N1),
    ("drbd", "shared secret in net", m_drbd(res=[r0(net={"shared-secret": "x"})]), "net.shared-secret", N1),
    ("drbd", "discard-my-data in net", m_drbd(res=[r0(net={"discard-my-data": True})]), "net.discard-my-data", N1),
    ("drbd", "handler with newline", m_drbd(res=[r0(handlers={"split-brain": "/bin/true" + NL})]),
     "handlers.split-brain", N1),
    ("drbd", "dual primary protocol B",
     m_drbd(res=[r0(protocol="B", net={"allow-two-primaries": True})], drbd_cluster_managed=False),
     "allow-two-primaries", N1),
    ("drbd", "after-sb-0pri discard", m_drbd(res=[r0(net={"after-sb-0pri": "discard-least-changes"})]),
     "after-sb-0pri", N1),
    ("drbd", "after-sb-2pri violently", m_drbd(res=[r0(net={"after-sb-2pri": "violently-as0p"})]),
     "after-sb-2pri", N1),
    ("drbd", "duplicate ports", m_drbd(res=[r0(), r0(name="r1", minor=1)]), "drbd_resources", N1),
    ("drbd", "duplicate minors", m_drbd(res=[r0(), r0(name="r1", port=7790)]), "drbd_resources", N1),
    # --- drbd: per node and global
    ("drbd", "address missing", m_drbd(host={N2: {"drbd_address": None}}), "drbd_address", N2),
    ("drbd", "address 0.0.0.0", m_drbd(host={N2: {"drbd_address": "0.0.0.0"}}), "drbd_address", N2),
    ("drbd", "address ::", m_drbd(host={N2: {"drbd_address": "::"}}), "drbd_address", N2),
    ("drbd", "address broadcast", m_drbd(host={N2: {"drbd_address": "255.255.255.255"}}), "drbd_address", N2),
    ("drbd", "address multicast", m_drbd(host={N2: {"drbd_address": "224.0.0.1"}}), "drbd_address", N2),
    ("drbd", "address loopback", m_drbd(host={N2: {"drbd_address": "127.0.0.1"}}), "drbd_address", N2),
    ("drbd", "address a name", m_drbd(host={N2: {"drbd_address": "node2"}}), "drbd_address", N2),
    ("drbd", "address with prefix", m_drbd(host={N2: {"drbd_address": "192.168.102.12/24"}}), "drbd_address", N2),
    ("drbd", "address with newline", m_drbd(host={N2: {"drbd_address": "192.168.102.12" + NL}}), "drbd_address", N2),
    ("drbd", "address twice", m_drbd(host={N2: {"drbd_address": "192.168.102.11"}}), "drbd_address", N2),
    ("drbd", "secret too long", m_drbd(drbd_shared_secret="x" * 65), "drbd_shared_secret", N1),
    ("drbd", "secret with newline", m_drbd(drbd_shared_secret="abc" + NL + "def"), "drbd_shared_secret", N1),
    ("drbd", "secret with quote", m_drbd(drbd_shared_secret='abc"def'), "drbd_shared_secret", N1),
    ("drbd", "hmac with space", m_drbd(drbd_cram_hmac_alg="sha 1"), "drbd_cram_hmac_alg", N1),
    ("drbd", "dialect 8.5", m_drbd(drbd_dialect="8.5"), "drbd_dialect", N1),
    ("drbd", "wait for synced", m_drbd(drbd_wait_for="synced"), "drbd_wait_for", N1),
    ("drbd", "wait timeout 0", m_drbd(drbd_wait_timeout=0), "drbd_wait_timeout", N1),
    ("drbd", "bring up a string", m_drbd(drbd_bring_up="yes"), "drbd_bring_up", N1),
    ("drbd", "lvm accept with bar", m_drbd(drbd_lvm_accept=["/dev/sda|x"]), "drbd_lvm_accept[0]", N1),
    ("drbd", "lvm accept bad regex", m_drbd(drbd_lvm_accept=["/dev/sd["]), "drbd_lvm_accept[0]", N1),
    ("drbd", "resources differ per node", m_drbd(host={N2: {"drbd_resources": [r0(port=7790)]}}),
     "drbd_resources", N1),
    # --- heartbeat
    ("heartbeat", "nodes one", m_hb(heartbeat_nodes=["node1"]), "heartbeat_nodes", N1),
    ("heartbeat", "node with newline", m_hb(heartbeat_nodes=["node1", "node2" + NL]), "heartbeat_nodes", N1),
    ("heartbeat", "node bad name", m_hb(heartbeat_nodes=["node1", "node2", "no_de3"]), "heartbeat_nodes[2]", N1),
    ("heartbeat", "links not a list", m_hb(heartbeat_links={"interface": "eth3"}), "heartbeat_links", N1),
    ("heartbeat", "link without addresses", m_hb(heartbeat_links=[{"interface": "eth3"}]),
     "heartbeat_links[0].addresses", N1),
    ("heartbeat", "interface with newline", m_hb(heartbeat_links=[{"interface": "eth3" + NL + "ucast eth0 1.2.3.4",
                                                                   "addresses": ["192.168.103.11"]}]),
     "heartbeat_links[0].interface", N1),
    ("heartbeat", "interface too long", m_hb(heartbeat_links=[{"interface": "x" * 16,
                                                               "addresses": ["192.168.103.11"]}]),
     "heartbeat_links[0].interface", N1),
    ("heartbeat", "interface map misses this host", m_hb(heartbeat_links=[{"interface": {"node1": "eth3"},
                                                                           "addresses": ["192.168.103.11"]}]),
     "heartbeat_links[0].interface", N2),
    ("heartbeat", "link address broadcast", m_hb(heartbeat_links=[{"interface": "eth3",
                                                                   "addresses": ["255.255.255.255"]}]),
     "heartbeat_links[0].addresses[0]", N1),
    ("heartbeat", "link address twice", m_hb(heartbeat_links=[{"interface": "eth3",
                                                               "addresses": ["192.168.103.11", "192.168.103.11"]}]),
     "heartbeat_links[0].addresses", N1),
    ("heartbeat", "link unknown key", m_hb(heartbeat_links=[{"interface": "eth3", "adresses": []}]),
     "heartbeat_links[0]", N1),
    ("heartbeat", "udp port 0", m_hb(heartbeat_udpport=0), "heartbeat_udpport", N1),
    ("heartbeat", "serial relative", m_hb(heartbeat_serial="ttyS0"), "heartbeat_serial", N1),
    ("heartbeat", "baud odd", m_hb(heartbeat_baud=12345), "heartbeat_baud", N1),
    ("heartbeat", "keepalive 0", m_hb(heartbeat_keepalive=0), "heartbeat_keepalive", N1),
    ("heartbeat", "keepalive above warntime", m_hb(heartbeat_keepalive=20), "heartbeat_warntime", N1),
    ("heartbeat", "ping node a name", m_hb(heartbeat_ping_nodes=["gateway"]), "heartbeat_ping_nodes[0]", N1),
    ("heartbeat", "auth none", m_hb(heartbeat_auth_method="none"), "heartbeat_auth_method", N1),
    ("heartbeat", "key with newline", m_hb(heartbeat_authkey=SECRET + NL + "2 crc"), "heartbeat_authkey", N1),
    ("heartbeat", "key with space", m_hb(heartbeat_authkey=SECRET + " x"), "heartbeat_authkey", N1),
    ("heartbeat", "group without resources", m_hb(heartbeat_resource_groups=[{"node": "node1"}]),
     "heartbeat_resource_groups[0].resources", N1),
    ("heartbeat", "resource with space", m_hb(heartbeat_resource_groups=[{"node": "node1",
                                                                          "resources": ["smbd nmbd"]}]),
     "heartbeat_resource_groups[0].resources[0]", N1),
    ("heartbeat", "resource arg with newline", m_hb(heartbeat_resource_groups=[
        {"node": "node1", "resources": [{"agent": "Filesystem", "args": ["/dev/drbd0", "/srv" + NL + "node2 x"]}]}]),
     "heartbeat_resource_groups[0].resources[0].args[1]", N1),
    ("heartbeat", "resource arg with ::", m_hb(heartbeat_resource_groups=[
        {"node": "node1", "resources": [{"agent": "Filesystem", "args": ["/dev/drbd0::/srv"]}]}]),
     "heartbeat_resource_groups[0].resources[0].args[0]", N1),
    ("heartbeat", "stonith host unknown", m_hb(heartbeat_stonith_hosts=[{"host": "node7", "type": "external/lab"}]),
     "heartbeat_stonith_hosts[0].host", N1),
    ("heartbeat", "stonith type with space", m_hb(heartbeat_stonith_hosts=[{"host": "*", "type": "external lab"}]),
     "heartbeat_stonith_hosts[0].type", N1),
    ("heartbeat", "stonith param with newline", m_hb(heartbeat_stonith_hosts=[
        {"host": "*", "type": "external/ipmi", "params": ["node2", SECRET + NL + "crm yes"]}]),
     "heartbeat_stonith_hosts[0].params[1]", N1),
    ("heartbeat", "after unit not a unit", m_hb(heartbeat_after_units=["drbd"]), "heartbeat_after_units[0]", N1),
    ("heartbeat", "ipfail path relative", m_hb(heartbeat_ipfail_path="ipfail"), "heartbeat_ipfail_path", N1),
    ("heartbeat", "haresources differ", m_hb(host={N2: {"heartbeat_resource_groups": [
        {"node": "node2", "resources": ["samba"]}]}}), "heartbeat_resource_groups", N1),
    # --- samba
    ("samba", "share name with ]", m_samba(samba_shares=[{"name": "da]ta", "path": "/srv/data"}]),
     "samba_shares[0].name", N1),
    ("samba", "share name with newline", m_samba(samba_shares=[{"name": "data" + NL + "[x]", "path": "/srv/data"}]),
     "samba_shares[0].name", N1),
    ("samba", "share named global", m_samba(samba_shares=[{"name": "Global", "path": "/srv/data"}]),
     "samba_shares[0].name", N1),
    ("samba", "share named homes", m_samba(samba_shares=[{"name": "homes", "path": "/srv/data"}]),
     "samba_shares[0].name", N1),
    ("samba", "share name too long", m_samba(samba_shares=[{"name": "x" * 81, "path": "/srv/data"}]),
     "samba_shares[0].name", N1),
    ("samba", "share path /etc", m_samba(samba_shares=[{"name": "data", "path": "/etc"}]), "samba_shares[0].path", N1),
    ("samba", "share path relative", m_samba(samba_shares=[{"name": "data", "path": "srv"}]), "samba_shares[0].path", N1),
    ("samba", "comment with newline", m_samba(samba_shares=[{"name": "data", "path": "/srv/data",
                                                             "comment": "x" + NL + "guest ok = yes"}]),
     "samba_shares[0].comment", N1),
    ("samba", "comment with trailing backslash", m_samba(samba_shares=[{"name": "data", "path": "/srv/data",
                                                                        "comment": "x \\"}]),
     "samba_shares[0].comment", N1),
    ("samba", "names differ only in case", m_samba(samba_shares=[{"name": "Data", "path": "/srv/a"},
                                                                 {"name": "data", "path": "/srv/b"}]),
     "samba_shares", N1),
    ("samba", "workgroup too long", m_samba(samba_workgroup="W" * 16), "samba_workgroup", N1),
    ("samba", "server string with newline", m_samba(samba_server_string="x" + NL + "[global]"),
     "samba_server_string", N1),
    ("samba", "read_only a string", m_samba(samba_shares=[{"name": "data", "path": "/srv/data", "read_only": "no"}]),
     "samba_shares[0].read_only", N1),
    # --- primary_secondary
    ("primary_secondary", "mount /", m_ps(primary_secondary_mount="/"), "primary_secondary_mount", N1),
    ("primary_secondary", "mount /boot", m_ps(primary_secondary_mount="/boot"), "primary_secondary_mount", N1),
    ("primary_secondary", "mount /usr", m_ps(primary_secondary_mount="/usr"), "primary_secondary_mount", N1),
    ("primary_secondary", "mount /var", m_ps(primary_secondary_mount="/var"), "primary_secondary_mount", N1),
    ("primary_secondary", "mount /etc", m_ps(primary_secondary_mount="/etc"), "primary_secondary_mount", N1),
    ("primary_secondary", "mount /proc", m_ps(primary_secondary_mount="/proc"), "primary_secondary_mount", N1),
    ("primary_secondary", "mount /sys", m_ps(primary_secondary_mount="/sys"), "primary_secondary_mount", N1),
    ("primary_secondary", "mount /dev", m_ps(primary_secondary_mount="/dev"), "primary_secondary_mount", N1),
    ("primary_secondary", "mount /run", m_ps(primary_secondary_mount="/run"), "primary_secondary_mount", N1),
    ("primary_secondary", "mount /home", m_ps(primary_secondary_mount="/home"), "primary_secondary_mount", N1),
    ("primary_secondary", "mount under /usr", m_ps(primary_secondary_mount="/usr/share"),
     "primary_secondary_mount", N1),
    ("primary_secondary", "mount /var/lib", m_ps(primary_secondary_mount="/var/lib"), "primary_secondary_mount", N1),
    ("primary_secondary", "mount with newline", m_ps(primary_secondary_mount="/srv/share" + NL),
     "primary_secondary_mount", N1),
    ("primary_secondary", "mount with space", m_ps(primary_secondary_mount="/srv/my share"),
     "primary_secondary_mount", N1),
    ("primary_secondary", "mount with ..", m_ps(primary_secondary_mount="/srv/../etc"), "primary_secondary_mount", N1),
    ("primary_secondary", "mount with trailing slash", m_ps(primary_secondary_mount="/srv/share/"),
     "primary_secondary_mount", N1),
    ("primary_secondary", "device disagrees with minor", m_ps(primary_secondary_device="/dev/drbd1"),
     "primary_secondary_device", N1),
    ("primary_secondary", "resource unknown", m_ps(primary_secondary_resource="r9"), "primary_secondary_resource", N1),
    ("primary_secondary", "two resources, none named", m_ps(drbd_resources=[r0(), r0(name="r1", port=7790, minor=1)]),
     "primary_secondary_resource", N1),
    ("primary_secondary", "cluster IP 0.0.0.0", m_ps(primary_secondary_cluster_ip="0.0.0.0"),
     "primary_secondary_cluster_ip", N1),
    ("primary_secondary", "cluster IP network address", m_ps(primary_secondary_cluster_ip="192.168.101.0"),
     "primary_secondary_cluster_ip", N1),
    ("primary_secondary", "cluster IP broadcast address", m_ps(primary_secondary_cluster_ip="192.168.101.255"),
     "primary_secondary_cluster_ip", N1),
    ("primary_secondary", "cluster IP is a heartbeat link address", m_ps(primary_secondary_cluster_ip="192.168.103.12"),
     "primary_secondary_cluster_ip", N1),
    ("primary_secondary", "cluster IP is another node's cluster address",
     m_ps(host={N2: {"hacluster_cluster_address": "192.168.101.100"}}), "primary_secondary_cluster_ip", N1),
    ("primary_secondary", "cluster IP with newline", m_ps(primary_secondary_cluster_ip="192.168.101.100" + NL),
     "primary_secondary_cluster_ip", N1),
    ("primary_secondary", "cluster IP IPv6", m_ps(primary_secondary_cluster_ip="fd00::100"),
     "primary_secondary_cluster_ip", N1),
    ("primary_secondary", "prefix 33", m_ps(primary_secondary_cluster_ip_prefix=33),
     "primary_secondary_cluster_ip_prefix", N1),
    ("primary_secondary", "interface with newline", m_ps(primary_secondary_cluster_ip_interface="eth1" + NL),
     "primary_secondary_cluster_ip_interface", N1),
    ("primary_secondary", "interface with space", m_ps(primary_secondary_cluster_ip_interface="eth1 smbd"),
     "primary_secondary_cluster_ip_interface", N1),
    ("primary_secondary", "fstype xfs", m_ps(primary_secondary_fstype="xfs"), "primary_secondary_fstype", N1),
    ("primary_secondary", "label too long", m_ps(primary_secondary_label="x" * 17), "primary_secondary_label", N1),
    ("primary_secondary", "share name with ]", m_ps(primary_secondary_share_name="sh]are"),
     "primary_secondary_share_name", N1),
    ("primary_secondary", "share name with newline", m_ps(primary_secondary_share_name="share" + NL + "[x]"),
     "primary_secondary_share_name", N1),
    ("primary_secondary", "share named global", m_ps(primary_secondary_share_name="global"),
     "primary_secondary_share_name", N1),
    ("primary_secondary", "writable a string", m_ps(primary_secondary_share_writable="yes"),
     "primary_secondary_share_writable", N1),
    ("primary_secondary", "preferred node unknown", m_ps(primary_secondary_preferred_node="node3"),
     "primary_secondary_preferred_node", N1),
    ("primary_secondary", "ip agent IPaddr3", m_ps(primary_secondary_ip_agent="IPaddr3"),
     "primary_secondary_ip_agent", N1),
    ("primary_secondary", "resource on other nodes", m_ps(drbd_resources=[r0(nodes=["node1", "node3"])]),
     "drbd_resources[r0].nodes", N1),
    ("primary_secondary", "heartbeat key short", m_ps(heartbeat_authkey="short"), "heartbeat_authkey", N1),
    ("primary_secondary", "drbd port out of range", m_ps(drbd_resources=[r0(port=99999)]),
     "drbd_resources[r0].port", N1),
    ("primary_secondary", "resources differ per node", m_ps(host={N2: {"drbd_resources": [r0(port=7790)]}}),
     "drbd_resources", N1),
    ("primary_secondary", "drbd address twice", m_ps(host={N2: {"drbd_address": "192.168.102.11"}}),
     "drbd_address", N2),
    # --- pacemaker
    ("pacemaker", "nodes one", m_pm(pacemaker_nodes=["node1"]), "pacemaker_nodes", N1),
    ("pacemaker", "cluster name with newline", m_pm(pacemaker_cluster_name="c1" + NL + "}"), "pacemaker_cluster_name", N1),
    ("pacemaker", "cluster name too long", m_pm(pacemaker_cluster_name="c" * 33), "pacemaker_cluster_name", N1),
    ("pacemaker", "no link address", m_pm(host={N2: {"pacemaker_link_addresses": []}}), "pacemaker_link_addresses", N2),
    ("pacemaker", "nine links", m_pm(host={N2: {"pacemaker_link_addresses": ["10.0.%d.2" % i for i in range(9)]}}),
     "pacemaker_link_addresses", N2),
    ("pacemaker", "link address 0.0.0.0", m_pm(host={N2: {"pacemaker_link_addresses": ["0.0.0.0", "10.1.1.2"]}}),
     "pacemaker_link_addresses[0]", N2),
    ("pacemaker", "link address with newline", m_pm(host={N2: {"pacemaker_link_addresses": [
        "10.0.0.2" + NL, "10.1.1.2"]}}),
     "pacemaker_link_addresses[0]", N2),
    ("pacemaker", "cipher without hash", m_pm(pacemaker_crypto_hash="none"), "pacemaker_crypto_hash", N1),
    ("pacemaker", "cipher unknown", m_pm(pacemaker_crypto_cipher="rot13"), "pacemaker_crypto_cipher", N1),
    ("pacemaker", "token a word", m_pm(pacemaker_token="fast"), "pacemaker_token", N1),
    ("pacemaker", "password in params", m_pm(pacemaker_fence_devices=[
        {"id": "fence_node1", "agent": "stonith:fence_ipmilan", "params": {"ip": "10.0.3.71", "password": FENCE_SECRET}},
        GOOD_PACEMAKER["pacemaker_fence_devices"][1]]), "pacemaker_fence_devices[fence_node1].params", N1),
    ("pacemaker", "passwd in params", m_pm(pacemaker_fence_devices=[
        {"id": "fence_node1", "agent": "stonith:fence_ipmilan", "params": {"passwd": FENCE_SECRET}},
        GOOD_PACEMAKER["pacemaker_fence_devices"][1]]), "pacemaker_fence_devices[fence_node1].params", N1),
    ("pacemaker", "snmp_priv_passwd in params", m_pm(pacemaker_fence_devices=[
        {"id": "fence_node1", "agent": "stonith:fence_apc_snmp", "params": {"snmp_priv_passwd": FENCE_SECRET}},
        GOOD_PACEMAKER["pacemaker_fence_devices"][1]]), "pacemaker_fence_devices[fence_node1].params", N1),
    ("pacemaker", "device id with space", m_pm(pacemaker_fence_devices=[
        {"id": "fence node1", "agent": "stonith:fence_ipmilan"}], pacemaker_fence_secrets={}),
     "pacemaker_fence_devices[0].id", N1),
    ("pacemaker", "param value with newline", m_pm(pacemaker_fence_devices=[
        {"id": "fence_node1", "agent": "stonith:fence_ipmilan", "params": {"ip": "10.0.3.71" + NL}},
        GOOD_PACEMAKER["pacemaker_fence_devices"][1]]), "pacemaker_fence_devices[fence_node1].params.ip", N1),
    ("pacemaker", "agent with space", m_pm(pacemaker_fence_devices=[
        {"id": "fence_node1", "agent": "stonith:fence ipmilan"}], pacemaker_fence_secrets={}),
     "pacemaker_fence_devices[fence_node1].agent", N1),
    ("pacemaker", "duplicate device ids", m_pm(pacemaker_fence_devices=[
        {"id": "f1", "agent": "stonith:fence_ipmilan"}, {"id": "f1", "agent": "stonith:fence_ipmilan"}],
        pacemaker_fence_secrets={}), "pacemaker_fence_devices", N1),
    ("pacemaker", "secret value with newline", m_pm(pacemaker_fence_secrets={
        "fence_node1": {"password": FENCE_SECRET + NL}, "fence_node2": {"password": FENCE_SECRET}}),
     "pacemaker_fence_secrets[fence_node1].password", N1),
    ("pacemaker", "package with space", m_pm(pacemaker_fence_packages=["fence agents"]),
     "pacemaker_fence_packages[0]", N1),
    ("pacemaker", "stonith disabled by property", m_pm(pacemaker_properties={"stonith-enabled": "false"}),
     "pacemaker_properties.stonith-enabled", N1),
    ("pacemaker", "property value with quote", m_pm(pacemaker_properties={"cluster-recheck-interval": '5min"'}),
     "pacemaker_properties.cluster-recheck-interval", N1),
    ("pacemaker", "no-quorum ignore", m_pm(pacemaker_no_quorum_policy="ignore"), "pacemaker_no_quorum_policy", N1),
    ("pacemaker", "link counts differ", m_pm(host={N2: {"pacemaker_link_addresses": ["192.168.103.12"]}}),
     "pacemaker_link_addresses", N1),
    ("pacemaker", "link address used twice", m_pm(host={N2: {"pacemaker_link_addresses": ["192.168.103.11",
                                                                                          "192.168.101.12"]}}),
     "pacemaker_link_addresses", N2),
    # --- iscsi_target
    ("iscsi_target", "iqn with newline", m_iscsi(iscsi_target_iqn=TARGET_IQN + NL), "iscsi_target_iqn", N1),
    ("iscsi_target", "iqn month 13", m_iscsi(iscsi_target_iqn="iqn.2026-13.org.example:x"), "iscsi_target_iqn", N1),
    ("iscsi_target", "iqn too long", m_iscsi(iscsi_target_iqn="iqn.2026-11.org.example:" + "x" * 220),
     "iscsi_target_iqn", N1),
    ("iscsi_target", "implementation iet", m_iscsi(iscsi_target_implementation="iet"),
     "iscsi_target_implementation", N1),
    ("iscsi_target", "port 0", m_iscsi(iscsi_target_port=0), "iscsi_target_port", N1),
    ("iscsi_target", "vg with space", m_iscsi(iscsi_target_vg="vg 0"), "iscsi_target_vg", N1),
    ("iscsi_target", "vg starting with dash", m_iscsi(iscsi_target_vg="-vg"), "iscsi_target_vg", N1),
    ("iscsi_target", "vg ..", m_iscsi(iscsi_target_vg=".."), "iscsi_target_vg", N1),
    ("iscsi_target", "host vg with quote", m_iscsi(iscsi_target_host_volume_groups=['vg"root']),
     "iscsi_target_host_volume_groups[0]", N1),
    ("iscsi_target", "lv reserved name", m_iscsi(iscsi_target_luns=[{"lun": 1, "lv": "snapshot1", "size": "1G"}]),
     "iscsi_target_luns[0].lv", N1),
    ("iscsi_target", "lv with slash", m_iscsi(iscsi_target_luns=[{"lun": 1, "lv": "a/b", "size": "1G"}]),
     "iscsi_target_luns[0].lv", N1),
    ("iscsi_target", "lun 256", m_iscsi(iscsi_target_luns=[{"lun": 256, "lv": "lun1", "size": "1G"}]),
     "iscsi_target_luns[0].lun", N1),
    ("iscsi_target", "lun a word", m_iscsi(iscsi_target_luns=[{"lun": "one", "lv": "lun1", "size": "1G"}]),
     "iscsi_target_luns[0].lun", N1),
    ("iscsi_target", "lun missing", m_iscsi(iscsi_target_luns=[{"lv": "lun1", "size": "1G"}]),
     "iscsi_target_luns[0].lun", N1),
    ("iscsi_target", "size with newline", m_iscsi(iscsi_target_luns=[{"lun": 1, "lv": "lun1", "size": "1G" + NL}]),
     "iscsi_target_luns[0].size", N1),
    ("iscsi_target", "scsi_sn upper case", m_iscsi(iscsi_target_luns=[
        {"lun": 1, "lv": "lun1", "size": "1G", "scsi_sn": "ABCDEF01"}]),
     "iscsi_target_luns[0].scsi_sn", N1),
    ("iscsi_target", "lun unknown key", m_iscsi(iscsi_target_luns=[
        {"lun": 1, "lv": "lun1", "size": "1G", "sise": "2G"}]),
     "iscsi_target_luns[0]", N1),
    ("iscsi_target", "initiator iqn with newline", m_iscsi(iscsi_target_allowed_initiators=[CLIENT_IQN + NL]),
     "iscsi_target_allowed_initiators[0]", N1),
    ("iscsi_target", "tgt initiator a name", m_iscsi(iscsi_target_implementation="tgt",
                                                     iscsi_target_allowed_initiators=["client1"]),
     "iscsi_target_allowed_initiators[0]", N1),
    ("iscsi_target", "cluster IP 0.0.0.0", m_iscsi(iscsi_target_cluster_ip="0.0.0.0"), "iscsi_target_cluster_ip", N1),
    ("iscsi_target", "cluster IP network address", m_iscsi(iscsi_target_cluster_ip="192.168.101.0"),
     "iscsi_target_cluster_ip", N1),
    ("iscsi_target", "cluster IP broadcast", m_iscsi(iscsi_target_cluster_ip="192.168.101.255"),
     "iscsi_target_cluster_ip", N1),
    ("iscsi_target", "cluster IP is a link address", m_iscsi(iscsi_target_cluster_ip="192.168.101.12"),
     "iscsi_target_cluster_ip", N1),
    ("iscsi_target", "networks empty", m_iscsi(iscsi_target_networks=[]), "iscsi_target_networks", N1),
    ("iscsi_target", "network not CIDR", m_iscsi(iscsi_target_networks=["192.168.101.0"]),
     "iscsi_target_networks[0]", N1),
    ("iscsi_target", "interface with newline", m_iscsi(iscsi_target_cluster_ip_interface="eth1" + NL),
     "iscsi_target_cluster_ip_interface", N1),
    ("iscsi_target", "name with space", m_iscsi(iscsi_target_name="vg 0"), "iscsi_target_name", N1),
    ("iscsi_target", "fencing off", m_iscsi(iscsi_target_drbd_fencing="dont-care"), "iscsi_target_drbd_fencing", N1),
    ("iscsi_target", "handler relative", m_iscsi(iscsi_target_drbd_handlers={"fence-peer": "crm-fence-peer.sh"}),
     "iscsi_target_drbd_handlers.fence-peer", N1),
    ("iscsi_target", "device disagrees with minor", m_iscsi(iscsi_target_device="/dev/drbd3"),
     "iscsi_target_device", N1),
    ("iscsi_target", "two resources, none named", m_iscsi(drbd_resources=[r0(), r0(name="r1", port=7790, minor=1)]),
     "iscsi_target_resource", N1),
    ("iscsi_target", "fence password in params", m_iscsi(pacemaker_fence_devices=[
        {"id": "fence_node1", "agent": "stonith:fence_ipmilan", "params": {"password": FENCE_SECRET}}],
        pacemaker_fence_secrets={}), "pacemaker_fence_devices[fence_node1].params", N1),
    ("iscsi_target", "drbd minor out of range", m_iscsi(drbd_resources=[r0(minor=2 ** 21)]),
     "drbd_resources[r0].minor", N1),
    ("iscsi_target", "resources differ per node", m_iscsi(host={N2: {"drbd_resources": [r0(port=7790)]}}),
     "drbd_resources", N1),
    ("iscsi_target", "link address used twice", m_iscsi(host={N2: {"pacemaker_link_addresses": [
        "192.168.103.11", "192.168.101.12"]}}), "pacemaker_link_addresses", N2),
    # --- iscsi_initiator
    ("iscsi_initiator", "name missing", m_init(iscsi_initiator_name=""), "iscsi_initiator_name", "client1"),
    ("iscsi_initiator", "name with newline", m_init(iscsi_initiator_name=CLIENT_IQN + NL), "iscsi_initiator_name",
     "client1"),
    ("iscsi_initiator", "portal 0.0.0.0", m_init(iscsi_initiator_portal="0.0.0.0"), "iscsi_initiator_portal",
     "client1"),
    ("iscsi_initiator", "port 70000", m_init(iscsi_initiator_port=70000), "iscsi_initiator_port", "client1"),
    ("iscsi_initiator", "no targets", m_init(iscsi_initiator_targets=[]), "iscsi_initiator_targets", "client1"),
    ("iscsi_initiator", "timeout negative", m_init(iscsi_initiator_replacement_timeout=-5),
     "iscsi_initiator_replacement_timeout", "client1"),
    ("iscsi_initiator", "timeout a word", m_init(iscsi_initiator_replacement_timeout="2m"),
     "iscsi_initiator_replacement_timeout", "client1"),
    ("iscsi_initiator", "login at boot a string", m_init(iscsi_initiator_login_at_boot="yes"),
     "iscsi_initiator_login_at_boot", "client1"),
    # --- base
    ("base", "host name with newline", m_base(base_cluster_hosts=[
        {"name": "node1" + NL + "10.0.0.9 evil", "address": "192.168.103.11"}]),
     "base_cluster_hosts[0].name", N1),
    ("base", "address 0.0.0.0", m_base(base_cluster_hosts=[{"name": "node1", "address": "0.0.0.0"}]),
     "base_cluster_hosts[0].address", N1),
    ("base", "package with space", m_base(base_packages=["rsync psmisc"]), "base_packages[0]", N1),
    ("base", "manage hostname a string", m_base(base_manage_hostname="yes"), "base_manage_hostname", N1),
]


def test_model_covers_many_bad_inputs():
    playbook_cases = len(BAD_HEARTBEAT) + len(BAD_BASE) + len(BAD_DRBD) + len(BAD_PS) + len(BAD_PM) \
        + len(BAD_ISCSI) + len(BAD_INITIATOR)
    assert len(MODEL_CASES) + playbook_cases >= 150
    assert len(set(c[:2] for c in MODEL_CASES)) == len(MODEL_CASES), "case names repeat"


@pytest.mark.parametrize("topology,case,setup,variable,host", MODEL_CASES, ids=[c[0] + ": " + c[1] for c in MODEL_CASES])
def test_model_refuses(topology, case, setup, variable, host):
    common, per_host = setup
    per_host = {h: {k: v for k, v in values.items() if v is not None} for h, values in per_host.items()}
    assert_model_refuses(topology, (common, per_host), variable, host,
                         secrets=(DRBD_SECRET, SECRET, FENCE_SECRET))


@pytest.mark.parametrize("topology,setup", [
    ("drbd", m_drbd()), ("heartbeat", m_hb()), ("samba", m_samba()), ("primary_secondary", m_ps()),
    ("pacemaker", m_pm()), ("iscsi_target", m_iscsi()), ("iscsi_initiator", m_init()), ("base", m_base()),
    ("drbd", m_drbd(res=[r0(disk="/dev/disk/by-id/virtio-data1", meta_disk="/dev/vdc[0]", device="/dev/drbd0")])),
    ("primary_secondary", m_ps(primary_secondary_mount="/var/lib/mysql", primary_secondary_label="data")),
    ("iscsi_target", m_iscsi(iscsi_target_implementation="tgt", iscsi_target_allowed_initiators=["ALL"])),
], ids=["drbd", "heartbeat", "samba", "primary_secondary", "pacemaker", "iscsi_target", "iscsi_initiator", "base",
        "drbd by-id disk, external meta data", "ps mount below /var/lib", "tgt"])
def test_model_accepts_good_input(topology, setup):
    common, per_host = setup
    assert model_problems(topology, common, per_host) == []


# ---------------------------------------------------------------- iscsi_target: a failed query of Pacemaker

PACEMAKER_FIXTURES = HERE.parent / "unit" / "fixtures" / "pacemaker" / "2.1.5"


def fake_cibadmin(tmp_path, capture):
    """A cibadmin that replays what Pacemaker 2.1.5's printed (fixtures/pacemaker/2.1.5/<capture>.*)."""
    tool = tmp_path / "cibadmin"
    tool.write_text("#!/bin/sh\ncat '%s'\ncat '%s' >&2\nexit %s\n" % (
        PACEMAKER_FIXTURES / (capture + ".stdout"), PACEMAKER_FIXTURES / (capture + ".stderr"),
        (PACEMAKER_FIXTURES / (capture + ".rc")).read_text().strip()))
    tool.chmod(0o755)
    return tool


def run_managed_query(tmp_path, cibadmin, corosync_conf="# hacluster.drbd pacemaker role: Corosync 3 membership\n"):
    """The pacemaker role's tasks/managed.yml as iscsi_target asks it (for its group g_vg0), on localhost, with a
    Corosync configuration of `corosync_conf` (None: none at all) and `cibadmin` as Pacemaker's tool."""
    conf = tmp_path / "corosync.conf"
    if corosync_conf is not None:
        conf.write_text(corosync_conf)
    playbook = tmp_path / "managed.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.include_role:\n        name: hacluster.drbd.pacemaker\n"
        "        tasks_from: managed\n      vars:\n        __pacemaker_cibadmin: %s\n"
        "        __pacemaker_corosync_conf: %s\n        __pacemaker_managed_retries: 0\n"
        "        __pacemaker_managed_id: g_vg0\n"
        "    - ansible.builtin.debug:\n        msg: \"managed rc {{ __pacemaker_managed.rc }}\"\n" % (cibadmin, conf))
    return ansible_playbook("-i", "localhost,", "-c", "local", str(playbook),
                            "-e", "ansible_python_interpreter=%s" % os.environ.get("CHECK_PYTHON", "auto_silent"),
                            timeout=120)


def test_a_failed_query_of_pacemaker_is_an_error_not_unmanaged(tmp_path):
    rc, out = run_managed_query(tmp_path, fake_cibadmin(tmp_path, "cibadmin-no-cluster"))
    assert rc != 0, out
    assert "Could not ask Pacemaker on localhost" in out and "cibadmin exited 102" in out, out
    assert "Transport endpoint is not connected" in out
    assert "managed rc" not in out


def test_a_cib_without_the_group_is_unmanaged(tmp_path):
    rc, out = run_managed_query(tmp_path, fake_cibadmin(tmp_path, "cibadmin-xpath-miss"))
    assert rc == 0, out
    assert "managed rc 105" in out


@pytest.mark.parametrize("conf", ["totem {\n    cluster_name: debian\n}\n", None], ids=["distribution default", "none"])
def test_a_cluster_this_collection_did_not_configure_runs_no_target(tmp_path, conf):
    """Freshly installed (or staged) packages start a one-node default cluster that may not answer yet:
    not asked, not managed."""
    rc, out = run_managed_query(tmp_path, fake_cibadmin(tmp_path, "cibadmin-no-cluster"), corosync_conf=conf)
    assert rc == 0, out
    assert "managed rc 105" in out


# ---------------------------------------------------------------- secrets: no_log in every argument spec

import yaml  # noqa: E402

COLLECTION = Path(os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")) / "ansible_collections/hacluster/drbd"
SECRET_OPTIONS = [
    ("drbd", ["drbd_shared_secret"]), ("heartbeat", ["heartbeat_authkey"]),
    ("heartbeat", ["heartbeat_stonith_hosts", "params"]), ("pacemaker", ["pacemaker_fence_secrets"]),
]


@pytest.mark.parametrize("role,path", SECRET_OPTIONS, ids=[".".join(p) for dummy, p in SECRET_OPTIONS])
def test_every_secret_bearing_role_option_is_no_log(role, path):
    spec = yaml.safe_load((COLLECTION / "roles" / role / "meta/argument_specs.yml").read_text())
    option = {"options": spec["argument_specs"]["main"]["options"]}
    for name in path:
        option = option["options"][name]
    assert option.get("no_log") is True, "%s %s is logged" % (role, ".".join(path))


@pytest.mark.parametrize("module,option", [("drbd_resource", "shared_secret"), ("pacemaker_cib", "secrets"),
                                           ("cman_cluster", "fence_secrets")])
def test_every_secret_bearing_module_option_is_no_log(module, option):
    source = (COLLECTION / "plugins/modules" / (module + ".py")).read_text()
    assert re.search(r"\b%s=dict\([^)]*no_log=True" % option, source), "%s %s is logged" % (module, option)


@pytest.mark.parametrize("role", sorted(p.parent.parent.name for p in (HERE.parent.parent / "roles").glob("*/defaults/main.yml")))
def test_argument_specs_match_the_defaults(role):
    roles = HERE.parent.parent / "roles"
    defaults = yaml.safe_load((roles / role / "defaults/main.yml").read_text()) or {}
    spec = yaml.safe_load((roles / role / "meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(k for k in spec if k in defaults or "default" in spec[k]), role
    for name, value in defaults.items():
        if (isinstance(value, str) and "{{" in value) or spec[name].get("required"):
            # Computed defaults, and placeholders of options the spec makes the user set.
            continue
        assert spec[name].get("default") == value, "%s: %s defaults to %r, its argument spec says %r" % (
            role, name, value, spec[name].get("default"))


# ---------------------------------------------------------------- dual_primary_gfs2 (seed 000, sections 6.5 and 6.6)

GUEST = {"name": "guest1", "disk": "/srv/gfs0/guest1.img", "memory": 256, "prefer": "node1"}
GOOD_DPG = dict(
    copy.deepcopy(GOOD_DRBD), **copy.deepcopy(GOOD_PACEMAKER),
    dual_primary_gfs2_filesystems=[{"resource": "r0", "name": "gfs0", "mount": "/srv/gfs0", "options": ["noatime"]}],
    dual_primary_gfs2_vms=[GUEST, {"name": "guest2", "disk": "/srv/gfs0/guest2.img", "prefer": "node2"}],
)


def dpg_case(host=None, **changes):
    variables = copy.deepcopy(GOOD_DPG)
    variables.update(changes)
    hosts = copy.deepcopy(DRBD_ADDRESSES)
    for name, values in PM_LINKS.items():
        hosts[name].update(values)
    for name, values in (host or {}).items():
        hosts[name].update(values)
    return variables, hosts


def fs0(**changes):
    out = dict(GOOD_DPG["dual_primary_gfs2_filesystems"][0])
    out.update(changes)
    return [out]


def r0_net(**net):
    return [r0(net=net)]


CMAN = {"dual_primary_gfs2_stack": "cman"}


@pytest.mark.parametrize("changes", [{}, CMAN], ids=["pacemaker", "cman"])
def test_good_dual_primary_gfs2_input_passes(tmp_path, changes):
    variables, hosts = dpg_case(**changes)
    rc, out = run_check("dual_primary_gfs2", variables, per_host=hosts, tmp_path=tmp_path)
    assert rc == 0, out
    assert FENCE_SECRET not in out and DRBD_SECRET not in out


# The seed's hazards, refused by the role before any host is touched (a playbook each).
BAD_DPG = [
    ("violently-as0p under GFS2", dpg_case(drbd_resources=r0_net(**{"after-sb-1pri": "violently-as0p"})),
     "drbd_resources[r0].net.after-sb-1pri"),
    ("discard-least-changes under GFS2", dpg_case(drbd_resources=r0_net(**{"after-sb-0pri": "discard-least-changes"})),
     "drbd_resources[r0].net.after-sb-0pri"),
    ("rr-conflict violently", dpg_case(drbd_resources=r0_net(**{"rr-conflict": "violently"})),
     "drbd_resources[r0].net.rr-conflict"),
    ("no fencing", dpg_case(pacemaker_fence_devices=[], pacemaker_fence_secrets={}), "pacemaker_fence_devices"),
    ("lock_nolock on a device two nodes mount", dpg_case(dual_primary_gfs2_filesystems=fs0(lock_proto="lock_nolock")),
     "dual_primary_gfs2_filesystems[gfs0].lock_proto"),
    ("fewer journals than nodes", dpg_case(dual_primary_gfs2_filesystems=fs0(journals=1)),
     "dual_primary_gfs2_filesystems[gfs0].journals"),
    ("lock table longer than mkfs.gfs2 allows", dpg_case(dual_primary_gfs2_filesystems=fs0(name="g" * 31)),
     "dual_primary_gfs2_filesystems[" + "g" * 31 + "].name"),
    ("guest disk outside GFS2", dpg_case(dual_primary_gfs2_vms=[dict(GUEST, disk="/var/lib/libvirt/images/g.img")]),
     "dual_primary_gfs2_vms[guest1].disk"),
]


@pytest.mark.parametrize("case,setup,needle", BAD_DPG, ids=[c[0] for c in BAD_DPG])
def test_bad_dual_primary_gfs2_input_is_refused(tmp_path, case, setup, needle):
    assert_refused("dual_primary_gfs2", case, setup, needle, tmp_path)


def m_dpg(host=None, **changes):
    return dpg_case(host=host, **changes)


DPG_MODEL_CASES = [
    # The seed's after-split-brain and resync policies, refused on a resource under GFS2 ...
    ("after-sb-0pri discard-least-changes", m_dpg(drbd_resources=r0_net(**{"after-sb-0pri": "discard-least-changes"})),
     "drbd_resources[r0].net.after-sb-0pri"),
    ("after-sb-0pri discard-zero-changes", m_dpg(drbd_resources=r0_net(**{"after-sb-0pri": "discard-zero-changes"})),
     "drbd_resources[r0].net.after-sb-0pri"),
    ("after-sb-0pri discard-younger-primary", m_dpg(drbd_resources=r0_net(
        **{"after-sb-0pri": "discard-younger-primary"})), "drbd_resources[r0].net.after-sb-0pri"),
    ("after-sb-1pri discard-secondary", m_dpg(drbd_resources=r0_net(**{"after-sb-1pri": "discard-secondary"})),
     "drbd_resources[r0].net.after-sb-1pri"),
    ("after-sb-1pri violently-as0p", m_dpg(drbd_resources=r0_net(**{"after-sb-1pri": "violently-as0p"})),
     "drbd_resources[r0].net.after-sb-1pri"),
    ("after-sb-2pri violently-as0p", m_dpg(drbd_resources=r0_net(**{"after-sb-2pri": "violently-as0p"})),
     "drbd_resources[r0].net.after-sb-2pri"),
    ("after_sb_2pri violently-as0p (underscores)", m_dpg(drbd_resources=r0_net(after_sb_2pri="violently-as0p")),
     "drbd_resources[r0].net.after_sb_2pri"),
    # ... even with the opt-out of automatic discards, which does not apply to a cluster file system
    ("violently-as0p with the discard opt-out", m_dpg(drbd_resources=r0_net(**{"after-sb-2pri": "violently-as0p"}),
                                                      drbd_allow_automatic_split_brain_discard=True),
     "drbd_resources[r0].net.after-sb-2pri"),
    ("discard-least-changes with the discard opt-out", m_dpg(
        drbd_resources=r0_net(**{"after-sb-0pri": "discard-least-changes"}),
        drbd_allow_automatic_split_brain_discard=True), "drbd_resources[r0].net.after-sb-0pri"),
    ("rr-conflict violently", m_dpg(drbd_resources=r0_net(**{"rr-conflict": "violently"})),
     "drbd_resources[r0].net.rr-conflict"),
    ("allow-two-primaries off", m_dpg(drbd_resources=r0_net(**{"allow-two-primaries": "no"})),
     "drbd_resources[r0].net.allow-two-primaries"),
    ("protocol A", m_dpg(drbd_resources=[r0(protocol="A")]), "drbd_resources[r0].protocol"),
    ("fencing resource-only", m_dpg(drbd_resources=[r0(disk_options={"fencing": "resource-only"})]),
     "drbd_resources[r0].disk_options.fencing"),
    ("fencing dont-care in net (DRBD 9 place)", m_dpg(drbd_resources=r0_net(fencing="dont-care")),
     "drbd_resources[r0].disk_options.fencing"),
    ("no fence-peer handler", m_dpg(dual_primary_gfs2_drbd_handlers={"split-brain": "/usr/lib/drbd/notify.sh"}),
     "dual_primary_gfs2_drbd_handlers"),
    ("relative handler", m_dpg(dual_primary_gfs2_drbd_handlers={"fence-peer": "crm-fence-peer.sh"}),
     "dual_primary_gfs2_drbd_handlers.fence-peer"),
    ("no initial primary", m_dpg(drbd_resources=[{k: v for k, v in R0.items() if k != "initial_primary"}]),
     "drbd_resources[r0].initial_primary"),
    # No fencing: DLM does not run without it.
    ("no fence devices", m_dpg(pacemaker_fence_devices=[], pacemaker_fence_secrets={}), "pacemaker_fence_devices"),
    ("no fencing, opted out", m_dpg(pacemaker_fence_devices=[], pacemaker_fence_secrets={},
                                    pacemaker_allow_no_fencing=True), "pacemaker_allow_no_fencing"),
    ("stonith-enabled false", m_dpg(pacemaker_properties={"stonith-enabled": "false"}),
     "pacemaker_properties.stonith-enabled"),
    ("cman with fence_manual", m_dpg(dual_primary_gfs2_stack="cman", pacemaker_fence_devices=[
        {"id": "human", "agent": "stonith:fence_manual", "params": {"pcmk_host_list": "node1 node2"}}],
        pacemaker_fence_secrets={}), "pacemaker_fence_devices[human].agent"),
    ("cman node without a fence device", m_dpg(dual_primary_gfs2_stack="cman", pacemaker_fence_devices=[
        GOOD_PACEMAKER["pacemaker_fence_devices"][0]], pacemaker_fence_secrets={"fence_node1": {"password": "x"}}),
     "pacemaker_fence_devices"),
    # lock_nolock, and mount options that undo the cluster's locking
    ("lock_proto lock_nolock", m_dpg(dual_primary_gfs2_filesystems=fs0(lock_proto="lock_nolock")),
     "dual_primary_gfs2_filesystems[gfs0].lock_proto"),
    ("mount option lockproto=lock_nolock", m_dpg(dual_primary_gfs2_filesystems=fs0(
        options=["noatime", "lockproto=lock_nolock"])), "dual_primary_gfs2_filesystems[gfs0].options[1]"),
    ("mount option locktable=", m_dpg(dual_primary_gfs2_filesystems=fs0(options=["locktable=other:gfs0"])),
     "dual_primary_gfs2_filesystems[gfs0].options[0]"),
    ("mount option localflocks", m_dpg(dual_primary_gfs2_filesystems=fs0(options=["localflocks"])),
     "dual_primary_gfs2_filesystems[gfs0].options[0]"),
    ("mount option with a comma", m_dpg(dual_primary_gfs2_filesystems=fs0(options=["noatime,nodiratime"])),
     "dual_primary_gfs2_filesystems[gfs0].options[0]"),
    # journals and lock tables
    ("one journal for two nodes", m_dpg(dual_primary_gfs2_filesystems=fs0(journals=1)),
     "dual_primary_gfs2_filesystems[gfs0].journals"),
    ("journals a word", m_dpg(dual_primary_gfs2_filesystems=fs0(journals="two")),
     "dual_primary_gfs2_filesystems[gfs0].journals"),
    ("journal size 8 MB", m_dpg(dual_primary_gfs2_filesystems=fs0(journal_size=8)),
     "dual_primary_gfs2_filesystems[gfs0].journal_size"),
    ("file system name of 31", m_dpg(dual_primary_gfs2_filesystems=fs0(name="g" * 31)),
     "dual_primary_gfs2_filesystems[" + "g" * 31 + "].name"),
    ("file system name of 17 under cman", m_dpg(dual_primary_gfs2_stack="cman",
                                                dual_primary_gfs2_filesystems=fs0(name="g" * 17)),
     "dual_primary_gfs2_filesystems[" + "g" * 17 + "].name"),
    ("file system name with a colon", m_dpg(dual_primary_gfs2_filesystems=fs0(name="gfs:0")),
     "dual_primary_gfs2_filesystems[gfs:0].name"),
    ("cluster name of 33", m_dpg(pacemaker_cluster_name="c" * 33), "pacemaker_cluster_name"),
    ("cluster name of 16 under cman", m_dpg(dual_primary_gfs2_stack="cman", pacemaker_cluster_name="c" * 16),
     "pacemaker_cluster_name"),
    # file systems
    ("no file system", m_dpg(dual_primary_gfs2_filesystems=[]), "dual_primary_gfs2_filesystems"),
    ("unknown resource", m_dpg(dual_primary_gfs2_filesystems=fs0(resource="r9")),
     "dual_primary_gfs2_filesystems[gfs0].resource"),
    ("mount point on /var", m_dpg(dual_primary_gfs2_filesystems=fs0(mount="/var")),
     "dual_primary_gfs2_filesystems[gfs0].mount"),
    ("mount point missing", m_dpg(dual_primary_gfs2_filesystems=[{"resource": "r0", "name": "gfs0"}]),
     "dual_primary_gfs2_filesystems[gfs0].mount"),
    ("two file systems on one resource",
     m_dpg(dual_primary_gfs2_filesystems=fs0() + fs0(name="gfs1", mount="/srv/gfs1")),
     "dual_primary_gfs2_filesystems"),
    ("unknown key", m_dpg(dual_primary_gfs2_filesystems=fs0(mountpoint="/srv/gfs0")),
     "dual_primary_gfs2_filesystems[gfs0]"),
    ("file systems differ per node", m_dpg(host={N2: {"dual_primary_gfs2_filesystems": fs0(mount="/srv/other")}}),
     "dual_primary_gfs2_filesystems"),
    # guests
    ("guest disk outside GFS2", m_dpg(dual_primary_gfs2_vms=[dict(GUEST, disk="/srv/other/guest1.img")]),
     "dual_primary_gfs2_vms[guest1].disk"),
    ("guest disk on a prefix of the mount point",
     m_dpg(dual_primary_gfs2_vms=[dict(GUEST, disk="/srv/gfs01/guest1.img")]),
     "dual_primary_gfs2_vms[guest1].disk"),
    ("guest without a disk", m_dpg(dual_primary_gfs2_vms=[{"name": "guest1"}]), "dual_primary_gfs2_vms[guest1].disk"),
    ("guest on an unknown file system", m_dpg(dual_primary_gfs2_vms=[dict(GUEST, filesystem="gfs9")]),
     "dual_primary_gfs2_vms[guest1].filesystem"),
    ("guest preferring an unknown node", m_dpg(dual_primary_gfs2_vms=[dict(GUEST, prefer="node9")]),
     "dual_primary_gfs2_vms[guest1].prefer"),
    ("guest name with a space", m_dpg(dual_primary_gfs2_vms=[dict(GUEST, name="my guest")]), "dual_primary_gfs2_vms"),
    ("two guests of one name", m_dpg(dual_primary_gfs2_vms=[GUEST, GUEST]), "dual_primary_gfs2_vms"),
    ("guest memory 0", m_dpg(dual_primary_gfs2_vms=[dict(GUEST, memory=0)]), "dual_primary_gfs2_vms[guest1].memory"),
    ("guest initrd without kernel", m_dpg(dual_primary_gfs2_vms=[dict(GUEST, initrd="/srv/gfs0/initrd")]),
     "dual_primary_gfs2_vms[guest1].initrd"),
    ("guest xml and disk", m_dpg(dual_primary_gfs2_vms=[dict(GUEST, xml="<domain/>")]),
     "dual_primary_gfs2_vms[guest1].disk"),
    ("guest image copied from itself", m_dpg(dual_primary_gfs2_vms=[dict(GUEST, disk_source=GUEST["disk"])]),
     "dual_primary_gfs2_vms[guest1].disk_source"),
    ("guest image source not a path", m_dpg(dual_primary_gfs2_vms=[dict(GUEST, disk_source="images/g.img")]),
     "dual_primary_gfs2_vms[guest1].disk_source"),
    ("guest agent parameter the role sets", m_dpg(dual_primary_gfs2_vms=[dict(GUEST, agent_params={"config": "/x"})]),
     "dual_primary_gfs2_vms[guest1]"),
    ("guest operation not a mapping", m_dpg(dual_primary_gfs2_vms=[dict(GUEST, operations={"monitor": "60s"})]),
     "dual_primary_gfs2_vms[guest1]"),
    ("guest agent parameters not a mapping", m_dpg(dual_primary_gfs2_vms=[dict(GUEST, agent_params=["force_stop"])]),
     "dual_primary_gfs2_vms[guest1].agent_params"),
    ("guest operation VirtualDomain lacks",
     m_dpg(dual_primary_gfs2_vms=[dict(GUEST, operations={"reload": {"timeout": "9s"}})]),
     "dual_primary_gfs2_vms[guest1]"),
    ("domain type xen", m_dpg(dual_primary_gfs2_domain_type="xen"), "dual_primary_gfs2_domain_type"),
    ("definitions below /etc/libvirt", m_dpg(dual_primary_gfs2_vm_config_dir="/etc/libvirt/qemu"),
     "dual_primary_gfs2_vm_config_dir"),
    ("bridge name too long", m_dpg(dual_primary_gfs2_bridge="b" * 16), "dual_primary_gfs2_bridge"),
    ("bridge port with a newline", m_dpg(dual_primary_gfs2_bridge_ports=["eth1\n"]),
     "dual_primary_gfs2_bridge_ports[0]"),
    ("unknown stack", m_dpg(dual_primary_gfs2_stack="heartbeat"), "dual_primary_gfs2_stack"),
    ("dlm setting with a quote", m_dpg(dual_primary_gfs2_dlm={"plock_rate_limit": '0"'}),
     "dual_primary_gfs2_dlm.plock_rate_limit"),
    ("migration over rsh", m_dpg(dual_primary_gfs2_migration_transport="rsh"), "dual_primary_gfs2_migration_transport"),
]


@pytest.mark.parametrize("case,setup,variable", DPG_MODEL_CASES, ids=[c[0] for c in DPG_MODEL_CASES])
def test_model_refuses_dual_primary_gfs2(case, setup, variable):
    # Every refusal here is node1's: its own variables, or (cross-host) the first host's.
    assert_model_refuses("dual_primary_gfs2", setup, variable, N1, secrets=(DRBD_SECRET, FENCE_SECRET))


def test_three_nodes_are_refused():
    common, per_host = dpg_case()
    per_host["node3"] = {"drbd_address": "192.168.102.13", "pacemaker_link_addresses": ["192.168.103.13"]}
    problems = model_problems("dual_primary_gfs2", common, per_host)
    assert any(p["variable"] == "dual_primary_gfs2" and "exactly two nodes" in p["message"] for p in problems)


@pytest.mark.parametrize("changes", [
    {}, CMAN,
    {"dual_primary_gfs2_vms": []},
    {"dual_primary_gfs2_filesystems": fs0(journals=3, journal_size=64, options=["noatime", "errors=withdraw"])},
    {"dual_primary_gfs2_vms": [{"name": "guest1", "xml": "<domain type='qemu'>\n<name>guest1</name>\n</domain>\n",
                                "prefer": "node2"}]},
    {"dual_primary_gfs2_vms": [dict(GUEST, kernel="/srv/gfs0/vmlinuz", initrd="/srv/gfs0/initrd.img",
                                    cmdline="console=ttyS0")], "dual_primary_gfs2_domain_type": "qemu"},
    {"pacemaker_cluster_name": "c" * 32, "dual_primary_gfs2_filesystems": fs0(name="g" * 30)},
    dict(CMAN, pacemaker_cluster_name="c" * 15, dual_primary_gfs2_filesystems=fs0(name="g" * 16)),
], ids=["pacemaker", "cman", "no guests", "three journals", "guest from xml", "direct kernel boot",
        "longest lock table", "longest lock table under cman"])
def test_model_accepts_good_dual_primary_gfs2_input(changes):
    common, per_host = dpg_case(**changes)
    assert model_problems("dual_primary_gfs2", common, per_host) == []


def dpg_facts(**changes):
    common, per_host = dpg_case(**changes)
    task_vars = dict(common, **per_host["node1"])
    task_vars.update(inventory_hostname="node1", ansible_play_hosts_all=["node1", "node2"],
                     groups={"all": ["node1", "node2"], "dual_primary_gfs2": ["node1", "node2"]},
                     group_names=["dual_primary_gfs2"])
    return check_host("dual_primary_gfs2", host_input("dual_primary_gfs2", task_vars, LOADER,
                                                      Templar(loader=LOADER)))[2]


def test_the_model_derives_the_dual_primary_configuration():
    facts = dpg_facts(drbd_resources=[r0(net={"max-buffers": 8000}, handlers={"split-brain": "/usr/lib/drbd/notify.sh"})])
    res = facts["__dual_primary_gfs2_drbd_resources"][0]
    assert res["net"] == {"allow-two-primaries": True, "after-sb-0pri": "disconnect", "after-sb-1pri": "disconnect",
                          "after-sb-2pri": "disconnect", "max-buffers": 8000}
    assert res["disk_options"] == {"fencing": "resource-and-stonith"}
    assert res["handlers"] == {"fence-peer": "/usr/lib/drbd/crm-fence-peer.sh",
                               "after-resync-target": "/usr/lib/drbd/crm-unfence-peer.sh",
                               "split-brain": "/usr/lib/drbd/notify.sh"}
    assert facts["__dual_primary_gfs2_filesystems"] == [{
        "resource": "r0", "name": "gfs0", "mount": "/srv/gfs0", "device": "/dev/drbd0", "lock_table": "hacluster:gfs0",
        "journals": 2, "journal_size": None, "options": ["noatime"], "clone": "cl_fs_gfs0"}]
    assert [(vm["name"], vm["mount"], vm["depends_on"]) for vm in facts["__dual_primary_gfs2_vms"]] == [
        ("guest1", "/srv/gfs0", ["cl_fs_gfs0"]), ("guest2", "/srv/gfs0", ["cl_fs_gfs0"])]
    assert facts["__dual_primary_gfs2_cman_nodes"] == [] and "startup" not in res
    assert facts["__dual_primary_gfs2_cluster_name"] == "hacluster"


def test_the_model_derives_cluster_conf_nodes_and_devices_without_secrets():
    facts = dpg_facts(dual_primary_gfs2_stack="cman", pacemaker_fence_devices=[
        {"id": "fence_virsh", "agent": "stonith:fence_virsh",
         "params": {"ip": "10.0.3.1", "username": "root", "pcmk_host_map": "node1:vm-node1;node2:vm-node2"}}],
        pacemaker_fence_secrets={"fence_virsh": {"password": FENCE_SECRET}})
    assert facts["__dual_primary_gfs2_cman_fence_devices"] == [
        {"name": "fence_virsh", "agent": "fence_virsh", "params": {"ip": "10.0.3.1", "username": "root"}}]
    assert facts["__dual_primary_gfs2_cman_nodes"] == [
        {"name": "node1", "nodeid": 1, "fence": [{"name": "1", "devices": [{"name": "fence_virsh", "port": "vm-node1"}]}]},
        {"name": "node2", "nodeid": 2, "fence": [{"name": "1", "devices": [{"name": "fence_virsh", "port": "vm-node2"}]}]}]
    assert FENCE_SECRET not in json.dumps(facts)
    assert facts["__dual_primary_gfs2_drbd_resources"][0]["handlers"] == {"fence-peer": "/usr/lib/drbd/rhcs_fence"}
    assert facts["__dual_primary_gfs2_drbd_resources"][0]["startup"] == {"become-primary-on": "both"}


def test_site_validation_checks_the_dual_primary_topology_first(tmp_path):
    common, per_host = dpg_case()
    hosts = {h: dict(common, **values, hacluster_cluster_address="192.168.103.1%d" % (i + 1))
             for i, (h, values) in enumerate(sorted(per_host.items()))}
    groups = {"hacluster": ["node1", "node2"], "dual_primary_gfs2": ["node1", "node2"]}
    rc, out, marks = run_site_validation(groups, {}, hosts, tmp_path)
    assert rc == 0, out
    assert marks["node1"]["filesystems"][0]["lock_table"] == "hacluster:gfs0", marks
    hosts["node2"]["dual_primary_gfs2_filesystems"] = fs0(journals=1)
    hosts["node1"]["dual_primary_gfs2_filesystems"] = fs0(journals=1)
    (tmp_path / "bad").mkdir()
    rc, out, marks = run_site_validation(groups, {}, hosts, tmp_path / "bad")
    assert rc != 0 and "- node1: dual_primary_gfs2_filesystems[gfs0].journals" in out, out
    assert marks == {}
    assert FENCE_SECRET not in out and DRBD_SECRET not in out


def test_readme_dual_primary_inventory_passes():
    """The README's dual-primary example (other host names, a qcow2 guest, a bridge port)."""
    common = {
        "drbd_resources": [{"name": "r0", "port": 7789, "minor": 0, "disk": "/dev/sdb", "protocol": "C",
                            "initial_primary": "vm1"}],
        "drbd_shared_secret": DRBD_SECRET,
        "pacemaker_cluster_name": "hardcore",
        "pacemaker_fence_devices": [
            {"id": "fence_vm1", "agent": "stonith:fence_ipmilan",
             "params": {"ip": "10.0.3.61", "username": "admin", "lanplus": 1, "pcmk_host_list": "vm1"}},
            {"id": "fence_vm2", "agent": "stonith:fence_ipmilan",
             "params": {"ip": "10.0.3.62", "username": "admin", "lanplus": 1, "pcmk_host_list": "vm2"}}],
        "pacemaker_fence_secrets": {"fence_vm1": {"password": FENCE_SECRET}, "fence_vm2": {"password": FENCE_SECRET}},
        "dual_primary_gfs2_filesystems": [{"resource": "r0", "name": "gfs0", "mount": "/srv/gfs0",
                                           "options": ["noatime"]}],
        "dual_primary_gfs2_bridge": "br0",
        "dual_primary_gfs2_bridge_ports": ["eth2"],
        "dual_primary_gfs2_vms": [
            {"name": "web1", "disk": "/srv/gfs0/web1.img", "memory": 1024, "vcpus": 2, "prefer": "vm1"},
            {"name": "mail1", "disk": "/srv/gfs0/mail1.qcow2", "disk_format": "qcow2", "memory": 512,
             "prefer": "vm2"}],
    }
    per_host = {"vm1": {"hacluster_cluster_address": "10.0.1.61", "drbd_address": "10.0.2.61"},
                "vm2": {"hacluster_cluster_address": "10.0.1.62", "drbd_address": "10.0.2.62"}}
    assert model_problems("dual_primary_gfs2", common, per_host) == []
    for stack in ("pacemaker", "cman"):
        assert model_problems("dual_primary_gfs2", dict(common, dual_primary_gfs2_stack=stack), per_host) == []


# ---------------------------------------------------------------- dual_primary_gfs2: the CIB the role writes

def role_cib(tmp_path, **changes):
    """The role's CIB specification (roles/dual_primary_gfs2/vars/main.yml: the storage part, then the guests' part
    pushed once the file systems are mounted), templated by Ansible from what the model derives and what
    libvirt_vm_service returns for the guests."""
    from ansible_collections.hacluster.drbd.plugins.module_utils.virsh import pacemaker_spec  # noqa: E402
    facts = dpg_facts(**changes)
    guests = {"results": [{"uuid": "x", "item": vm, "cib": pacemaker_spec(
        vm["name"], "/etc/hacluster/domains/%s.xml" % vm["name"], "qemu:///system", vm.get("prefer"), 100,
        vm["depends_on"])} for vm in facts["__dual_primary_gfs2_vms"]]}
    extra = dict(facts, __dual_primary_gfs2_guests=guests, dual_primary_gfs2_stack="pacemaker")
    (tmp_path / "extra.json").write_text(json.dumps(extra))
    out = tmp_path / "cib.json"
    playbook = tmp_path / "cib.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  vars_files: [%s]\n  tasks:\n"
        "    - ansible.builtin.copy:\n        dest: %s\n        mode: '0600'\n"
        "        content: \"{{ {'resources': __dual_primary_gfs2_cib_resources + __dual_primary_gfs2_cib_guest_resources,"
        " 'constraints': __dual_primary_gfs2_cib_constraints + __dual_primary_gfs2_cib_guest_constraints}"
        " | to_json }}\"\n"
        % (COLLECTION / "roles/dual_primary_gfs2/vars/main.yml", out))
    rc, output = ansible_playbook("-i", "localhost,", "-c", "local", str(playbook),
                                  "-e", "@%s" % (tmp_path / "extra.json"),
                                  "-e", "ansible_python_interpreter=%s" % os.environ.get("CHECK_PYTHON", "auto_silent"),
                                  timeout=120)
    assert rc == 0, output
    return json.loads(out.read_text())


def test_the_role_cib_puts_gfs2_after_dlm_and_both_promotions_and_verifies(tmp_path):
    from ansible_collections.hacluster.drbd.plugins.module_utils import pacemaker_cib  # noqa: E402
    spec = role_cib(tmp_path)
    ids = [r["id"] for r in spec["resources"]]
    assert ids == ["cl_dlm", "cl_drbd_r0", "cl_fs_gfs0", "p_vm_guest1", "p_vm_guest2"]
    drbd = spec["resources"][1]
    assert drbd["promotable"] is True and drbd["meta"]["promoted-max"] == 2
    assert spec["resources"][2]["child"]["params"] == {"device": "/dev/drbd0", "directory": "/srv/gfs0",
                                                       "fstype": "gfs2", "options": "noatime"}
    orders = [(c["first"], c.get("first_action", "start"), c["then"]) for c in spec["constraints"]
              if c["type"] == "order"]
    assert ("cl_dlm", "start", "cl_fs_gfs0") in orders and ("cl_drbd_r0", "promote", "cl_fs_gfs0") in orders
    assert ("cl_fs_gfs0", "start", "p_vm_guest1") in orders
    fence = [dict(d, params=dict(d["params"], password=FENCE_SECRET)) for d in GOOD_PACEMAKER["pacemaker_fence_devices"]]
    rendered = pacemaker_cib.render({"resources": fence + spec["resources"], "constraints": spec["constraints"],
                                     "properties": {"stonith-enabled": "true"}}, "2.1")
    new, changes, dummy = pacemaker_cib.merge((PACEMAKER_FIXTURES / "cibadmin-empty.xml").read_text(), rendered)
    assert "clone cl_fs_gfs0" in changes and "rsc_location l_p_vm_guest2_prefers_node2" in changes
    if not os.path.exists("/usr/sbin/crm_verify"):
        pytest.skip("Pacemaker's crm_verify is not installed here")
    (tmp_path / "new.xml").write_text(new)
    proc = subprocess.run(["/usr/sbin/crm_verify", "--verbose", "--xml-file", str(tmp_path / "new.xml")],
                          capture_output=True, text=True, env=dict(os.environ, LC_ALL="C"), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_role_expressions_pick_the_primary_and_the_peers(tmp_path):
    """vars/main.yml's makers (who makes a file system: the first node where its resource is Primary), the peers'
    addresses for ssh, and the guests' results, on two local hosts with what drbd_info and libvirt_vm_service
    returned there."""
    from ansible_collections.hacluster.drbd.plugins.module_utils.virsh import rgmanager_spec  # noqa: E402
    facts = dpg_facts()
    roles = {"node1": "Secondary", "node2": "Primary"}
    hosts = {}
    for number, host in enumerate(["node1", "node2"], start=1):
        hosts[host] = dict(facts, ansible_connection="local",
                           ansible_python_interpreter=os.environ.get("CHECK_PYTHON", "auto_silent"),
                           hacluster_cluster_address="192.168.103.1%d" % number,
                           drbd_address="192.168.102.1%d" % number, dual_primary_gfs2_stack="cman",
                           __dual_primary_gfs2_drbd={"resources": {"r0": {"role": roles[host]}}},
                           __dual_primary_gfs2_guests={"results": [
                               {"item": vm, "uuid": "u-" + vm["name"],
                                "rgmanager": rgmanager_spec(vm["name"], "qemu:///system", ["node1", "node2"],
                                                            vm.get("prefer"))}
                               for vm in facts["__dual_primary_gfs2_vms"]] + [{"item": {"name": "x"}, "skipped": True}]})
    (tmp_path / "inventory.json").write_text(json.dumps({"all": {"hosts": hosts}}))
    out = tmp_path / "out"
    out.mkdir()
    playbook = tmp_path / "expressions.yml"
    playbook.write_text(
        "- hosts: all\n  gather_facts: false\n  vars_files: [%s]\n  tasks:\n"
        "    - ansible.builtin.copy:\n        dest: %s/{{ inventory_hostname }}\n        mode: '0600'\n"
        "        content: \"{{ {'makers': __dual_primary_gfs2_makers, 'peers': __dual_primary_gfs2_peer_addresses,"
        " 'domains': __dual_primary_gfs2_guest_results | map(attribute='rgmanager.failover_domain') | list,"
        " 'vms': __dual_primary_gfs2_guest_results | map(attribute='rgmanager.vm') | list} | to_json }}\"\n"
        "      delegate_to: localhost\n"
        % (COLLECTION / "roles/dual_primary_gfs2/vars/main.yml", out))
    rc, output = ansible_playbook("-i", str(tmp_path / "inventory.json"), str(playbook), timeout=120)
    assert rc == 0, output
    seen = json.loads((out / "node1").read_text())
    assert seen["makers"] == {"r0": "node2"}
    assert seen["peers"] == {"node1": ["192.168.103.11", "192.168.102.11"],
                             "node2": ["192.168.103.12", "192.168.102.12"]}
    assert [d["name"] for d in seen["domains"]] == ["vm_guest1", "vm_guest2"]
    assert [v["domain"] for v in seen["vms"]] == ["vm_guest1", "vm_guest2"]
    assert json.loads((out / "node2").read_text())["makers"] == {"r0": "node2"}


@pytest.mark.parametrize("devices", [
    GOOD_PACEMAKER["pacemaker_fence_devices"],
    [{"id": "fence_virsh", "agent": "stonith:fence_virsh",
      "params": {"ip": "10.0.3.1", "username": "root", "pcmk_host_map": "node1:vm-node1;node2:vm-node2"}}],
], ids=["one IPMI device per node", "one device for both, with plugs"])
def test_the_cluster_conf_of_a_good_inventory_validates_against_cluster_rng(devices):
    """What the role hands to cman_cluster for the inventory (the model's nodes and fence devices, the guests'
    rgmanager entries, the secrets) renders a cluster.conf that cman's schema accepts."""
    from ansible_collections.hacluster.drbd.plugins.module_utils import cman  # noqa: E402
    from ansible_collections.hacluster.drbd.plugins.module_utils.virsh import rgmanager_spec  # noqa: E402
    from ansible_collections.hacluster.drbd.tests.unit.plugins.module_utils.cman_helpers import (  # noqa: E402
        assert_valid,
    )
    secrets = dict((d["id"], {"password": FENCE_SECRET}) for d in devices)
    facts = dpg_facts(dual_primary_gfs2_stack="cman", pacemaker_fence_devices=devices, pacemaker_fence_secrets=secrets)
    guests = [rgmanager_spec(vm["name"], "qemu:///system", ["node1", "node2"], vm.get("prefer"))
              for vm in facts["__dual_primary_gfs2_vms"]]
    fence_devices = [dict(d, params=dict(d["params"], **secrets[d["name"]]))
                     for d in facts["__dual_primary_gfs2_cman_fence_devices"]]
    root = cman.render({"name": facts["__dual_primary_gfs2_cluster_name"],
                        "nodes": facts["__dual_primary_gfs2_cman_nodes"], "fence_devices": fence_devices,
                        "dlm": {"plock_ownership": 1, "plock_rate_limit": 0},
                        "failover_domains": [g["failover_domain"] for g in guests],
                        "vms": [g["vm"] for g in guests]})
    assert_valid(cman.to_text(root))
    assert root.find("cman").attrib == {"two_node": "1", "expected_votes": "1"}


# ---------------------------------------------------------------- throw-away hosts with fake tools
#
# Some refusals come after a host answered a query. These tests run a real playbook, or a role's real task
# file, against inventory hosts on this machine (connection local), each with its own directory of fake tools
# in front of PATH. A fake tool logs its command line and prints what the real tool printed in that state:
# fixture files, or text in the format the comment beside it names; a command it has no answer for exits 127.
# A host can also have a /proc/drbd (which needs the kernel module): its Python opens the fixture named for it
# instead, through the sitecustomize below. Nothing on this machine is changed.

import shlex  # noqa: E402

FIXTURES = HERE.parent / "unit" / "fixtures"

SITECUSTOMIZE = '''\
"""A test host of test_bad_inputs.py: /proc/drbd is the file HACLUSTER_TEST_PROC_DRBD names."""
import builtins
import os

_PROC_DRBD = os.environ.get("HACLUSTER_TEST_PROC_DRBD")
if _PROC_DRBD:
    _open = builtins.open

    def _host_open(file, *args, **kwargs):
        return _open(_PROC_DRBD if file == "/proc/drbd" else file, *args, **kwargs)

    builtins.open = _host_open
'''


def fixture_text(path: str) -> str:
    return (FIXTURES / path).read_text()


def fixture_answer(path: str) -> dict:
    """rc, stdout and stderr of a capture stored as <path>.rc/.stdout/.stderr, or as one JSON file."""
    if path.endswith(".json"):
        data = json.loads(fixture_text(path))
        return {"rc": data["rc"], "stdout": data["stdout"], "stderr": data["stderr"]}
    return {"rc": int(fixture_text(path + ".rc")), "stdout": fixture_text(path + ".stdout"),
            "stderr": fixture_text(path + ".stderr")}


class FakeHost:
    """An inventory host on this machine whose tools answer from a table."""

    def __init__(self, root: Path, name: str, proc_drbd: str | None = None):
        self.name = name
        self.dir = root / name
        self.bin = self.dir / "bin"
        self.bin.mkdir(parents=True)
        self.log = self.dir / "calls"
        self.proc_drbd = proc_drbd
        self.answers: dict[str, list] = {}

    def answer(self, command: str, rc: int = 0, stdout: str = "", stderr: str = "") -> "FakeHost":
        """What `command` (a tool and its arguments, as shlex splits them) prints and exits with."""
        argv = shlex.split(command)
        self.answers.setdefault(argv[0], []).append((argv[1:], rc, stdout, stderr))
        return self

    def tool(self, name: str) -> str:
        return str(self.bin / name)

    def host_vars(self) -> dict:
        for tool, rows in self.answers.items():
            lines = ["#!/bin/sh", "printf '%%s\\n' %s\" $*\" >> %s" % (shlex.quote(tool), shlex.quote(str(self.log))),
                     'case "$*" in']
            for number, (args, rc, stdout, stderr) in enumerate(rows):
                out, err = self.dir / ("%s.%d.stdout" % (tool, number)), self.dir / ("%s.%d.stderr" % (tool, number))
                out.write_text(stdout)
                err.write_text(stderr)
                lines.append("    %s) cat %s; cat %s >&2; exit %d;;" % (
                    shlex.quote(" ".join(args)), shlex.quote(str(out)), shlex.quote(str(err)), rc))
            lines += ["esac", "echo \"%s: this test host has no answer for: $*\" >&2" % tool, "exit 127"]
            script = self.bin / tool
            script.write_text("\n".join(lines) + "\n")
            script.chmod(0o755)
        site = self.dir / "site"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
        proc = str(FIXTURES / self.proc_drbd) if self.proc_drbd else ""
        python = self.dir / "python"
        python.write_text("#!/bin/sh\nPATH=%s:\"$PATH\" PYTHONPATH=%s HACLUSTER_TEST_PROC_DRBD=%s exec %s \"$@\"\n" % (
            shlex.quote(str(self.bin)), shlex.quote(str(site)), shlex.quote(proc),
            shlex.quote(os.environ.get("CHECK_PYTHON", sys.executable))))
        python.chmod(0o755)
        # The playbooks become root; these hosts are this machine, as the user running the tests.
        return {"ansible_connection": "local", "ansible_python_interpreter": str(python), "ansible_become": False}

    def calls(self, tool: str | None = None) -> list[str]:
        """The commands the fake tools ran, each its arguments joined by blanks (as `logged` gives them)."""
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [line for line in lines if tool is None or line.split(" ", 1)[0] == tool]


def logged(command: str) -> str:
    """A command as FakeHost.calls lists it."""
    return " ".join(shlex.split(command))


def run_on_fake_hosts(playbook: Path, hosts: list, tmp_path: Path, groups: dict | None = None,
                      extra_vars: dict | None = None, check: bool = False, verbosity: int = 0):
    inventory = {"all": {"hosts": {h.name: h.host_vars() for h in hosts},
                         "children": {g: {"hosts": {h: {} for h in members}} for g, members in (groups or {}).items()}}}
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps(inventory))
    return ansible_playbook("-i", str(inv), str(playbook), "-e", json.dumps(extra_vars or {}),
                            *(["--check"] if check else []), verbosity=verbosity)


# ---------------------------------------------------------------- split_brain_recover.yml on two fake nodes

# DRBD 8.4 with drbd-utils 9.22.0 (the lab's pairing). /proc/drbd is ganeti's 8.4.2 captures: the survivor
# node1 has r0 as minor 4 of proc_drbd.txt (WFConnection, Primary/Unknown), the victim node2 as minor 0 of
# proc_drbd_sync.txt (StandAlone, Primary/Unknown, 1 GiB out of sync): both were Primary while apart.
# `drbdadm status` text: the 8.4 backport's format (fixtures/drbd/8.4/drbdadm_status.txt, the peer is always
# "peer") with the "connection:" line a peer that is not connected gets (fixtures/drbd/9/...four_nodes.txt).
SB_VERSION = fixture_text("drbd/9.22.0/version_override_8.4.11.txt")
SB_MANAGERS = "systemctl is-active heartbeat.service pacemaker.service corosync.service"
SB_READS = {"drbdadm --version", "drbdadm status r0", "drbdadm sh-minor r0"}


def drbd_changes(node: FakeHost) -> list[str]:
    """The drbdadm commands a node ran other than the reads of drbd_info."""
    return [call for call in node.calls("drbdadm") if call not in SB_READS]


NONE_INSTALLED = {"rc": 4, "stdout": "inactive\ninactive\ninactive\n"}
SB_DETECTED = "block drbd0: Split-Brain detected but unresolved, dropping connection!"
SB_VICTIM_LOG = ["drbd r0: conn( StandAlone -> Unconnected )",
                 "drbd r0: Handshake successful: Agreed network protocol version 101", SB_DETECTED]


def split_brain_nodes(tmp_path, victim_managers: dict, survivor_managers: dict | None = None,
                      victim_log: list | None = None, victim_connect: dict | None = None):
    """node1 the survivor, node2 the victim, split-brained over r0; *_managers: systemctl's answer, victim_log:
    the lines of the victim's kernel log about r0, victim_connect: how the discarding connect ends."""
    none_installed = NONE_INSTALLED
    survivor = FakeHost(tmp_path, "node1", proc_drbd="drbd/8.4.2/proc_drbd.txt")
    survivor.answer("drbdadm --version", stdout=SB_VERSION)
    survivor.answer("drbdadm status r0", stdout="r0 role:Primary\n  disk:UpToDate\n  peer connection:Connecting\n")
    survivor.answer("drbdadm sh-minor r0", stdout="4\n")
    survivor.answer(SB_MANAGERS, **(survivor_managers or none_installed))
    # journalctl --grep exits 1 when no line matched (systemd 252 prints nothing then).
    survivor.answer("journalctl --dmesg --boot --no-pager --output=cat --grep '(drbd4|drbd r0)[:/ ]'", rc=1)
    victim = FakeHost(tmp_path, "node2", proc_drbd="drbd/8.4.2/proc_drbd_sync.txt")
    victim.answer("drbdadm --version", stdout=SB_VERSION)
    victim.answer("drbdadm status r0", stdout="r0 role:Primary\n  disk:UpToDate\n  peer connection:StandAlone\n")
    victim.answer("drbdadm sh-minor r0", stdout="0\n")
    # What the recovery runs: drbdadm prints nothing when these succeed.
    victim.answer("drbdadm secondary r0")
    victim.answer("drbdadm connect --discard-my-data r0", **(victim_connect or {}))
    victim.answer(SB_MANAGERS, **victim_managers)
    log = SB_VICTIM_LOG if victim_log is None else victim_log
    victim.answer("journalctl --dmesg --boot --no-pager --output=cat --grep '(drbd0|drbd r0)[:/ ]'",
                  rc=0 if log else 1, stdout="".join(line + "\n" for line in log))
    return survivor, victim


def run_split_brain(tmp_path, nodes, check=False, verbosity=0):
    return run_on_fake_hosts(COLLECTION / "playbooks" / "split_brain_recover.yml", list(nodes), tmp_path,
                             groups={"hacluster": ["node1", "node2"]}, check=check, verbosity=verbosity,
                             extra_vars={"split_brain_resource": "r0", "split_brain_victim": "node2",
                                         "split_brain_timeout": 5})


def test_split_brain_check_mode_reads_and_plans_but_changes_nothing(tmp_path):
    nodes = split_brain_nodes(tmp_path, NONE_INSTALLED)
    rc, out = run_split_brain(tmp_path, nodes, check=True)
    assert rc == 0, out
    assert "Would run on node2: ['drbdadm secondary r0', 'drbdadm connect --discard-my-data r0']" in out, out
    assert "Would run on node1: ['nothing']" in out, out
    for node in nodes:
        # The reads ran (check mode must not skip them, or nothing could be decided) ...
        assert node.calls("systemctl") == [SB_MANAGERS], out
        assert len(node.calls("journalctl")) == 1, out
        # ... and nothing else did.
        assert drbd_changes(node) == [], node.name


@pytest.mark.parametrize("managers,states", [
    ({"rc": 0, "stdout": "active\ninactive\ninactive\n"}, "active, inactive, inactive"),
    ({"rc": 0, "stdout": "inactive\nactive\nactive\n"}, "inactive, active, active"),
    # Starting is not "active" to systemctl's exit code (3), but the manager will promote all the same.
    ({"rc": 3, "stdout": "activating\ninactive\ninactive\n"}, "activating, inactive, inactive"),
    # Stopping: it still runs until it has released the resource.
    ({"rc": 3, "stdout": "inactive\ndeactivating\ninactive\n"}, "inactive, deactivating, inactive"),
], ids=["heartbeat", "pacemaker and corosync", "heartbeat starting", "pacemaker stopping"])
def test_split_brain_refuses_while_a_cluster_manager_runs_on_the_victim(tmp_path, managers, states):
    nodes = split_brain_nodes(tmp_path, managers)
    rc, out = run_split_brain(tmp_path, nodes)
    for node in nodes:
        assert drbd_changes(node) == [], node.name
    assert rc != 0, out
    assert "A cluster manager still runs on node2 (heartbeat, pacemaker, corosync: %s)" % states in out, out
    assert "Nothing was changed" in out


def test_split_brain_a_cluster_manager_on_the_survivor_is_no_reason_to_refuse(tmp_path):
    nodes = split_brain_nodes(tmp_path, {"rc": 3, "stdout": "inactive\ninactive\ninactive\n"},
                              survivor_managers={"rc": 0, "stdout": "active\ninactive\ninactive\n"})
    rc, out = run_split_brain(tmp_path, nodes, check=True)
    assert rc == 0, out
    assert "Would run on node2: ['drbdadm secondary r0', 'drbdadm connect --discard-my-data r0']" in out, out


def test_split_brain_a_failed_query_of_the_cluster_managers_stops_the_run(tmp_path):
    nodes = split_brain_nodes(tmp_path, fixture_answer("systemd/252/is_active_no_manager"))
    rc, out = run_split_brain(tmp_path, nodes)
    for node in nodes:
        assert drbd_changes(node) == [], node.name
        assert node.calls("journalctl") == [], (node.name, node.calls())
    assert rc != 0, out
    assert "Failed to connect to bus: Host is down" in out, out


@pytest.mark.parametrize("lines,found", [
    ([SB_DETECTED], True),
    ([SB_DETECTED, "drbd r0: conn( StandAlone -> Unconnected )", "drbd r0: Handshake successful: Agreed network "
      "protocol version 101"], False),
    ([SB_DETECTED, "drbd r0: conn( StandAlone -> Unconnected )", SB_DETECTED], True),
    ([], False),
], ids=["this attempt", "older attempt only", "older and this attempt", "no message"])
def test_split_brain_counts_only_the_current_connection_attempt(tmp_path, lines, found):
    """Only a "Split-Brain detected" after the resource last tried to connect is evidence."""
    nodes = split_brain_nodes(tmp_path, NONE_INSTALLED, victim_log=lines)
    rc, out = run_split_brain(tmp_path, nodes, check=True)
    for node in nodes:
        assert drbd_changes(node) == [], node.name
    if found:
        assert rc == 0 and "Would run on node2" in out, out
    else:
        assert rc != 0, out
        assert ("No split brain of r0 found (connection states ['Connecting', 'StandAlone'], split-brain messages in "
                "the kernel logs since the resource last tried to connect: 0)") in out, out


def test_split_brain_failed_connect_never_shows_the_secret(tmp_path):
    """drbdadm echoes drbdsetup's command line, shared secret included, when the connect fails (the wording of
    fixtures/drbd/9.22.0/status_status_no_module_84_stderr.txt's last line). Run at -v, where Ansible prints a
    task's result unless it is no_log."""
    failed = {"rc": 10, "stderr": (
        "r0: Failure: (102) Local address(port) already in use.\n"
        "Command 'drbdsetup-84 connect r0 ipv4:10.0.2.72:7789 ipv4:10.0.2.71:7789 --shared-secret=%s "
        "--cram-hmac-alg=sha1 --discard-my-data' terminated with exit code 10\n" % DRBD_SECRET)}
    survivor, victim = split_brain_nodes(tmp_path, NONE_INSTALLED, victim_connect=failed)
    rc, out = run_split_brain(tmp_path, (survivor, victim), verbosity=1)
    assert victim.calls("drbdadm")[-2:] == ["drbdadm secondary r0", "drbdadm connect --discard-my-data r0"]
    assert rc != 0, out
    assert DRBD_SECRET not in out, "the shared secret is in the output"
    assert "drbdadm connect --discard-my-data r0 failed on node2 (rc=10)" in out, out
    assert "Local address(port) already in use" in out, out
    assert "--shared-secret=******** --cram-hmac-alg=sha1" in out, out


# ------------------------------------------- heartbeat, primary_secondary, pacemaker: does the cluster manager run?

# The task of each role that asks systemd, the variable it registers and the unit. primary_secondary demotes the
# resource and may make a file system where Heartbeat does not run; heartbeat decides whether to signal it;
# pacemaker whether to reload Corosync and, in check mode, whether the cluster can be read.
CLUSTER_QUERIES = [
    ("heartbeat", "Check whether Heartbeat runs already", "__heartbeat_active", "heartbeat.service"),
    ("primary_secondary", "Check whether Heartbeat already runs the services", "__ps_heartbeat", "heartbeat.service"),
    ("pacemaker", "Check whether Corosync runs", "__pm_corosync_active", "corosync.service"),
]


def is_active(unit: str) -> str:
    return "systemctl is-active --quiet " + unit


def role_task(role: str, name: str) -> dict:
    """One task of a role's tasks/main.yml, found by its name."""
    tasks = yaml.safe_load((COLLECTION / "roles" / role / "tasks" / "main.yml").read_text())
    found = [task for task in tasks if task.get("name") == name]
    assert len(found) == 1, "%s has no task named %r (renamed? update CLUSTER_QUERIES)" % (role, name)
    return found[0]


def run_cluster_query(tmp_path, role, name, register, unit, answer):
    node = FakeHost(tmp_path, "node1").answer(is_active(unit), **answer)
    playbook = tmp_path / "query.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "The role's query of the cluster manager", "hosts": "node1", "gather_facts": False,
        "tasks": [role_task(role, name),
                  {"name": "Say what the role goes on with", "ansible.builtin.debug": {
                      "msg": "cluster manager query rc {{ %s.rc }}" % register}}]}], sort_keys=False))
    rc, out = run_on_fake_hosts(playbook, [node], tmp_path)
    assert node.calls() == [is_active(unit)], node.calls()
    return rc, out


@pytest.mark.parametrize("role,name,register,unit", CLUSTER_QUERIES, ids=[q[0] for q in CLUSTER_QUERIES])
@pytest.mark.parametrize("code", [0, 3, 4], ids=["active", "inactive", "not installed"])
def test_cluster_manager_query_answers_are_taken(tmp_path, role, name, register, unit, code):
    # `is-active --quiet` prints nothing: 0 active, 3 not active, 4 no such unit (systemctl-is-active.c).
    rc, out = run_cluster_query(tmp_path, role, name, register, unit, {"rc": code})
    assert rc == 0, out
    assert "cluster manager query rc %d" % code in out, out


@pytest.mark.parametrize("role,name,register,unit", CLUSTER_QUERIES, ids=[q[0] for q in CLUSTER_QUERIES])
def test_a_failed_cluster_manager_query_is_an_error_not_stopped(tmp_path, role, name, register, unit):
    rc, out = run_cluster_query(tmp_path, role, name, register, unit,
                                fixture_answer("systemd/252/is_active_no_manager"))
    assert rc != 0, out
    assert "Failed to connect to bus: Host is down" in out, out
    assert "cluster manager query rc" not in out, out


# ---------------------------------------------------------------- iscsi_target: LVM must not hide the host's groups

# The role's query, with LVM's filters opened; vgs replays lvm2 2.03.16's captures (fixtures/lvm/2.03.16).
VGS_QUERY = "vgs --reportformat json -o vg_name,pv_name --config 'devices { filter = [ \"a|.*|\" ] global_filter = [ \"a|.*|\" ] }'"


def run_host_volume_groups(tmp_path, vgs_answer=None, **role_vars):
    """roles/iscsi_target/tasks/host_volume_groups.yml on one fake host whose vgs gives `vgs_answer` (None: the
    host has no vgs); the cluster's volume group is vg_iscsi."""
    node = FakeHost(tmp_path, "node1")
    if vgs_answer is not None:
        node.answer(VGS_QUERY, **vgs_answer)
    check = {"name": "Check", "vars": dict({"__iscsi_target_vgs": node.tool("vgs"), "iscsi_target_vg": "vg_iscsi"},
                                           **role_vars),
             "ansible.builtin.include_role": {"name": "hacluster.drbd.iscsi_target", "tasks_from": "host_volume_groups",
                                              "public": False}}
    playbook = tmp_path / "host_vgs.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "The iscsi_target role's check of the host's volume groups", "hosts": "node1", "gather_facts": False,
        "tasks": [check, {"name": "Go on", "ansible.builtin.debug": {"msg": "the role went on"}}]}], sort_keys=False))
    rc, out = run_on_fake_hosts(playbook, [node], tmp_path)
    assert node.calls() == ([] if vgs_answer is None else [logged(VGS_QUERY)]), node.calls()
    return rc, out


def test_lvm_configuration_hiding_a_host_volume_group_is_refused_by_name(tmp_path):
    # The host has vgcap on /dev/loop0; the role would activate only what iscsi_target_host_volume_groups lists.
    rc, out = run_host_volume_groups(tmp_path, fixture_answer("lvm/2.03.16/vgs_one.json"))
    assert rc != 0, out
    assert ("The LVM configuration this role writes on node1 would hide volume groups the host uses: vgcap: not in "
            "iscsi_target_host_volume_groups, so volume_list keeps it from activating") in out, out
    assert "Nothing was changed" in out and "the role went on" not in out, out


def test_lvm_filter_hiding_the_devices_of_a_listed_group_is_refused(tmp_path):
    rc, out = run_host_volume_groups(tmp_path, fixture_answer("lvm/2.03.16/vgs_one.json"),
                                     iscsi_target_host_volume_groups=["vgcap"], drbd_lvm_accept=["/dev/sda[0-9]+"])
    assert rc != 0, out
    assert "vgcap: its physical volume /dev/loop0 matches no drbd_lvm_accept pattern, so the filter hides it" in out
    assert "the role went on" not in out, out


@pytest.mark.parametrize("vgs_answer,role_vars", [
    (fixture_answer("lvm/2.03.16/vgs_one.json"),
     {"iscsi_target_host_volume_groups": ["vgcap"], "drbd_lvm_accept": ["/dev/loop[0-9]+"]}),
    (fixture_answer("lvm/2.03.16/vgs_one.json"), {"iscsi_target_vg": "vgcap"}),
    (fixture_answer("lvm/2.03.16/vgs_none.json"), {}),
    (None, {}),
], ids=["listed and its device accepted", "the cluster's own group", "no volume group", "no LVM tools"])
def test_lvm_configuration_that_hides_nothing_passes(tmp_path, vgs_answer, role_vars):
    rc, out = run_host_volume_groups(tmp_path, vgs_answer, **role_vars)
    assert rc == 0, out
    assert "the role went on" in out, out


def test_a_failed_query_of_the_volume_groups_stops_the_run(tmp_path):
    # Not root: vgs exits 5 yet prints an empty report, which must not read as "no volume groups".
    rc, out = run_host_volume_groups(tmp_path, fixture_answer("lvm/2.03.16/vgs_not_root.json"))
    assert rc != 0, out
    assert "P_global:aux: open failed: Permission denied" in out, out
    assert "the role went on" not in out, out


# ---------------------------------------------------------------- drbd_dkms

GOOD_DKMS = {"drbd_dkms_version": "8.4.11", "drbd_dkms_kernels": ["6.1.0-56-amd64", "6.1.0-57-amd64"]}
TARBALL = {"drbd_dkms_source": "tarball", "drbd_dkms_tarball_url": "https://mirror.example.net/drbd/drbd-8.4.11.tar.gz",
           "drbd_dkms_tarball_checksum": "sha256:" + "0" * 64}


@pytest.mark.parametrize("variables", [GOOD_DKMS, with_changes(GOOD_DKMS, **TARBALL)], ids=["in_tree", "tarball"])
def test_good_dkms_input_passes(tmp_path, variables):
    rc, out = run_check("drbd_dkms", variables, tmp_path=tmp_path)
    assert rc == 0, out


BAD_DKMS = [
    ("no version", with_changes(GOOD_DKMS, drbd_dkms_version=""), "drbd_dkms_version"),
    ("kernel with a shell command", with_changes(GOOD_DKMS, drbd_dkms_kernels=["6.1.0-57-amd64 && reboot"]),
     "drbd_dkms_kernels[0]"),
    ("same kernel twice", with_changes(GOOD_DKMS, drbd_dkms_kernels=["6.1.0-57-amd64", "6.1.0-57-amd64"]),
     "drbd_dkms_kernels"),
    ("tarball without checksum", with_changes(GOOD_DKMS, **{**TARBALL, "drbd_dkms_tarball_checksum": ""}),
     "drbd_dkms_tarball_checksum"),
    ("module directory outside the tree", with_changes(GOOD_DKMS, **{**TARBALL, "drbd_dkms_tarball_module_dir": "../x"}),
     "drbd_dkms_tarball_module_dir"),
]


@pytest.mark.parametrize("case,variables,needle", BAD_DKMS, ids=[c[0] for c in BAD_DKMS])
def test_bad_dkms_input_is_refused(tmp_path, case, variables, needle):
    rc, out = run_check("drbd_dkms", variables, tmp_path=tmp_path)
    assert rc != 0, f"{case}: accepted\n{out}"
    assert f"node1: {needle}" in out, f"{case}: the error does not name {needle}\n{out}"


# ---------------------------------------------------------------- rolling_kernel_upgrade.yml refusals before any probe

@pytest.mark.parametrize("hosts,extra,needle", [
    (["node1", "node2"], {"upgrade_cluster_stack": "pacemaker"}, "Pacemaker clusters are not handled yet"),
    (["node1", "node2", "node3"], {}, "upgrade_hosts must name the two nodes of one cluster"),
    (["node1", "node2"], {"upgrade_packages": "linux-image-amd64"}, "upgrade_packages a list"),
    (["node1", "node2"], {"upgrade_packages": ["linux-image-6.1.0-57-amd64", "drbd-utils"], "upgrade_stage": True},
     "upgrade_stage would install drbd-utils on both nodes while the old DRBD module still runs"),
], ids=["pacemaker", "three nodes", "packages not a list", "staged drbd-utils"])
def test_the_rolling_upgrade_refuses_what_it_cannot_do(tmp_path, hosts, extra, needle):
    inventory = {"all": {"vars": {"ansible_connection": "local",
                                  "ansible_python_interpreter": os.environ.get("CHECK_PYTHON", "auto_silent")},
                         "children": {"primary_secondary": {"hosts": {h: {} for h in hosts}}}}}
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps(inventory))
    playbook = Path(os.environ["ANSIBLE_COLLECTIONS_PATH"]) / "ansible_collections/hacluster/drbd/playbooks"
    rc, out = ansible_playbook("-i", str(inv), str(playbook / "rolling_kernel_upgrade.yml"),
                               "-e", json.dumps(extra))
    assert rc != 0, out
    assert needle in out, out
    # Refused before anything ran on a host: no DRBD or Heartbeat probe.
    assert "Read DRBD's state" not in out, out


def test_a_run_past_its_time_out_is_an_error_not_a_refusal(tmp_path):
    """The fork server kills a run at its time-out; that must fail the test
    that asked for the run, never count as ansible-playbook refusing input."""
    playbook = tmp_path / "slow.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                        "    - ansible.builtin.pause:\n        seconds: 60\n")
    with pytest.raises(RuntimeError, match="killed by signal 14"):
        ansible_playbook("-i", "localhost,", "-c", "local", str(playbook), timeout=3)
    rc, out = ansible_playbook("-i", "localhost,", "-c", "local", str(playbook), "--list-tasks")
    assert rc == 0 and "pause" in out, out  # the server still answers after a killed run
