#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: drbd_role
short_description: Promote or demote a DRBD resource on this node
version_added: 0.1.0
description:
  - Makes this node V(primary) or V(secondary) for one DRBD resource that is already up
    (configured in the kernel), with C(drbdadm primary) or C(drbdadm secondary).
  - Reads the live state first and runs nothing when the role is already the wanted one;
    C(changed) comes from comparing the role, not from exit codes.
  - Supports DRBD 0.7, 8.0 to 8.4 and 9. The kernel module and drbd-utils must match (see
    M(hacluster.drbd.drbd_info)); the module refuses to act when they do not.
  - The very first promotion of a brand-new resource needs force, because neither side holds
    UpToDate data yet. O(initial_sync=true) allows that, and only when the live state proves the
    resource is new (see O(initial_sync)).
  - Promoting while the peer is Primary is refused unless the resource allows two primaries.
author:
  - hacluster.drbd contributors (@hacluster)
requirements:
  - DRBD kernel module 0.7, 8.x or 9.x, and the matching userland (drbd-utils 8.9.0 or later for
    DRBD 9, 8.9.2 or later or the 8.4 userland for DRBD 8.4).
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Runs only read-only commands (C(drbdadm --version), C(sh-minor), C(get-gi), C(dump),
        C(drbdsetup status)) and reports the command it would run.
      - With O(wait_for=connected) it still waits for the connection, because waiting only reads.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - Shows the role before and after.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  name:
    description:
      - Name of the DRBD resource, as in the configuration.
    type: str
    required: true
    aliases: [resource]
  state:
    description:
      - The role this node should have.
    type: str
    required: true
    choices: [primary, secondary]
  initial_sync:
    description:
      - Allow the forced promotion that starts the initial full sync of a brand-new resource,
        overwriting the peer's backing device.
      - The force is used only with positive evidence that no data is lost. The local disk and the
        disks of all peers must be C(Inconsistent), every peer must be connected with the
        handshake done (replication C(Established), not syncing) and C(Secondary). On 8.x and 9
        the generation identifiers (C(drbdadm get-gi)) must be those of freshly created metadata
        (current UUID C(0000000000000004), no bitmap or history UUIDs). DRBD 0.7 has no generation
        identifiers and reports no peer disk state; there the kernel's own handshake is the
        evidence (a connected 0.7 node stays C(Inconsistent) without syncing only when the peer's
        data is not consistent either).
      - Anything else is refused with an error naming the states seen, for example a peer that is
        C(UpToDate) or unknown (C(DUnknown), not connected), or a local disk that is
        C(UpToDate), C(Consistent) or C(Outdated).
      - The command is the release's own form, C(drbdadm -- --do-what-I-say primary) for 0.7,
        C(drbdadm -- --overwrite-data-of-peer primary) for 8.0 to 8.3.7, and
        C(drbdadm primary --force) from 8.3.8 on.
      - Only used with O(state=primary). When the node is already Primary nothing is run.
    type: bool
    default: false
  wait_for:
    description:
      - V(none) does not wait.
      - V(connected) waits, before changing the role, until every peer is connected and the
        handshake is done, so that O(initial_sync) and the two-primaries check see the peer.
      - V(uptodate) waits for the connection as V(connected) does and, after the role change,
        until the local disk and the peers' disks are C(UpToDate), that is until a resync
        finished. The result's RV(progress) shows how far a resync got, also when the wait
        times out.
    type: str
    choices: [none, connected, uptodate]
    default: none
  timeout:
    description:
      - Seconds to wait in total for O(wait_for).
    type: int
    default: 300
notes:
  - The resource must be up already (for example with M(hacluster.drbd.drbd_resource)); a resource
    that is not up is an error for O(state=primary) and leaves nothing to do for O(state=secondary).
  - Demotion fails while the device is in use (mounted, open), as C(drbdadm secondary) does.
seealso:
  - module: hacluster.drbd.drbd_info
"""

EXAMPLES = r"""
- name: Start the initial sync of a new resource from this node
  hacluster.drbd.drbd_role:
    name: r0
    state: primary
    initial_sync: true
    wait_for: uptodate
    timeout: 3600

- name: Make this node primary once the peer is connected
  hacluster.drbd.drbd_role:
    name: r0
    state: primary
    wait_for: connected
    timeout: 60

- name: Demote this node
  hacluster.drbd.drbd_role:
    name: r0
    state: secondary
"""

RETURN = r"""
role_before:
  description: Role of this node before the module ran (C(Primary), C(Secondary), C(Unknown)), or null when the resource is not up.
  returned: always
  type: str
  sample: Secondary
role_after:
  description: Role after the module ran, read back from the kernel; in check mode the role that would result.
  returned: always
  type: str
  sample: Primary
