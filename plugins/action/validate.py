# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin hacluster.drbd.validate: the playbooks' door to the collection's
one model of its input (plugins/module_utils/model.py). Runs on the controller
only; it never connects to a host."""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.hacluster.drbd.plugins.module_utils.model import (
    SECRET_VARIABLES,
    TOPOLOGIES,
    Input,
    check_cluster,
    check_host,
    format_problems,
    variable_names,
)

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FACT = "__hacluster_model_%s"


def role_defaults(topology, loader):
    """Defaults of every role a topology composes: a topology's checks read its roles' variables even where
    only the topology role itself was included."""
    merged = {}
    for role in TOPOLOGIES[topology][2]:
        path = os.path.join(COLLECTION_ROOT, "roles", role, "defaults", "main.yml")
        if not os.path.exists(path):
            continue
        try:
            data = loader.load_from_file(path, trusted_as_template=True)
        except TypeError:  # ansible-core before 2.19 templates every string
            data = loader.load_from_file(path)
        merged.update(data or {})
    return merged


def host_values(topology, task_vars, loader, templar, problems):
    """One host's variables for a topology's checks, templated; a variable that cannot be templated is a
    problem (a secret's is described, never shown)."""
    available = role_defaults(topology, loader)
    available.update(task_vars)
    templar = templar.copy_with_new_env(available_variables=available)
    values = {}
    for name in variable_names(topology, available):
        try:
            values[name] = templar.template(available[name])
        except AnsibleError as exc:
            detail = "a template error" if name in SECRET_VARIABLES else str(exc).splitlines()[0]
            problems.append({"host": task_vars.get("inventory_hostname"), "variable": name,
                             "message": "cannot be evaluated: %s" % detail})
    return values


def host_input(topology, task_vars, loader, templar):
    """The model's Input for the host task_vars describe."""
    problems = []
    values = host_values(topology, task_vars, loader, templar, problems)
    inp = Input(task_vars.get("inventory_hostname"), values, play_hosts=task_vars.get("ansible_play_hosts_all"),
                inventory_hosts=task_vars.get("groups", {}).get("all"), groups=task_vars.get("group_names"))
    inp.problems.extend(problems)
    return inp


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("topology", "stage", "hosts"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        topology = self._task.args.get("topology")
        stage = self._task.args.get("stage", "host")
        if topology not in TOPOLOGIES:
            return dict(result, failed=True, msg="topology must be one of %s, not %r"
                        % (", ".join(sorted(TOPOLOGIES)), topology))
        if stage not in ("host", "cluster"):
            return dict(result, failed=True, msg="stage must be host or cluster, not %r" % (stage,))
        result["changed"] = False
        if stage == "host":
            inp = host_input(topology, task_vars, self._loader, self._templar)
            view, found, facts = check_host(topology, inp)
            facts = dict(facts)
            facts[FACT % topology] = {"view": view, "problems": found}
            result["ansible_facts"] = facts
            result["problems"] = found
            return result
        hosts = self._task.args.get("hosts") or task_vars.get("ansible_play_hosts_all") or []
        hostvars = task_vars.get("hostvars", {})
        problems, views = [], {}
        for host in hosts:
            data = hostvars[host].get(FACT % topology) if host in hostvars else None
            if not data:
                problems.append({"host": host, "variable": "(validation)",
                                 "message": "the host stage of the %s checks did not run on this host" % topology})
                continue
            problems.extend(data["problems"])
            views[host] = data["view"]
        problems.extend(check_cluster(topology, views, hosts[0] if hosts else None))
        result["problems"] = problems
        if problems:
            result["failed"] = True
            result["msg"] = format_problems(problems)
        return result
