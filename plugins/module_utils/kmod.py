# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Kernel modules built out of tree: what `modinfo` and `dkms status` print,
and whether a DRBD module file may be handed over to the kernel it was built
for. Pure functions; the drbd_dkms module runs the tools."""

from __future__ import annotations

import re

from ansible_collections.hacluster.drbd.plugins.module_utils.drbd import (
    DrbdParseError,
    compatibility_problem,
    parse_drbdadm_version,
    version_tuple,
)

# `modinfo` fields that may appear more than once.
_LIST_FIELDS = ("alias", "parm", "depends", "softdep", "firmware", "import_ns")
_MODINFO_LINE_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*):\s*(.*)$")
# dkms 2.x and 3.x: "drbd/8.4.11, 6.1.0-57-amd64, x86_64: installed" (dkms 2 used
# commas between name and version too), "drbd/8.4.11: added" before any build,
# and notes in parentheses after the state.
_DKMS_LINE_RE = re.compile(
    r"^(?P<name>[^/,\s]+)[/,]\s*(?P<version>[^,:\s]+)"
    r"(?:,\s*(?P<kernel>[^,:\s]+),\s*(?P<arch>[^,:\s]+))?"
    r":\s*(?P<state>[a-z]+)(?:\s*\((?P<note>.*)\))?\s*$")


class KmodParseError(ValueError):
    pass


def parse_modinfo(text):
    """`modinfo FILE` (or `modinfo -k KVER NAME`) as a dict. Fields that may
    repeat are lists; a line that is no `field: value` continues the one before."""
    if not isinstance(text, str) or not text.strip():
        raise KmodParseError("modinfo printed nothing")
    info = {}
    last = None
    for line in text.splitlines():
        m = _MODINFO_LINE_RE.match(line)
        if not m:
            if last is None or not line.strip():
                continue
            key = last
            value = line.strip()
            if isinstance(info[key], list):
                info[key][-1] = (info[key][-1] + " " + value).strip()
            else:
                info[key] = (info[key] + " " + value).strip()
            continue
        key, value = m.group(1), m.group(2).strip()
        last = key
        if key in _LIST_FIELDS:
            info.setdefault(key, []).append(value)
        elif key in info:
            raise KmodParseError("modinfo printed %s twice" % key)
        else:
            info[key] = value
    for needed in ("filename", "vermagic"):
        if needed not in info:
            raise KmodParseError("modinfo printed no %s line" % needed)
    return info


def vermagic_release(vermagic):
    """The kernel release a module was built for: the first word of its vermagic."""
    words = (vermagic or "").split()
    if not words:
        raise KmodParseError("empty vermagic")
    return words[0]


def parse_dkms_status(text):
    """`dkms status` lines as a list of dicts (name, version, kernel, arch,
    state, note); kernel and arch are None for a tree that is only added."""
    entries = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        m = _DKMS_LINE_RE.match(line)
        if not m:
            raise KmodParseError("dkms status printed a line this collection does not know: %r" % line)
        entries.append(m.groupdict())
    return entries


def dkms_state(entries, name, version, kernel):
    """What DKMS has of name/version for one kernel: absent, added, built or
    installed (a build for another kernel still means the tree is added). An
    installed module that differs from DKMS's build (dkms: "WARNING! Diff
    between built and installed module!") counts as built only."""
    mine = [e for e in entries if e["name"] == name and e["version"] == version]
    for entry in mine:
        if entry["kernel"] == kernel:
            if entry["state"] == "installed" and "diff between built and installed" in (entry["note"] or "").lower():
                return "built"
            return entry["state"]
    return "added" if mine else "absent"


# Reference 2.10: the API a DRBD release speaks (what "(api:N)" of /proc/drbd
# says once it is loaded).
def api_of_release(version):
    major, minor, patch = version_tuple(version)
    if (major, minor) == (0, 7):
        if patch <= 0:
            return 74
        if patch <= 3:
            return 75
        if patch <= 5:
            return 76
        if patch <= 17:
            return 77
        if patch <= 19:
            return 78
        return 79
    if major == 8 and minor in (0, 1):
        return 86
    if major == 8 and minor == 2:
        return 86 if patch <= 2 else 88
    if major == 8 and minor == 3:
        return 88
    if major == 8 and minor == 4:
        return 1
    if major >= 9:
        return 2
    raise DrbdParseError("DRBD release %s is not one this collection knows" % version)


def module_problems(info, kernel, name, drbdadm_version_text, expected_dir=None, utils_error=None):
    """Why the module file `modinfo` described must not be handed over to
    `kernel`; [] when it may. drbdadm_version_text is what the installed
    drbd-utils answer for that module's release (`drbdadm --version` with
    DRBD_DRIVER_VERSION_OVERRIDE set to it), None when drbdadm is missing;
    utils_error what drbdadm printed when that call failed."""
    problems = []
    filename = info.get("filename", "")
    try:
        built_for = vermagic_release(info.get("vermagic"))
    except KmodParseError:
        built_for = None
        problems.append("%s has an empty vermagic: the kernel it was built for cannot be told" % filename)
    if built_for is not None and built_for != kernel:
        problems.append("%s was built for kernel %s (vermagic %r), not for %s: that kernel would refuse to load "
                        "it" % (filename, built_for, info.get("vermagic"), kernel))
    if expected_dir and not filename.startswith(expected_dir.rstrip("/") + "/"):
        problems.append("for kernel %s, modprobe %s loads %s, not the module DKMS installed under %s: run depmod "
                        "-a %s, and look for another %s.ko of higher priority (extra/, updates/)"
                        % (kernel, name, filename, expected_dir, kernel, name))
    release = info.get("version")
    if not release:
        problems.append("%s carries no version field, so its DRBD API cannot be told" % filename)
        return problems
    try:
        api = api_of_release(release)
    except DrbdParseError as exc:
        problems.append("%s: %s" % (filename, exc))
        return problems
    if utils_error is not None:
        problems.append("the installed drbd-utils cannot drive DRBD %s: asked for it, drbdadm --version failed: %s; "
                        "install drbd-utils built with support for the %s series"
                        % (release, utils_error, ".".join(release.split(".")[:2])))
        return problems
    if drbdadm_version_text is None:
        problems.append("drbdadm is not installed: no user tools would drive DRBD %s; install drbd-utils first"
                        % release)
        return problems
    try:
        utils = parse_drbdadm_version(drbdadm_version_text)
    except DrbdParseError as exc:
        problems.append("cannot read what drbdadm answered for DRBD %s: %s" % (release, exc))
        return problems
    problem = compatibility_problem(release, api, utils["utils"], utils["utils_api"], what="the module file")
    if problem:
        problems.append(problem)
    return problems