commands:
  description: The commands run, or in check mode the commands that would run, shell-quoted.
  returned: always
  type: list
  elements: str
  sample: ["drbdadm primary --force r0"]
state:
  description:
    - Live state of the resource after the module ran, as M(hacluster.drbd.drbd_info) returns it per resource.
    - C(cstate) uses the 8.x names (C(Connected), C(WFConnection), C(SyncSource)...), C(connection) the 9 names
      (C(Connected), C(Connecting), C(StandAlone)...).
  returned: always
  type: dict
  sample:
    resource: r0
    exists: true
    source: /proc/drbd
    role: Primary
    minor: 1
    disk: UpToDate
    volumes: [{volume: 0, minor: 1, disk: UpToDate}]
    peers:
      - name: peer
        role: Secondary
        connection: Connected
        volumes: [{volume: 0, replication: SyncSource, peer_disk: Inconsistent, peer_client: null,
                   sync: {percent: 8.6, eta_seconds: 111, speed: 4316, average: 4316}}]
    peer_roles: [Secondary]
    peer_disks: [Inconsistent]
    connection: Connected
    cstate: SyncSource
    sync: {percent: 8.6, eta_seconds: 111, speed: 4316, average: 4316}
progress:
  description:
    - Resync figures of the last state read. C(percent), C(eta_seconds) and C(speed_kib_s) are null when no resync runs
      or the release does not report them (the text status of DRBD 9 gives no estimate).
  returned: always
  type: dict
  sample: {percent: 8.6, eta_seconds: 111, speed_kib_s: 4316, cstate: SyncSource, disk: UpToDate, peer_disk: Inconsistent}
versions:
  description: The kernel and userland releases found, as M(hacluster.drbd.drbd_info) returns them.
  returned: always
  type: dict
  sample: {kernel: 8.4.11, api: 1, proto: [86, 101], utils: 9.22.0, dialect: "8.4", compatible: true, problem: null}
commands_run:
  description:
    - Every command the module ran, read-only probes included, as shell text with secrets masked (the collection's
      one command runner keeps them).
  returned: always
  type: list
  elements: str
  sample: ["drbdadm --version", "drbdadm sh-resources"]
"""

import re
import shlex
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hacluster.drbd.plugins.module_utils.drbd import (
    detect_versions,
    force_primary_argv,
    progress,
    read_state,
    run_drbd,
    run_drbd_failed,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.model import resource_name_error
from ansible_collections.hacluster.drbd.plugins.module_utils.runner import runner_for

POLL_SECONDS = 2
# Current UUID of metadata that create-md just wrote (UUID_JUST_CREATED);
# the lowest bit is a flag and is ignored, as the kernel does.
UUID_JUST_CREATED = 4
_GI_LINE_RE = re.compile(r"^(?P<uuids>[0-9A-Fa-f]{16}(?::[0-9A-Fa-f]{16}){3})(?P<flags>(?::[01]){6,12})$")
_TWO_PRIMARIES_RE = re.compile(r"^\s*allow-two-primaries(?:\s+(?P<value>yes|no))?\s*;", re.M)
ROLES = {"primary": "Primary", "secondary": "Secondary"}


def describe(state):
    """The states a refusal names, in one line."""
    peers = "; ".join(
        "peer %s: role=%s, connection=%s, replication=%s, disk=%s" % (
            peer["name"], peer["role"], peer["connection"],
            "/".join(str(vol["replication"]) for vol in peer["volumes"]) or None,
            "/".join(str(vol["peer_disk"]) for vol in peer["volumes"]) or None)
        for peer in state["peers"]) or "no peer"
    disks = "/".join(str(vol["disk"]) for vol in state["volumes"]) or None
    return "role=%s, cstate=%s, disk=%s; %s" % (state["role"], state["cstate"], disks, peers)


def _past_handshake(vol):
    # The DRBD 9 text status leaves out Established as well as Off; a peer
    # disk state it does print is then the best sign for waiting. Never
    # enough for forcing: initial_sync_refusal wants the state itself.
    if vol["replication"] is None:
        return vol["peer_disk"] not in (None, "DUnknown")
    return vol["replication"] != "Off"


def connected(state):
    """Every peer connected and past the handshake, so that its role and
    disk state are the peer's own."""
    if not state["exists"] or not state["peers"]:
        return False
    return all(peer["connection"] == "Connected" and peer["volumes"]
               and all(_past_handshake(vol) for vol in peer["volumes"])
               for peer in state["peers"])


