# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""Rendering Pacemaker objects per generation, merging them into a CIB, and
the crm shell form."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.hacluster.drbd.plugins.module_utils import pacemaker_cib as pc

LIVE = """<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="3" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-have-watchdog" name="have-watchdog" value="false"/>
        <nvpair id="cib-bootstrap-options-dc-version" name="dc-version" value="2.1.5-a3f44794f94"/>
        <nvpair id="cib-bootstrap-options-cluster-infrastructure" name="cluster-infrastructure" value="corosync"/>
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="1" uname="node1"/>
      <node id="2" uname="node2"/>
    </nodes>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>"""

DRBD_CLONE = {
    "type": "clone", "id": "cl_drbd_r0", "promotable": True,
    "meta": {"promoted-max": 1, "promoted-node-max": 1, "clone-max": 2, "clone-node-max": 1, "notify": True},
    "child": {"id": "drbd_r0", "agent": "ocf:linbit:drbd", "params": {"drbd_resource": "r0"},
              "ops": [{"name": "monitor", "interval": "29s", "role": "Promoted"},
                      {"name": "monitor", "interval": "31s", "role": "Unpromoted"}]},
}
SPEC = {
    "properties": {"stonith-enabled": True, "no-quorum-policy": "stop"},
    "rsc_defaults": {"resource-stickiness": 100},
    "resources": [
        DRBD_CLONE,
        {"type": "group", "id": "g_target", "members": [
            {"id": "ip_target", "agent": "ocf:heartbeat:IPaddr2",
             "params": {"ip": "192.168.101.100", "cidr_netmask": 24}},
        ]},
        {"id": "fence_node1", "agent": "stonith:fence_lab",
         "params": {"pcmk_host_list": "node1", "passwd": "hunter2-secret"}},
    ],
    "constraints": [
        {"type": "colocation", "id": "col_target_on_drbd", "rsc": "g_target", "with_rsc": "cl_drbd_r0",
         "with_rsc_role": "Promoted"},
        {"type": "order", "id": "ord_drbd_then_target", "first": "cl_drbd_r0", "first_action": "promote",
         "then": "g_target"},
    ],
}


def spec(**changes):
    out = copy.deepcopy(SPEC)
    out.update(changes)
    return out


@pytest.mark.parametrize("version,dialect", [("1.1.24", "1.1"), ("2.0.5", "2.0"), ("2.1.5", "2.1"), ("3.0.0", "2.1")])
def test_dialect_for_version(version, dialect):
    assert pc.dialect_for_version(version) == dialect


def test_pacemakerd_version_parsed():
    # Debian 12, pacemakerd --version
    text = "Pacemaker 2.1.5\nWritten by Andrew Beekhof and the Pacemaker project contributors\n"
    assert pc.parse_pacemakerd_version(text) == "2.1.5"
    with pytest.raises(pc.CibError):
        pc.parse_pacemakerd_version("command not found")


def test_promotable_clone_in_2_1():
    clone = pc.render(spec(), "2.1")["resources"][0]
    assert clone.tag == "clone"
    meta = {nv.get("name"): nv.get("value") for nv in clone.find("meta_attributes")}
    assert meta["promotable"] == "true" and meta["promoted-max"] == "1" and meta["notify"] == "true"
    roles = [op.get("role") for op in clone.iter("op")]
    assert roles == ["Promoted", "Unpromoted"]


def test_master_slave_in_1_1():
    rendered = pc.render(spec(), "1.1")
    master = rendered["resources"][0]
    assert master.tag == "master"
    meta = {nv.get("name"): nv.get("value") for nv in master.find("meta_attributes")}
    assert "promotable" not in meta and meta["master-max"] == "1" and meta["master-node-max"] == "1"
    assert [op.get("role") for op in master.iter("op")] == ["Master", "Slave"]
    assert rendered["constraints"][0].get("with-rsc-role") == "Master"


def test_2_0_is_promotable_clone_with_legacy_role_names():
    clone = pc.render(spec(), "2.0")["resources"][0]
    assert clone.tag == "clone"
    assert [op.get("role") for op in clone.iter("op")] == ["Master", "Slave"]


def test_legacy_meta_names_translated_for_2_1():
    legacy = copy.deepcopy(DRBD_CLONE)
    legacy["meta"] = {"master-max": 1, "master-node-max": 1}
    clone = pc.render({"resources": [legacy]}, "2.1")["resources"][0]
    names = [nv.get("name") for nv in clone.find("meta_attributes")]
    assert names == ["promotable", "promoted-max", "promoted-node-max"]


