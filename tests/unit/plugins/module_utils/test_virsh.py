# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Domain rendering and virsh parsing on libvirt 9.0.0 captures (fixtures/virsh/README.md); the cluster service
descriptions through the renderers that write them (pacemaker_cib, and cman with cluster.rng)."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.hacluster.drbd.plugins.module_utils import cman, pacemaker_cib, virsh
from ansible_collections.hacluster.drbd.plugins.module_utils.model import mac_error
from ansible_collections.hacluster.drbd.tests.unit.plugins.module_utils.cman_helpers import assert_valid

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "virsh", "9.0.0")
GUEST1 = dict(name="guest1", memory=256, vcpus=1, disk="/srv/gfs0/guest1.img", bridge="br0",
              mac="52:54:00:4e:2a:91", uuid_="7c1f3b8e-2f4a-5d6b-9e0c-1a2b3c4d5e6f")
GUEST2 = dict(name="guest2", memory=256, vcpus=1, disk="/srv/gfs0/guest2.img", bridge="br0", domain_type="qemu",
              mac="52:54:00:4e:2a:92", uuid_="8d2f3b8e-2f4a-5d6b-9e0c-1a2b3c4d5e6f",
              kernel="/srv/gfs0/guest2/vmlinuz", initrd="/srv/gfs0/guest2/initrd.img", cmdline="console=ttyS0 quiet")


def out(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)["stdout"]


