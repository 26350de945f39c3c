#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cman_cluster
short_description: Render cman and rgmanager's /etc/cluster/cluster.conf, validated before it is written
version_added: 0.1.0
description:
  - Renders C(/etc/cluster/cluster.conf) of a cman cluster (Red Hat Cluster Suite 3, RHEL 6 era) from its
    options - cluster name, quorum (C(two_node), C(expected_votes)), nodes with ids and fence methods, fence
    devices, C(dlm) and C(gfs_controld) settings, and rgmanager's failover domains, services and virtual machines.
  - Compares the rendering with the file in place, leaving C(config_version) out of the comparison, and writes
    only when something differs; C(config_version) is then the old one plus one (1 for a new file), so that
    cman takes the new file for newer.
  - Validates the new file before it replaces the old one, with the host's C(ccs_config_validate -l) where cman
    is installed, else against cman's RelaxNG schema (cluster 3.0's C(cluster.rng), carried by this collection,
    or O(schema)) with the Python lxml library. Nothing is written when validation fails or is impossible.
  - Fence passwords are given in O(fence_secrets), never logged; they are masked in the diff and in every value
    the module returns. The file is written with mode 0640.
  - Does not tell a running cluster about the new file. On a cman node run C(cman_tool version -r) with the new
    RV(config_version) once, on one node (C(-S) when every node got the file from this module).
author:
  - hacluster.drbd contributors (@hacluster)
