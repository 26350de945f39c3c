#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: libvirt_vm_service
short_description: A libvirt guest defined identically on every node, started only by the cluster
version_added: 0.1.0
description:
  - Defines a libvirt domain (a virtual machine) for a cluster to run, on every node the same way, from parameters
    or from a whole domain XML. The UUID and MAC address are derived from the name unless given, so every node
    renders the same definition. Every disk must be a file on the cluster file system O(shared_filesystem), which
    is what lets the guest run, and live-migrate, on any node.
  - The definition is written to O(config_dir)/NAME.xml (mode 0600) after C(virt-xml-validate) has accepted it.
  - libvirt never starts the guest by itself (no autostart); only the cluster does, and what libvirt holds depends
    on the cluster manager (O(cluster)).
  - V(pacemaker) - Pacemaker's C(ocf:heartbeat:VirtualDomain) creates the guest from the file and undefines any
    persistent definition before it starts one, so libvirt keeps none here - a persistent definition of a guest
    that is shut off is undefined (libvirt's copy only), one that runs is refused (it runs outside the cluster). The
    module returns the resources and constraints in RV(cib) for M(hacluster.drbd.pacemaker_cib), so that the CIB
    is written one way only.
  - V(rgmanager) - rgmanager's C(vm.sh) starts the guest with C(virsh start), so libvirt keeps the definition
    (C(virsh define)), made identical to the file whenever it lacks part of it, with autostart off. The module
    returns the C(<vm>) and its failover domain in RV(rgmanager) for M(hacluster.drbd.cman_cluster).
  - A guest that vanishes while C(virsh dominfo) asks about it (a transient guest the cluster is starting, stopping
    or migrating at that moment) is asked about again, up to 5 times 2 seconds apart; any other failed query fails
    the module, as it is no evidence that the guest is absent.
author:
  - hacluster.drbd contributors (@hacluster)
requirements:
  - libvirt's C(virsh) and C(virt-xml-validate) (Debian C(libvirt-clients)) and a running libvirt daemon.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Validates the definition and asks libvirt (C(virsh dominfo), C(dumpxml)); writes nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - The definition file before and after, and what libvirt's definition lacks.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  name:
    description: The domain's name.
    type: str
    required: true
  cluster:
    description: The cluster manager that runs the guest.
    type: str
    required: true
    choices: [pacemaker, rgmanager]
  shared_filesystem:
    description: The cluster file system's mount point; every disk of the guest must be a file below it.
    type: path
    required: true
  xml:
    description: The whole domain XML, instead of the parameters below. Its C(<name>) must be O(name).
    type: str
  memory:
    description: Memory in MiB.
    type: int
    default: 512
  vcpus:
    description: Virtual CPUs.
    type: int
    default: 1
  domain_type:
    description: V(kvm) (hardware virtualisation) or V(qemu) (software emulation, where C(/dev/kvm) is missing).
    type: str
    choices: [kvm, qemu]
    default: kvm
  disk:
    description: The guest's disk image, a file below O(shared_filesystem). Required without O(xml).
    type: path
  disk_format:
    description: The image's format.
    type: str
    choices: [raw, qcow2]
    default: raw
  bridge:
    description: The host bridge the guest's interface joins. Required without O(xml).
    type: str
  mac:
    description: The interface's MAC address; by default derived from the name.
    type: str
  uuid:
    description: The domain's UUID; by default derived from the name.
    type: str
  kernel:
    description: A kernel to boot directly (a file the host can read), instead of booting from the disk.
    type: path
  initrd:
    description: The initrd for O(kernel).
    type: path
  cmdline:
    description: The kernel command line for O(kernel).
    type: str
  config_dir:
    description:
      - Where the definition file is written. Not below C(/etc/libvirt), whose files C(virsh undefine) removes.
    type: path
    default: /etc/hacluster/domains
  uri:
    description: libvirt's connection URI.
    type: str
    default: qemu:///system
  nodes:
    description: The cluster's nodes, for rgmanager's failover domain (the preferred node first); required with
      O(cluster=rgmanager).
    type: list
    elements: str
    default: []
  prefer:
    description: The node the guest runs on when it can.
    type: str
  prefer_score:
    description: Pacemaker's location score for O(prefer).
    type: int
    default: 100
  depends_on:
    description:
      - Pacemaker resources the guest starts after and runs with, for example the clone of the GFS2 file system
        that holds its disk.
    type: list
    elements: str
    default: []
  migration_transport:
    description: VirtualDomain's transport for live migration between nodes.
    type: str
    choices: [ssh, tcp, tls]
    default: ssh
  migration_network_suffix:
    description: VirtualDomain's suffix to node names for the migration network (for example C(-mig)).
    type: str
  agent_params:
    description:
      - More parameters of the VirtualDomain resource (Pacemaker only), for example C(force_stop=true) for a guest
        that ignores ACPI shutdown requests, which VirtualDomain would otherwise wait for until the stop times out.
      - The parameters this module sets itself (C(config), C(hypervisor), C(migration_transport),
        C(migration_network_suffix)) are refused here.
    type: dict
    default: {}
  operations:
    description:
      - "Interval or timeout of VirtualDomain's operations (Pacemaker only), by name (C(monitor), C(start),
        C(stop), C(migrate_to), C(migrate_from)), for example C({monitor: {timeout: 60s}}). The defaults are a
        monitor every 10s with a 30s timeout and 120s for the others."
    type: dict
    default: {}
