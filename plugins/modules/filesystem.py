#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: filesystem
short_description: Make a file system on a block device only when the device is provably blank
version_added: 0.1.0
description:
  - Makes an C(ext3), C(ext4) or C(xfs) file system on one block device, typically a DRBD device such as
    C(/dev/drbd0) on the node where it is Primary.
  - Before writing anything it probes the device with C(blkid -p -o export) and C(wipefs --no-act --parsable).
    It runs C(mkfs) only on positive evidence that the device is blank; a probe that fails, or a device that is
    missing, is not a block device or has a size of 0 bytes (an unattached loop device), stops the task.
  - When the device already holds a file system of type O(fstype) (C(blkid) C(TYPE) equal to O(fstype); C(ext3) and
    C(ext4) are different types) and nothing else, nothing is run.
  - Anything else on the device (another file system, a partition table, an LVM physical volume, swap, RAID
    members, ...) is refused with an error naming the signatures found, unless O(discard_existing_data=true).
  - DRBD meta data (C(blkid) C(TYPE=drbd)) is always refused, see O(dev).
  - O(state=absent) is deliberately not offered. Erasing a file system is C(wipefs --all), a one-way step that a
    declarative state should not hide.
  - mke2fs does not ask before overwriting an existing file system when its standard input is not a terminal, as
    under Ansible, so for C(ext3) and C(ext4) the probes of this module are the safety check that counts.
author:
  - hacluster.drbd contributors (@hacluster)
requirements:
  - util-linux 2.23 or later (C(blkid -p), C(wipefs --no-act --parsable)); util-linux 2.34 or later to recognise
    DRBD 9 (v09) meta data.
  - e2fsprogs (C(mkfs.ext3), C(mkfs.ext4)) or xfsprogs (C(mkfs.xfs)).
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Runs only the read-only probes (C(blkid -p), C(wipefs --no-act)) and reports the commands it would run.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - Shows the file system type and the signatures on the device before and after.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  dev:
    description:
      - The block device to make the file system on.
      - For DRBD this is the DRBD device (C(/dev/drbdN)) on the Primary node, never the backing device. A backing
        device with internal DRBD meta data reports C(TYPE=drbd); the module refuses it even with
        O(discard_existing_data=true), because making a file system there would destroy the meta data and bypass
        replication.
    type: path
    required: true
  fstype:
    description:
      - The file system type to make.
    type: str
    required: true
    choices: [ext3, ext4, xfs]
  label:
    description:
      - File system label, passed as C(-L). At most 16 characters for C(ext3)/C(ext4), 12 for C(xfs).
      - Only used when the file system is made; an existing file system is not relabelled (the module warns when
        its label differs).
    type: str
  opts:
    description:
      - Extra arguments for C(mkfs.<fstype>), each list item one argument, placed before the device.
      - Only used when the file system is made; an existing file system is not compared with them.
    type: list
    elements: str
  state:
    description:
      - V(present) makes sure the file system exists. There is no V(absent), see the description.
    type: str
    choices: [present]
    default: present
  discard_existing_data:
    description:
      - Allow destroying whatever the probes found on O(dev) (C(wipefs --all), then C(mkfs), with C(-f) for
        C(xfs)). The result lists what was destroyed in RV(destroyed).
      - A file system of the wanted type is kept all the same; this option never recreates one.
      - Does not override the refusal of DRBD meta data.
    type: bool
    default: false
notes:
  - A signature that neither C(blkid) nor C(wipefs) recognises (for example encrypted or random data) cannot be
    detected; such a device looks blank to this module, as it does to the tools themselves.
seealso:
  - module: hacluster.drbd.drbd_resource
  - module: hacluster.drbd.drbd_role
"""

EXAMPLES = r"""
- name: Make an ext4 file system on the DRBD device (run on the Primary)
  hacluster.drbd.filesystem:
    dev: /dev/drbd0
    fstype: ext4
    label: data