requirements:
  - C(ccs_config_validate) (cman), or the Python lxml library on the managed host.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Renders and validates (C(ccs_config_validate) on a scratch copy in a private temporary directory), writes
        nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - The old and new file, fence passwords masked.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  name:
    description: The cluster's name, at most 15 letters, digits, C(_) or C(-). GFS2 lock tables name it.
    type: str
    required: true
  path:
    description: The file to write. Another path renders a copy, for example to check an inventory.
    type: path
    default: /etc/cluster/cluster.conf
  nodes:
    description:
      - The cluster's nodes, each C(name) (as C(uname -n) prints it), C(nodeid) (unique, above 0), optional
        C(votes) (default 1) and C(fence), the fence methods tried in order, each C({name, devices}); each device
        C({name, ...}) names one of O(fence_devices) and adds the node's own parameters (C(port), ...).
      - Every node needs a fence method with a device that fences; C(fence_manual) does not.
    type: list
    elements: dict
    required: true
  fence_devices:
    description:
      - Each C({name, agent, params}). The agent's options in C(params) are written as C(fencedevice) attributes,
        Pacemaker-era names (C(ip), C(username), C(password), C(password_script), C(plug)) in cluster.conf's
        (C(ipaddr), C(login), C(passwd), C(passwd_script), C(port)). Secrets belong in O(fence_secrets).
    type: list
    elements: dict
    required: true
  fence_secrets:
    description: "Secret options of the fence devices, C({device name: {option: value}}); never logged, masked in
      the diff and the results."
    type: dict
    default: {}
  two_node:
    description:
      - cman's two-node mode. By default on for exactly two nodes of one vote each (which it needs), off otherwise.
    type: bool
  expected_votes:
    description: Expected votes; by default 1 in two-node mode, else the sum of the nodes' votes.
    type: int
  cman:
    description: Further attributes of C(<cman>).
    type: dict
    default: {}
  totem:
    description: Attributes of C(<totem>) (Corosync's settings under cman).
    type: dict
    default: {}
  fence_daemon:
    description: Attributes of C(<fence_daemon>), for example C(post_join_delay).
    type: dict
    default: {}
  dlm:
    description: Attributes of C(<dlm>), for example C({plock_ownership 1, plock_rate_limit 0}).
    type: dict
    default: {}
  gfs_controld:
    description: Attributes of C(<gfs_controld>); in cluster 2 it handled POSIX locks (C(plock_rate_limit)).
    type: dict
    default: {}
  logging:
    description: Attributes of C(<logging>).
    type: dict
    default: {}
  rm:
    description: Attributes of rgmanager's C(<rm>).
    type: dict
    default: {}
  failover_domains:
    description: rgmanager failover domains, each C({name, ordered, restricted, nofailback, nodes}); C(nodes) lists
      C({name, priority}).
    type: list
    elements: dict
    default: []
  resources:
    description:
      - Shared resources of C(<rm><resources>), each C({type, attributes..., children}); C(type) is the element
        (C(fs), C(clusterfs), C(ip), C(script), ...), C(children) nest resources that start after their parent.
    type: list
    elements: dict
    default: []
  services:
    description: rgmanager services, each C({name, domain, autostart, recovery, ..., children}) with resources in
      C(children) as in O(resources).
    type: list
    elements: dict
    default: []
  vms:
    description:
      - rgmanager virtual machines, each the attributes of a C(<vm>) (C(name), C(domain), C(autostart), C(migrate),
        C(use_virsh), C(recovery), ...). M(hacluster.drbd.libvirt_vm_service) returns them.
    type: list
    elements: dict
    default: []
  schema:
    description:
      - A RelaxNG schema file on the managed host to validate with where C(ccs_config_validate) is missing, for
        example C(/usr/share/cluster/cluster.rng). By default the cluster 3.0 schema this collection carries.
    type: path
notes:
  - No Debian 12 package ships cman, rgmanager or C(ccs_config_validate); there the lxml validation applies
    (package C(python3-lxml)).
seealso:
  - module: hacluster.drbd.libvirt_vm_service
  - module: hacluster.drbd.gfs2_fs
"""

EXAMPLES = r"""
- name: Two-node cman cluster with IPMI fencing and a guest in a failover domain
  hacluster.drbd.cman_cluster:
    name: hardcore
    nodes:
      - {name: core-01, nodeid: 1, fence: [{name: ipmi, devices: [{name: core-01_ipmi}]}]}
      - {name: core-02, nodeid: 2, fence: [{name: ipmi, devices: [{name: core-02_ipmi}]}]}
    fence_devices:
      - {name: core-01_ipmi, agent: fence_ipmilan, params: {ipaddr: 192.168.0.141, login: admin, lanplus: 1}}
      - {name: core-02_ipmi, agent: fence_ipmilan, params: {ipaddr: 192.168.0.142, login: admin, lanplus: 1}}
    fence_secrets:
      core-01_ipmi: {passwd: "{{ vault_ipmi_password }}"}
      core-02_ipmi: {passwd: "{{ vault_ipmi_password }}"}
    dlm: {plock_ownership: 1, plock_rate_limit: 0}
    failover_domains:
      - {name: prefer_core-01, ordered: 1, restricted: 0, nofailback: 1,
         nodes: [{name: core-01, priority: 1}, {name: core-02, priority: 2}]}
    vms:
      - {name: guest1, domain: prefer_core-01, autostart: 1, use_virsh: 1, migrate: live, recovery: restart}
  register: cluster_conf

- name: Tell the running cluster (files written on every node by the task above)
  ansible.builtin.command:
    argv: [cman_tool, version, -r, "{{ cluster_conf.config_version }}", -S]
  when: cluster_conf is changed
  run_once: true
"""

RETURN = r"""
config_version:
  description: The file's C(config_version) after the run (in check mode, as it would be).
  returned: success
  type: int
  sample: 3
previous_config_version:
  description: The C(config_version) of the file found, or null when there was none.
  returned: success
  type: int
  sample: 2
validated_by:
  description: What validated the new file - C(ccs_config_validate) or C(schema) (lxml); null when nothing changed.
  returned: success
  type: str
  sample: schema
content:
  description: The rendered file, fence passwords masked.
  returned: success
  type: str
commands_run:
  description: Every command the module ran, as shell text with secrets masked (the collection's one command runner).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.hacluster.drbd.plugins.module_utils.cman import (
    LXML_ETREE,
    LXML_IMPORT_ERROR,
    CmanError,
    canonical,
    masked,
    parse,
    render,
    schema_errors,
    to_text,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.cman_schema import cluster_rng
from ansible_collections.hacluster.drbd.plugins.module_utils.files import read_text, replace_file, scratch_file
from ansible_collections.hacluster.drbd.plugins.module_utils.model import fence_secret_params, path_error
from ansible_collections.hacluster.drbd.plugins.module_utils.runner import runner_for

SECTIONS = ("cman", "totem", "fence_daemon", "dlm", "gfs_controld", "logging", "rm")


class CmanCluster(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        secrets = [str(v) for values in self.params["fence_secrets"].values() if isinstance(values, dict)
                   for v in values.values() if v not in (None, "")]
        self.runner = runner_for(module, secrets=secrets)
        self.result = {"changed": False, "commands_run": self.runner.ran}

    def fail(self, msg, **extra):
        result = dict(self.result)
        result.update(extra)
        self.module.fail_json(msg=self.runner.mask(msg), **result)

    def spec(self, version):
        p = self.params
        secrets = dict(p["fence_secrets"])
        devices = []
        for device in p["fence_devices"]:
            plain = fence_secret_params(device.get("params"))
            if plain:
                self.fail("fence device %s carries %s in params, which would be shown in logs and diffs; give it in "
                          "fence_secrets; nothing was changed" % (device.get("name"), ", ".join(plain)))
            device = dict(device)
            device["params"] = dict(device.get("params") or {}, **secrets.pop(device.get("name"), {}))
            devices.append(device)
        if secrets:
            self.fail("fence_secrets names %s, which fence_devices does not define; nothing was changed"
                      % ", ".join(sorted(secrets)))
        spec = dict((k, p[k]) for k in ("name", "nodes", "two_node", "expected_votes", "failover_domains",
                                        "resources", "services", "vms") + SECTIONS)
        spec.update(fence_devices=devices, config_version=version)
        return spec

    def validate(self, text):
        """Validate the new file; returns what validated it."""
        ccs = self.module.get_bin_path("ccs_config_validate")
        if ccs:
            with scratch_file("cluster.conf", text) as path:
                rc, out, err = self.runner.run([ccs, "-l", path])
            if rc != 0:
                self.fail("ccs_config_validate refused the new cluster.conf (rc=%d): %s; nothing was written"
                          % (rc, (err or out).strip()[:2000]), content=to_text(masked(parse(text)[0])))
            return "ccs_config_validate"
        if LXML_ETREE is None:
            self.fail(missing_required_lib("lxml", reason="to validate cluster.conf where ccs_config_validate is "
                                           "missing (Debian: python3-lxml)") + "; nothing was written",
                      exception=LXML_IMPORT_ERROR)
        if self.params["schema"]:
            try:
                with open(self.params["schema"], "rb") as handle:
                    rng = handle.read()
            except (IOError, OSError) as exc:
                self.fail("cannot read the schema %s: %s; nothing was written" % (self.params["schema"], exc))
        else:
            rng = cluster_rng()
        errors = schema_errors(text, rng)
        if errors:
            self.fail("the new cluster.conf does not validate against cman's schema: %s; nothing was written"
                      % "; ".join(errors[:10]), content=to_text(masked(parse(text)[0])))
        return "schema"

    def main(self):
        path = self.params["path"]
        err = path_error(path)
        if err:
            self.fail("path: %s; nothing was changed" % err)
        current_text = read_text(path)
        current, version = None, None
        if current_text is not None:
            try:
                current, version = parse(current_text)
            except CmanError as exc:
                self.fail("%s exists, but %s; move it away if it should be replaced; nothing was changed"
                          % (path, exc))
        try:
            wanted = render(self.spec(version or 1))
        except CmanError as exc:
            self.fail("%s; nothing was changed" % exc)
        changed = current is None or canonical(current) != canonical(wanted)
        new_version = (version + 1 if version is not None else 1) if changed else version
        wanted.set("config_version", str(new_version))
        text = to_text(wanted)
        self.result.update(changed=changed, config_version=new_version, previous_config_version=version,
                           validated_by=None, content=to_text(masked(wanted)))
        if self.module._diff:
            self.result["diff"] = {"before": to_text(masked(current)) if current is not None else "",
                                   "after": self.result["content"] if changed else to_text(masked(current)),
                                   "before_header": path, "after_header": path}
        if not changed:
            self.module.exit_json(**self.result)
        self.result["validated_by"] = self.validate(text)
        if not self.module.check_mode:
            replace_file(self.module, path, text, 0o640)
            # Read back: what is in place now is what was validated.
            try:
                written, written_version = parse(read_text(path) or "")
            except CmanError as exc:
                self.fail("%s was written, but %s" % (path, exc))
            if canonical(written) != canonical(wanted) or written_version != new_version:
                self.fail("%s was written, but reads back differently" % path)
        self.module.exit_json(**self.result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            path=dict(type="path", default="/etc/cluster/cluster.conf"),
            nodes=dict(type="list", elements="dict", required=True),
            fence_devices=dict(type="list", elements="dict", required=True),
            fence_secrets=dict(type="dict", default={}, no_log=True),
            two_node=dict(type="bool"),
            expected_votes=dict(type="int"),
            cman=dict(type="dict", default={}),
            totem=dict(type="dict", default={}),
            fence_daemon=dict(type="dict", default={}),
            dlm=dict(type="dict", default={}),
            gfs_controld=dict(type="dict", default={}),
            logging=dict(type="dict", default={}),
            rm=dict(type="dict", default={}),
            failover_domains=dict(type="list", elements="dict", default=[]),
            resources=dict(type="list", elements="dict", default=[]),
            services=dict(type="list", elements="dict", default=[]),
            vms=dict(type="list", elements="dict", default=[]),
            schema=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    CmanCluster(module).main()


if __name__ == "__main__":
    main()
