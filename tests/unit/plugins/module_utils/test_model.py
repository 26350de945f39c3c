# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The value checks of the collection's model; tests/validation feeds whole topologies to it."""

from __future__ import annotations

import pytest

from ansible_collections.hacluster.drbd.plugins.module_utils import model


@pytest.mark.parametrize("check,value", [
    (model.resource_name_error, "r0\n"), (model.device_path_error, "/dev/vdb\n"), (model.address_error, "10.0.0.1\n"),
    (model.interface_error, "eth0\n"), (model.lvm_name_error, "vg0\n"), (model.iscsi_name_error, "iqn.2026-11.org.x\n"),
    (model.share_name_error, "data\n"), (model.hostname_error, "node1\n"), (model.path_error, "/srv\n"),
    (model.size_error, "10G\n"), (model.package_error, "rsync\n"), (model.xml_id_error, "p_ip\n"),
])
def test_a_trailing_newline_never_passes(check, value):
    assert check(value[:-1]) is None
    assert check(value) is not None


@pytest.mark.parametrize("value,usable", [
    ("192.168.1.10", True), ("fd00::10", True), ("0.0.0.0", False), ("::", False), ("255.255.255.255", False),
    ("224.0.0.1", False), ("127.0.0.1", False), ("::1", False), ("node1", False), ("10.0.0.1/24", False),
    (" 10.0.0.1", False), ("10.1", False), (None, False), (17, False),
])
def test_usable_addresses(value, usable):
    assert (model.address_error(value) is None) is usable


@pytest.mark.parametrize("value,prefix,usable", [
    ("192.168.1.100", 24, True), ("192.168.1.0", 24, False), ("192.168.1.255", 24, False),
    ("192.168.1.255", 16, True), ("10.0.0.0", 31, True),
])
def test_cluster_ip_is_not_network_or_broadcast(value, prefix, usable):
    assert (model.cluster_ip_error(value, prefix) is None) is usable


@pytest.mark.parametrize("value,usable", [
    ("/srv/share", True), ("/var/lib/mysql", True), ("/mnt", True), ("/home/share", True), ("/", False),
    ("/boot", False), ("/usr", False), ("/usr/local/data", False), ("/var", False), ("/var/lib", False),
    ("/etc/x", False), ("/proc/x", False), ("/sys", False), ("/dev/shm", False), ("/run/x", False),
    ("/home", False), ("/root", False), ("/tmp", False), ("srv", False), ("/srv/../etc", False), ("/srv/", False),
    ("//srv", False), ("/srv/a b", False),
])
def test_mount_points(value, usable):
    assert (model.mount_point_error(value) is None) is usable


@pytest.mark.parametrize("value,port,minor", [(0, False, True), (1, True, True), (65535, True, True),
                                              (65536, False, True), (1048575, False, True), (1048576, False, False),
                                              (-1, False, False), (True, False, False), ("7789", True, True)])
def test_ports_and_minors(value, port, minor):
    assert (model.port_error(value) is None) is port
    assert (model.minor_error(value) is None) is minor


@pytest.mark.parametrize("params,secret", [
    ({"ip": "10.0.0.1", "username": "admin"}, []), ({"password": "x"}, ["password"]), ({"passwd": "x"}, ["passwd"]),
    ({"snmp_priv_passwd": "x"}, ["snmp_priv_passwd"]), ({"passwd_script": "/bin/pw"}, []),
    ({"Password": "x", "ip": "1"}, ["Password"]), ({"pcmk_host_list": "a b"}, []),
])
def test_fence_parameters_that_carry_secrets(params, secret):
    assert model.fence_secret_params(params) == secret


@pytest.mark.parametrize("value,ok", [("share", True), ("global", False), ("IPC$", False), ("a]b", False),
                                      ("x" * 81, False), ("data$", True)])
def test_share_names(value, ok):
    assert (model.share_name_error(value) is None) is ok


