#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: drbd_info
short_description: Report DRBD versions, live state and split-brain hints
version_added: 0.1.0
description:
  - Reads which DRBD kernel module and userland run on the node and whether they can work together.
  - Returns the parsed C(/proc/drbd), the parsed C(drbdadm status) where the installed drbd-utils print it,
    and the normalised live state of each configured resource.
  - Points at resources that look split-brained, that is with a connection that is C(StandAlone) although
    the resource has a peer. It does not read the kernel log.
  - Runs only commands that read; it never loads the kernel module (with no module loaded it reports
    every resource as not up).
author:
  - hacluster.drbd contributors (@hacluster)
requirements:
  - drbd-utils (or the 0.7 / 8.x userland) for anything beyond the versions and C(/proc/drbd).
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - The module only reads, so check mode returns the same as a normal run.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  resource:
    description:
      - Report only this resource. By default every resource of the configuration (C(drbdadm sh-resources)).
    type: str
notes:
  - Without drbdadm only RV(versions) and RV(proc_drbd) are filled.
  - Running commands of a userland that does not match the kernel may print warnings; RV(versions.problem)
    says what to install.
seealso:
  - module: hacluster.drbd.drbd_role
"""

EXAMPLES = r"""
- name: Gather DRBD facts
  hacluster.drbd.drbd_info:
  register: drbd

- name: Stop when kernel and userland do not match
  ansible.builtin.assert:
    that: drbd.versions.compatible
    fail_msg: "{{ drbd.versions.problem }}"

- name: Report a suspected split brain
  ansible.builtin.debug:
    msg: "{{ item.hint }}"
  loop: "{{ drbd.split_brain }}"

- name: Read one resource
  hacluster.drbd.drbd_info:
    resource: r0
  register: r0

- name: Show its sync progress
  ansible.builtin.debug:
    var: r0.resources.r0.sync
"""

RETURN = r"""
versions:
  description: Releases found and whether they work together.
  returned: always
  type: dict
  contains:
    kernel:
      description: Release of the loaded kernel module from C(/proc/drbd), null when no module is loaded.
      type: str
      sample: 8.4.11
    api:
      description: API number of the loaded module (C(api:) in C(/proc/drbd)).
      type: int
      sample: 1
    proto:
      description: Lowest and highest protocol version of the loaded module.
      type: list
      elements: int
      sample: [86, 101]
    utils:
      description: Release of drbdadm, null when drbdadm is not installed.
      type: str
      sample: 9.22.0
    dialect:
      description: Release family whose commands and configuration apply (V(0.7), V(8.3), V(8.4), V(9)); the loaded
        module's, else what the installed drbdadm would drive.
      type: str
      sample: "8.4"
    compatible:
      description: Whether the userland can drive the kernel module.
      type: bool
      sample: true
    problem:
      description: Why not, and what to install; null when they fit.
      type: str
      sample: null
proc_drbd:
  description:
    - C(/proc/drbd) parsed; null when no module is loaded. C(devices) is keyed by minor number (as a string).
    - DRBD 9 lists no devices there.
  returned: always
  type: dict
  sample:
    version: 8.4.11
    api: 1
    proto_min: 86
    proto_max: 101
    generation: "8.3"
    build: "srcversion: C83CE761848B9DE61379370"
    transports: null
    devices:
      "0": {minor: 0, cstate: Connected, role: Secondary, peer_role: Secondary, disk: UpToDate, peer_disk: UpToDate,
            protocol: C, flags: r-----, sync: null, ns: 0, nr: 0, dw: 0, dr: 0, al: 0, bm: 0, lo: 0, pe: 0, ua: 0,
            ap: 0, ep: 1, wo: f, oos: 0}
status:
  description:
    - Output of C(drbdadm status) parsed, keyed by resource; null where that command gives no text status
      (DRBD before 9 without the 8.4 backport of drbd-utils 9.1.0, or no module loaded).
    - Volumes are keyed by number (as a string); values are as drbdsetup prints them.
  returned: always
  type: dict
  sample:
    home:
      role: Secondary
      suspended: null
      volumes: {"0": {minor: null, disk: UpToDate}}
      connections: {peer: {connection: Connected, role: Secondary,
                           volumes: {"0": {replication: Established, peer_disk: UpToDate, done: null}}}}
