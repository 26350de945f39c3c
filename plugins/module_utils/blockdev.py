# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Signature probes for block devices (blkid, wipefs), shared by every module
that must prove a device blank before writing to it.

The parsers are pure functions of a command's exit code and output. They
return None for "could not tell", which callers must never read as "empty".
"""

from __future__ import annotations

import errno
import os
import shlex
import stat


def first_line(*texts):
    """The first non-empty line of the first text that has one: what a failed
    command said, for an error message."""
    for text in texts:
        for line in (text or "").splitlines():
            if line.strip():
                return line.strip()
    return "no output"


class ProbeError(Exception):
    """A probe could not tell what the device holds."""


def _join(argv):
    return shlex.join([str(a) for a in argv])


def blkid_values(out):
    """KEY=value pairs of `blkid -o export`, with blkid's "\\ " escapes undone."""
    values = {}
    for line in (out or "").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().replace("\\ ", " ")
    return values


def parse_blkid_export(rc, out):
    """`blkid -p -o export DEV`: list of signature descriptions, [] or None (could not tell).

    Exit 2 means nothing was identified; but blkid says the same for a
    device it cannot open, so callers check the device first.
    """
    if rc == 2 and not out.strip():
        return []
    if rc == 8:
        return ["ambivalent probe result (several signatures)"]
    if rc != 0:
        return None
    values = blkid_values(out)
    found = []
    if values.get("TYPE"):
        text = values["TYPE"]
        if values.get("VERSION") and values["TYPE"] == "drbd":
            text = "drbd %s meta data" % values["VERSION"]
        if values.get("UUID"):
            text += " (UUID %s)" % values["UUID"]
        found.append(text)
    if values.get("PTTYPE"):
        found.append("%s partition table" % values["PTTYPE"])
    if not found:
        # Exit 0 with nothing we recognise is still "something is there".
        found.append("unrecognised blkid result (%s)" % (" ".join(sorted(values)) or "no values"))
    return found


def parse_wipefs_parsable(rc, out):
    """`wipefs --no-act --parsable DEV`: list of signatures, [] or None (could not tell)."""
    if rc != 0:
        return None
    found = []
    for line in out.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            # util-linux before 2.23 prints a "# offset,uuid,label,type" header.
            continue
        fields = line.split(",")
        if len(fields) < 4:
            return None
        offset, uuid, sig_type = fields[0], fields[1], fields[-1]
        text = "%s at %s" % (sig_type, offset)
        if uuid:
            text += " (UUID %s)" % uuid
        found.append(text)
    return found


def merge_signatures(blkid_found, wipefs_found):
    """wipefs lists every signature with its offset; blkid stops at the first
    but knows more types (and says "ambivalent"). Keep wipefs' entries and
    add blkid's whose type wipefs did not report."""
    found = list(wipefs_found)
    types = set(signature_type(entry) for entry in wipefs_found)
    for entry in blkid_found:
        if signature_type(entry) not in types:
            found.append(entry)
    return found


def signature_type(entry):
    """The type word a signature description starts with ("ext4", "dos", "drbd", ...)."""
    return entry.split(" ", 1)[0]


def device_size(path):
    """Size in bytes of a readable block device; raises OSError otherwise."""
    st = os.stat(path)
    if not stat.S_ISBLK(st.st_mode):
        raise OSError(errno.ENOTBLK, "not a block device", path)
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.lseek(fd, 0, os.SEEK_END)
        os.lseek(fd, 0, os.SEEK_SET)
        os.read(fd, 4096)
    finally:
        os.close(fd)
    if size == 0:
        # An unattached loop device: blkid and wipefs both call it empty.
        raise OSError(errno.ENXIO, "device has a size of 0 bytes", path)
    return size


def drop_cached_blocks(path):
    """Forget this host's cached copy of the device's blocks (clean pages only; nothing is written), so that the
    next tool that reads it sees what is on the disk now. A cluster file system mounted here, or on another node,
    changes its blocks without going through this host's cache of the device."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def probe(path, run, blkid="blkid", wipefs="wipefs"):
    """Probe PATH with `blkid -p` and `wipefs --no-act`.

    run(argv) returns (rc, stdout, stderr) and must force LC_ALL=C. Returns
    {"blkid": {KEY: value}, "signatures": [description, ...]} and raises
    ProbeError when either tool cannot tell. Neither tool tells a device it
    cannot open from a blank one (blkid exits 2 for both), so the caller
    checks the device with device_size() first.
    """
    results = []
    values = {}
    for argv, parser in (([blkid, "-p", "-o", "export", path], parse_blkid_export),
                         ([wipefs, "--no-act", "--parsable", path], parse_wipefs_parsable)):
        rc, out, err = run(argv)
        result = parser(rc, out)
        if result is None:
            raise ProbeError("%s failed (rc=%d: %s), so %s cannot be shown to be empty"
                             % (_join(argv), rc, (err or out).strip() or "no output", path))
        if argv[0] == blkid and rc == 0:
            values = blkid_values(out)
        results.append(result)
    return {"blkid": values, "signatures": merge_signatures(*results)}


def probe_signatures(path, run, blkid="blkid", wipefs="wipefs"):
    """The signatures on PATH (see probe()); [] only on positive evidence."""
    return probe(path, run, blkid=blkid, wipefs=wipefs)["signatures"]
