#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: gfs2_fs
short_description: Make a GFS2 cluster file system only on a blank device, and give it a journal per node
version_added: 0.1.0
description:
  - Makes a GFS2 file system on one block device, typically a dual-primary DRBD device such as C(/dev/drbd0), once,
    on one node.
  - Before writing anything it probes the device with C(blkid -p -o export) and C(wipefs --no-act --parsable), the
    probes every module of this collection uses. It runs C(mkfs.gfs2) only on positive evidence that the device is
    blank; a probe that fails, or a device that is missing, unreadable or of size 0, stops the task. There is no
    option to overwrite anything; a device that holds a signature of any kind is refused, naming what was found.
  - On a device that holds GFS2 already it reads the superblock (C(tunegfs2 -l)) and the journal index
    (C(gfs2_edit -p jindex)). A different lock protocol or lock table is refused (this module never changes
    them). Fewer journals than O(journals) are completed with C(gfs2_jadd), which works only on a mounted file
    system, so O(mount_point) must be where the device is mounted on this node.
  - The lock table C(CLUSTER:FSNAME) is checked before anything runs against the length limits of the installed
    mkfs.gfs2 (32 + 30 characters since gfs2-utils 3.1.9, 16 + 16 before) and, with O(cluster_name), against the
    name of the cluster (DLM refuses to mount a file system whose lock table names another cluster).
author:
  - hacluster.drbd contributors (@hacluster)
requirements:
  - gfs2-utils (C(mkfs.gfs2), C(tunegfs2), C(gfs2_edit), C(gfs2_jadd)); captures of 3.5.0 in the tests.
  - util-linux 2.23 or later (C(blkid -p), C(wipefs --no-act --parsable)).
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Runs only the read-only probes and reports the command it would run in RV(commands).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - Shows the file system type, lock protocol, lock table and journal count before and after.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  dev:
    description:
      - The block device. For DRBD the DRBD device (C(/dev/drbdN)) on a node where it is Primary; DRBD refuses to
        open a Secondary.
    type: path
    required: true
  lock_proto:
    description:
      - V(lock_dlm) for a file system that several nodes mount at once. V(lock_nolock) makes a single-node file
        system; mounting it on two nodes at once corrupts it.
    type: str
    choices: [lock_dlm, lock_nolock]
    default: lock_dlm
  lock_table:
    description:
      - C(CLUSTER:FSNAME). CLUSTER is the cluster's name (Corosync's C(totem.cluster_name), cman's
        C(<cluster name=>)); FSNAME names the file system in the cluster (its DLM lock space).
      - Required with O(lock_proto=lock_dlm).
    type: str
  cluster_name:
    description:
      - The cluster's name. When given, the lock table's cluster part must equal it.
    type: str
  journals:
    description:
      - The number of journals the file system needs at least, one for every node that mounts it at the same time.
      - A file system with more journals is left alone (journals cannot be removed).
    type: int
    required: true
  journal_size:
    description:
      - Size of each journal in megabytes (32 to 1024), for C(mkfs.gfs2 -J) and C(gfs2_jadd -J). By default the
        tools choose.
    type: int
  mount_point:
    description:
      - Where O(dev) is mounted on this node. Needed only to add journals to an existing file system.
    type: path
  state:
    description:
      - V(present) makes sure the file system exists with at least O(journals) journals. There is no V(absent).
    type: str
    choices: [present]
    default: present
notes:
  - Run it on one node only (C(run_once)), where the device is Primary; with dual-primary DRBD the other node sees
    the result at once.
  - A signature that neither C(blkid) nor C(wipefs) recognises (for example encrypted or random data) cannot be
    detected; such a device looks blank to this module, as it does to the tools themselves.
seealso:
  - module: hacluster.drbd.filesystem
  - module: hacluster.drbd.drbd_role
"""

EXAMPLES = r"""
- name: GFS2 for two nodes on the dual-primary DRBD device (once, on one Primary node)
  hacluster.drbd.gfs2_fs:
    dev: /dev/drbd0
    lock_table: hacluster:gfs0
    cluster_name: hacluster
    journals: 2
  run_once: true

- name: A third node joins, so one more journal, added through the mounted file system
  hacluster.drbd.gfs2_fs:
    dev: /dev/drbd0
    lock_table: hacluster:gfs0
    journals: 3
    mount_point: /srv/gfs0
  run_once: true
"""

RETURN = r"""
commands:
  description: The commands that change the device, run (or in check mode, that would run), shell-quoted.
  returned: always
  type: list
  elements: str
  sample: ["/usr/sbin/mkfs.gfs2 -O -p lock_dlm -t hacluster:gfs0 -j 2 /dev/drbd0"]
