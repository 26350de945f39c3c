# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""cluster.conf rendering: every rendering validated against cman's schema (cluster.rng) with lxml."""

from __future__ import annotations

import copy
import hashlib
import os

import pytest

from ansible_collections.hacluster.drbd.plugins.module_utils import cman
from ansible_collections.hacluster.drbd.plugins.module_utils.cman_schema import RNG_SHA256, cluster_rng
from ansible_collections.hacluster.drbd.tests.unit.plugins.module_utils.cman_helpers import (
    FIXTURES,
    assert_valid,
    schema_errors,
    shared_rng,
)

SECRET = "ipmi-s3cret-passw0rd"


def node(name, nodeid, *devices, method="1"):
    return {"name": name, "nodeid": nodeid,
            "fence": [{"name": method, "devices": [dict(d) if isinstance(d, dict) else {"name": d} for d in devices]}]}


IPMI = [{"name": "fence_node1", "agent": "fence_ipmilan",
         "params": {"ip": "10.0.3.71", "username": "admin", "password": SECRET, "lanplus": 1}},
        {"name": "fence_node2", "agent": "fence_ipmilan",
         "params": {"ipaddr": "10.0.3.72", "login": "admin", "passwd": SECRET, "lanplus": 1}}]
TWO = {"name": "hacluster", "nodes": [node("node1", 1, "fence_node1"), node("node2", 2, "fence_node2")],
       "fence_devices": IPMI}


def spec(**changes):
    out = copy.deepcopy(TWO)
    out.update(changes)
    return out


