# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading and replacing the configuration files the modules render."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile


def read_text(path):
    """The file's text, or None when there is none."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def replace_file(module, path, text, mode):
    """Write `text` to `path` through a scratch file in the same directory, swapped in at once. A new file gets
    `mode` from its first byte (it may hold secrets); a file in place keeps its mode, owner and SELinux context."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    new = not os.path.exists(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if new:
            # atomic_move would give a new file the umask's mode for a moment.
            os.replace(tmp, path)
        else:
            module.atomic_move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def scratch_file(name, text):
    """`text` in a file of its own (mode 0600, in a private temporary directory) for a tool to read; removed
    afterwards, whatever happens."""
    directory = tempfile.mkdtemp(prefix="hacluster-")
    try:
        path = os.path.join(directory, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)