def uptodate(state, dialect):
    if not connected(state):
        return False
    if dialect == "0.7":
        # 0.7 shows only the local "Consistent" flag; connected and not
        # syncing means the peer holds the same data.
        return all(vol["disk"] == "Consistent" for vol in state["volumes"]) and state["cstate"] == "Connected"
    if not all(vol["disk"] == "UpToDate" for vol in state["volumes"]):
        return False
    # A diskless client of DRBD 9 has nothing to sync.
    return all(vol["replication"] in ("Established", None)
               and (vol["peer_disk"] == "UpToDate" or (vol["peer_disk"] == "Diskless" and vol["peer_client"] == "yes"))
               for peer in state["peers"] for vol in peer["volumes"])


def initial_sync_refusal(state, dialect):
    """Why the state does not prove a brand-new resource, or None.
    Every rule must hold; a state that cannot be read is a refusal. The
    order puts the weightiest reason first when several apply."""
    disks = sorted(set(str(vol["disk"]) for vol in state["volumes"]))
    if set(disks) & {"UpToDate", "Consistent", "Outdated"}:
        return ("this node's disk is %s, so it holds data of its own; promote without initial_sync"
                % "/".join(disks))
    if disks != ["Inconsistent"]:
        return "this node's disk is %s, not Inconsistent" % ("/".join(disks) or "unknown")
    if not state["peers"]:
        return "no peer is configured in the kernel, so nothing shows what the peer holds"
    for peer in state["peers"]:
        reps = set(vol["replication"] for vol in peer["volumes"])
        if peer["connection"] != "Connected" or not peer["volumes"] or "Off" in reps:
            return ("peer %s is not connected (connection %s, replication %s), so its disk state is "
                    "unknown, and unknown is not empty" % (peer["name"], peer["connection"],
                                                           "/".join(sorted(str(r) for r in reps)) or None))
        if None in reps:
            return ("the status output does not show whether the handshake with peer %s is done (no replication "
                    "state; drbd-utils 8.9.8 or later report it), so its disk state may be stale" % peer["name"])
        if any(vol["peer_disk"] == "UpToDate" for vol in peer["volumes"]):
            return ("peer %s's disk is UpToDate: forcing would overwrite the data it holds; "
                    "let it sync to this node instead" % peer["name"])
        if reps != {"Established"}:
            return "peer %s is already syncing (%s)" % (peer["name"], "/".join(sorted(reps)))
        if peer["role"] != "Secondary":
            return "peer %s is %s, not Secondary" % (peer["name"], peer["role"])
        for vol in peer["volumes"]:
            if dialect == "0.7" and vol["peer_disk"] is None:
                # 0.7 reports no peer disk. Its handshake makes a consistent
                # peer the sync source of an inconsistent node, so connected
                # and not syncing means the peer is inconsistent too.
                continue
            if vol["peer_disk"] != "Inconsistent":
                return "peer %s's disk is %s, not Inconsistent" % (peer["name"], vol["peer_disk"])
    return None