@pytest.mark.parametrize("value,ok", [("a comment", True), ("ends in \\", False), ("two\nlines", False),
                                      (" padded", False)])
def test_smb_values(value, ok):
    assert (model.smb_value_error(value) is None) is ok


def test_secrets_are_described_never_shown():
    secret = "hunter2-" + "x" * 70
    assert secret not in model.secret_error(secret, 1, 64)
    assert "\n" not in model.secret_error("a\nb", 1, 64)


def run(topology, hosts):
    return model.validate(topology, {h: (values, sorted(hosts), sorted(hosts), [topology]) for h, values in hosts.items()})


RES = {"name": "web", "port": 7795, "minor": 5, "disk": "/dev/sdb1"}


def ps_vars(**changes):
    values = {"drbd_resources": [dict(RES)], "primary_secondary_cluster_ip": "192.0.2.100",
              "primary_secondary_mount": "/srv/web", "heartbeat_authkey": "k" * 20,
              "heartbeat_links": [{"interface": "eth1", "addresses": ["10.0.1.1", "10.0.1.2"]}],
              "heartbeat_stonith_hosts": [{"host": "*", "type": "external/lab"}]}
    values.update(changes)
    return values


def test_one_resource_is_used_and_its_minor_gives_the_device():
    problems, facts = run("primary_secondary", {"a": ps_vars(drbd_address="10.0.2.1"),
                                                "b": ps_vars(drbd_address="10.0.2.2")})
    assert problems == []
    assert facts["a"]["__primary_secondary_resource"] == "web"
    assert facts["a"]["__primary_secondary_device"] == "/dev/drbd5"
    assert facts["a"]["__primary_secondary_heartbeat_groups"][0]["resources"][1] == {
        "agent": "Filesystem", "args": ["/dev/drbd5", "/srv/web", "ext4"]}


def test_a_device_that_disagrees_is_refused_naming_variable_and_host():
    problems, dummy = run("primary_secondary", {"a": ps_vars(drbd_address="10.0.2.1"),
                                                "b": ps_vars(drbd_address="10.0.2.2",
                                                             primary_secondary_device="/dev/drbd0")})
    assert [(p["host"], p["variable"]) for p in problems] == [("b", "primary_secondary_device")]
    assert "/dev/drbd5" in problems[0]["message"]


def test_format_names_host_and_variable():
    text = model.format_problems([{"host": "b", "variable": "x", "message": "is bad"}])
    assert text.endswith("- b: x: is bad")


def test_unknown_topology():
    with pytest.raises(ValueError):
        model.check_host("nope", model.Input("a", {}))


# OpenVZ, the containers topology's other engine (seed 002)

def ovz_vars(**changes):
    values = ps_vars(primary_secondary_cluster_ip="", primary_secondary_mount="/vz", primary_secondary_fstype="ext3",
                     containers_engine="openvz")
    values.update(changes)
    return values


def ovz_run(**changes):
    return run("containers", {"a": ovz_vars(drbd_address="10.0.2.1", **changes),
                              "b": ovz_vars(drbd_address="10.0.2.2", **changes)})


def test_openvz_gives_heartbeat_the_vz_script_after_drbd_and_the_file_system():
    problems, facts = ovz_run()
    assert problems == []
    assert facts["a"]["__containers_resources"] == ["vz"]
    assert facts["a"]["__primary_secondary_heartbeat_groups"] == [{"node": "a", "resources": [
        {"agent": "drbddisk", "args": ["web"]}, {"agent": "Filesystem", "args": ["/dev/drbd5", "/vz", "ext3"]}, "vz"]}]