- name: Make XFS with extra options
  hacluster.drbd.filesystem:
    dev: /dev/drbd1
    fstype: xfs
    opts: ["-m", "reflink=0"]

- name: Replace a leftover ext3 on a scratch volume with ext4 (destroys the ext3)
  hacluster.drbd.filesystem:
    dev: /dev/vg0/scratch
    fstype: ext4
    discard_existing_data: true
"""

RETURN = r"""
commands:
  description: The commands run, or in check mode the commands that would run, shell-quoted. Probes are not listed.
  returned: always
  type: list
  elements: str
  sample: ["/usr/sbin/mkfs.ext4 -q -L data /dev/drbd0"]
signatures_before:
  description: Signatures found on the device before any change, as C(TYPE at OFFSET (UUID ...)) from C(wipefs)
    and, for types C(wipefs) did not list, C(blkid). Empty only when both probes found nothing.
  returned: always
  type: list
  elements: str
  sample: ["ext3 at 0x438 (UUID e936e847-aa33-420d-bc6e-481505f433f3)"]
destroyed:
  description: The signatures erased because O(discard_existing_data=true). Empty when nothing was destroyed. In check
    mode, what would be destroyed.
  returned: always
  type: list
  elements: str
  sample: ["ext3 at 0x438 (UUID e936e847-aa33-420d-bc6e-481505f433f3)"]
fstype:
  description: The file system type on the device after the run, as C(blkid -p) reads it back (in check mode, the
    type it would have).
  returned: success
  type: str
  sample: ext4
commands_run:
  description:
    - Every command the module ran, read-only probes included, as shell text with secrets masked (the collection's
      one command runner keeps them).
  returned: always
  type: list
  elements: str
  sample: ["drbdadm --version", "drbdadm sh-resources"]