def test_drbd_monitors_need_different_intervals():
    bad = copy.deepcopy(DRBD_CLONE)
    bad["child"]["ops"][1]["interval"] = "29s"
    with pytest.raises(pc.CibError, match="different intervals"):
        pc.render({"resources": [bad]}, "2.1")


@pytest.mark.parametrize("bad,message", [
    ({"resources": [{"id": "1bad", "agent": "ocf:heartbeat:IPaddr2"}]}, "not a valid CIB id"),
    ({"resources": [{"id": "x", "agent": "IPaddr2"}]}, "agent 'IPaddr2'"),
    ({"resources": [{"id": "x", "agent": "ocf:heartbeat:IPaddr2"}, {"id": "x", "agent": "stonith:fence_lab"}]},
     "ids used twice: x"),
    ({"resources": [{"type": "group", "id": "g", "members": []}]}, "no members"),
    ({"resources": [{"type": "bundle", "id": "b"}]}, "unknown type"),
    ({"constraints": [{"type": "order", "id": "o", "first": "a", "then": "b", "first_action": "go"}]},
     "is not start, stop, promote or demote"),
    ({"constraints": [{"type": "colocation", "id": "c", "rsc": "a", "with_rsc": "b", "with_rsc_role": "Boss"}]},
     "unknown role"),
    ({"constraints": [{"type": "location", "id": "l", "rsc": "a"}]}, "no node"),
])
def test_bad_specifications_refused(bad, message):
    with pytest.raises(pc.CibError, match=message):
        pc.render(bad, "2.1")


def test_merge_adds_then_is_idempotent():
    new, changed, objects = pc.merge(LIVE, pc.render(spec(), "2.1"))
    assert "clone cl_drbd_r0" in changed and "rsc_order ord_drbd_then_target" in changed
    assert "property stonith-enabled" in changed and "rsc_defaults resource-stickiness" in changed
    assert objects["cl_drbd_r0"][0] is None
    root = ET.fromstring(new)
    props = {nv.get("name"): nv.get("value") for nv in root.iter("nvpair")
             if nv.get("id", "").startswith("cib-bootstrap-options")}
    assert props["stonith-enabled"] == "true" and props["dc-version"] == "2.1.5-a3f44794f94"
    again, changed_again, objects_again = pc.merge(new, pc.render(spec(), "2.1"))
    assert changed_again == [] and objects_again == {}
    assert again == new


def test_merge_keeps_objects_it_does_not_own():
    fenced = LIVE.replace("<constraints/>", """<constraints>
      <rsc_location rsc="cl_drbd_r0" id="drbd-fence-by-handler-r0-cl_drbd_r0">
        <rule role="Promoted" score="-INFINITY" id="drbd-fence-by-handler-r0-rule-cl_drbd_r0">
          <expression attribute="#uname" operation="ne" value="node1" id="drbd-fence-by-handler-r0-expr-cl_drbd_r0"/>
        </rule>
      </rsc_location>
    </constraints>""")
    new, dummy, dummy2 = pc.merge(fenced, pc.render(spec(), "2.1"))
    assert "drbd-fence-by-handler-r0-cl_drbd_r0" in new


def test_operator_target_role_is_kept():
    new, dummy, dummy2 = pc.merge(LIVE, pc.render(spec(), "2.1"))
    root = ET.fromstring(new)
    group = next(e for e in root.iter("group") if e.get("id") == "g_target")
    ET.SubElement(group, "meta_attributes", {"id": "g_target-meta_attributes"}).append(
        ET.Element("nvpair", {"id": "g_target-meta_attributes-target-role", "name": "target-role", "value": "Stopped"}))
    disabled = ET.tostring(root, encoding="unicode")
    again, changed, dummy3 = pc.merge(disabled, pc.render(spec(), "2.1"))
    assert changed == []
    assert 'name="target-role" value="Stopped"' in again


def test_changed_parameter_replaces_the_object_in_place():
    new, dummy, dummy2 = pc.merge(LIVE, pc.render(spec(), "2.1"))
    changed_spec = spec()
    changed_spec["resources"][1]["members"][0]["params"]["ip"] = "192.168.101.101"
    again, changed, objects = pc.merge(new, pc.render(changed_spec, "2.1"))
    assert changed == ["group g_target"]
    before, after = objects["g_target"]
    assert "192.168.101.100" in pc.masked_xml(before) and "192.168.101.101" in pc.masked_xml(after)
    ids = [e.get("id") for e in ET.fromstring(again).find("configuration/resources")]
    assert ids == ["cl_drbd_r0", "g_target", "fence_node1"]


