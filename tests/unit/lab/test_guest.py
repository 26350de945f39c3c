# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""The lab guest's builder (tests/lab/guest.py): its config fragment is read
as Kconfig writes it, an option the kernel's configuration dropped is named,
and the initramfs is a newc archive as the kernel unpacks it. (The build
itself runs in the dual_primary_gfs2 scenario's prepare.)"""

from __future__ import annotations

import sys
from pathlib import Path

LAB_DIR = Path(__file__).resolve().parents[2] / "lab"
sys.path.insert(0, str(LAB_DIR))

import guest  # noqa: E402  pylint: disable=wrong-import-position


def test_the_fragment_reads_set_and_unset_options_and_skips_comments():
    text = "# a comment\nCONFIG_PVH=y\n# CONFIG_INPUT is not set\nCONFIG_SERIAL_8250_NR_UARTS=1\n\n"
    assert guest.fragment(text) == {"CONFIG_PVH": "y", "CONFIG_INPUT": "n", "CONFIG_SERIAL_8250_NR_UARTS": "1"}


def test_the_shipped_fragment_asks_for_what_the_guest_needs():
    wanted = guest.fragment(guest.CONFIG.read_text())
    for option in ("CONFIG_PVH", "CONFIG_VIRTIO_BLK", "CONFIG_VIRTIO_PCI", "CONFIG_DEVTMPFS", "CONFIG_BINFMT_ELF",
                   "CONFIG_BLK_DEV_INITRD", "CONFIG_SERIAL_8250_CONSOLE", "CONFIG_PROC_SYSCTL"):
        assert wanted[option] == "y", option


def test_options_the_resolved_configuration_lost_are_named():
    wanted = {"CONFIG_PVH": "y", "CONFIG_INPUT": "n", "CONFIG_HZ_100": "y"}
    resolved = "CONFIG_PVH=y\n# CONFIG_HZ_100 is not set\nCONFIG_INPUT=y\n"
    assert guest.missed(resolved, wanted) == ["CONFIG_HZ_100=y", "CONFIG_INPUT=n"]
    # An option absent from .config is off, as Kconfig means it.
    assert guest.missed("CONFIG_PVH=y\nCONFIG_HZ_100=y\n", wanted) == []


def headers(archive: bytes) -> list[tuple[str, int, bytes]]:
    """Walk a newc archive by its specification (every header and name and
    every file's data padded to 4 bytes) and return its entries."""
    entries, pos = [], 0
    while True:
        assert archive[pos:pos + 6] == b"070701", pos
        fields = [int(archive[pos + 6 + 8 * i: pos + 14 + 8 * i], 16) for i in range(13)]
        namesize, filesize, mode = fields[11], fields[6], fields[1]
        name = archive[pos + 110: pos + 110 + namesize]
        assert name.endswith(b"\0")
        pos += 110 + namesize
        pos += -pos % 4
        data = archive[pos: pos + filesize]
        pos += filesize
        pos += -pos % 4
        if name == b"TRAILER!!!\0":
            assert pos == len(archive)
            return entries
        entries.append((name[:-1].decode(), mode, data))


def test_the_initramfs_is_a_newc_archive_with_its_trailer():
    payload = b"\x7fELF" + bytes(range(7))  # an odd length: the data is padded
    archive = guest.newc([("init", 0o100755, payload), ("dev", 0o040755, b"")])
    assert headers(archive) == [("init", 0o100755, payload), ("dev", 0o040755, b"")]
    assert len(archive) % 4 == 0