"""

import shlex

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hacluster.drbd.plugins.module_utils.blockdev import (
    first_line,
    ProbeError,
    device_size,
    probe,
    signature_type,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.model import device_path_error, text_error
from ansible_collections.hacluster.drbd.plugins.module_utils.runner import runner_for

# mke2fs truncates longer labels with a warning, mkfs.xfs refuses them; both
# are caught before the device is touched.
_LABEL_MAX = {"ext3": 16, "ext4": 16, "xfs": 12}


def _join(argv):
    return shlex.join([str(a) for a in argv])


def current_fstype(blkid):
    """The file system blkid found, or None (a partition table, LVM PV or DRBD meta data is not one)."""
    if blkid.get("USAGE") == "filesystem":
        return blkid.get("TYPE")
    return None


def decide(found, fstype, discard, dev):
    """What to do with a probed device: ("keep"|"make"|"discard", signatures to destroy).

    Raises ValueError with the refusal text when the device must not be touched.
    """
    signatures = found["signatures"]
    types = set(signature_type(s) for s in signatures)
    if found["blkid"].get("TYPE") == fstype and types == set([fstype]):
        return "keep", []
    if "drbd" in types or found["blkid"].get("TYPE") == "drbd":
        raise ValueError(
            "refusing to make a file system on %s: it holds DRBD meta data (%s). This is a DRBD backing device; "
            "make the file system on the DRBD device (/dev/drbdN) on the Primary node instead. "
            "discard_existing_data does not override this; nothing was changed" % (dev, "; ".join(signatures)))
    if not signatures:
        return "make", []
    if not discard:
        raise ValueError(
            "refusing to make %s on %s: it holds %s. Set discard_existing_data: true to destroy it; "
            "nothing was changed" % (fstype, dev, "; ".join(signatures)))
    return "discard", list(signatures)


def mkfs_argv(mkfs, fstype, label, opts, force, dev):
    # Without -F mke2fs still refuses a mounted device; mkfs.xfs without -f
    # also refuses any file system it finds. Only an explicit discard
    # forces XFS, after wipefs has removed what the probes saw.
    argv = [mkfs, "-q"]
    if force and fstype == "xfs":
        argv.append("-f")
    if label is not None:
        argv += ["-L", label]
    return argv + list(opts or []) + [dev]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dev=dict(type="path", required=True),
            fstype=dict(type="str", required=True, choices=["ext3", "ext4", "xfs"]),
            label=dict(type="str"),
            opts=dict(type="list", elements="str"),
            state=dict(type="str", default="present", choices=["present"]),
            discard_existing_data=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    dev = module.params["dev"]
    fstype = module.params["fstype"]
    label = module.params["label"]
    discard = module.params["discard_existing_data"]
    commands = []
    result = {"changed": False, "commands": commands, "signatures_before": [], "destroyed": [],
              "commands_run": runner_for(module).ran}

    dev_error = device_path_error(dev)
    if dev_error:
        module.fail_json(msg="dev: %s; nothing was changed" % dev_error, **result)
    if label is not None and (len(label) > _LABEL_MAX[fstype] or text_error(label, empty=True)):
        module.fail_json(msg="label %r is not one line of at most the %d characters %s allows; nothing was changed"
                         % (label, _LABEL_MAX[fstype], fstype), **result)

    runner = runner_for(module)
    run = runner.run

    def read(outcome="; nothing was changed"):
        try:
            device_size(dev)
        except (IOError, OSError) as exc:
            module.fail_json(msg="cannot read %s (%s), so it cannot be shown to be blank%s"
                             % (dev, exc.strerror or exc, outcome), **result)
        try:
            return probe(dev, run, blkid=module.get_bin_path("blkid", required=True),
                         wipefs=module.get_bin_path("wipefs", required=True))
        except ProbeError as exc:
            module.fail_json(msg="%s%s" % (exc, outcome), **result)

    before = read()
    result["signatures_before"] = before["signatures"]
    try:
        action, doomed = decide(before, fstype, discard, dev)
    except ValueError as exc:
        module.fail_json(msg=str(exc), **result)

    plan = []
    if action != "keep":
        mkfs = module.get_bin_path("mkfs.%s" % fstype, required=True)
        if action == "discard":
            plan.append([module.get_bin_path("wipefs", required=True), "--all", dev])
        plan.append(mkfs_argv(mkfs, fstype, label, module.params["opts"], action == "discard", dev))
    elif label is not None and before["blkid"].get("LABEL", "") != label:
        module.warn("%s already holds %s with label %r, not %r; this module does not relabel an existing "
                    "file system" % (dev, fstype, before["blkid"].get("LABEL", ""), label))

    commands.extend(_join(argv) for argv in plan)
    result["changed"] = bool(plan)
    result["destroyed"] = doomed
    result["fstype"] = fstype
    view_before = {"fstype": current_fstype(before["blkid"]), "signatures": before["signatures"]}
    after_signatures = before["signatures"] if not plan else ["%s (to be made)" % fstype]

    if plan and not module.check_mode:
        for done, argv in enumerate(plan):
            rc, out, err = run(argv)
            if rc != 0:
                erased = ""
                if done:
                    erased = " The signatures were already erased by %s: %s." % (commands[0], "; ".join(doomed))
                else:
                    result["changed"] = False
                    result["destroyed"] = []
                module.fail_json(msg="%s failed (rc=%d): %s.%s" % (commands[done], rc, first_line(err, out), erased),
                                 cmd=commands[done], rc=rc, stdout=out, stderr=err, **result)
        # Read back: success means blkid now sees the file system, not just that mkfs exited 0.
        after = read(outcome="; it was changed by %s" % " and ".join(commands))
        after_signatures = after["signatures"]
        if after["blkid"].get("TYPE") != fstype:
            module.fail_json(msg="%s exited 0, but blkid -p now reports %s on %s instead of %s"
                             % (commands[-1], after["blkid"].get("TYPE") or "nothing", dev, fstype),
                             signatures_after=after_signatures, **result)

    if module._diff:
        result["diff"] = {"before": view_before, "after": {"fstype": fstype, "signatures": after_signatures}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
