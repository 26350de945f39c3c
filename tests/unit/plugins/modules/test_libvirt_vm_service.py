# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""libvirt_vm_service driven through run_command, libvirt answering from libvirt 9.0.0 captures
(fixtures/virsh/9.0.0), the definition file written to a temporary directory."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.hacluster.drbd.plugins.modules import libvirt_vm_service as mod
from ansible_collections.hacluster.drbd.tests.unit.plugins.modules.module_harness import (
    FakeHost,
    patch_module,
    run_module,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "virsh", "9.0.0")
VIRSH = "/usr/bin/virsh --connect qemu:///system "


def cap(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as handle:
        doc = json.load(handle)
    return doc["rc"], doc["stdout"], doc["stderr"]


def edited(name, *replacements):
    """A capture with fields changed as libvirt prints them for states that were not captured (no guest may be
    started on the capture host): the line format is the captured one."""
    rc, out, err = cap(name)
    for old, new in replacements:
        assert old in out
        out = out.replace(old, new)
    return rc, out, err


RUNNING = ("State:          shut off", "State:          running")
TRANSIENT = ("Persistent:     yes", "Persistent:     no")
# What libvirt answers in each state: (dominfo, dumpxml).
STATES = {
    "absent": (cap("dominfo_missing"), cap("dumpxml_inactive_missing")),
    "defined": (cap("dominfo_guest1"), cap("dumpxml_inactive_guest1")),
    "autostart": (cap("dominfo_guest1_autostart"), cap("dumpxml_inactive_guest1")),
    "defined_512": (cap("dominfo_guest1"), cap("dumpxml_inactive_guest1_512")),
    "running_persistent": (edited("dominfo_guest1", RUNNING), cap("dumpxml_inactive_guest1")),
    "running_transient": (edited("dominfo_guest1", RUNNING, TRANSIENT), cap("dumpxml_inactive_guest1")),
    "running_transient_512": (edited("dominfo_guest1", RUNNING, TRANSIENT), cap("dumpxml_inactive_guest1_512")),
    "no_daemon": (cap("dominfo_no_daemon"), cap("dominfo_no_daemon")),
}
# (command, state before) -> (answer, state after)
WRITES = {
    ("define", "absent"): (cap("define_guest1"), "defined"),
    ("define", "defined_512"): (cap("define_guest1"), "defined"),
    ("undefine", "defined"): (cap("undefine_guest1"), "absent"),
    ("undefine", "autostart"): (cap("undefine_guest1"), "absent"),
    ("autostart", "autostart"): (cap("autostart_disable_guest1"), "defined"),
}


class Libvirt(FakeHost):
    def __init__(self, state, validate=None, write_fails=None, dominfo=None, stuck=False, vanishing=0):
        super(Libvirt, self).__init__()
        self.state = state
        self.stuck = stuck
        self.validate = validate or cap("validate_guest1")
        self.write_fails = write_fails
        self.dominfo = dominfo
        # How many dominfo answers, first, are of a guest that went away while it was asked about.
        self.vanishing = vanishing

    def answer(self, tool, args):
        if tool == "virt-xml-validate":
            assert args[2] == "domain" and os.path.exists(args[1])
            return self.validate
        assert args[1:3] == ["--connect", "qemu:///system"]
        command = args[3]
        if command == "dominfo":
            if self.vanishing:
                self.vanishing -= 1
                return cap("dominfo_vanished")
            return self.dominfo or STATES[self.state][0]
        if command == "dumpxml":
            return STATES[self.state][1]
        if self.write_fails:
            return self.write_fails
        answer, after = WRITES[(command, self.state)]
        self.state = self.state if self.stuck else after
        return answer

    @property
    def writes(self):
        return [c for c in self.calls if len(c) > 3 and c[3] in ("define", "undefine", "autostart")]


@pytest.fixture
def libvirt(monkeypatch):
    monkeypatch.setattr(mod, "QUERY_PAUSE", 0)

    def setup(state, **kwargs):
        target = patch_module(monkeypatch, Libvirt(state, **kwargs), bin_dir="/usr/bin")
        return target
    return setup


def run(tmp_path, cluster="pacemaker", check=False, diff=True, **params):
    args = {"name": "guest1", "cluster": cluster, "shared_filesystem": "/srv/gfs0", "disk": "/srv/gfs0/guest1.img",
            "bridge": "br0", "memory": 256, "mac": "52:54:00:4e:2a:91", "uuid": "7c1f3b8e-2f4a-5d6b-9e0c-1a2b3c4d5e6f",
            "config_dir": str(tmp_path / "domains"), "prefer": "node1", "nodes": ["node1", "node2"],
            "depends_on": ["cl_fs_gfs0"]}
    args.update(params)
    return run_module(mod.main, args, check=check, diff=diff)


def config(tmp_path):
    return tmp_path / "domains" / "guest1.xml"


# ---------------------------------------------------------------- Pacemaker: the file is the definition

def test_pacemaker_guest_gets_its_file_and_a_cib_spec(libvirt, tmp_path):
    target = libvirt("absent")
    result = run(tmp_path)
    assert result["failed"] is False and result["changed"] is True, result
    assert (result["config_changed"], result["commands"], result["libvirt"]) == (True, [], None)
    path = config(tmp_path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "<source file=\"/srv/gfs0/guest1.img\" />" in path.read_text()
    assert target.writes == []
    prim = result["cib"]["resources"][0]
    assert (prim["id"], prim["agent"], prim["params"]["config"], prim["meta"]) == (
        "p_vm_guest1", "ocf:heartbeat:VirtualDomain", str(path), {"allow-migrate": "true"})
    assert [c["id"] for c in result["cib"]["constraints"]] == [
        "l_p_vm_guest1_prefers_node1", "o_cl_fs_gfs0_before_p_vm_guest1", "c_p_vm_guest1_with_cl_fs_gfs0"]
    assert result["uuid"] == "7c1f3b8e-2f4a-5d6b-9e0c-1a2b3c4d5e6f"


def test_pacemaker_guest_second_run_changes_nothing(libvirt, tmp_path):
    libvirt("absent")
    run(tmp_path)
    mtime = os.stat(config(tmp_path)).st_mtime_ns
    result = run(tmp_path)
    assert (result["changed"], result["config_changed"], result["commands"]) == (False, False, [])
    assert os.stat(config(tmp_path)).st_mtime_ns == mtime


def test_check_mode_writes_no_file(libvirt, tmp_path):
    target = libvirt("defined")
    result = run(tmp_path, check=True)
    assert (result["changed"], result["commands"]) == (True, [VIRSH + "undefine guest1"])
    assert not config(tmp_path).exists() and target.writes == []
    assert result["diff"][0]["before"] == "" and "<name>guest1</name>" in result["diff"][0]["after"]


@pytest.mark.parametrize("state", ["defined", "autostart"])
def test_a_persistent_definition_that_libvirt_could_start_is_undefined(libvirt, tmp_path, state):
    target = libvirt(state)
    result = run(tmp_path)
    assert result["failed"] is False and result["commands"] == [VIRSH + "undefine guest1"], result
    assert target.writes == [["/usr/bin/virsh", "--connect", "qemu:///system", "undefine", "guest1"]]
    assert target.state == "absent" and config(tmp_path).exists()
    assert result["libvirt"]["persistent"] is True


def test_a_guest_running_outside_pacemaker_is_refused(libvirt, tmp_path):
    target = libvirt("running_persistent")
    result = run(tmp_path)
    assert result["failed"] is True and "outside Pacemaker" in result["msg"] and "two copies" in result["msg"]
    assert target.writes == [] and not config(tmp_path).exists()


def test_the_guest_pacemaker_runs_is_left_running(libvirt, tmp_path):
    target = libvirt("running_transient")
    result = run(tmp_path)
    assert (result["failed"], result["commands"], result["differences"]) == (False, [], [])
    assert target.writes == [] and target.warnings == []


def test_a_running_guest_with_an_older_definition_is_told_about(libvirt, tmp_path):
    target = libvirt("running_transient_512")
    result = run(tmp_path)
    assert (result["failed"], result["commands"]) == (False, [])
    assert result["differences"] and target.warnings and "crm_resource --restart --resource p_vm_guest1" in \
        target.warnings[0]


# ---------------------------------------------------------------- rgmanager: libvirt keeps the definition

def test_rgmanager_guest_is_defined_and_read_back(libvirt, tmp_path):
    target = libvirt("absent")
    result = run(tmp_path, cluster="rgmanager")
    assert result["failed"] is False and result["changed"] is True, result
    assert result["commands"] == [VIRSH + "define " + str(config(tmp_path))]
    assert target.state == "defined"
    assert [c[3] for c in target.calls[1:]] == ["dominfo", "define", "dominfo", "dumpxml"]
    assert result["rgmanager"]["vm"] == {"name": "guest1", "domain": "vm_guest1", "autostart": 1, "use_virsh": 1,
                                         "migrate": "live", "recovery": "restart", "hypervisor_uri": "qemu:///system"}
    assert "cib" not in result


def test_rgmanager_guest_defined_alike_changes_nothing(libvirt, tmp_path):
    libvirt("absent")
    run(tmp_path, cluster="rgmanager")
    target = libvirt("defined")
    result = run(tmp_path, cluster="rgmanager")
    assert (result["changed"], result["commands"], result["differences"]) == (False, [], [])
    assert target.writes == []


def test_rgmanager_guest_autostart_is_turned_off(libvirt, tmp_path):
    libvirt("absent")
    run(tmp_path, cluster="rgmanager")
    target = libvirt("autostart")
    result = run(tmp_path, cluster="rgmanager")
    assert result["commands"] == [VIRSH + "autostart --disable guest1"]
    assert target.state == "defined"


def test_rgmanager_guest_with_another_definition_is_redefined(libvirt, tmp_path):
    target = libvirt("defined_512")
    result = run(tmp_path, cluster="rgmanager", check=True)
    assert result["commands"] == [VIRSH + "define " + str(config(tmp_path))] and target.writes == []
    assert result["differences"] == ["/domain/memory[1]: 262144 KiB, libvirt has 524288 KiB",
                                     "/domain/currentMemory[1]: 262144 KiB, libvirt has 524288 KiB"]
    assert "memory" in result["diff"][1]["before"]
    result = run(tmp_path, cluster="rgmanager")
    assert result["failed"] is False and target.state == "defined"


def test_a_failed_define_fails_with_virsh_message(libvirt, tmp_path):
    libvirt("absent", write_fails=cap("define_invalid"))
    result = run(tmp_path, cluster="rgmanager")
    assert result["failed"] is True
    assert result["msg"] == "virsh failed (rc=1): error: Failed to define domain from /tmp/virtcap/xml/guest3-invalid.xml"


def test_a_define_libvirt_does_not_keep_is_a_failure(libvirt, tmp_path):
    # virsh exits 0, but libvirt still answers with the old definition.
    target = libvirt("defined_512", stuck=True)
    result = run(tmp_path, cluster="rgmanager")
    assert result["failed"] is True and "still has /domain/memory[1]" in result["msg"], result["msg"]
    assert len(target.writes) == 1


# ---------------------------------------------------------------- refusals and failures

@pytest.mark.parametrize("params,needle", [
    ({"disk": "/var/lib/libvirt/images/guest1.img"}, "not a file on the shared file system /srv/gfs0"),
    ({"disk": "/srv/gfs01/guest1.img"}, "not a file on the shared file system"),
    ({"xml": "<domain type='kvm'><name>guest1</name><devices><disk type='block' device='disk'>"
             "<source dev='/dev/drbd1'/></disk></devices></domain>", "disk": None, "bridge": None, "mac": None,
      "uuid": None}, "a block disk cannot follow it"),
    ({"xml": "<domain><name>guest9</name></domain>", "disk": None, "bridge": None, "mac": None, "uuid": None},
     "names the domain 'guest9'"),
    ({"name": "my guest"}, "name:"),
    ({"mac": "53:54:00:4e:2a:91"}, "multicast"),
    ({"uuid": "not-a-uuid"}, "uuid"),
    ({"config_dir": "/etc/libvirt/qemu"}, "virsh undefine removes"),
    ({"memory": 0}, "memory: must be 1 or more"),
    ({"bridge": None}, "bridge is required without xml"),
    ({"cluster": "rgmanager", "nodes": []}, "nodes: must list the cluster's nodes"),
    ({"prefer": "node9"}, "prefer: node9 is not one of nodes"),
])
def test_bad_input_is_refused_before_libvirt_is_asked(libvirt, tmp_path, params, needle):
    target = libvirt("absent")
    result = run(tmp_path, **params)
    assert result["failed"] is True and needle in result["msg"], result["msg"]
    assert target.calls == [] and not config(tmp_path).exists()


def test_a_definition_virt_xml_validate_refuses_is_not_written(libvirt, tmp_path):
    target = libvirt("absent", validate=cap("validate_invalid"))
    result = run(tmp_path)
    assert result["failed"] is True and result["msg"].startswith("virt-xml-validate refused the definition of guest1")
    assert not config(tmp_path).exists() and len(target.calls) == 1


@pytest.mark.parametrize("dominfo,needle", [
    (cap("dominfo_no_daemon"), "virsh failed (rc=1): error: failed to connect to the hypervisor"),
    (cap("domstate_guest1"), "cannot read libvirt's answer"),
])
def test_a_failed_or_unreadable_query_is_not_no_such_domain(libvirt, tmp_path, dominfo, needle):
    target = libvirt("absent", dominfo=dominfo)
    result = run(tmp_path)
    assert result["failed"] is True and needle in result["msg"], result["msg"]
    assert target.writes == [] and not config(tmp_path).exists()


@pytest.mark.parametrize("state", ["running_transient", "absent"])
def test_a_guest_that_vanishes_while_asked_about_is_asked_again(libvirt, tmp_path, state):
    """Pacemaker was starting or moving the guest during the query (a lab capture): the next answer counts."""
    target = libvirt(state, vanishing=2)
    result = run(tmp_path)
    assert (result["failed"], result["commands"]) == (False, []), result
    # Asked twice more before anything else, both vanished answers used up.
    assert [c[3] for c in target.calls if c[0].endswith("virsh")][:3] == ["dominfo"] * 3
    assert target.vanishing == 0
    assert target.writes == [] and config(tmp_path).exists()


def test_a_guest_that_keeps_vanishing_is_a_failed_query(libvirt, tmp_path):
    target = libvirt("absent", vanishing=mod.QUERY_ATTEMPTS)
    result = run(tmp_path)
    assert result["failed"] is True and "Domain not found: no domain with matching uuid" in result["msg"], result
    assert "a failed query is not" in result["msg"]
    assert target.writes == [] and not config(tmp_path).exists()
