#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: boot_units
short_description: Whether systemd units start at boot, set without reloading systemd
version_added: 0.1.0
description:
  - Enables or disables systemd units for the next boot, all of them with one C(systemctl) call and without the
    implicit C(daemon-reload) of C(systemctl enable) and C(disable) (C(--no-reload)). Only the boot-time behaviour
    changes; starting or stopping a unit now is a separate matter (O(stop)). On a node with a slow CPU each reload
    re-runs every generator and costs seconds.
  - A unit that is masked, static or missing is refused, because it cannot be enabled or disabled as asked, and
    unmasking is not this module's to decide.
author:
  - hacluster.drbd contributors (@hacluster)
requirements:
  - systemd 219 or later (C(systemctl --no-reload enable))
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reads each unit's state and returns the commands it would run in RV(commands).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  name:
    description: The units, each with its suffix (for example C(smbd.service)).
    type: list
    elements: str
    required: true
  enabled:
    description: Whether the units start at boot.
    type: bool
    required: true
  stop:
    description:
      - With O(enabled=false), also stop the units this call disables. A unit that still started at boot was started
        by its package (at its install, or at every boot since); a cluster manager that takes it over starts it
        where it belongs. Units that were disabled already are left as they are.
    type: bool
    default: false
seealso:
  - module: ansible.builtin.systemd_service
"""

EXAMPLES = r"""
- name: Keep Samba from starting at boot, and stop what the package started
  hacluster.drbd.boot_units:
    name: [smbd.service, nmbd.service]
    enabled: false
    stop: true

- name: Bring DRBD's resources up at boot
  hacluster.drbd.boot_units:
    name: [drbd.service]
    enabled: true
"""

RETURN = r"""
states:
  description: Each unit's state as C(systemctl is-enabled) printed it before any change.
  returned: always
  type: dict
  sample: {"smbd.service": "enabled", "nmbd.service": "disabled"}
commands:
  description: The commands that change state, run (or, in check mode, that would run).
  returned: always
  type: list
  elements: str
  sample: ["systemctl --no-reload disable smbd.service", "systemctl stop smbd.service"]
commands_run:
  description: Every command the module ran, reads included, as shell text.
  returned: always
  type: list
  elements: str
"""

import shlex

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hacluster.drbd.plugins.module_utils.model import unit_name_error
from ansible_collections.hacluster.drbd.plugins.module_utils.runner import runner_for

# `systemctl is-enabled` states that enable/disable act on; anything else is refused.
SWITCHABLE = ("enabled", "disabled")


def read_states(runner, units):
    """{unit: state}, one `systemctl is-enabled` per unit (a missing unit prints nothing on stdout)."""
    states = {}
    for unit in units:
        rc, out, err = runner.run(["systemctl", "is-enabled", unit])
        words = out.split()
        states[unit] = words[0] if words else "not-found"
    return states


def plan(states, enabled, stop):
    """The commands that make every unit start (or not) at boot; [] when they already do."""
    wrong = [unit for unit, state in states.items() if state == ("disabled" if enabled else "enabled")]
    if not wrong:
        return []
    commands = [["systemctl", "--no-reload", "enable" if enabled else "disable"] + wrong]
    if stop and not enabled:
        commands.append(["systemctl", "stop"] + wrong)
    return commands


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="list", elements="str", required=True),
            enabled=dict(type="bool", required=True),
            stop=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    units, enabled = module.params["name"], module.params["enabled"]
    runner = runner_for(module)
    result = {"changed": False, "states": {}, "commands": [], "commands_run": runner.ran}
    for index, unit in enumerate(units):
        problem = unit_name_error(unit)
        if problem:
            module.fail_json(msg="name[%d]: %s; nothing was changed" % (index, problem), **result)
    if module.params["stop"] and enabled:
        module.fail_json(msg="stop applies to units being disabled (enabled=false); nothing was changed", **result)

    states = result["states"] = read_states(runner, units)
    odd = dict((unit, state) for unit, state in states.items() if state not in SWITCHABLE)
    if odd:
        module.fail_json(msg="cannot %s %s at boot: %s; nothing was changed" % (
            "enable" if enabled else "disable", ", ".join(sorted(odd)),
            ", ".join("%s is %s" % (unit, state) for unit, state in sorted(odd.items()))), **result)

    commands = plan(states, enabled, module.params["stop"])
    result["changed"] = bool(commands)
    result["commands"] = [shlex.join(argv) for argv in commands]
    if module._diff:
        wanted = "enabled" if enabled else "disabled"
        result["diff"] = {"before": "".join("%s: %s\n" % item for item in sorted(states.items())),
                          "after": "".join("%s: %s\n" % (unit, wanted) for unit in sorted(states))}
    if commands and not module.check_mode:
        for argv in commands:
            runner.run(argv, check=True)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