def text(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


def test_dominfo_of_a_defined_guest():
    assert virsh.parse_dominfo(out("dominfo_guest1")) == {
        "name": "guest1", "uuid": "7c1f3b8e-2f4a-5d6b-9e0c-1a2b3c4d5e6f", "state": "shut off", "persistent": True,
        "autostart": False}
    assert virsh.parse_dominfo(out("dominfo_guest1_autostart"))["autostart"] is True


@pytest.mark.parametrize("name", ["dumpxml_inactive_guest1", "domstate_guest1", "dominfo_missing", "version"])
def test_dominfo_parser_refuses_other_text(name):
    with pytest.raises(virsh.VirshParseError):
        virsh.parse_dominfo(out(name))


def test_no_such_domain_is_told_from_a_failed_query():
    def answer(name):
        with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as handle:
            doc = json.load(handle)
        return doc["rc"], doc["stderr"]

    assert virsh.domain_missing(*answer("dominfo_missing")) is True
    assert virsh.domain_missing(*answer("dumpxml_inactive_missing")) is True
    assert virsh.domain_missing(*answer("dominfo_no_daemon")) is False
    assert virsh.domain_missing(*answer("dominfo_vanished")) is False
    assert virsh.domain_vanished(*answer("dominfo_vanished")) is True
    assert virsh.domain_vanished(*answer("dominfo_missing")) is False
    assert virsh.domain_vanished(*answer("dominfo_no_daemon")) is False
    assert virsh.domain_missing(*answer("dominfo_guest1")) is False


@pytest.mark.parametrize("params,dump", [(GUEST1, "dumpxml_inactive_guest1"),
                                         (GUEST2, "dumpxml_inactive_guest2_qemu_kernel")])
def test_libvirt_keeps_all_of_a_rendered_definition(params, dump):
    wanted = virsh.render_domain(**params)
    assert virsh.definition_differences(wanted, ET.fromstring(out(dump))) == []


@pytest.mark.parametrize("params,source", [(GUEST1, "guest1.xml"), (GUEST2, "guest2.xml")])
def test_the_rendering_is_what_virt_xml_validate_accepted(params, source):
    """guest1.xml and guest2.xml passed virt-xml-validate (validate_guest1) and were defined for the captures."""
    rendered = virsh.render_domain(**params)
    assert virsh.definition_differences(rendered, ET.fromstring(text(source))) == []
    given = ET.fromstring(text(source))
    given.find("os/type").attrib.pop("arch")
    assert virsh.definition_differences(given, rendered) == []


def test_a_changed_memory_size_is_a_difference():
    wanted = virsh.render_domain(**GUEST1)
    differences = virsh.definition_differences(wanted, ET.fromstring(out("dumpxml_inactive_guest1_512")))
    assert differences == ["/domain/memory[1]: 262144 KiB, libvirt has 524288 KiB",
                           "/domain/currentMemory[1]: 262144 KiB, libvirt has 524288 KiB"]
    bigger = dict(GUEST1)
    bigger["memory"] = 512
    assert virsh.definition_differences(virsh.render_domain(**bigger),
                                        ET.fromstring(out("dumpxml_inactive_guest1_512"))) == []


@pytest.mark.parametrize("change,needle", [
    (lambda d: d.find("devices/disk/source").set("file", "/srv/gfs0/other.img"), "/@file"),
    (lambda d: d.find("devices/interface/source").set("bridge", "br1"), "/@bridge"),
    (lambda d: d.find("devices").append(ET.Element("watchdog", {"model": "i6300esb"})), "/domain/devices[1]/watchdog[1]: missing"),
    (lambda d: setattr(d.find("vcpu"), "text", "2"), "/domain/vcpu[1]"),
])
def test_what_libvirt_lacks_is_named(change, needle):
    wanted = virsh.render_domain(**GUEST1)
    change(wanted)
    differences = virsh.definition_differences(wanted, ET.fromstring(out("dumpxml_inactive_guest1")))
    assert differences and any(needle in d for d in differences), differences


def test_units_and_machine_aliases_are_what_libvirt_writes():
    live = ET.fromstring(out("dumpxml_inactive_guest1"))
    wanted = ET.fromstring(text("guest1.xml"))
    wanted.find("memory").set("unit", "MiB")
    wanted.find("memory").text = "256"
    wanted.find("currentMemory").attrib.pop("unit")
    wanted.find("os/type").set("machine", "pc")
    assert virsh.definition_differences(wanted, live) == []
    wanted.find("os/type").set("machine", "q35")
    assert virsh.definition_differences(wanted, live) == [
        "/domain/os[1]/type[1]/@machine: 'q35', libvirt has 'pc-i440fx-7.2'"]


def test_every_node_derives_the_same_identity():
    assert virsh.domain_uuid("guest1") == virsh.domain_uuid("guest1") != virsh.domain_uuid("guest2")
    assert virsh.domain_mac("guest1") == virsh.domain_mac("guest1") != virsh.domain_mac("guest2")
    assert mac_error(virsh.domain_mac("guest1")) is None and virsh.domain_mac("guest1").startswith("52:54:00:")
    rendered = virsh.render_domain("guest1", 256, 1, "/srv/gfs0/guest1.img", "br0")
    assert rendered.findtext("uuid") == virsh.domain_uuid("guest1")
    assert rendered.find("devices/interface/mac").get("address") == virsh.domain_mac("guest1")


def test_a_whole_xml_is_checked_and_gets_the_derived_uuid():
    given = text("guest1.xml").replace("  <uuid>7c1f3b8e-2f4a-5d6b-9e0c-1a2b3c4d5e6f</uuid>\n", "")
    dom = virsh.domain_from_xml(given, "guest1")
    assert [c.tag for c in dom][:3] == ["name", "uuid", "memory"]
    assert dom.findtext("uuid") == virsh.domain_uuid("guest1")
    assert virsh.domain_from_xml(text("guest1.xml"), "guest1").findtext("uuid").startswith("7c1f3b8e")
    for bad, name in (("<domain", "guest1"), ("<vm/>", "guest1"), (text("guest1.xml"), "guest2")):
        with pytest.raises(virsh.VirshParseError):
            virsh.domain_from_xml(bad, name)


def test_disks_and_paths_below_the_shared_file_system():
    assert virsh.disks(virsh.render_domain(**GUEST1)) == [("file", "disk", "/srv/gfs0/guest1.img")]
    assert virsh.below("/srv/gfs0/guest1.img", "/srv/gfs0")
    assert not virsh.below("/srv/gfs01/guest1.img", "/srv/gfs0")
    assert not virsh.below("/srv/gfs0/../etc/x", "/srv/gfs0")
    assert not virsh.below("/srv/gfs0", "/srv/gfs0")


def test_the_pacemaker_service_renders_as_a_live_migrating_virtualdomain():
    spec = virsh.pacemaker_spec("guest1", "/etc/hacluster/domains/guest1.xml", "qemu:///system", prefer="node1",
                                depends_on=["cl_fs_gfs0"])
    rendered = pacemaker_cib.render(spec, "2.1")
    prim = rendered["resources"][0]
    assert (prim.get("id"), prim.get("class"), prim.get("provider"), prim.get("type")) == \
        ("p_vm_guest1", "ocf", "heartbeat", "VirtualDomain")
    assert {nv.get("name"): nv.get("value") for nv in prim.iter("nvpair")} == {
        "config": "/etc/hacluster/domains/guest1.xml", "hypervisor": "qemu:///system", "migration_transport": "ssh",
        "allow-migrate": "true"}
    assert sorted(op.get("name") for op in prim.iter("op")) == [
        "migrate_from", "migrate_to", "monitor", "start", "stop"]
    shell = pacemaker_cib.crm_shell(rendered)
    assert "location l_p_vm_guest1_prefers_node1 p_vm_guest1 100: node1" in shell
    assert "order o_cl_fs_gfs0_before_p_vm_guest1 Mandatory: cl_fs_gfs0:start p_vm_guest1:start" in shell
    assert "colocation c_p_vm_guest1_with_cl_fs_gfs0 INFINITY: p_vm_guest1 cl_fs_gfs0" in shell


def test_agent_parameters_and_operation_timeouts_come_through_and_wrong_ones_are_refused():
    spec = virsh.pacemaker_spec("guest1", "/etc/hacluster/domains/guest1.xml", "qemu:///system",
                                agent_params={"force_stop": True, "autoset_utilization_cpu": False},
                                operations={"monitor": {"interval": "20s", "timeout": "90s"},
                                            "migrate_to": {"timeout": "300s"}})
    prim = spec["resources"][0]
    assert prim["params"] == {"config": "/etc/hacluster/domains/guest1.xml", "hypervisor": "qemu:///system",
                              "migration_transport": "ssh", "force_stop": "true", "autoset_utilization_cpu": "false"}
    ops = {op["name"]: (op["interval"], op["timeout"]) for op in prim["ops"]}
    assert ops == {"monitor": ("20s", "90s"), "start": ("0s", "120s"), "stop": ("0s", "120s"),
                   "migrate_to": ("0s", "300s"), "migrate_from": ("0s", "120s")}
    with pytest.raises(ValueError, match="may not set config"):
        virsh.pacemaker_spec("guest1", "/x.xml", "qemu:///system", agent_params={"config": "/y.xml"})
    with pytest.raises(ValueError, match="names reload"):
        virsh.pacemaker_spec("guest1", "/x.xml", "qemu:///system", operations={"reload": {"timeout": "9s"}})
    with pytest.raises(ValueError, match="operations.monitor is '60s', not a mapping"):
        virsh.pacemaker_spec("guest1", "/x.xml", "qemu:///system", operations={"monitor": "60s"})
    with pytest.raises(ValueError, match="not on-fail"):
        virsh.pacemaker_spec("guest1", "/x.xml", "qemu:///system", operations={"stop": {"on-fail": "block"}})


def test_the_rgmanager_service_validates_in_a_cluster_conf():
    spec = virsh.rgmanager_spec("guest1", "qemu:///system", ["node1", "node2"], prefer="node2")
    assert spec["failover_domain"]["nodes"] == [{"name": "node2", "priority": 1}, {"name": "node1", "priority": 2}]
    conf = cman.render({
        "name": "hacluster",
        "nodes": [{"name": n, "nodeid": i, "fence": [{"devices": [{"name": "fence_" + n}]}]}
                  for i, n in enumerate(["node1", "node2"], start=1)],
        "fence_devices": [{"name": "fence_" + n, "agent": "fence_ipmilan", "params": {"ipaddr": "10.0.3.7%d" % i}}
                          for i, n in enumerate(["node1", "node2"], start=1)],
        "failover_domains": [spec["failover_domain"]], "vms": [spec["vm"]]})
    assert_valid(cman.to_text(conf))
    assert conf.find("rm/vm").attrib == {"name": "guest1", "domain": "vm_guest1", "autostart": "1", "use_virsh": "1",
                                         "migrate": "live", "recovery": "restart", "hypervisor_uri": "qemu:///system"}
