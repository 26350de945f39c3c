#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pacemaker_cib
short_description: Pacemaker resources, constraints and properties as one atomic CIB change
version_added: 0.1.0
description:
  - Builds the wanted resources, constraints, cluster properties and resource defaults into a scratch copy of the
    live CIB, checks the copy with C(crm_verify), and pushes the difference with C(cibadmin --patch) in one step.
    The patch carries the CIB version it was made from, so a CIB that changed in between is refused, not overwritten;
    the module then reads the changed CIB and makes the change again from it (up to five times).
  - Only the objects named here are touched. Other objects (for example the constraint DRBD's C(crm-fence-peer)
    handler adds, or C(cli-prefer-*) constraints of a manual move) stay, and so do C(target-role), C(is-managed)
    and C(maintenance) meta attributes an operator set on a live resource, unless named here.
  - Speaks the Pacemaker generation it finds (C(pacemakerd --version)) or the one named in O(dialect)
    (1.1 C(<master>) and Master/Slave; 2.0 promotable clones with Master/Slave; 2.1 Promoted/Unpromoted), and
    returns the same objects as C(crm configure) text in RV(crm_shell).
author:
  - hacluster.drbd contributors (@hacluster)
requirements:
  - Pacemaker's command line tools (C(cibadmin), C(crm_verify), C(crm_diff), C(pacemakerd)) on a running cluster node.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Check mode builds and verifies the scratch CIB and reports the difference; it never pushes.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - The diff shows each changed object as XML, with parameter values named like passwords masked.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  resources:
    description:
      - Top-level resources, each a dict. C(type) is C(primitive) (default), C(group) or C(clone).
      - A primitive has C(id), C(agent) (C(ocf:provider:type), C(stonith:type), C(systemd:unit) ...), C(params),
        C(meta) and C(ops) (each C(name), C(interval), optional C(role), C(timeout), C(on-fail)).
      - A group has C(id), C(members) (primitives, started in order) and C(meta).
      - A clone has C(id), C(child) (one primitive or group), C(meta) and C(promotable); C(promoted-max) and
        C(master-max) style meta names are translated for the dialect.
    type: list
    elements: dict
    default: []
  constraints:
    description:
      - Each a dict with C(type) C(colocation) (C(id), C(rsc), C(with_rsc), C(rsc_role), C(with_rsc_role),
        C(score)), C(order) (C(id), C(first), C(first_action), C(then), C(then_action), C(kind)) or C(location)
        (C(id), C(rsc), C(node), C(score)). Roles are given as Promoted/Unpromoted (or Master/Slave) and written in
        the dialect's names.
    type: list
    elements: dict
    default: []
  properties:
    description: Cluster properties (C(cib-bootstrap-options)); properties not named are left alone.
    type: dict
    default: {}
  rsc_defaults:
    description: Resource defaults (for example C(resource-stickiness)).
    type: dict
    default: {}
  secrets:
    description:
      - "Parameter values kept out of logs, as C({primitive id: {parameter: value}}), merged into that primitive's
        C(params)."
      - Use it for fence agent passwords. They reach the CIB through a file, never a command line.
    type: dict
    default: {}
  absent:
    description: Ids of top-level resources or constraints to remove if present.
    type: list
    elements: str
    default: []
  dialect:
    description: Pacemaker generation to write for; C(auto) asks C(pacemakerd --version).
    type: str
    default: auto
    choices: [auto, "1.1", "2.0", "2.1"]
notes:
  - C(crm_verify) refuses a configuration with C(stonith-enabled=true) and no fencing device; define the fencing
    devices in the same call as the first resources.
seealso:
  - module: hacluster.drbd.drbd_resource
