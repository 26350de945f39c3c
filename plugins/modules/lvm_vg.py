#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lvm_vg
short_description: Create an LVM volume group only on devices shown to be blank
version_added: 0.1.0
description:
  - Creates the volume group O(vg) on O(pvs) when it does not exist, but only on positive evidence that every device
    holds nothing (C(blkid -p) and C(wipefs --no-act) agree that it is blank). A device that holds anything, or that
    a probe cannot read, is refused and nothing is written; a failed probe is never read as "blank".
  - A volume group that exists on exactly O(pvs) is left alone. One that exists on other devices is refused; this
    module neither extends nor reduces volume groups.
author:
  - hacluster.drbd contributors (@hacluster)
requirements:
  - lvm2 2.03 or later (C(vgs --reportformat json), C(--setautoactivation))
  - util-linux C(blkid) and C(wipefs)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Runs the probes and C(vgs), and returns the C(vgcreate) it would run in RV(commands).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  vg:
    description: Name of the volume group.
    type: str
    required: true
  pvs:
    description: Block devices that make up the volume group.
    type: list
    elements: str
    required: true
  auto_activation:
    description:
      - V(false) creates the volume group with C(--setautoactivation n), so that only a cluster manager activates it.
    type: bool
    default: true
  state:
    description: Only V(present) is supported.
    type: str
    choices: [present]
    default: present
seealso:
  - module: hacluster.drbd.filesystem
"""

EXAMPLES = r"""
- name: Volume group on the DRBD device, activated only by Pacemaker
  hacluster.drbd.lvm_vg:
    vg: vg_iscsi
    pvs: [/dev/drbd0]
    auto_activation: false
"""

RETURN = r"""
commands:
  description: The commands that change state, run (or, in check mode, that would run).
  returned: always
  type: list
  elements: str
  sample: ["/usr/sbin/vgcreate --setautoactivation n vg_iscsi /dev/drbd0"]
commands_run:
  description: Every command the module ran, probes included, as shell text.
  returned: always
  type: list
  elements: str
  sample: ["/usr/sbin/vgs --reportformat json -o vg_name,pv_name ..."]
signatures:
  description: What the probes found on each device before the run (empty lists for blank devices).
  returned: when the volume group did not exist
  type: dict
  sample: {/dev/drbd0: []}
pvs:
  description: The physical volumes of the volume group after the run (in check mode, before it).
  returned: always
  type: list
  elements: str
  sample: [/dev/drbd0]
"""

import shlex

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hacluster.drbd.plugins.module_utils.blockdev import ProbeError, device_size, probe_signatures
from ansible_collections.hacluster.drbd.plugins.module_utils.lvm import VGS_ARGV, LvmParseError, parse_vgs_json
from ansible_collections.hacluster.drbd.plugins.module_utils.model import device_path_error, lvm_name_error
from ansible_collections.hacluster.drbd.plugins.module_utils.runner import runner_for


def read_groups(module, runner):
    argv = [module.get_bin_path("vgs", required=True)] + VGS_ARGV[1:]
    rc, out, err = runner.run(argv, check=True)
    try:
        return parse_vgs_json(out)
    except LvmParseError as exc:
        module.fail_json(msg="cannot read the volume groups: %s; nothing was changed" % exc, stdout=out,
                         commands_run=runner.ran)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            vg=dict(type="str", required=True),
            pvs=dict(type="list", elements="str", required=True),
            auto_activation=dict(type="bool", default=True),
            state=dict(type="str", default="present", choices=["present"]),
        ),
        supports_check_mode=True,
    )
    vg, pvs = module.params["vg"], module.params["pvs"]
    runner = runner_for(module)
    commands = []
    result = {"changed": False, "commands": commands, "commands_run": runner.ran, "pvs": []}
    problems = [("vg", lvm_name_error(vg))] + [("pvs[%d]" % i, device_path_error(pv)) for i, pv in enumerate(pvs)]
    if not pvs:
        problems.append(("pvs", "must name at least one device"))
    for name, problem in problems:
        if problem:
            module.fail_json(msg="%s: %s; nothing was changed" % (name, problem), **result)

    groups = read_groups(module, runner)
    if vg in groups:
        result["pvs"] = groups[vg]
        if sorted(groups[vg]) != sorted(pvs):
            module.fail_json(msg="volume group %s exists on %s, not on %s; this module neither extends nor reduces "
                             "volume groups, nothing was changed" % (vg, ", ".join(groups[vg]), ", ".join(pvs)),
                             **result)
        module.exit_json(**result)

    used = dict((pv, name) for name, members in groups.items() for pv in members)
    found = {}
    for pv in pvs:
        if pv in used:
            module.fail_json(msg="%s is a physical volume of volume group %s; nothing was changed" % (pv, used[pv]),
                             **result)
        try:
            device_size(pv)
        except (IOError, OSError) as exc:
            module.fail_json(msg="cannot read %s (%s), so it cannot be shown to be blank; nothing was changed"
                             % (pv, exc.strerror or exc), **result)
        try:
            found[pv] = probe_signatures(pv, runner.run, blkid=module.get_bin_path("blkid", required=True),
                                         wipefs=module.get_bin_path("wipefs", required=True))
        except ProbeError as exc:
            module.fail_json(msg="%s; nothing was changed" % exc, **result)
    result["signatures"] = found
    busy = ["%s holds %s" % (pv, "; ".join(sigs)) for pv, sigs in found.items() if sigs]
    if busy:
        module.fail_json(msg="refusing to create volume group %s: %s. Nothing was changed; clear the device(s) "
                         "yourself if their content is not needed" % (vg, ", ".join(busy)), **result)

    argv = [module.get_bin_path("vgcreate", required=True)]
    if not module.params["auto_activation"]:
        argv += ["--setautoactivation", "n"]
    argv += [vg] + list(pvs)
    commands.append(runner.mask(shlex.join(argv)))
    result["changed"] = True
    if module.check_mode:
        module.exit_json(**result)
    runner.run(argv, check=True)
    groups = read_groups(module, runner)
    if sorted(groups.get(vg, [])) != sorted(pvs):
        module.fail_json(msg="vgcreate exited 0, but vgs shows %s on %s" % (vg, groups.get(vg)), **result)
    result["pvs"] = groups[vg]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