commands_run:
  description: Every command the module ran, probes included, as shell text (the collection's one command runner).
  returned: always
  type: list
  elements: str
signatures_before:
  description: Signatures found on the device before any change (C(wipefs) and C(blkid)); empty only when both
    probes found nothing.
  returned: always
  type: list
  elements: str
  sample: ["gfs2 at 0x10000 (UUID f2534170-2560-46c5-806e-7b8cdc34783b)"]
found:
  description: The GFS2 file system found before any change, or null when the device was blank.
  returned: always
  type: dict
  sample: {lock_proto: lock_dlm, lock_table: "hacluster:gfs0", journals: 2, uuid: "f2534170-2560-46c5-806e-7b8cdc34783b"}
lock_proto:
  description: The lock protocol after the run (in check mode, as it would be).
  returned: success
  type: str
  sample: lock_dlm
lock_table:
  description: The lock table after the run (in check mode, as it would be).
  returned: success
  type: str
  sample: "hacluster:gfs0"
journals:
  description: The number of journals after the run (in check mode, as it would be).
  returned: success
  type: int
  sample: 2
uuid:
  description: The file system's UUID, when it exists (after the run; in check mode only an existing one).
  returned: success
  type: str
tool_version:
  description: The version of mkfs.gfs2 on the host, which sets the lock table limits.
  returned: success
  type: str
  sample: 3.5.0
"""

import shlex

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hacluster.drbd.plugins.module_utils.blockdev import (
    ProbeError,
    device_size,
    drop_cached_blocks,
    probe,
    signature_type,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.gfs2 import (
    LOCK_PROTOCOLS,
    Gfs2ParseError,
    jadd_argv,
    lock_table_limits,
    mkfs_argv,
    mounts_of,
    parse_jindex,
    parse_mkfs_version,
    parse_tunegfs2_list,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.model import (
    GFS2_JOURNAL_SIZE_RANGE,
    device_path_error,
    gfs2_lock_table_error,
    path_error,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.runner import runner_for

PROC_MOUNTS = "/proc/mounts"
MAX_JOURNALS = 64


def read_mounts():
    with open(PROC_MOUNTS, encoding="utf-8", errors="replace") as handle:
        return handle.read()


class Gfs2Fs(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.runner = runner_for(module)
        self.commands = []
        self.result = {"changed": False, "commands": self.commands, "signatures_before": [], "found": None,
                       "commands_run": self.runner.ran}

    def fail(self, msg, **extra):
        result = dict(self.result)
        result.update(extra)
        self.module.fail_json(msg=msg, **result)

    def tool(self, name):
        return self.module.get_bin_path(name, required=True)

    def query(self, argv, parser, what):
        rc, out, err = self.runner.run(argv)
        if rc != 0:
            msg, extra = self.runner.failure(argv, rc, out, err, hint="cannot read %s" % what)
            self.fail(msg + "; nothing was changed", **extra)
        try:
            return parser(out)
        except Gfs2ParseError as exc:
            self.fail("cannot read %s: %s; nothing was changed" % (what, exc), stdout=out, stderr=err)

    def check_arguments(self):
        p = self.params
        problems = [("dev", device_path_error(p["dev"]))]
        if p["mount_point"] is not None:
            problems.append(("mount_point", path_error(p["mount_point"])))
        if not 1 <= p["journals"] <= MAX_JOURNALS:
            problems.append(("journals", "must be between 1 and %d, not %d" % (MAX_JOURNALS, p["journals"])))
        low, high = GFS2_JOURNAL_SIZE_RANGE
        if p["journal_size"] is not None and not low <= p["journal_size"] <= high:
            problems.append(("journal_size", "must be between %d and %d (MB), not %d" % (low, high, p["journal_size"])))
        for name, problem in problems:
            if problem:
                self.fail("%s: %s; nothing was changed" % (name, problem))

    def read(self, outcome):
        """Probes, then the superblock and journal index of a GFS2 file system: (probe, view)."""
        dev = self.params["dev"]
        try:
            device_size(dev)
            # The other node writes this file system, and gfs2_jadd writes it through the mount: the tools
            # below read the device itself, which must not answer from blocks this host read before.
            drop_cached_blocks(dev)
        except (IOError, OSError) as exc:
            self.fail("cannot read %s (%s), so it cannot be shown to be blank%s" % (dev, exc.strerror or exc, outcome))
        try:
            found = probe(dev, self.runner.run, blkid=self.tool("blkid"), wipefs=self.tool("wipefs"))
        except ProbeError as exc:
            self.fail("%s%s" % (exc, outcome))
        view = None
        types = set(signature_type(s) for s in found["signatures"])
        if found["blkid"].get("TYPE") == "gfs2" and types == set(["gfs2"]):
            view = self.query([self.tool("tunegfs2"), "-l", dev], parse_tunegfs2_list, "the superblock of %s" % dev)
            view["journals"] = self.query([self.tool("gfs2_edit"), "-p", "jindex", dev], parse_jindex,
                                          "the journal index of %s" % dev)
        return found, view

    def plan(self, found, view):
        p = self.params
        dev, wanted_table = p["dev"], p["lock_table"] or ""
        if not found["signatures"]:
            return [mkfs_argv(self.tool("mkfs.gfs2"), p["lock_proto"], p["lock_table"], p["journals"],
                              p["journal_size"], dev)]
        if view is None:
            self.fail("refusing to make GFS2 on %s: it holds %s. This module never overwrites anything; clear the "
                      "device yourself if its content is not needed. Nothing was changed"
                      % (dev, "; ".join(found["signatures"])))
        if (view["lock_proto"], view["lock_table"]) != (p["lock_proto"], wanted_table):
            self.fail("%s holds GFS2 with lock protocol %s and lock table %r, not %s and %r. This module does not "
                      "change them: with the file system unmounted on every node, tunegfs2 -o lockproto=...,"
                      "locktable=... does. Nothing was changed"
                      % (dev, view["lock_proto"], view["lock_table"], p["lock_proto"], wanted_table))
        missing = p["journals"] - view["journals"]
        if missing <= 0:
            return []
        mounted = [m for m in mounts_of(dev, read_mounts()) if m[1] == "gfs2"]
        if p["mount_point"] is None or p["mount_point"] not in [m[0] for m in mounted]:
            where = "at " + ", ".join(m[0] for m in mounted) if mounted else "nowhere"
            given = "" if p["mount_point"] is None else " (mount_point is %s)" % p["mount_point"]
            plural = "" if view["journals"] == 1 else "s"
            self.fail("%s has %d journal%s, %d wanted; gfs2_jadd adds journals only through the mounted file system, "
                      "and it is mounted %s on this node%s. Mount it and give its mount point as mount_point; "
                      "nothing was changed" % (dev, view["journals"], plural, p["journals"], where, given))
        return [jadd_argv(self.tool("gfs2_jadd"), missing, p["journal_size"], p["mount_point"])]

    def main(self):
        p = self.params
        self.check_arguments()
        version = self.query([self.tool("mkfs.gfs2"), "-V"], parse_mkfs_version, "the version of mkfs.gfs2")
        self.result["tool_version"] = ".".join(str(n) for n in version)
        if p["lock_table"] is not None or p["lock_proto"] == "lock_dlm":
            err = gfs2_lock_table_error(p["lock_table"], lock_table_limits(version), p["cluster_name"])
            if err:
                self.fail("lock_table: %s (gfs2-utils %s); nothing was changed" % (err, self.result["tool_version"]))

        found, view = self.read("; nothing was changed")
        self.result["signatures_before"] = found["signatures"]
        self.result["found"] = dict(view) if view else None
        plan = self.plan(found, view)
        self.commands.extend(shlex.join(argv) for argv in plan)
        self.result["changed"] = bool(plan)
        before = {"fstype": found["blkid"].get("TYPE") if found["blkid"].get("USAGE") == "filesystem" else None,
                  "signatures": found["signatures"]}
        if view:
            before.update((k, view[k]) for k in ("lock_proto", "lock_table", "journals"))
        after = {"fstype": "gfs2", "lock_proto": p["lock_proto"], "lock_table": p["lock_table"] or "",
                 "journals": max(p["journals"], view["journals"] if view else 0)}
        self.result.update((k, after[k]) for k in ("lock_proto", "lock_table", "journals"))
        if view:
            self.result["uuid"] = view["uuid"]

        if plan and not self.module.check_mode:
            for argv in plan:
                rc, out, err = self.runner.run(argv)
                if rc != 0:
                    msg, extra = self.runner.failure(argv, rc, out, err)
                    self.fail(msg, **extra)
            # Read back: success means the superblock and journal index say what was wanted, not that the
            # tool exited 0.
            found, view = self.read("; it was changed by %s" % " and ".join(self.commands))
            if view is None or any(view[k] != after[k] for k in ("lock_proto", "lock_table", "journals")):
                self.fail("%s exited 0, but %s now holds %s" % (
                    " and ".join(self.commands), p["dev"],
                    "; ".join(found["signatures"]) or "nothing" if view is None else
                    "GFS2 with lock protocol %s, lock table %r and %d journals"
                    % (view["lock_proto"], view["lock_table"], view["journals"])))
            self.result["uuid"] = view["uuid"]

        if self.module._diff:
            self.result["diff"] = {"before": before, "after": after if plan else before}
        self.module.exit_json(**self.result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dev=dict(type="path", required=True),
            lock_proto=dict(type="str", default="lock_dlm", choices=list(LOCK_PROTOCOLS)),
            lock_table=dict(type="str"),
            cluster_name=dict(type="str"),
            journals=dict(type="int", required=True),
            journal_size=dict(type="int"),
            mount_point=dict(type="path"),
            state=dict(type="str", default="present", choices=["present"]),
        ),
        required_if=[("lock_proto", "lock_dlm", ("lock_table",))],
        supports_check_mode=True,
    )
    Gfs2Fs(module).main()


if __name__ == "__main__":
    main()