"""

EXAMPLES = r"""
- name: DRBD promoted by Pacemaker, a file system on the promoted side, fencing through IPMI
  hacluster.drbd.pacemaker_cib:
    properties:
      stonith-enabled: true
    resources:
      - type: clone
        id: cl_drbd_r0
        promotable: true
        meta: {promoted-max: 1, promoted-node-max: 1, clone-max: 2, clone-node-max: 1, notify: true}
        child:
          id: drbd_r0
          agent: ocf:linbit:drbd
          params: {drbd_resource: r0}
          ops:
            - {name: monitor, interval: 29s, role: Promoted}
            - {name: monitor, interval: 31s, role: Unpromoted}
      - id: fs_r0
        agent: ocf:heartbeat:Filesystem
        params: {device: /dev/drbd0, directory: /srv, fstype: ext4}
      - id: fence_node2
        agent: stonith:fence_ipmilan
        params: {ip: 10.0.3.72, username: admin, pcmk_host_list: node2}
    secrets:
      fence_node2: {password: "{{ vault_ipmi_password }}"}
    constraints:
      - {type: colocation, id: fs_on_drbd, rsc: fs_r0, with_rsc: cl_drbd_r0, with_rsc_role: Promoted}
      - {type: order, id: drbd_then_fs, first: cl_drbd_r0, first_action: promote, then: fs_r0}
"""

RETURN = r"""
changes:
  description: What changed (or would change in check mode), one label per object or property.
  returned: always
  type: list
  elements: str
  sample: ["clone cl_drbd_r0", "rsc_order drbd_then_fs", "property stonith-enabled"]
dialect:
  description: The Pacemaker generation the objects were written for.
  returned: always
  type: str
  sample: "2.1"
crm_shell:
  description: The objects as C(crm configure) input for that generation, secrets masked.
  returned: always
  type: str
verify:
  description: What C(crm_verify) said about the scratch CIB (empty when it found nothing).
  returned: when something changed
  type: str
