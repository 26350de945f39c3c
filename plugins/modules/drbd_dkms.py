#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: drbd_dkms
short_description: A DRBD kernel module built by DKMS for a named kernel, checked before that kernel boots
version_added: 0.1.0
description:
  - Registers the DRBD source tree C(/usr/src/NAME-VERSION) (with its C(dkms.conf)) with DKMS, builds it for the kernel
    release O(kernel), whether or not that kernel runs, and installs it so that it takes precedence over the kernel's
    own C(drbd.ko) (with C(dkms install --force), since DKMS otherwise keeps an in-tree module of the same or a later version
    and still reports the build as installed).
  - Then checks the module C(modprobe) would load under that kernel (C(modinfo -k)) and refuses the kernel, failing,
    when it is not the one DKMS installed, when its vermagic names another kernel (that kernel would refuse to load
    it), or when the installed drbd-utils cannot drive its DRBD release (C(drbdadm --version) with
    C(DRBD_DRIVER_VERSION_OVERRIDE) set to the module's release answers for the module as if it were loaded). The
    checks also run when nothing needed building, and in check mode, so a run is a test of the kernel about to boot.
  - V(absent) removes the build and the installed module for that kernel only (C(dkms remove -k)); the kernel's own
    module applies again.
author:
  - hacluster.drbd contributors (@hacluster)
requirements:
  - dkms, the headers of the target kernel (C(/lib/modules/KERNEL/build)) and a compiler, for V(present).
  - drbd-utils for the API check.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reads C(dkms status) and C(modinfo) and reports the commands it would run; runs the checks when the module is
        installed already.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - Shows DKMS's state of the module for the kernel, before and after.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  name:
    description: The DKMS module name (C(PACKAGE_NAME) in C(dkms.conf)).
    type: str
    default: drbd
  version:
    description: The DKMS module version (C(PACKAGE_VERSION)); the tree is C(/usr/src/NAME-VERSION).
    type: str
    required: true
  kernel:
    description: The kernel release to build for, as C(uname -r) prints it under that kernel (C(6.1.0-57-amd64)).
    type: str
    required: true
  state:
    description: Whether the module is built and installed for O(kernel), and checked.
    type: str
    choices: [present, absent]
    default: present
  source_root:
    description: Where DKMS source trees live.
    type: path
    default: /usr/src
seealso:
  - module: hacluster.drbd.drbd_info
"""

EXAMPLES = r"""
- name: Build DRBD for the kernel the next reboot starts, and check it
  hacluster.drbd.drbd_dkms:
    version: 8.4.11
    kernel: 6.1.0-57-amd64

- name: Go back to the kernel's own DRBD module for that kernel
  hacluster.drbd.drbd_dkms:
    version: 8.4.11
    kernel: 6.1.0-57-amd64
    state: absent
"""

RETURN = r"""
dkms_state:
  description: DKMS's state of the module for the kernel before any change (absent, added, built or installed).
  returned: always
  type: str
  sample: built
module_file:
  description: What C(modinfo -k KERNEL NAME) says of the module that kernel would load, after any change.
  returned: when state=present and a module is there to read
  type: dict
  contains:
    filename:
      description: The module file.
      type: str
      sample: /lib/modules/6.1.0-57-amd64/updates/dkms/drbd.ko
    version:
      description: Its DRBD release.
      type: str
      sample: 8.4.11
    vermagic:
      description: The kernel release and options it was built for.
      type: str
      sample: 6.1.0-57-amd64 SMP preempt mod_unload modversions
    srcversion:
      description: The checksum of its sources.
      type: str
    api:
      description: The DRBD API its release speaks.
      type: int
      sample: 1
commands:
  description: The commands that change state, run (or, in check mode, that would run).
  returned: always
  type: list
  elements: str
  sample: ["dkms build -m drbd -v 8.4.11 -k 6.1.0-57-amd64", "dkms install --force -m drbd -v 8.4.11 -k 6.1.0-57-amd64"]
commands_run:
  description: Every command the module ran, reads included, as shell text.
  returned: always
  type: list
  elements: str
"""

import os
import shlex

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hacluster.drbd.plugins.module_utils.kmod import (
    KmodParseError,
    api_of_release,
    dkms_state,
    module_problems,
    parse_dkms_status,
    parse_modinfo,
    vermagic_release,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.blockdev import first_line
from ansible_collections.hacluster.drbd.plugins.module_utils.drbd import DrbdParseError
from ansible_collections.hacluster.drbd.plugins.module_utils.model import (
    dkms_version_error, kernel_release_error, package_error)
from ansible_collections.hacluster.drbd.plugins.module_utils.runner import runner_for

# Where Debian's and upstream's DKMS put a module it installs (under /lib/modules/KERNEL).
DKMS_DIR = "updates/dkms"


def plan(state, want, installed_by_dkms, stale, name, version, kernel):
    """Commands that bring DKMS from `state` (absent/added/built/installed) to
    `want`. installed_by_dkms: modprobe would load DKMS's file for the kernel;
    stale: that file was built for another kernel (against the wrong headers,
    say): it is built again."""
    mkv = ["-m", name, "-v", version, "-k", kernel]
    if want == "absent":
        return [["dkms", "remove"] + mkv] if state in ("built", "installed") else []
    commands = []
    if state == "absent":
        commands.append(["dkms", "add", "-m", name, "-v", version])
    if state in ("absent", "added"):
        commands.append(["dkms", "build"] + mkv)
    elif stale and state == "installed":
        # DKMS's own build is the wrong one (it installed what it built).
        commands.append(["dkms", "build", "--force"] + mkv)
    if state != "installed" or not installed_by_dkms or stale:
        commands.append(["dkms", "install", "--force"] + mkv)
    return commands


class DkmsRun(object):
    def __init__(self, module):
        self.module = module
        self.runner = runner_for(module)
        params = module.params
        self.name, self.version, self.kernel = params["name"], params["version"], params["kernel"]
        self.result = {"changed": False, "dkms_state": None, "commands": [], "commands_run": self.runner.ran}

    def fail(self, msg, **extra):
        self.result.update(extra)
        self.module.fail_json(msg=msg, **self.result)

    def read_state(self):
        rc, out, err = self.runner.run(["dkms", "status", "-m", self.name, "-v", self.version], check=True)
        try:
            return dkms_state(parse_dkms_status(out), self.name, self.version, self.kernel)
        except KmodParseError as exc:
            self.fail("cannot read dkms status: %s; nothing was changed" % exc)

    def read_module(self):
        """modinfo of the module the kernel would load, or None when it has none."""
        rc, out, err = self.runner.run(["modinfo", "-k", self.kernel, self.name])
        if rc != 0:
            if "not found" in (err or ""):
                return None
            self.runner.fail(["modinfo", "-k", self.kernel, self.name], rc, out, err)
        try:
            return parse_modinfo(out)
        except KmodParseError as exc:
            self.fail("cannot read what modinfo says of %s for kernel %s: %s" % (self.name, self.kernel, exc))

    def expected_dir(self):
        return "/lib/modules/%s/%s" % (self.kernel, DKMS_DIR)

    def installed_by_dkms(self, info):
        return bool(info) and info.get("filename", "").startswith(self.expected_dir() + "/")

    def stale(self, info):
        if not self.installed_by_dkms(info):
            return False
        try:
            return vermagic_release(info.get("vermagic")) != self.kernel
        except KmodParseError:
            return True

    def utils_answer(self, release):
        """What the installed drbdadm says of itself for a module of `release`:
        (text, None), (None, error) when it failed, (None, None) without drbdadm."""
        if self.module.get_bin_path("drbdadm") is None:
            return None, None
        rc, out, err = self.runner.run(["drbdadm", "--version"], env={"DRBD_DRIVER_VERSION_OVERRIDE": release})
        if rc != 0:
            return None, first_line(err, out) or "exit code %d" % rc
        return (out if out.strip() else err), None

    def check(self, info):
        if info is None:
            self.fail("kernel %s has no %s module after the DKMS install: refusing to hand this kernel over"
                      % (self.kernel, self.name))
        self.result["module_file"] = dict((key, info.get(key)) for key in ("filename", "version", "vermagic", "srcversion"))
        try:
            self.result["module_file"]["api"] = api_of_release(info.get("version") or "")
        except DrbdParseError:
            self.result["module_file"]["api"] = None
        answer, error = self.utils_answer(info["version"]) if info.get("version") else (None, None)
        problems = module_problems(info, self.kernel, self.name, answer, expected_dir=self.expected_dir(),
                                   utils_error=error)
        if problems:
            self.fail("refusing kernel %s: %s. Do not boot that kernel until a run of this module passes for it"
                      % (self.kernel, "; ".join(problems)), problems=problems)

    def run(self):
        want = self.module.params["state"]
        if want == "present":
            tree = os.path.join(self.module.params["source_root"], "%s-%s" % (self.name, self.version))
            if not os.path.isfile(os.path.join(tree, "dkms.conf")):
                self.fail("%s/dkms.conf is missing: put the DRBD source tree with its dkms.conf there first; nothing "
                          "was changed" % tree)
            if not os.path.isdir("/lib/modules/%s/build" % self.kernel):
                self.fail("the headers of kernel %s are not installed (/lib/modules/%s/build is missing); nothing was "
                          "changed" % (self.kernel, self.kernel))
        state = self.result["dkms_state"] = self.read_state()
        info = self.read_module() if want == "present" else None
        commands = plan(state, want, self.installed_by_dkms(info), self.stale(info), self.name, self.version,
                        self.kernel)
        self.result["changed"] = bool(commands)
        self.result["commands"] = [shlex.join(argv) for argv in commands]
        if self.module._diff:
            after = "installed" if want == "present" else ("added" if state != "absent" else "absent")
            label = "%s/%s for %s" % (self.name, self.version, self.kernel)
            self.result["diff"] = {"before": "%s: %s\n" % (label, state), "after": "%s: %s\n" % (label, after)}
        if self.module.check_mode:
            if want == "present" and not commands:
                self.check(info)
            self.module.exit_json(**self.result)
        for argv in commands:
            self.runner.run(argv, check=True)
        if want == "present":
            self.check(self.read_module() if commands else info)
        self.module.exit_json(**self.result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", default="drbd"),
            version=dict(type="str", required=True),
            kernel=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            source_root=dict(type="path", default="/usr/src"),
        ),
        supports_check_mode=True,
    )
    for key, error in (("name", package_error(module.params["name"])),
                       ("version", dkms_version_error(module.params["version"])),
                       ("kernel", kernel_release_error(module.params["kernel"]))):
        if error:
            module.fail_json(msg="%s: %s; nothing was changed" % (key, error))
    DkmsRun(module).run()


if __name__ == "__main__":
    main()
