#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The work is done by the action plugin of the same name on the controller;
# this file only documents it.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: validate
short_description: Check a topology's variables against the collection's model of its input
version_added: 0.1.0
description:
  - The one place where the rules for this collection's variables live (C(plugins/module_utils/model.py)); the
    roles' C(tasks/assert.yml) and C(playbooks/validate.yml) call it, and the modules use the same value checks.
  - With O(stage=host), reads the variables of one topology on the current host (including the defaults of every
    role the topology composes), records every problem with the variable it concerns, and stores a view of the
    host's input (never a secret) as the fact C(__hacluster_model_TOPOLOGY). It never fails.
  - With O(stage=cluster) (run it with C(run_once)), collects the views and problems of O(hosts), adds the rules
    that span hosts (the same resources everywhere, no address used twice, a cluster IP that is no node's own)
    and fails with every problem, each naming the host and the variable.
  - Also sets the values a topology derives, for its tasks to use, for example C(__primary_secondary_resource)
    and C(__primary_secondary_device) from the only DRBD resource and its minor.
author:
  - hacluster.drbd contributors (@hacluster)
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  async:
    description: Supports being used with the C(async) keyword.
    support: none
  bypass_host_loop:
    description: Forces a 'global' task that does not execute per host.
    support: none
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: all
options:
  topology:
    description: Which variables to check.
    type: str
    required: true
    choices: [inventory, base, drbd, heartbeat, samba, pacemaker, primary_secondary, iscsi_target, iscsi_initiator,
      dual_primary_gfs2, drbd_dkms, lxc, containers]
  stage:
    description: V(host) reads one host's variables; V(cluster) collects every host's and fails on any problem.
    type: str
    choices: [host, cluster]
    default: host
  hosts:
    description: The hosts whose input O(stage=cluster) collects; by default the play's hosts.
    type: list
    elements: str
notes:
  - Runs on the controller only and never connects to a host.
"""

EXAMPLES = r"""
- name: Read this host's DRBD variables into the model
  hacluster.drbd.validate:
    topology: drbd

- name: Refuse bad DRBD input on any host, naming every variable and host
  hacluster.drbd.validate:
    topology: drbd
    stage: cluster
  run_once: true
  any_errors_fatal: true
"""

RETURN = r"""
problems:
  description: Every problem found, each with the host, the variable and what is wrong with it.
  returned: always
  type: list
  elements: dict
  sample: [{host: node2, variable: primary_secondary_mount, message: "/ belongs to the operating system; ..."}]
"""