notes:
  - Put the disk image in place on the shared file system first; defining the guest does not create it.
seealso:
  - module: hacluster.drbd.pacemaker_cib
  - module: hacluster.drbd.cman_cluster
"""

EXAMPLES = r"""
- name: A guest on the GFS2 file system, run by Pacemaker, preferring node1
  hacluster.drbd.libvirt_vm_service:
    name: guest1
    cluster: pacemaker
    shared_filesystem: /srv/gfs0
    disk: /srv/gfs0/guest1.img
    bridge: br0
    memory: 256
    prefer: node1
    depends_on: [cl_fs_gfs0]
  register: guest1

- name: Hand it to Pacemaker
  hacluster.drbd.pacemaker_cib:
    resources: "{{ guest1.cib.resources }}"
    constraints: "{{ guest1.cib.constraints }}"
  run_once: true
"""

RETURN = r"""
config:
  description: The definition file.
  returned: always
  type: str
  sample: /etc/hacluster/domains/guest1.xml
uuid:
  description: The domain's UUID.
  returned: success
  type: str
commands:
  description: The virsh commands that change libvirt, run (or in check mode, that would run).
  returned: always
  type: list
  elements: str
  sample: ["/usr/bin/virsh --connect qemu:///system undefine guest1"]
config_changed:
  description: Whether the definition file was (or in check mode would be) written.
  returned: success
  type: bool
differences:
  description: What libvirt's definition lacked (rgmanager), or what a guest that runs lacks (Pacemaker; it takes
    the new definition at its next start).
  returned: success
  type: list
  elements: str
libvirt:
  description: What C(virsh dominfo) said before the run (C(state), C(persistent), C(autostart)), or null.
  returned: success
  type: dict
cib:
  description: The guest as Pacemaker resources and constraints, for M(hacluster.drbd.pacemaker_cib).
  returned: when O(cluster=pacemaker)
  type: dict
  sample: {resources: [{id: p_vm_guest1, agent: "ocf:heartbeat:VirtualDomain"}], constraints: []}
rgmanager:
  description: The guest's C(vm) and C(failover_domain), for M(hacluster.drbd.cman_cluster).
  returned: when O(cluster=rgmanager)
  type: dict