def test_absent_removes_only_named_objects():
    new, dummy, dummy2 = pc.merge(LIVE, pc.render(spec(), "2.1"))
    gone, changed, objects = pc.merge(new, pc.render({}, "2.1"), absent=["ord_drbd_then_target", "nothing"])
    assert changed == ["removed rsc_order ord_drbd_then_target"]
    assert objects["ord_drbd_then_target"][1] is None
    assert "cl_drbd_r0" in gone


def test_constraint_to_unknown_resource_refused():
    bad = {"constraints": [{"type": "order", "id": "o", "first": "ghost", "then": "g_target"}]}
    new, dummy, dummy2 = pc.merge(LIVE, pc.render(spec(), "2.1"))
    with pytest.raises(pc.CibError, match="ghost"):
        pc.merge(new, pc.render(bad, "2.1"))
    # a resource that exists in the live CIB may be referenced
    ok = {"constraints": [{"type": "order", "id": "o", "first": "cl_drbd_r0", "then": "g_target"}]}
    dummy4, changed, dummy5 = pc.merge(new, pc.render(ok, "2.1"))
    assert changed == ["rsc_order o"]


def test_id_clash_with_live_object_refused():
    clash = {"resources": [{"id": "cib-bootstrap-options-dc-version", "agent": "ocf:heartbeat:Dummy"}]}
    with pytest.raises(pc.CibError, match="already used"):
        pc.merge(LIVE, pc.render(clash, "2.1"))


def test_not_a_cib_refused():
    with pytest.raises(pc.CibError, match="not XML"):
        pc.merge("<cib", pc.render({}, "2.1"))
    with pytest.raises(pc.CibError, match="no <cib><configuration>"):
        pc.merge("<foo/>", pc.render({}, "2.1"))


def test_secrets_masked_in_xml_and_crm_shell():
    rendered = pc.render(spec(), "2.1")
    fence = rendered["resources"][2]
    assert "hunter2-secret" not in pc.masked_xml(fence)
    assert "hunter2-secret" not in pc.crm_shell(rendered)
    assert "hunter2-secret" in pc.crm_shell(rendered, mask_secrets=False)


def test_crm_shell_1_1_uses_ms_and_master():
    text = pc.crm_shell(pc.render(spec(), "1.1"))
    assert "ms cl_drbd_r0 drbd_r0 \\\n  meta master-max=1 master-node-max=1 clone-max=2 clone-node-max=1 notify=true" \
        in text
    assert "op monitor interval=29s role=Master" in text
    assert "colocation col_target_on_drbd INFINITY: g_target cl_drbd_r0:Master" in text
    assert "order ord_drbd_then_target Mandatory: cl_drbd_r0:promote g_target:start" in text
    assert "property stonith-enabled=true no-quorum-policy=stop" in text


def test_crm_shell_2_1_uses_promotable_clone():
    text = pc.crm_shell(pc.render(spec(), "2.1"))
    assert "clone cl_drbd_r0 drbd_r0 \\\n  meta promotable=true promoted-max=1" in text
    assert "cl_drbd_r0:Promoted" in text
    assert text.count("primitive ip_target ") == 1
    assert "group g_target ip_target" in text


def test_utilization_an_agent_wrote_is_kept():
    """VirtualDomain's monitor writes its guest's cpu and hv_memory as utilization of the running primitive; a
    re-run that does not name utilization leaves them (the CIB of the dual_primary_gfs2 lab after a guest ran)."""
    new, dummy, dummy2 = pc.merge(LIVE, pc.render(spec(), "2.1"))
    root = ET.fromstring(new)
    # A primitive inside a group, as the guests' VirtualDomain would be in one.
    prim = next(e for e in root.iter("primitive") if e.get("id") == "ip_target")
    util = ET.SubElement(prim, "utilization", {"id": "ip_target-utilization"})
    ET.SubElement(util, "nvpair", {"id": "ip_target-utilization-cpu", "name": "cpu", "value": "1"})
    written = ET.tostring(root, encoding="unicode")
    again, changed, dummy3 = pc.merge(written, pc.render(spec(), "2.1"))
    assert changed == []
    assert 'id="ip_target-utilization-cpu" name="cpu" value="1"' in again
    # A real change to the primitive still comes through, with the utilization kept beside it.
    group = copy.deepcopy(SPEC["resources"][1])
    group["members"][0]["params"]["ip"] = "192.168.101.101"
    moved, changed, dummy4 = pc.merge(written, pc.render(spec(resources=[DRBD_CLONE, group, SPEC["resources"][2]]),
                                                         "2.1"))
    assert changed == ["group g_target"]
    assert 'value="192.168.101.101"' in moved and 'name="cpu" value="1"' in moved