commands_run:
  description:
    - Every command the module ran, read-only probes included, as shell text with secrets masked (the collection's
      one command runner keeps them).
  returned: always
  type: list
  elements: str
  sample: ["drbdadm --version", "drbdadm sh-resources"]
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hacluster.drbd.plugins.module_utils.pacemaker_cib import (
    CibError,
    crm_shell,
    dialect_for_version,
    masked_xml,
    merge,
    parse_pacemakerd_version,
    render,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.blockdev import first_line
from ansible_collections.hacluster.drbd.plugins.module_utils.model import fence_secret_params
from ansible_collections.hacluster.drbd.plugins.module_utils.runner import runner_for


# cibadmin's exit status when a patch was made from an older CIB than the live one
# (pcmk_err_old_data: "Update was older than existing configuration").
CIB_UPDATE_OLD = 103
CONFLICT_ATTEMPTS = 5


class CibRun:
    def __init__(self, module):
        self.module = module
        self.tmp = None
        self.conflict = ""

    def run(self, argv, check=True):
        runner = runner_for(self.module, secrets=self.secret_values())
        rc, out, err = runner.run(argv)
        if check and rc != 0:
            msg, result = runner.failure(argv, rc, out, err)
            self.fail(msg, **result)
        return rc, out, err

    def secret_values(self):
        return [str(v) for values in (self.module.params.get("secrets") or {}).values() if isinstance(values, dict)
                for v in values.values() if v not in (None, "")]

    def fail(self, msg, **extra):
        self.cleanup()
        self.module.fail_json(msg=msg, **extra)

    def cleanup(self):
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        if os.path.lexists(path):  # an earlier attempt's, in this run's own private directory
            os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        return path

    def spec(self):
        params = self.module.params
        resources = [dict(r) for r in params["resources"]]
        secrets = dict(params["secrets"])

        def inject(res):
            secret = fence_secret_params(res.get("params")) if str(res.get("agent", "")).startswith("stonith:") else []
            if secret:
                self.fail("fence device %s carries %s in params, which would be written into the CIB as plain text "
                          "and shown in logs; give it in secrets (the role: pacemaker_fence_secrets)"
                          % (res.get("id"), ", ".join(secret)))
            if res.get("type", "primitive") == "primitive" and res.get("id") in secrets:
                res["params"] = dict(res.get("params") or {}, **secrets.pop(res["id"]))
            if res.get("members"):
                res["members"] = [inject(dict(m)) for m in res["members"]]
            if isinstance(res.get("child"), dict):
                res["child"] = inject(dict(res["child"]))
            return res

        resources = [inject(r) for r in resources]
        if secrets:
            self.fail("secrets name primitives that are not in resources: %s" % ", ".join(sorted(secrets)))
        return {"resources": resources, "constraints": params["constraints"], "properties": params["properties"],
                "rsc_defaults": params["rsc_defaults"]}

    def main(self):
        module, params = self.module, self.module.params
        for tool in ("cibadmin", "crm_verify", "crm_diff"):
            if not module.get_bin_path(tool):
                module.fail_json(msg="%s not found: install Pacemaker's command line tools" % tool)
        dialect = params["dialect"]
        try:
            if dialect == "auto":
                pacemakerd = module.get_bin_path("pacemakerd", required=True)
                dialect = dialect_for_version(parse_pacemakerd_version(self.run([pacemakerd, "--version"])[1]))
            rendered = render(self.spec(), dialect)
        except CibError as exc:
            module.fail_json(msg=str(exc))
        shell = crm_shell(rendered)
        # The patch carries the version of the CIB it was made from: when the
        # cluster changed the CIB in between (the DC records its version and
        # the cluster's name after an election, another push lands first),
        # cibadmin refuses it, and the whole read, merge, verify and diff is
        # made again from the new CIB.
        for dummy in range(CONFLICT_ATTEMPTS):
            result = self.push_once(rendered, shell, dialect)
            if result is not None:
                self.cleanup()
                module.exit_json(**result)
        self.fail("the CIB changed under every one of %d attempts to push the difference; nothing was pushed: "
                  "cibadmin --patch: %s" % (CONFLICT_ATTEMPTS, self.conflict))

    def push_once(self, rendered, shell, dialect):
        """Read the live CIB, merge, verify, diff and push. The result, or None when the push was refused
        because the CIB changed meanwhile."""
        module, params = self.module, self.module.params
        live = self.run([module.get_bin_path("cibadmin"), "--query"])[1]
        try:
            new, changes, objects = merge(live, rendered, params["absent"])
        except CibError as exc:
            self.fail(str(exc))
        result = dict(changed=bool(changes), changes=changes, dialect=dialect, crm_shell=shell,
                      commands_run=runner_for(module).ran)
        if not changes:
            return result
        if module._diff:
            result["diff"] = {
                "before": "".join(masked_xml(before) for before, dummy in objects.values()),
                "after": "".join(masked_xml(after) for dummy, after in objects.values()),
                "before_header": "CIB objects (live)", "after_header": "CIB objects (wanted)",
            }
        if self.tmp is None:
            self.tmp = tempfile.mkdtemp(prefix="pacemaker_cib-")
        live_path, new_path = self.write("live.xml", live), self.write("new.xml", new)
        rc, out, err = self.run([module.get_bin_path("crm_verify"), "--verbose", "--xml-file", new_path],
                                check=False)
        result["verify"] = (out + err).strip()
        if rc != 0:
            self.fail("crm_verify refused the new configuration; nothing was pushed: %s" % result["verify"][:2000],
                      **{k: v for k, v in result.items() if k != "diff"})
        rc, patch, err = self.run([module.get_bin_path("crm_diff"), "--original", live_path, "--new", new_path],
                                  check=False)
        if rc not in (0, 1):
            self.fail("crm_diff failed (rc=%d): %s" % (rc, err.strip()[:2000]))
        if rc == 0:
            # Only differences Pacemaker does not count (ordering, whitespace).
            result["changed"], result["changes"] = False, []
            result.pop("diff", None)
            return result
        if not module.check_mode:
            patch_path = self.write("patch.xml", patch)
            rc, out, err = self.run([module.get_bin_path("cibadmin"), "--patch", "--xml-file", patch_path],
                                    check=False)
            if rc == CIB_UPDATE_OLD:
                self.conflict = first_line(err, out)
                return None
            if rc != 0:
                msg, failure = runner_for(module).failure(
                    [module.get_bin_path("cibadmin"), "--patch", "--xml-file", patch_path], rc, out, err)
                self.fail(msg, **failure)
        return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            resources=dict(type="list", elements="dict", default=[]),
            constraints=dict(type="list", elements="dict", default=[]),
            properties=dict(type="dict", default={}),
            rsc_defaults=dict(type="dict", default={}),
            secrets=dict(type="dict", default={}, no_log=True),
            absent=dict(type="list", elements="str", default=[]),
            dialect=dict(type="str", default="auto", choices=["auto", "1.1", "2.0", "2.1"]),
        ),
        supports_check_mode=True,
    )
    CibRun(module).main()


if __name__ == "__main__":
    main()