commands_run:
  description: Every command the module ran, queries included, as shell text (the collection's one command runner).
  returned: always
  type: list
  elements: str
"""

import os
import shlex
import time
import uuid as uuidlib
import xml.etree.ElementTree as ET

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hacluster.drbd.plugins.module_utils.files import read_text, replace_file, scratch_file
from ansible_collections.hacluster.drbd.plugins.module_utils.model import (
    domain_name_error,
    hostname_error,
    mac_error,
    path_error,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.runner import runner_for
from ansible_collections.hacluster.drbd.plugins.module_utils.virsh import (
    VirshParseError,
    below,
    definition_differences,
    disks,
    domain_from_xml,
    domain_missing,
    domain_vanished,
    pacemaker_spec,
    parse_dominfo,
    render_domain,
    resource_id,
    rgmanager_spec,
    to_text,
)

# How often, and how many seconds apart, dominfo is asked again about a guest
# that vanished while it was being asked about.
QUERY_ATTEMPTS = 5
QUERY_PAUSE = 2


class VmService(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.runner = runner_for(module)
        self.commands = []
        self.config = os.path.join(self.params["config_dir"], self.params["name"] + ".xml")
        self.result = {"changed": False, "commands": self.commands, "config": self.config,
                       "commands_run": self.runner.ran}

    def fail(self, msg, **extra):
        result = dict(self.result)
        result.update(extra)
        self.module.fail_json(msg=msg, **result)

    def virsh(self, *args):
        return [self.module.get_bin_path("virsh", required=True), "--connect", self.params["uri"]] + list(args)

    def wanted(self):
        p = self.params
        problems = [("name", domain_name_error(p["name"])), ("shared_filesystem", path_error(p["shared_filesystem"])),
                    ("config_dir", path_error(p["config_dir"]))]
        for key in ("mac",):
            if p[key] is not None:
                problems.append((key, mac_error(p[key])))
        if p["prefer"] is not None:
            problems.append(("prefer", hostname_error(p["prefer"])))
        if p["cluster"] == "rgmanager" and not p["nodes"]:
            problems.append(("nodes", "must list the cluster's nodes for the guest's rgmanager failover domain"))
        if p["prefer"] is not None and p["nodes"] and p["prefer"] not in p["nodes"]:
            problems.append(("prefer", "%s is not one of nodes (%s)" % (p["prefer"], ", ".join(p["nodes"]))))
        if p["uuid"] is not None:
            try:
                uuidlib.UUID(p["uuid"])
            except ValueError:
                problems.append(("uuid", "%r is not a UUID" % p["uuid"]))
        if p["config_dir"] == "/etc/libvirt" or (p["config_dir"] or "").startswith("/etc/libvirt/"):
            problems.append(("config_dir", "is below /etc/libvirt, whose files virsh undefine removes"))
        for key in ("memory", "vcpus"):
            if p[key] < 1:
                problems.append((key, "must be 1 or more, not %d" % p[key]))
        for name, problem in problems:
            if problem:
                self.fail("%s: %s; nothing was changed" % (name, problem))
        if p["xml"] is not None:
            try:
                dom = domain_from_xml(p["xml"], p["name"])
            except VirshParseError as exc:
                self.fail("xml: %s; nothing was changed" % exc)
        else:
            missing = [k for k in ("disk", "bridge") if not p[k]]
            if missing:
                self.fail("%s is required without xml; nothing was changed" % " and ".join(missing))
            dom = render_domain(p["name"], p["memory"], p["vcpus"], p["disk"], p["bridge"], p["domain_type"],
                                p["disk_format"], p["mac"], p["uuid"], p["kernel"], p["initrd"], p["cmdline"])
        shared = p["shared_filesystem"]
        for kind, device, source in disks(dom):
            if device == "cdrom" and source is None:
                continue
            if kind != "file" or source is None or not below(source, shared):
                self.fail("the guest's %s %s is not a file on the shared file system %s; a guest that moves between "
                          "nodes needs every disk there (a %s disk cannot follow it); nothing was changed"
                          % (device, source or "(no source)", shared, kind))
        return dom

    def validate(self, text):
        tool = self.module.get_bin_path("virt-xml-validate", required=True)
        with scratch_file(self.params["name"] + ".xml", text) as path:
            rc, out, err = self.runner.run([tool, path, "domain"])
        if rc != 0:
            self.fail("virt-xml-validate refused the definition of %s (rc=%d): %s; nothing was changed"
                      % (self.params["name"], rc, (err or out).strip()[:2000]))

    def dominfo(self):
        argv = self.virsh("dominfo", self.params["name"])
        # A guest that vanished in the middle of the query is asked about
        # again: the next answer says where it is now.
        for attempt in range(QUERY_ATTEMPTS):
            if attempt:
                time.sleep(QUERY_PAUSE)
            rc, out, err = self.runner.run(argv)
            if not domain_vanished(rc, err):
                break
        if domain_missing(rc, err):
            return None
        if rc != 0:
            msg, extra = self.runner.failure(argv, rc, out, err, hint="a failed query is not \"no such domain\"")
            self.fail(msg + "; nothing was changed", **extra)
        try:
            return parse_dominfo(out)
        except VirshParseError as exc:
            self.fail("cannot read libvirt's answer: %s; nothing was changed" % exc, stdout=out)

    def dumpxml(self, inactive):
        argv = self.virsh("dumpxml", "--inactive", self.params["name"]) if inactive else \
            self.virsh("dumpxml", self.params["name"])
        rc, out, err = self.runner.run(argv)
        if rc != 0:
            msg, extra = self.runner.failure(argv, rc, out, err)
            self.fail(msg + "; nothing was changed", **extra)
        try:
            return ET.fromstring(out)
        except ET.ParseError as exc:
            self.fail("virsh dumpxml printed no domain XML (%s); nothing was changed" % exc, stdout=out)

    def plan(self, dom, info):
        """The virsh commands that bring libvirt where the cluster manager needs it, and the differences found."""
        name, differences = self.params["name"], []
        if self.params["cluster"] == "pacemaker":
            if info is None:
                return [], differences
            if info["persistent"] and info["state"] != "shut off":
                self.fail("%s is %s on this node from a persistent libvirt definition, outside Pacemaker (whose "
                          "VirtualDomain runs guests without one). Stop it (virsh shutdown %s) and let the cluster "
                          "start it, or two copies could run on one disk; nothing was changed"
                          % (name, info["state"], name))
            if info["persistent"]:
                # VirtualDomain undefines it before its first start anyway; until then libvirt could start it
                # at boot, or anybody with virsh start, next to the cluster's copy.
                return [self.virsh("undefine", name)], differences
            differences = definition_differences(dom, self.dumpxml(inactive=False))
            if differences:
                self.module.warn("%s runs with a definition that differs from the new one (%s); it takes the new one "
                                 "at its next start (crm_resource --restart --resource %s)"
                                 % (name, "; ".join(differences[:3]), resource_id("p_vm_", name)))
            return [], differences
        if info is None:
            return [self.virsh("define", self.config)], ["not defined"]
        if not info["persistent"]:
            self.fail("%s runs on this node without a persistent definition, which rgmanager's vm.sh does not start "
                      "that way; stop it and run this again; nothing was changed" % name)
        plan = []
        differences = definition_differences(dom, self.dumpxml(inactive=True))
        if differences:
            plan.append(self.virsh("define", self.config))
        if info["autostart"]:
            plan.append(self.virsh("autostart", "--disable", name))
        return plan, differences

    def main(self):
        p = self.params
        dom = self.wanted()
        text = to_text(dom)
        self.result["uuid"] = dom.findtext("uuid").strip()
        self.validate(text)
        current = read_text(self.config)
        config_changed = current != text
        info = self.dominfo()
        plan, differences = self.plan(dom, info)
        self.commands.extend(shlex.join(argv) for argv in plan)
        self.result.update(changed=bool(plan) or config_changed, config_changed=config_changed,
                           differences=differences, libvirt=info)
        if p["cluster"] == "pacemaker":
            try:
                self.result["cib"] = pacemaker_spec(p["name"], self.config, p["uri"], p["prefer"], p["prefer_score"],
                                                    p["depends_on"], p["migration_transport"],
                                                    p["migration_network_suffix"], p["agent_params"],
                                                    p["operations"])
            except ValueError as exc:
                self.fail("%s; nothing was changed" % exc)
        else:
            self.result["rgmanager"] = rgmanager_spec(p["name"], p["uri"], p["nodes"], p["prefer"])
        if self.module._diff:
            self.result["diff"] = [{"before": current or "", "after": text, "before_header": self.config,
                                    "after_header": self.config}]
            if differences and plan:
                self.result["diff"].append({"before": "".join(d + "\n" for d in differences), "after": "",
                                            "before_header": "libvirt's definition of %s" % p["name"],
                                            "after_header": self.config})
        if self.module.check_mode or not self.result["changed"]:
            self.module.exit_json(**self.result)
        if config_changed:
            replace_file(self.module, self.config, text, 0o600)
        for argv in plan:
            self.runner.run(argv, check=True)
        # Read back: libvirt holds what the cluster manager needs, not just "virsh exited 0".
        info = self.dominfo()
        if p["cluster"] == "pacemaker":
            left = ["a persistent definition"] if info is not None and info["persistent"] else []
        else:
            left = definition_differences(dom, self.dumpxml(inactive=True)) if info else ["no definition"]
            if info and info["autostart"]:
                left.append("autostart on")
        if left:
            self.fail("%s ran, but libvirt's %s still has %s" % (" and ".join(self.commands) or "writing the file",
                                                                 p["name"], "; ".join(left)))
        self.module.exit_json(**self.result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            cluster=dict(type="str", required=True, choices=["pacemaker", "rgmanager"]),
            shared_filesystem=dict(type="path", required=True),
            xml=dict(type="str"),
            memory=dict(type="int", default=512),
            vcpus=dict(type="int", default=1),
            domain_type=dict(type="str", default="kvm", choices=["kvm", "qemu"]),
            disk=dict(type="path"),
            disk_format=dict(type="str", default="raw", choices=["raw", "qcow2"]),
            bridge=dict(type="str"),
            mac=dict(type="str"),
            uuid=dict(type="str"),
            kernel=dict(type="path"),
            initrd=dict(type="path"),
            cmdline=dict(type="str"),
            config_dir=dict(type="path", default="/etc/hacluster/domains"),
            uri=dict(type="str", default="qemu:///system"),
            nodes=dict(type="list", elements="str", default=[]),
            prefer=dict(type="str"),
            prefer_score=dict(type="int", default=100),
            depends_on=dict(type="list", elements="str", default=[]),
            migration_transport=dict(type="str", default="ssh", choices=["ssh", "tcp", "tls"]),
            migration_network_suffix=dict(type="str"),
            agent_params=dict(type="dict", default={}),
            operations=dict(type="dict", default={}),
        ),
        mutually_exclusive=[("xml", "disk"), ("xml", "bridge"), ("xml", "kernel"), ("xml", "mac"), ("xml", "uuid")],
        required_by={"initrd": "kernel", "cmdline": "kernel"},
        supports_check_mode=True,
    )
    VmService(module).main()


if __name__ == "__main__":
    main()
