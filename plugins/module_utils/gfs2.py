# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure parsers of gfs2-utils' output and the commands that change a GFS2 file system.

Output formats as gfs2-utils 3.5 prints them with LC_ALL=C (captures in
tests/unit/fixtures/gfs2/3.5.0): ``mkfs.gfs2 -V``, ``tunegfs2 -l DEV`` (the
superblock; opens the device read-only), ``gfs2_edit -p jindex DEV`` (the
journal index: one ``journalN`` file per journal).
Every parser raises Gfs2ParseError on text it does not understand.
"""

from __future__ import annotations

import os
import re

from ansible_collections.hacluster.drbd.plugins.module_utils.model import (
    GFS2_LEGACY_LOCK_TABLE_LIMITS,
    GFS2_LOCK_TABLE_LIMITS,
)

LOCK_PROTOCOLS = ("lock_dlm", "lock_nolock")
# The release that raised mkfs.gfs2's lock table limits from 16 + 16 to 32 + 30.
LONG_LOCK_TABLE_RELEASE = (3, 1, 9)

_VERSION_RE = re.compile(r"^mkfs\.gfs2 (\d+)\.(\d+)(?:\.(\d+))?", re.M)
_TUNE_LINE_RE = re.compile(r"^([A-Za-z][A-Za-z ]*[A-Za-z]): ?(.*)$")
_JOURNAL_RE = re.compile(r"\+\d+: File\s+journal(\d+)\s*$")


class Gfs2ParseError(ValueError):
    """Output of a gfs2-utils tool that this parser does not understand."""


def parse_mkfs_version(text):
    """`mkfs.gfs2 -V`: "mkfs.gfs2 3.5.0" on its first line -> (3, 5, 0)."""
    m = _VERSION_RE.search(text or "")
    if not m:
        raise Gfs2ParseError("not the version of mkfs.gfs2: %r" % (text or "")[:200])
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def lock_table_limits(version):
    """(cluster, fsname) length limits of the lock table for a gfs2-utils release."""
    return GFS2_LOCK_TABLE_LIMITS if tuple(version) >= LONG_LOCK_TABLE_RELEASE else GFS2_LEGACY_LOCK_TABLE_LIMITS


def parse_tunegfs2_list(text):
    """`tunegfs2 -l DEV`: {"lock_proto", "lock_table", "uuid", "format"} of the superblock."""
    fields = {}
    for line in (text or "").splitlines():
        m = _TUNE_LINE_RE.match(line)
        if m:
            fields[m.group(1)] = m.group(2).strip()
    missing = [key for key in ("Lock protocol", "Lock table", "File system UUID") if key not in fields]
    if missing:
        raise Gfs2ParseError("tunegfs2 -l printed no %s: %r" % (", ".join(missing), (text or "")[:200]))
    return {"lock_proto": fields["Lock protocol"], "lock_table": fields["Lock table"],
            "uuid": fields["File system UUID"], "format": fields.get("File system format version")}


def parse_jindex(text):
    """`gfs2_edit -p jindex DEV`: the number of journals (journal0 ... journalN-1 in the journal index)."""
    if "Journal Index" not in (text or ""):
        raise Gfs2ParseError("gfs2_edit printed no journal index: %r" % (text or "")[:200])
    numbers = sorted(int(m.group(1)) for m in (_JOURNAL_RE.search(line) for line in text.splitlines()) if m)
    if not numbers or numbers != list(range(len(numbers))):
        raise Gfs2ParseError("the journal index lists journals %s, not journal0 to journalN" % (numbers,))
    return len(numbers)


def _unescape_mount_field(field):
    # /proc/mounts writes space, tab, newline and backslash as octal escapes.
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mounts_of(device, mounts_text, realpath=os.path.realpath):
    """Where `device` is mounted, from /proc/mounts text: [(mount point, file system type, options)].
    Devices are compared after resolving symbolic links (/dev/drbd/by-res/r0/0 is /dev/drbd0)."""
    wanted = realpath(device)
    found = []
    for line in (mounts_text or "").splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        source = _unescape_mount_field(fields[0])
        if source.startswith("/") and realpath(source) == wanted:
            found.append((_unescape_mount_field(fields[1]), fields[2], fields[3].split(",")))
    return found


def mkfs_argv(mkfs, lock_proto, lock_table, journals, journal_size, dev):
    # -O: no question. mkfs.gfs2 asks "Are you sure?" even on a blank device and reads no answer from
    # Ansible's stdin, so it would always stop; the module's probes are the check that counts.
    argv = [mkfs, "-O", "-p", lock_proto]
    if lock_table:
        argv += ["-t", lock_table]
    argv += ["-j", str(journals)]
    if journal_size:
        argv += ["-J", str(journal_size)]
    return argv + [dev]


def jadd_argv(jadd, count, journal_size, mount_point):
    argv = [jadd, "-j", str(count)]
    if journal_size:
        argv += ["-J", str(journal_size)]
    return argv + [mount_point]