@pytest.mark.parametrize("layout,links", [
    ("etc_vz", [("/etc/vz/vz.conf", "/vz/cluster/etc/vz/vz.conf", "file"),
                ("/etc/vz/conf", "/vz/cluster/etc/vz/conf", "directory"),
                ("/var/vzquota", "/vz/cluster/var/vzquota", "directory")]),
    ("sysconfig", [("/etc/sysconfig/vz", "/vz/cluster/etc/sysconfig/vz", "file"),
                   ("/etc/sysconfig/vz-scripts", "/vz/cluster/etc/sysconfig/vz-scripts", "directory"),
                   ("/var/vzquota", "/vz/cluster/var/vzquota", "directory")]),
])
def test_openvz_links_each_layout_path_below_root_cluster(layout, links):
    problems, facts = ovz_run(openvz_layout=layout)
    assert problems == []
    got = facts["a"]["__openvz_links"]
    assert [(link["path"], link["target"], link["kind"]) for link in got] == links
    directories = facts["a"]["__openvz_directories"]
    for name in ("/vz/root", "/vz/private", "/vz/template", "/vz/lock", "/vz/dump", "/vz/cluster"):
        assert name in directories
    # Every directory a link's target needs is made; a file's target is not a directory.
    for path, target, kind in links:
        assert (target in directories) == (kind == "directory")
        assert target.rsplit("/", 1)[0] in directories
    assert facts["a"]["__openvz_global_config"] == links[0][1]


def test_openvz_settings_follow_the_root():
    inp = model.Input("a", {"openvz_root": "/srv/vz"})
    model.check_openvz(inp)
    assert inp.problems == []
    settings = dict((s["key"], s["value"]) for s in inp.facts["__openvz_settings"])
    assert settings["VE_ROOT"] == "/srv/vz/root/$VEID"
    assert settings["VE_PRIVATE"] == "/srv/vz/private/$VEID"
    assert settings["DISK_QUOTA"] == "yes"


def test_openvz_global_config_stays_on_the_node_when_not_moved():
    inp = model.Input("a", {"openvz_linked_paths": ["/var/vzquota"]})
    model.check_openvz(inp)
    assert inp.problems == []
    assert [link["path"] for link in inp.facts["__openvz_links"]] == ["/var/vzquota"]
    assert inp.facts["__openvz_global_config"] == "/etc/vz/vz.conf"


@pytest.mark.parametrize("changes,variable,needle", [
    ({"openvz_root": "/srv/vz"}, "openvz_root", "is not the replicated file system's mount point"),
    ({"openvz_root": "/var"}, "openvz_root", "belongs to the operating system"),
    ({"openvz_layout": "rhel5"}, "openvz_layout", "must be one of etc_vz, sysconfig"),
    ({"openvz_linked_paths": ["/etc/shadow"]}, "openvz_linked_paths[0]", "is not one of the paths"),
    ({"openvz_layout": "sysconfig", "openvz_linked_paths": ["/etc/vz/conf"]}, "openvz_linked_paths[0]",
     "with openvz_layout sysconfig"),
    ({"openvz_linked_paths": ["/var/vzquota", "/var/vzquota"]}, "openvz_linked_paths", "more than once"),
    ({"openvz_render_dir": "render"}, "openvz_render_dir", "relative path"),
    ({"lxc_containers": [{"name": "web"}]}, "lxc_containers", "containers_engine is openvz"),
    ({"containers_engine": "docker"}, "containers_engine", "must be one of lxc, openvz"),
    ({"primary_secondary_fstype": "ext2"}, "primary_secondary_fstype", "must be one of ext3, ext4"),
])
def test_openvz_bad_input_is_refused_naming_the_variable(changes, variable, needle):
    problems, dummy = ovz_run(**changes)
    assert problems, changes
    named = [p for p in problems if p["variable"] == variable]
    assert named and needle in named[0]["message"], problems


def test_lxc_stays_the_default_engine():
    problems, facts = run("containers", {
        h: ps_vars(drbd_address=address, primary_secondary_cluster_ip="", lxc_path="/srv/web",
                   lxc_containers=[{"name": "web"}]) for h, address in (("a", "10.0.2.1"), ("b", "10.0.2.2"))})
    assert problems == []
    assert facts["a"]["__containers_resources"] == [{"agent": "LXC", "args": ["web"]}]
    assert "__openvz_links" not in facts["a"]
