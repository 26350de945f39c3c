# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""The guest that the dual_primary_gfs2 scenario runs inside its lab nodes
(QEMU inside a QEMU, both emulating the CPU in software): a tiny Linux
kernel built from Debian's linux-source-6.1 with `make tinyconfig` and
guest/tiny.config, and an initramfs holding only guest/init.c, built
statically. Built once on the host and cached below the lab's cache,
keyed by what goes into it:

    python3 tests/lab/guest.py build     # prints {"kernel": ..., "initrd": ..., "built": ...}

Debian's own kernel with a busybox initrd took 247 s from start to the
guest's first write on an idle lab node; this guest takes 58 s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab import CACHE, LabError, log, need, private_apt, run  # noqa: E402  pylint: disable=wrong-import-position

HERE = Path(__file__).resolve().parent / "guest"
CONFIG = HERE / "tiny.config"
INIT = HERE / "init.c"
SOURCE_PACKAGE = "linux-source-6.1"
GUEST_VERSION = "1"  # bump when build() changes what it produces
OPTION = re.compile(r"^(?:(CONFIG_\w+)=(.*)|# (CONFIG_\w+) is not set)$")


def fragment(text: str) -> dict[str, str]:
    """The options a config fragment sets: {"CONFIG_X": "y"} and "n" for `# CONFIG_X is not set`."""
    options = {}
    for line in text.splitlines():
        match = OPTION.match(line.strip())
        if match:
            options[match[1] or match[3]] = match[2] if match[1] else "n"
    return options


def missed(config: str, wanted: dict[str, str]) -> list[str]:
    """The options of `wanted` that the kernel's resolved .config does not hold as asked."""
    have = fragment(config)
    return sorted(f"{name}={value}" for name, value in wanted.items() if have.get(name, "n") != value)


def newc(entries: list[tuple[str, int, bytes]]) -> bytes:
    """A cpio archive in the kernel's initramfs format ("newc") of (name, mode, data) entries."""
    out = bytearray()

    def pad() -> None:
        out.extend(b"\0" * (-len(out) % 4))

    for ino, (name, mode, data) in enumerate([*entries, ("TRAILER!!!", 0, b"")], start=1):
        raw = name.encode() + b"\0"
        fields = (ino, mode, 0, 0, 2 if mode & 0o040000 else 1, 0, len(data), 0, 0, 0, 0, len(raw), 0)
        out.extend(b"070701" + b"".join(b"%08X" % f for f in fields) + raw)
        pad()
        out.extend(data)
        pad()
    return bytes(out)


def key() -> str:
    h = hashlib.sha256()
    for part in (GUEST_VERSION.encode(), SOURCE_PACKAGE.encode(), CONFIG.read_bytes(), INIT.read_bytes()):
        h.update(part + b"\0")
    return h.hexdigest()[:16]


def made(final: Path, **extra) -> dict:
    """build()'s answer: where the kernel and the initramfs in `final` are."""
    return {"kernel": str(final / "vmlinux"), "initrd": str(final / "initrd.cpio"), "key": final.name, **extra}


def build() -> dict:
    final = CACHE / "guest" / key()
    if (final / "manifest.json").exists():
        return made(final, built=False)
    need("apt-get", "dpkg-deb", "tar", "make", "gcc", "flex", "bison", "bc", "strip")
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".build-{final.name}-", dir=final.parent))
    started = time.monotonic()
    try:
        log(f"building the lab guest {final.name} (kernel from {SOURCE_PACKAGE}; cached afterwards)")
        apt = private_apt(work / "apt")
        run(apt + ["update"])
        run(apt + ["download", SOURCE_PACKAGE], cwd=work)
        (deb,) = work.glob(f"{SOURCE_PACKAGE}_*.deb")
        run(["sh", "-c", f"dpkg-deb --fsys-tarfile {deb.name} | tar -x --wildcards '*.tar.xz'"], cwd=work)
        (tarball,) = (work / "usr" / "src").glob("linux-source-*.tar.xz")
        run(["tar", "-xJf", str(tarball)], cwd=work)
        src = next(p for p in work.iterdir() if p.is_dir() and p.name.startswith("linux-source-"))
        run(["make", "tinyconfig"], cwd=src)
        text = CONFIG.read_text()
        wanted = fragment(text)
        with open(src / ".config", "a", encoding="utf-8") as handle:
            handle.write(text)
        run(["make", "olddefconfig"], cwd=src)
        lost = missed((src / ".config").read_text(), wanted)
        if lost:
            raise LabError(f"the guest kernel's configuration dropped {', '.join(lost)} (a dependency is off)")
        run(["make", f"-j{os.cpu_count() or 1}", "vmlinux"], cwd=src)
        out = Path(tempfile.mkdtemp(prefix=".out-", dir=work))
        run(["strip", "-o", str(out / "vmlinux"), str(src / "vmlinux")])
        run(["gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(work / "init"), str(INIT)])
        run(["strip", str(work / "init")])
        (out / "initrd.cpio").write_bytes(newc([("init", 0o100755, (work / "init").read_bytes())]))
        report = {"key": final.name, "source": deb.name, "seconds": round(time.monotonic() - started, 1)}
        (out / "manifest.json").write_text(json.dumps(report, indent=2) + "\n")
        shutil.rmtree(final, ignore_errors=True)
        out.rename(final)
        log(f"lab guest {final.name} built in {report['seconds']} s")
        return made(final, built=True, seconds=report["seconds"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("command", choices=["build"])
    parser.parse_args(argv)
    try:
        print(json.dumps(build(), indent=2))
    except LabError as err:
        print(f"guest: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