resources:
  description:
    - Normalised live state per resource, the same shape as RV(hacluster.drbd.drbd_role#module:state).
    - C(exists) is false for a configured resource that is not up. A DRBD 8.4 minor that the kernel lists as
      C(Unconfigured) exists (C(cstate) Unconfigured, Secondary, Diskless).
    - C(sync) holds C(percent), C(eta_seconds), C(speed) (KiB/s over the last seconds) and C(average) (KiB/s since
      the resync started) while a resync runs.
  returned: always
  type: dict
  sample:
    r0:
      resource: r0
      exists: true
      source: /proc/drbd
      role: Secondary
      minor: 0
      disk: UpToDate
      volumes: [{volume: 0, minor: 0, disk: UpToDate}]
      peers: [{name: peer, role: Unknown, connection: StandAlone,
               volumes: [{volume: 0, replication: "Off", peer_disk: DUnknown, peer_client: null, sync: null}]}]
      peer_roles: [Unknown]
      peer_disks: [DUnknown]
      connection: StandAlone
      cstate: StandAlone
      sync: null
split_brain:
  description:
    - One entry per connection that is C(StandAlone) although the resource has a peer. DRBD drops to StandAlone
      after detecting split brain, but also after C(drbdadm disconnect) or a failed authentication, so this is a
      hint to look at the kernel log, not a verdict.
  returned: always
  type: list
  elements: dict
  sample:
    - resource: r0
      peer: peer
      role: Secondary
      disk: UpToDate
      hint: "r0: the connection to peer is StandAlone ..."
commands_run:
  description:
    - Every command the module ran, read-only probes included, as shell text with secrets masked (the collection's
      one command runner keeps them).
  returned: always
  type: list
  elements: str
  sample: ["drbdadm --version", "drbdadm sh-resources"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hacluster.drbd.plugins.module_utils.drbd import (
    PROC_DRBD,
    detect_versions,
    jsonable,
    read_proc_drbd,
    read_state,
    run_drbd,
    run_drbd_failed,
    status_text_supported,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.drbd_status import (
    DrbdParseError,
    parse_drbdadm_status,
    parse_proc_drbd,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.runner import runner_for


def split_brain_hints(name, state):
    """StandAlone with a peer configured. 8.x drops the network
    configuration when it goes StandAlone, so its kernel cannot show the
    peer, but an 8.x configuration always has one; read_state reports it
    as "peer". DRBD 9 keeps a connection object for each configured peer,
    and only those are listed."""
    hints = []
    if not state["exists"] or state.get("cstate") == "Unconfigured":
        return hints
    for peer in state["peers"]:
        if peer["connection"] != "StandAlone":
            continue
        hints.append({
            "resource": name, "peer": peer["name"], "role": state["role"], "disk": state["disk"],
            "hint": ("%s: the connection to %s is StandAlone although a peer is configured; DRBD does this after "
                     "detecting split brain (or after drbdadm disconnect). Look for 'Split-Brain detected' in the "
                     "kernel log before reconnecting." % (name, peer["name"])),
        })
    return hints


def main():
    module = AnsibleModule(
        argument_spec=dict(resource=dict(type="str")),
        supports_check_mode=True,
    )
    wanted = module.params["resource"]
    versions = detect_versions(module)
    result = {"changed": False, "commands_run": runner_for(module).ran, "versions": versions, "proc_drbd": None,
              "status": None,
              "resources": {}, "split_brain": []}

    proc_text = read_proc_drbd() if versions["kernel"] else None
    if proc_text is not None:
        try:
            result["proc_drbd"] = jsonable(parse_proc_drbd(proc_text))
        except DrbdParseError as exc:
            module.fail_json(msg="cannot parse %s: %s" % (PROC_DRBD, exc), **result)

    if versions["utils"] is None:
        module.exit_json(**result)

    if versions["kernel"] and status_text_supported(versions):
        argv = ["drbdadm", "status", wanted or "all"]
        rc, out, err = run_drbd(module, argv, check=False)
        if rc == 10 and ("No such resource" in err or "terminated with exit code 10" in err):
            # A configured resource that is not up: drbdadm still printed the ones that are, and exits 10
            # for the rest. Keep what it printed; read_state reports the others as not up.
            pass
        elif rc == 1 and "no resources defined" in err:
            # drbd-utils 9.22 with an 8.4 module and an empty configuration:
            # nothing to report is not a failure.
            out = ""
        elif rc != 0:
            run_drbd_failed(module, argv, rc, out, err, **result)
        try:
            result["status"] = jsonable(parse_drbdadm_status(out))
        except DrbdParseError as exc:
            module.fail_json(msg="cannot parse the output of `%s`: %s" % (" ".join(argv), exc), stdout=out, **result)

    if wanted:
        names = [wanted]
    else:
        dummy, out, err = run_drbd(module, ["drbdadm", "sh-resources"])
        names = out.split()
    for name in names:
        state = read_state(module, name, versions)
        result["resources"][name] = state
        result["split_brain"].extend(split_brain_hints(name, state))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