def gi_refusal(text):
    """Check `drbdadm get-gi` lines (CURRENT:BITMAP:HIST1:HIST2:flags...)
    for freshly created metadata; a line not understood is a refusal."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        return "drbdadm get-gi printed no generation identifiers"
    for line in lines:
        m = _GI_LINE_RE.match(line)
        if not m:
            return "cannot read the generation identifiers printed by drbdadm get-gi: %r" % line
        uuids = [int(part, 16) for part in m.group("uuids").split(":")]
        if uuids[0] & ~1 != UUID_JUST_CREATED or any(uuids[1:]):
            return ("the generation identifiers (%s) show a data history, not freshly created metadata"
                    % m.group("uuids"))
    return None


def two_primaries_allowed(dump_text):
    """allow-two-primaries in `drbdadm dump` output: 8.4 and 9 print
    "allow-two-primaries yes;", 8.3 the bare flag. Absent means no."""
    values = [m.group("value") for m in _TWO_PRIMARIES_RE.finditer(dump_text)]
    return bool(values) and all(value in (None, "yes") for value in values)


class RoleRun(object):
    """One run of the module: keeps what has been done so that a failure
    late in the run still reports it."""

    def __init__(self, module):
        self.module = module
        self.name = module.params["name"]
        self.wanted = ROLES[module.params["state"]]
        self.result = {"changed": False, "commands_run": runner_for(module).ran, "role_before": None,
                       "role_after": None, "commands": [],
                       "state": None, "progress": None, "versions": None}
        self.deadline = time.monotonic() + module.params["timeout"]

    def fail(self, msg, state=None, **extra):
        if state is not None:
            self.result["state"] = state
            self.result["progress"] = progress(state)
        self.result.update(extra)
        self.module.fail_json(msg=msg, **self.result)

    def read(self):
        return read_state(self.module, self.name, self.result["versions"])

    def wait(self, state, predicate, what):
        while not predicate(state):
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                figures = progress(state)
                done = ", %s%% done" % figures["percent"] if figures["percent"] is not None else ""
                eta = ", about %s s left" % figures["eta_seconds"] if figures["eta_seconds"] is not None else ""
                self.fail("timed out after %d s waiting for %s to be %s%s%s; last seen: %s"
                          % (self.module.params["timeout"], self.name, what, done, eta, describe(state)),
                          state=state)
            time.sleep(min(POLL_SECONDS, remaining))
            state = self.read()
        return state

    def plan(self, state, dialect, versions):
        if self.wanted == "Secondary":
            return [["drbdadm", "secondary", self.name]]
        if self.module.params["initial_sync"]:
            reason = initial_sync_refusal(state, dialect)
            if reason is None and dialect != "0.7":
                dummy, out, err = run_drbd(self.module, ["drbdadm", "get-gi", self.name])
                reason = gi_refusal(out)
            if reason:
                self.fail("refusing the forced promotion of %s (initial_sync): %s. Seen: %s"
                          % (self.name, reason, describe(state)), state=state)
            return [force_primary_argv(versions["utils"] or dialect, self.name)]
        primaries = [peer["name"] for peer in state["peers"] if peer["role"] == "Primary"]
        if primaries:
            dummy, out, err = run_drbd(self.module, ["drbdadm", "dump", self.name])
            if not two_primaries_allowed(out):
                self.fail("refusing to promote %s: peer %s is Primary and the resource does not allow two "
                          "primaries (net option allow-two-primaries is not set). Demote the peer first, or set "
                          "allow-two-primaries (with protocol C, fencing and a cluster file system) and adjust"
                          % (self.name, ", ".join(primaries)), state=state)
        return [["drbdadm", "primary", self.name]]

    def run(self):
        module, params = self.module, self.module.params
        versions = self.result["versions"] = detect_versions(module)
        if not versions["compatible"]:
            self.fail(versions["problem"])
        dialect = versions["dialect"]

        state = self.read()
        if params["wait_for"] != "none" and state["exists"]:
            state = self.wait(state, connected, "connected")
        self.result["role_before"] = state["role"]
        self.result["state"], self.result["progress"] = state, progress(state)

        if not state["exists"]:
            if self.wanted == "Primary":
                self.fail("%s is not up on this node (not configured in the kernel%s); bring it up first"
                          % (self.name, "" if versions["kernel"] else ", no DRBD module loaded"))
            module.warn("%s is not up on this node, so it is not Primary; nothing to do" % self.name)
            module.exit_json(**self.result)
        if state["role"] not in ("Primary", "Secondary"):
            self.fail("cannot tell the role of %s: DRBD reports %s" % (self.name, state["role"]), state=state)

        commands = [] if state["role"] == self.wanted else self.plan(state, dialect, versions)
        self.result["changed"] = bool(commands)
        self.result["commands"] = [shlex.join(argv) for argv in commands]
        self.result["role_after"] = self.wanted if commands else state["role"]
        if module._diff:
            self.result["diff"] = {"before": {"role": state["role"]}, "after": {"role": self.result["role_after"]}}

        if commands and not module.check_mode:
            for argv in commands:
                rc, out, err = run_drbd(module, argv, check=False)
                if rc != 0:
                    hint = None
                    if rc == 17:
                        hint = ("DRBD found no UpToDate data to become Primary with; for the first promotion of a "
                                "brand-new resource use initial_sync: true")
                    self.result["changed"] = False
                    self.result["role_after"] = state["role"]
                    run_drbd_failed(module, argv, rc, out, err, hint=hint, **self.result)
            state = self.read()
            self.result["role_after"] = state["role"]
            self.result["state"], self.result["progress"] = state, progress(state)
            if state["role"] != self.wanted:
                self.fail("%s exited 0, but %s is %s afterwards"
                          % (self.result["commands"][-1], self.name, state["role"]), state=state)

        # Waiting for a resync that check mode did not start would only time out.
        if params["wait_for"] == "uptodate" and not (commands and module.check_mode):
            state = self.wait(state, lambda s: uptodate(s, dialect), "UpToDate on both sides")
            self.result["state"], self.result["progress"] = state, progress(state)
        module.exit_json(**self.result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["resource"]),
            state=dict(type="str", required=True, choices=["primary", "secondary"]),
            initial_sync=dict(type="bool", default=False),
            wait_for=dict(type="str", default="none", choices=["none", "connected", "uptodate"]),
            timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    name_error = resource_name_error(module.params["name"])
    if name_error:
        module.fail_json(msg="name: %s" % name_error)
    if module.params["initial_sync"] and module.params["state"] != "primary":
        module.fail_json(msg="initial_sync only applies to state=primary")
    if module.params["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds")
    RoleRun(module).run()


if __name__ == "__main__":
    main()