SPECS = {
    "two nodes, IPMI": spec(),
    # seed 000 section 6.6, as cman wants it in a file (no nodename or cluster_id, which cman adds at run time)
    "seed 6.6": spec(
        name="hardcore", config_version=2, dlm={"plock_ownership": 1, "plock_rate_limit": 0},
        gfs_controld={"plock_rate_limit": 0},
        nodes=[node("core-01", 1, "core-01_ipmi", method="single"), node("core-02", 2, "core-02_ipmi", method="single")],
        fence_devices=[{"name": "core-01_ipmi", "agent": "fence_ipmilan",
                        "params": {"ipaddr": "192.168.0.141", "passwd": "admin", "login": "admin", "action": "reboot"}},
                       {"name": "core-02_ipmi", "agent": "fence_ipmilan",
                        "params": {"ipaddr": "192.168.0.142", "passwd": "admin", "login": "admin", "action": "reboot"}}],
        failover_domains=[{"name": "core-01_domain", "restricted": 0, "nodes": [{"name": "core-01"}]},
                          {"name": "core-02_domain", "restricted": 0, "nodes": [{"name": "core-02"}]}],
        services=[{"name": "core-01_vms", "autostart": 1, "domain": "core-01_domain",
                   "children": [{"type": "vm", "name": "blueonyx_01"}, {"type": "vm", "name": "winxp_01"}]},
                  {"name": "core-02_vms", "autostart": 1, "domain": "core-02_domain",
                   "children": [{"type": "vm", "name": "winxp_02"}, {"type": "vm", "name": "winxp_03"}]}]),
    "dual-primary GFS2 with guests": spec(
        dlm={"enable_plock": 1, "plock_ownership": 1, "plock_rate_limit": 0},
        fence_daemon={"post_join_delay": 30, "post_fail_delay": 0, "clean_start": 0},
        failover_domains=[{"name": "prefer_node1", "ordered": 1, "restricted": 0, "nofailback": 1,
                           "nodes": [{"name": "node1", "priority": 1}, {"name": "node2", "priority": 2}]},
                          {"name": "prefer_node2", "ordered": 1, "restricted": 0, "nofailback": 1,
                           "nodes": [{"name": "node2", "priority": 1}, {"name": "node1", "priority": 2}]}],
        vms=[{"name": "guest1", "domain": "prefer_node1", "autostart": 1, "use_virsh": 1, "migrate": "live",
              "recovery": "restart", "hypervisor_uri": "qemu:///system"},
             {"name": "guest2", "domain": "prefer_node2", "autostart": 1, "use_virsh": 1, "migrate": "live",
              "recovery": "restart"}]),
    "three nodes, shared power switch, services with nested resources": spec(
        nodes=[node("alpha", 1, {"name": "apc", "port": "1"}), node("beta", 2, {"name": "apc", "port": "2"}),
               node("gamma", 3, {"name": "apc", "port": "3"})],
        fence_devices=[{"name": "apc", "agent": "fence_apc", "params": {"ip": "10.0.3.5", "username": "apc",
                                                                        "password": SECRET}}],
        totem={"token": 10000}, logging={"to_syslog": "yes"}, rm={"log_level": 5},
        resources=[{"type": "ip", "address": "10.0.0.100", "monitor_link": 1}],
        services=[{"name": "data", "autostart": 1, "recovery": "relocate", "children": [
            {"type": "clusterfs", "name": "gfs0", "device": "/dev/drbd0", "mountpoint": "/srv/gfs0", "fstype": "gfs2",
             "options": "noatime", "children": [{"type": "ip", "ref": "10.0.0.100"}]}]}]),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_rendering_validates_against_cluster_rng(name):
    assert_valid(cman.to_text(cman.render(SPECS[name])))
    assert_valid(cman.to_text(cman.masked(cman.render(SPECS[name]))))


def test_the_carried_schema_is_the_shared_one_byte_for_byte():
    shared = shared_rng()
    if shared is None:
        pytest.skip("the shared schema is not next to this checkout")
    assert cluster_rng() == shared
    assert hashlib.sha256(shared).hexdigest() == RNG_SHA256


@pytest.mark.parametrize("name,needle", [("seed_6.5.conf", "IDREF"), ("seed_6.6.conf", "cman")])
def test_the_validation_refuses_the_seeds_own_files(name, needle):
    """The seed's 6.5 file names <fence_devices> (cman wants <fencedevices>); its 6.6 dump carries run-time
    attributes: a validation that lets them through would prove nothing."""
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        text = handle.read()
    errors = schema_errors(text)
    assert errors and any(needle in e for e in errors), errors
    assert cman.schema_errors(text, cluster_rng())


def test_the_rendering_of_seed_66_is_the_seed_without_run_time_attributes():
    with open(os.path.join(FIXTURES, "seed_6.6.conf"), encoding="utf-8") as handle:
        seed, version = cman.parse(handle.read())
    seed.find("cman").attrib.pop("nodename")
    seed.find("cman").attrib.pop("cluster_id")
    for elem in seed.iter("clusternode"):
        elem.set("votes", "1")
    assert version == 2
    assert cman.canonical(cman.render(SPECS["seed 6.6"])) == cman.canonical(seed)


def test_two_nodes_get_two_node_mode_and_one_expected_vote():
    root = cman.render(spec())
    assert root.find("cman").attrib == {"two_node": "1", "expected_votes": "1"}
    three = cman.render(SPECS["three nodes, shared power switch, services with nested resources"])
    assert three.find("cman").attrib == {"expected_votes": "3"}


def test_modern_fence_option_names_are_written_the_cluster_conf_way():
    dev = cman.render(spec()).find("fencedevices/fencedevice")
    assert dev.attrib == {"name": "fence_node1", "agent": "fence_ipmilan", "ipaddr": "10.0.3.71", "login": "admin",
                          "passwd": SECRET, "lanplus": "1"}
    assert cman.masked(cman.render(spec())).find("fencedevices/fencedevice").get("passwd") == "********"
    three = SPECS["three nodes, shared power switch, services with nested resources"]
    assert SECRET not in cman.to_text(cman.masked(cman.render(three)))


@pytest.mark.parametrize("changes,needle", [
    ({"name": "a-sixteen-chars-"}, "at most 15"),
    ({"name": "my cluster"}, "not a cluster name"),
    ({"nodes": []}, "needs nodes"),
    ({"nodes": [node("node1", 1, "fence_node1"), node("node2", 1, "fence_node2")]}, "used twice"),
    ({"nodes": [node("node1", 0, "fence_node1"), node("node2", 2, "fence_node2")]}, "above 0"),
    ({"nodes": [node("node1", 1, "fence_node1"), node("node_2!", 2, "fence_node2")]}, "not a host name"),
    ({"nodes": [node("node1", 1, "fence_node1"), node("node2", 2, "fence_node9")]}, "fence_node9"),
    ({"nodes": [node("node1", 1, "fence_node1"), {"name": "node2", "nodeid": 2}]}, "node2 has no fence method"),
    ({"fence_devices": IPMI + [{"name": "human", "agent": "fence_manual"}],
      "nodes": [node("node1", 1, "fence_node1"), node("node2", 2, "human")]}, "node2 has no fence method"),
    ({"fence_devices": IPMI + IPMI[:1]}, "defined twice"),
    ({"two_node": True, "nodes": [node("a", 1, "fence_node1"), node("b", 2, "fence_node1"),
                                  node("c", 3, "fence_node1")]}, "exactly two nodes"),
    ({"expected_votes": 2}, "needs expected_votes 1"),
    ({"two_node": False, "expected_votes": 1}, "less than a majority"),
    ({"vms": [{"name": "guest1", "domain": "nowhere"}]}, "not one of failover_domains"),
    ({"vms": [{"name": "guest1"}, {"name": "guest1"}]}, "defined twice"),
    ({"failover_domains": [{"name": "d", "nodes": [{"name": "node9"}]}]}, "node9"),
    ({"services": [{"name": "s", "children": [{"type": "Bad Tag"}]}]}, "not a resource element name"),
    ({"dlm": {"plock_rate_limit": "0\n"}}, "one line"),
    ({"fence_devices": [dict(IPMI[0], params={"ip": "10.0.3.71", "ipaddr": "10.0.3.72"}), IPMI[1]]}, "given twice"),
])
def test_specifications_cman_cannot_use_are_refused(changes, needle):
    with pytest.raises(cman.CmanError) as err:
        cman.render(spec(**changes))
    assert needle in str(err.value)


@pytest.mark.parametrize("text,needle", [
    ("not xml", "not XML"), ("<cman/>", "not <cluster>"), ('<cluster name="x" config_version="two"/>', "whole number"),
])
def test_unparsable_files(text, needle):
    with pytest.raises(cman.CmanError) as err:
        cman.parse(text)
    assert needle in str(err.value)


def test_config_version_is_left_out_of_the_comparison():
    one = cman.render(spec(config_version=1))
    two = cman.render(spec(config_version=2))
    assert cman.canonical(one) == cman.canonical(two)
    assert cman.canonical(one) != cman.canonical(cman.render(spec(dlm={"plock_rate_limit": 0})))
