# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""The hacluster.drbd test lab: real Debian 12 kernels in QEMU, wired together
over unix sockets, with faults and a fencing path on command.

    lab.py image [--rebuild]              build (or reuse) the cached base image
    lab.py up --name L --node N ...       boot VMs, wait for ssh, write an inventory
    lab.py down --name L | --all          stop everything, leave nothing behind
    lab.py status --name L                what runs
    lab.py ssh --name L NODE -- CMD       run a command in a VM
    lab.py fault --name L ACTION NODE     poweroff | hang | resume | cut | restore | reboot | start
    lab.py wait --name L [NODE...]        wait until VMs answer on ssh
    lab.py fence-log --name L [--since N] [--power]
                                          what the fencing daemon did (JSON lines)

Everything the lab starts lives under one state directory per lab
($HACLUSTER_LAB_RUN/<name>, default /tmp/hacluster-lab/<name>); `down`
removes it.  Built images live in $HACLUSTER_LAB_CACHE (default
/var/cache/hacluster-drbd-lab), one folder per hash of the recipe.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECIPE = HERE / "recipe"
SUITE = "bookworm"
RECIPE_VERSION = "2"  # bump when build_image() changes what it produces

CACHE = Path(os.environ.get("HACLUSTER_LAB_CACHE", "/var/cache/hacluster-drbd-lab"))
RUN = Path(os.environ.get("HACLUSTER_LAB_RUN", "/tmp/hacluster-lab"))
MARKER = "hacluster-lab"  # every QEMU we start carries this in its -name

# The private networks, in the order the guests see them (eth1, eth2, eth3),
# after seed 001's public / DRBD / back-channel split.
NETWORKS = [
    ("public", "192.168.101.0/24"),
    ("drbd", "192.168.102.0/24"),
    ("back", "192.168.103.0/24"),
]
HOST_OFFSET = 10  # node1 is .11, node2 .12, ...
MAX_VMS = 4
READY_CHECK = "mountpoint -q /srv/lab-repo || mount /srv/lab-repo"
FENCE_PORT_NAME = "org.hacluster.lab.fence"
# Xen's PV dom0 needs this CPU model under TCG (LAB-NOTES); plain guests are
# happy with it too, so one model serves every scenario.
TCG_CPU = "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt"
# A scenario's own extra repository (`up --extra-repo`): a second read-only
# disk, mounted by label and offered to APT beside the base one. The fstab
# line and the source stay in the node (and in a layer made from it), so that
# later boots mount it by themselves.
EXTRA_READY = (
    "; grep -q '^LABEL=labextra ' /etc/fstab || "
    "echo 'LABEL=labextra /srv/lab-extra ext4 ro,nofail,x-systemd.device-timeout=120s 0 0' >> /etc/fstab"
    "; mkdir -p /srv/lab-extra && { mountpoint -q /srv/lab-extra || mount /srv/lab-extra; }"
    " && echo 'deb [trusted=yes] file:/srv/lab-extra ./' > /etc/apt/sources.list.d/lab-extra.list"
)


def ready_check(state: dict) -> str:
    return READY_CHECK + (EXTRA_READY if state.get("extra_repo") else "")


class LabError(Exception):
    """A failure the user can act on; printed without a traceback."""


def log(msg: str) -> None:
    sys.stderr.write(f"lab: {msg}\n")
    sys.stderr.flush()


def run(argv: list[str], check: bool = True, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, text=True, capture_output=True, check=False, **kw)
    if check and proc.returncode != 0:
        raise LabError(f"{argv[0]} failed (rc={proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return proc


def need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise LabError(
            "missing host tools: " + ", ".join(missing) + ". Run `make deps` as root "
            "(it installs qemu-system-x86 qemu-utils mmdebstrap vde2 e2fsprogs apt-utils openssh-client)."
        )


# --------------------------------------------------------------------------- image


def host_debian_sources() -> tuple[str, str]:
    """The host's own Debian sources (deb822), used to build the guest image.

    Returns (path, content).  The lab builds with the mirrors this machine is
    configured with rather than naming one of its own.
    """
    candidates = sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))
    for path in candidates:
        text = path.read_text()
        if re.search(rf"^Suites:.*\b{SUITE}\b", text, re.M) and "debian" in text:
            return str(path), text
    legacy = Path("/etc/apt/sources.list")
    if legacy.exists() and SUITE in legacy.read_text():
        return str(legacy), legacy.read_text()
    raise LabError(f"no Debian {SUITE} APT source configured on this host (/etc/apt/sources.list.d/*.sources)")


def read_list(path: Path) -> list[str]:
    out = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def recipe_key() -> str:
    """Hash of everything that goes into the image and the repository."""
    h = hashlib.sha256()
    h.update(RECIPE_VERSION.encode())
    h.update(CUSTOMIZE.encode())
    h.update((HERE / "fence_lab.py").read_bytes())
    h.update((HERE / "stonith_external_lab.sh").read_bytes())
    for path in sorted(RECIPE.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(RECIPE)).encode())
            h.update(path.read_bytes())
    h.update(host_debian_sources()[1].encode())
    return h.hexdigest()[:16]


def image_dir() -> Path:
    return CACHE / "images" / recipe_key()


def image_ready(d: Path) -> bool:
    return (d / "manifest.json").exists()


CUSTOMIZE = r"""
set -eu
root="$1"
# Offline repository: download each package with its dependencies against the
# finished base system, one package at a time so that packages which conflict
# with each other can still both be offered.
mkdir -p "$root/var/cache/apt/archives/partial"
for pkg in $LAB_REPO_PACKAGES; do
    chroot "$root" apt-get -q -y -o Dpkg::Use-Pty=0 install --download-only "$pkg" >&2
done
mkdir -p "$LAB_REPO_OUT"
cp "$root"/var/cache/apt/archives/*.deb "$LAB_REPO_OUT"/
chroot "$root" apt-get clean
# No package lists and no "updated recently" stamp: the first apt run in a
# guest must read the offline repository.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/lib/apt/periodic/* "$root"/var/cache/apt/*.bin
# Guests see only the offline repository.
rm -f "$root"/etc/apt/sources.list "$root"/etc/apt/sources.list.d/*
echo "deb [trusted=yes] file:/srv/lab-repo ./" > "$root/etc/apt/sources.list"
mkdir -p "$root/srv/lab-repo"
cp -a "$LAB_GUEST_FILES"/. "$root"/
{ echo '#!/usr/bin/python3'; cat "$LAB_FENCE_AGENT"; } > "$root/usr/sbin/fence_lab"
chmod 0755 "$root/usr/sbin/fence_lab"
# Heartbeat's way to the same fencing channel (cluster-glue external plugin);
# the directories are cluster-glue's, which dpkg shares when it arrives.
install -D -m 0755 "$LAB_STONITH_PLUGIN" "$root/usr/lib/stonith/plugins/external/lab"
mkdir -p -m 0700 "$root/root/.ssh"
install -m 0600 "$LAB_PUBKEY" "$root/root/.ssh/authorized_keys"
cat > "$root/etc/fstab" <<FSTAB
/dev/vda / ext4 rw,errors=remount-ro 0 1
LABEL=labrepo /srv/lab-repo ext4 ro,nofail,x-systemd.device-timeout=120s 0 0
FSTAB
echo lab > "$root/etc/hostname"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
# Each VM writes its own machine id on first boot (its own overlay).
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
chroot "$root" systemctl enable systemd-networkd.service lab-guest-setup.service ssh.service >&2
chroot "$root" systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer \
    e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-networkd-wait-online.service \
    getty@tty1.service >&2
# Serial console login is handy when debugging a VM by hand.
chroot "$root" passwd -d root >&2
chroot "$root" systemctl set-default multi-user.target >&2
# The initrd the lab hands to QEMU holds only what finds and mounts the root
# disk: unpacking Debian's generic one (every storage driver) and letting udev
# probe it takes an emulated CPU a good part of each boot.
sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
printf 'virtio_pci\nvirtio_blk\next4\n' >> "$root/etc/initramfs-tools/modules"
chroot "$root" update-initramfs -u -k all >&2
# Lab VMs boot the kernel and initrd the lab hands to QEMU, never their own:
# skip rebuilding the guest's initramfs, which takes minutes under TCG each
# time a package (e2fsprogs, lvm2, ...) triggers it.
sed -i 's/^update_initramfs=.*/update_initramfs=no/' "$root/etc/initramfs-tools/update-initramfs.conf"
"""


def build_image(rebuild: bool = False) -> Path:
    need("mmdebstrap", "mkfs.ext4", "apt-ftparchive", "ssh-keygen", "qemu-img")
    final = image_dir()
    if image_ready(final) and not rebuild:
        return final
    (CACHE / "images").mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".build-{final.name}-", dir=CACHE / "images"))
    started = time.monotonic()
    try:
        log(f"building base image {final.name} (a few minutes; cached afterwards)")
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hacluster-lab", "-f", str(work / "id_ed25519")])
        sources_path = host_debian_sources()[0]
        env = dict(
            os.environ,
            LAB_REPO_PACKAGES=" ".join(read_list(RECIPE / "packages-repo.txt")),
            LAB_REPO_OUT=str(work / "repo"),
            LAB_GUEST_FILES=str(RECIPE / "guest"),
            LAB_FENCE_AGENT=str(HERE / "fence_lab.py"),
            LAB_STONITH_PLUGIN=str(HERE / "stonith_external_lab.sh"),
            LAB_PUBKEY=str(work / "id_ed25519.pub"),
        )
        rootfs = work / "rootfs"
        argv = [
            "mmdebstrap",
            "--mode=root",
            "--variant=apt",
            "--format=directory",
            "--include=" + ",".join(read_list(RECIPE / "packages-image.txt")),
            "--customize-hook=" + CUSTOMIZE,
            SUITE,
            str(rootfs),
            sources_path,
        ]
        proc = subprocess.run(argv, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        (work / "mmdebstrap.log").write_text(proc.stdout)
        if proc.returncode != 0:
            raise LabError(f"mmdebstrap failed (rc={proc.returncode}); last lines:\n{proc.stdout[-3000:]}")
        # Ansible's apt module judges the age of the package lists by this
        # directory's mtime, read after apt has opened its lock: with lock and
        # partial/ already there and an old mtime, the empty lists of a fresh
        # guest look stale and the first cache update really runs.
        lists = rootfs / "var/lib/apt/lists"
        (lists / "partial").mkdir(parents=True, exist_ok=True)
        (lists / "lock").touch()
        os.utime(lists, (0, 0))
        boot = rootfs / "boot"
        kernels = sorted(boot.glob("vmlinuz-*"))
        initrds = sorted(boot.glob("initrd.img-*"))
        if not kernels or not initrds:
            raise LabError("the image has no kernel or initrd in /boot")
        shutil.copy2(kernels[-1], work / "vmlinuz")
        shutil.copy2(initrds[-1], work / "initrd.img")
        kver = kernels[-1].name[len("vmlinuz-"):]
        # The root file system: a sparse raw image shared read-only by every VM
        # through per-VM qcow2 overlays.
        run(["mkfs.ext4", "-q", "-F", "-L", "labroot", "-d", str(rootfs), str(work / "base.raw"), "6G"])
        repo = work / "repo"
        debs = sorted(p.name for p in repo.glob("*.deb"))
        with open(repo / "Packages", "w") as fh:
            subprocess.run(["apt-ftparchive", "packages", "."], cwd=repo, stdout=fh, check=True)
        release = run(["apt-ftparchive", "release", "."], cwd=repo).stdout
        (repo / "Release").write_text(release)
        size_mib = int(sum(p.stat().st_size for p in repo.iterdir()) / 2**20 * 1.2) + 64
        run(["mkfs.ext4", "-q", "-F", "-L", "labrepo", "-d", str(repo), str(work / "repo.img"), f"{size_mib}M"])
        shutil.rmtree(rootfs)
        shutil.rmtree(repo)
        manifest = {
            "key": final.name,
            "suite": SUITE,
            "kernel": kver,
            "repo_packages": len(debs),
            "repo_mib": size_mib,
            "build_seconds": round(time.monotonic() - started, 1),
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if final.exists():
            shutil.rmtree(final)
        work.rename(final)
        prune_images(final.name, spare=1)
        log(f"image {final.name} built in {manifest['build_seconds']}s (kernel {kver}, {len(debs)} packages offered)")
        return final
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


EXTRA_VERSION = "2"  # bump when build_extra_repo() changes what it produces
# Names in an extra package list may hold these, for the kernels a scenario
# upgrades between: the ABI (6.1.0-57) of the base image's kernel and the
# newest one before it that the mirror still has. The mirror drops old ones,
# so no scenario names a version; the list names the flavour
# (linux-image-@kernel-previous-cloud-amd64).
KERNEL_TOKENS = {"@kernel-base": "base", "@kernel-previous": "previous"}
KERNEL_PACKAGE = re.compile(r"^linux-image-(\d+\.\d+\.\d+-\d+)-amd64$")


def kernel_order(abi: str) -> tuple[int, ...]:
    """6.1.0-47 -> (6, 1, 0, 47)."""
    return tuple(int(x) for x in re.findall(r"\d+", abi))


def previous_kernel(base: str, available: list[str]) -> str:
    """The newest ABI among `available` (linux-image package names) older than `base`."""
    older = [m.group(1) for m in map(KERNEL_PACKAGE.match, available) if m]
    older = [abi for abi in older if kernel_order(abi) < kernel_order(base)]
    if not older:
        raise LabError(f"the host's package lists offer no kernel older than the base image's {base}; "
                       "run apt-get update, or drop @kernel-previous from the extra package list")
    return max(older, key=kernel_order)


def image_kernel(img: Path) -> str:
    """The kernel release the base image boots (6.1.0-57-amd64)."""
    return json.loads((img / "manifest.json").read_text())["kernel"]


def lab_kernels(img: Path, names: list[str]) -> dict[str, str]:
    """The kernel ABIs the KERNEL_TOKENS in `names` stand for."""
    used = {which for token, which in KERNEL_TOKENS.items() for n in names if token in n}
    if not used:
        return {}
    release = image_kernel(img)
    kernels = {"base": re.sub(r"^(\d+\.\d+\.\d+-\d+)-.*$", r"\1", release)}
    if "previous" in used:
        listed = run(["apt-cache", "pkgnames", "linux-image-"]).stdout.split()
        kernels["previous"] = previous_kernel(kernels["base"], listed)
    return kernels


def extra_packages(img: Path, packages: Path) -> tuple[list[str], dict[str, str]]:
    """The package list with its kernel tokens replaced, and the kernels."""
    names, kernels = resolved_extra_list(img, packages)
    return list(names), dict(kernels)


@functools.lru_cache(maxsize=None)
def resolved_extra_list(img: Path, packages: Path) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """extra_packages' answer, worked out (and the host's package lists
    asked) once per run: the key, the build and the inventory all want it."""
    names = read_list(packages)
    kernels = lab_kernels(img, names)
    for token, which in KERNEL_TOKENS.items():
        names = [n.replace(token, kernels.get(which, token)) for n in names]
    return tuple(names), tuple(kernels.items())


def private_apt(work: Path) -> list[str]:
    """apt-get with its lists, cache and dpkg status below `work` and the
    host's Debian source: asks and downloads without touching the host's
    own APT state (run `update` with it first)."""
    for sub in ("lists/partial", "archives/partial", "cache", "sources"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    (work / "status").touch()
    source = Path(host_debian_sources()[0])
    name = source.name if source.suffix in (".list", ".sources") else "debian.list"
    shutil.copy(source, work / "sources" / name)
    return ["apt-get", "-q", "-y", "-o", f"Dir::State::status={work / 'status'}",
            "-o", f"Dir::State::Lists={work / 'lists'}", "-o", f"Dir::Cache={work / 'cache'}",
            "-o", f"Dir::Cache::archives={work / 'archives'}", "-o", "Dir::Etc::SourceList=/dev/null",
            "-o", f"Dir::Etc::SourceParts={work / 'sources'}", "-o", "Debug::NoLocking=true",
            "-o", "APT::Install-Recommends=false"]


def extra_repo_image(img: Path, packages: Path) -> Path:
    """Where the extra repository for this package list and base image lives:
    keyed by both (the list as resolved), so that a new list, a new base or a
    moved mirror builds it again."""
    h = hashlib.sha256()
    for part in (EXTRA_VERSION, img.name, "\n".join(extra_packages(img, packages)[0])):
        h.update(part.encode() + b"\0")
    return CACHE / "extra" / h.hexdigest()[:16] / "repo.img"


def build_extra_repo(img: Path, packages: Path) -> dict:
    """A scenario's own offline repository: the listed packages with what they
    need beyond the base image (resolved against the image's dpkg status with
    the host's Debian source), on a disk image of its own. The base image and
    its repository stay as they are, and so every other scenario's layers."""
    final = extra_repo_image(img, packages)
    if final.exists():
        return {"key": final.parent.name, "built": False}
    need("apt-get", "debugfs", "apt-ftparchive", "mkfs.ext4")
    final.parent.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".build-{final.parent.name}-", dir=final.parent.parent))
    started = time.monotonic()
    try:
        log(f"building extra repository {final.parent.name} from {packages.name} (cached afterwards)")
        apt = private_apt(work)
        run(["debugfs", "-R", f"dump /var/lib/dpkg/status {work / 'status'}", str(img / "base.raw")])
        run(apt + ["update"])
        # --reinstall: a listed package the base image has (its kernel, which
        # a scenario's layer may remove to upgrade to it) is offered as well.
        run(apt + ["install", "--download-only", "--reinstall", *extra_packages(img, packages)[0]])
        repo = work / "repo"
        repo.mkdir()
        debs = sorted((work / "archives").glob("*.deb"))
        for deb in debs:
            shutil.move(str(deb), repo / deb.name)
        with open(repo / "Packages", "w") as fh:
            subprocess.run(["apt-ftparchive", "packages", "."], cwd=repo, stdout=fh, check=True)
        (repo / "Release").write_text(run(["apt-ftparchive", "release", "."], cwd=repo).stdout)
        size_mib = int(sum(p.stat().st_size for p in repo.iterdir()) / 2**20 * 1.2) + 32
        run(["mkfs.ext4", "-q", "-F", "-L", "labextra", "-d", str(repo), str(work / "repo.img"), f"{size_mib}M"])
        final.parent.mkdir(exist_ok=True)
        (work / "repo.img").rename(final)
        report = {"key": final.parent.name, "built": True, "packages": len(debs), "mib": size_mib,
                  "seconds": round(time.monotonic() - started, 1)}
        (final.parent / "manifest.json").write_text(json.dumps({**report, "list": packages.name,
                                                                "base": img.name}, indent=2) + "\n")
        log(f"extra repository {final.parent.name} built: {len(debs)} packages, {size_mib} MiB")
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def prune_images(keep: str, spare: int = 0) -> None:
    """Drop cached images of other recipes (each takes about 1.5 GB), but
    the `spare` most recent ones, so switching branches back and forth is cheap."""
    root = CACHE / "images"
    if not root.is_dir():
        return
    others = sorted(
        (d for d in root.iterdir() if d.is_dir() and d.name != keep and not d.name.startswith(".build-")),
        key=lambda d: d.stat().st_mtime, reverse=True,
    )
    for d in others[spare:]:
        shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------- KVM probe


def probe_accel(img: Path) -> str:
    """'kvm' if a guest kernel really runs under KVM here, else 'tcg'.

    /dev/kvm may exist and still hang a stock kernel (a PVM host, LAB-NOTES),
    so boot the real kernel for a few seconds and look for its banner.
    """
    if os.environ.get("HACLUSTER_LAB_ACCEL") in ("kvm", "tcg"):
        return os.environ["HACLUSTER_LAB_ACCEL"]
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg"
    boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    cached = CACHE / f"accel-{boot_id}"
    if cached.exists():
        return cached.read_text().strip()
    with tempfile.TemporaryDirectory(prefix="lab-kvm-probe-") as tmp:
        console = Path(tmp) / "console"
        argv = [
            "qemu-system-x86_64", "-name", f"{MARKER}-kvm-probe", "-machine", "pc,accel=kvm", "-cpu", "host",
            "-m", "256", "-nodefaults", "-display", "none", "-no-reboot",
            "-serial", f"file:{console}", "-kernel", str(img / "vmlinuz"),
            "-append", "console=ttyS0 panic=-1 root=/dev/nonexistent",
        ]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        accel = "tcg"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if console.exists() and b"Linux version" in console.read_bytes():
                accel = "kvm"
                break
            if proc.poll() is not None:
                break
            time.sleep(0.5)
        proc.kill()
        proc.wait()
    cached.write_text(accel + "\n")
    return accel


# --------------------------------------------------------------------------- state


def lab_dir(name: str) -> Path:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,30}", name):
        raise LabError(f"lab name {name!r}: use 1-31 of a-z 0-9 _ -")
    return RUN / name


def load_state(name: str) -> dict:
    path = lab_dir(name) / "lab.json"
    if not path.exists():
        raise LabError(f"no lab named {name} is up (no {path})")
    return json.loads(path.read_text())


def save_state(name: str, state: dict) -> None:
    path = lab_dir(name) / "lab.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(path)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not alive for our purposes.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mac(net: int, vm: int) -> str:
    """net 0 is the management NIC; 1..3 the private networks."""
    return "52:54:00:%02x:00:%02x" % (0xFF if net == 0 else net, vm)


# --------------------------------------------------------------------------- QMP


def qmp(d: Path, node: str, command: str, arguments: dict | None = None, timeout: float = 10) -> dict:
    path = d / f"{node}.qmp"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(str(path))
        except OSError as exc:
            raise LabError(f"{node}: QEMU monitor not reachable ({exc}); is the VM running?") from exc
        f = s.makefile("rwb")

        def reply() -> dict:
            while True:
                line = f.readline()
                if not line:
                    raise LabError(f"{node}: QEMU monitor closed the connection")
                msg = json.loads(line)
                if "event" in msg:
                    continue
                return msg

        reply()  # greeting
        for cmd, args in (("qmp_capabilities", None), (command, arguments)):
            req = {"execute": cmd}
            if args:
                req["arguments"] = args
            f.write(json.dumps(req).encode() + b"\n")
            f.flush()
            msg = reply()
            if "error" in msg:
                raise LabError(f"{node}: QMP {cmd} failed: {msg['error'].get('desc')}")
        return msg.get("return", {})


# --------------------------------------------------------------------------- VMs


def boot_dir(state: dict, node: str) -> Path:
    """Where the kernel and initrd QEMU starts `node` with are: its layer's,
    when the layer's default kernel is not the base image's (build_layers
    keeps them), else the base image's."""
    layer = state.get("layers", {}).get(node)
    if layer and (Path(layer).parent / "vmlinuz").exists():
        return Path(layer).parent
    return Path(state["image"])


def qemu_argv(state: dict, node: str) -> list[str]:
    d = Path(state["dir"])
    img = Path(state["image"])
    boot = boot_dir(state, node)
    vm = state["nodes"][node]
    idx = vm["index"]
    append = [
        "root=/dev/vda", "rw", "console=ttyS0", "net.ifnames=0", "quiet",
        f"systemd.hostname={node}", f"lab.mgmt={mac(0, idx)}",
    ]
    if state["accel"] != "kvm":
        append += [
            # Programs load at the same addresses in every process: QEMU keys
            # its translations by virtual address, so with ASLR each new
            # process translates its code again (twice the CPU time for short
            # processes such as resource agents, Ansible modules, sshd).
            "norandmaps",
            # QEMU derives the TSC from the host's monotonic clock. On a busy
            # host the kernel's clocksource watchdog can call it unstable and
            # move timekeeping to the HPET, each read of which is an emulated
            # MMIO access (ten times a TSC read here).
            "tsc=reliable",
        ]
    for k, (net, dummy) in enumerate(NETWORKS[: state["networks"]], start=1):
        append.append(f"lab.nic={mac(k, idx)},{vm['networks'][net]['address']}/{vm['networks'][net]['prefix']}")
    argv = [
        "qemu-system-x86_64",
        "-name", f"{MARKER}-{state['name']}-{node}",
        "-machine", f"pc,accel={state['accel']}",
        "-cpu", "host" if state["accel"] == "kvm" else TCG_CPU,
        "-smp", str(state["cpus"]), "-m", str(state["memory"]),
        "-nodefaults", "-no-user-config", "-display", "none",
        "-serial", f"file:{d / (node + '.console')}",
        "-qmp", f"unix:{d / (node + '.qmp')},server=on,wait=off",
        "-pidfile", str(d / f"{node}.pid"), "-daemonize",
        "-kernel", str(boot / "vmlinuz"), "-initrd", str(boot / "initrd.img"),
        "-append", " ".join(append),
        "-device", "virtio-rng-pci",
        "-drive", f"if=none,id=root,file={d / (node + '.qcow2')},format=qcow2,discard=unmap",
        "-device", "virtio-blk-pci,drive=root",
    ]
    for i, disk in enumerate(vm["disks"], start=1):
        argv += [
            "-drive", f"if=none,id=data{i},file={disk},format=qcow2,cache=none,aio=threads",
            "-device", f"virtio-blk-pci,drive=data{i},serial=data{i}",
        ]
    argv += [
        "-drive", f"if=none,id=repo,file={img / 'repo.img'},format=raw,read-only=on",
        "-device", "virtio-blk-pci,drive=repo,serial=labrepo",
    ]
    if state.get("extra_repo"):
        argv += [
            "-drive", f"if=none,id=extra,file={state['extra_repo']},format=raw,read-only=on",
            "-device", "virtio-blk-pci,drive=extra,serial=labextra",
        ]
    argv += [
        # One small disk shared by all VMs, for SBD and similar shared-disk fencing.
        "-drive", f"if=none,id=shared,file={d / 'shared.img'},format=raw,cache=none,file.locking=off",
        "-device", "virtio-blk-pci,drive=shared,serial=labshared,share-rw=on",
        "-netdev", f"user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:{vm['ssh_port']}-:22",
        "-device", f"virtio-net-pci,netdev=mgmt,mac={mac(0, idx)}",
    ]
    for k in range(1, state["networks"] + 1):
        argv += [
            "-netdev", f"vde,id=net{k},sock={d / ('net%d.vde' % k)}",
            "-device", f"virtio-net-pci,netdev=net{k},id=nic{k},mac={mac(k, idx)}",
        ]
    argv += [
        "-device", "virtio-serial-pci,id=vser",
        "-chardev", f"socket,id=fence,path={d / ('fence-' + node + '.sock')},reconnect=1",
        "-device", f"virtserialport,bus=vser.0,chardev=fence,name={FENCE_PORT_NAME}",
    ]
    return argv


def start_vm(state: dict, node: str) -> None:
    d = Path(state["dir"])
    if read_pid(d / f"{node}.pid"):
        raise LabError(f"{node} is already running")
    (d / f"{node}.console").write_text("")
    proc = run(qemu_argv(state, node), check=False)
    if proc.returncode != 0:
        raise LabError(f"QEMU for {node} did not start (rc={proc.returncode}): {proc.stderr.strip()}")


def kill_vm(d: Path, node: str, grace: float = 0) -> bool:
    """Hard power-off (SIGKILL unless a grace period is given). True if it ran."""
    pid = read_pid(d / f"{node}.pid")
    if pid is None:
        return False
    if grace:
        with contextlib.suppress(LabError, OSError):
            qmp(d, node, "quit", timeout=2)
        deadline = time.monotonic() + grace
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(FileNotFoundError):
        (d / f"{node}.pid").unlink()
    return True


# Every ssh to a lab VM, the lab's own and those that read its inventory
# (Ansible, Mitogen, testinfra). Throw-away VMs whose host keys come with the
# image. A connection whose VM went away under it (a reboot, a power cut)
# ends after a minute without an answer instead of hanging: a test's probe
# over such a connection (testinfra multiplexes its commands over one ssh
# master per node) waited 20 minutes.
SSH_OPTIONS = (
    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "ServerAliveInterval=10", "-o", "ServerAliveCountMax=6",
)


def ssh_base(state: dict, node: str) -> list[str]:
    return [
        "ssh", "-q", "-i", str(Path(state["image"]) / "id_ed25519"),
        "-p", str(state["nodes"][node]["ssh_port"]),
        "-o", "BatchMode=yes", *SSH_OPTIONS,
        "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", "root@127.0.0.1",
    ]


def wait_ssh(state: dict, nodes: list[str], timeout: float) -> dict[str, float]:
    start = time.monotonic()
    ready: dict[str, float] = {}
    d = Path(state["dir"])
    while len(ready) < len(nodes):
        for node in nodes:
            if node in ready:
                continue
            if read_pid(d / f"{node}.pid") is None:
                raise LabError(f"{node}: QEMU exited during boot; console tail:\n{console_tail(d, node)}")
            # Ready means ssh answers and the offline repository is mounted
            # (udev under TCG can be slower than the first ssh login).
            try:
                proc = subprocess.run(ssh_base(state, node) + [ready_check(state)], capture_output=True, timeout=30,
                                      check=False)
            except subprocess.TimeoutExpired:
                # Early in a boot sshd can answer while the repository's disk
                # has not appeared yet, and the mount waits for it.
                continue
            if proc.returncode == 0:
                ready[node] = round(time.monotonic() - start, 1)
        if time.monotonic() - start > timeout:
            late = [n for n in nodes if n not in ready]
            raise LabError(f"no ssh from {', '.join(late)} within {timeout:.0f}s; console tail:\n"
                           + "\n".join(console_tail(d, n) for n in late))
        if len(ready) < len(nodes):
            time.sleep(2)
    return ready


def console_tail(d: Path, node: str, lines: int = 15) -> str:
    try:
        text = (d / f"{node}.console").read_text(errors="replace")
    except OSError:
        return "(no console log)"
    return "\n".join(f"  {node}| {line}" for line in text.splitlines()[-lines:])


# --------------------------------------------------------------------------- inventory


def inventory(state: dict) -> dict:
    hosts = {}
    for node, vm in state["nodes"].items():
        hosts[node] = {
            "ansible_host": "127.0.0.1",
            "ansible_port": vm["ssh_port"],
            "lab_networks": vm["networks"],
            "lab_data_disks": [f"/dev/disk/by-id/virtio-data{i}" for i in range(1, len(vm["disks"]) + 1)],
        }
    key = str(Path(state["image"]) / "id_ed25519")
    inv = {
        "all": {
            "vars": {
                "ansible_user": "root",
                "ansible_ssh_private_key_file": key,
                "ansible_ssh_common_args": " ".join(SSH_OPTIONS),
                # Mitogen reads this rather than StrictHostKeyChecking above.
                "ansible_host_key_checking": False,
                # Mitogen's first connection starts a Python in the guest and
                # sends it Mitogen's core: right after boot, an emulated CPU
                # can take longer than Ansible's default 10 s.
                "ansible_ssh_timeout": 60,
                "ansible_python_interpreter": "/usr/bin/python3",
                "lab_name": state["name"],
                "lab_shared_disk": "/dev/disk/by-id/virtio-labshared",
                "lab_fence_agent": "fence_lab",
                # lab_kernel_base, lab_kernel_previous: the kernel ABIs an
                # extra package list's tokens stood for (6.1.0-57).
                **{f"lab_kernel_{k}": v for k, v in sorted(state.get("kernels", {}).items())},
            },
            "hosts": hosts,
        }
    }
    per_node = state.get("node_groups") or {n: state.get("groups", []) for n in state["nodes"]}
    groups: dict = {}
    for node, names in per_node.items():
        for g in names:
            groups.setdefault(g, {"hosts": {}})["hosts"][node] = {}
    if groups:
        inv["all"]["children"] = groups
    return inv


def write_instance_config(state: dict, path: Path) -> None:
    """What Molecule's default driver wants to know about each instance."""
    key = str(Path(state["image"]) / "id_ed25519")
    items = [
        {"instance": node, "address": "127.0.0.1", "port": vm["ssh_port"], "user": "root", "identity_file": key}
        for node, vm in state["nodes"].items()
    ]
    path.write_text("# Molecule managed\n" + "\n".join(
        "- " + to_yaml(item, 1).lstrip() for item in items) + "\n")


def to_yaml(data, indent: int = 0) -> str:
    """Small YAML emitter (the lab runs on the system Python, without PyYAML)."""
    pad = "  " * indent
    out = []
    for key, value in data.items():
        if isinstance(value, dict):
            if value:
                out.append(f"{pad}{key}:")
                out.append(to_yaml(value, indent + 1))
            else:
                out.append(f"{pad}{key}: {{}}")
        elif isinstance(value, list):
            out.append(f"{pad}{key}: {json.dumps(value)}")
        else:
            out.append(f"{pad}{key}: {json.dumps(value)}")
    return "\n".join(out)


# --------------------------------------------------------------------------- fencing daemon


def fenced(name: str) -> None:
    """Serve fence requests from every VM of one lab (runs in the background).

    Each VM's virtio-serial port connects to its own unix socket here; the
    socket tells who is asking.  Requests are one line: ACTION TARGET.
    """
    d = lab_dir(name)
    logf = open(d / "fence.log", "a", buffering=1)
    listeners: dict[socket.socket, str] = {}
    for node in load_state(name)["nodes"]:
        path = d / f"fence-{node}.sock"
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(path))
        s.listen(4)
        listeners[s] = node
    conns: dict[socket.socket, tuple[str, bytes]] = {}
    stop = []
    signal.signal(signal.SIGTERM, lambda *args: stop.append(1))
    (d / "fenced.ready").write_text(str(os.getpid()))
    while not stop:
        ready, dummy, dummy = select.select(list(listeners) + list(conns), [], [], 1.0)
        for s in ready:
            if s in listeners:
                conn = s.accept()[0]
                conns[conn] = (listeners[s], b"")
                continue
            requester, buf = conns[s]
            try:
                chunk = s.recv(4096)
            except OSError:
                chunk = b""
            if not chunk:
                conns.pop(s)
                s.close()
                continue
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                answer = fence_action(name, requester, line.decode(errors="replace").strip())
                logf.write(json.dumps(answer) + "\n")
                with contextlib.suppress(OSError):
                    s.sendall((answer["reply"] + "\n").encode())
            if s in conns:
                conns[s] = (requester, buf)


def fence_action(name: str, requester: str, line: str) -> dict:
    entry = {"time": time.time(), "requester": requester, "request": line}
    parts = line.split()
    try:
        state = load_state(name)
        d = Path(state["dir"])
        if len(parts) != 2:
            raise LabError("expected: ACTION TARGET")
        action, target = parts
        if action == "list":
            entry["reply"] = "OK " + ",".join(state["nodes"])
            return entry
        if target not in state["nodes"]:
            raise LabError(f"unknown VM {target}")
        if action == "status":
            entry["reply"] = "OK " + ("on" if read_pid(d / f"{target}.pid") else "off")
        elif action == "off":
            was_on = kill_vm(d, target)
            entry["reply"] = "OK off"
            entry["effect"] = "powered off" if was_on else "already off"
        elif action == "on":
            if not read_pid(d / f"{target}.pid"):
                start_vm(state, target)
                entry["effect"] = "powered on"
            entry["reply"] = "OK on"
        elif action == "reboot":
            kill_vm(d, target)
            start_vm(state, target)
            entry["effect"] = "power cycled"
            entry["reply"] = "OK on"
        else:
            raise LabError(f"unknown action {action}")
    except (LabError, OSError) as exc:
        entry["reply"] = f"ERR {exc}"
    return entry


def start_fenced(name: str) -> None:
    d = lab_dir(name)
    logf = open(d / "fenced.stderr", "a")
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "_fenced", "--name", name],
        stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, start_new_session=True,
    )
    (d / "fenced.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + 10
    while not (d / "fenced.ready").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise LabError(f"the fencing daemon did not start: {(d / 'fenced.stderr').read_text()[-1000:]}")
        time.sleep(0.05)


# --------------------------------------------------------------------------- commands


def cmd_image(args) -> None:
    t0 = time.monotonic()
    img = build_image(rebuild=args.rebuild)
    if args.prune:
        prune_images(img.name)
    manifest = json.loads((img / "manifest.json").read_text())
    manifest["path"] = str(img)
    manifest["seconds_this_run"] = round(time.monotonic() - t0, 2)
    print(json.dumps(manifest, indent=2))


def check_up_args(args) -> list[str]:
    nodes = args.node or [f"node{i}" for i in range(1, args.vms + 1)]
    if not 1 <= len(nodes) <= MAX_VMS:
        raise LabError(f"a lab has 1 to {MAX_VMS} VMs, not {len(nodes)}")
    for n in nodes:
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", n):
            raise LabError(f"VM name {n!r}: use a lower-case host name")
    if len(set(nodes)) != len(nodes):
        raise LabError("VM names must be unique")
    if not 0 <= args.networks <= len(NETWORKS):
        raise LabError(f"--networks takes 0 to {len(NETWORKS)}")
    for spec in args.node_group or []:
        node, dummy, groups = spec.partition("=")
        if node not in nodes or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_][A-Za-z0-9_]*)*", groups):
            raise LabError(f"--node-group {spec!r}: NODE=GROUP[,GROUP...] for one of {', '.join(nodes)}")
    if (lab_dir(args.name) / "lab.json").exists():
        raise LabError(f"lab {args.name} is already up; `lab.py down --name {args.name}` first")
    return nodes


def node_groups(args, nodes: list[str]) -> dict[str, list[str]]:
    """Each node's inventory groups: the --group ones and its --node-group ones."""
    out = {n: list(args.group or []) for n in nodes}
    for spec in args.node_group or []:
        node, dummy, groups = spec.partition("=")
        out[node] += [g for g in groups.split(",") if g not in out[node]]
    return out


def boot(args, nodes: list[str], img: Path, accel: str, inventory_path: Path, layers: dict[str, Path],
         instance_config: str | None) -> dict:
    """Start a lab of `nodes` (each on an overlay of its layer, or of the base
    image) and wait for ssh; write its inventory. Tears down on failure."""
    d = lab_dir(args.name)
    d.mkdir(parents=True, exist_ok=True)
    state = {
        "name": args.name, "dir": str(d), "image": str(img), "accel": accel,
        "cpus": args.cpus, "memory": args.memory, "networks": args.networks,
        "groups": args.group or [], "node_groups": node_groups(args, nodes), "nodes": {}, "inventory": None,
        "layers": {n: str(p) for n, p in layers.items()},
        "extra_repo": str(extra_repo_image(img, Path(args.extra_repo))) if getattr(args, "extra_repo", None) else None,
        "kernels": extra_packages(img, Path(args.extra_repo))[1] if getattr(args, "extra_repo", None) else {},
    }
    try:
        for idx, node in enumerate(nodes, start=1):
            nets = {}
            for net, cidr in NETWORKS[: args.networks]:
                base, prefix = cidr.split("/")
                octets = base.split(".")
                octets[3] = str(HOST_OFFSET + idx)
                nets[net] = {"address": ".".join(octets), "prefix": int(prefix), "network": cidr,
                             "interface": f"eth{NETWORKS.index((net, cidr)) + 1}"}
            state["nodes"][node] = {"index": idx, "ssh_port": free_port(), "networks": nets, "disks": []}
        save_state(args.name, state)
        run(["qemu-img", "create", "-q", "-f", "raw", str(d / "shared.img"), "16M"])
        for node, vm in state["nodes"].items():
            backing = ["-F", "qcow2", "-b", str(layers[node])] if node in layers else \
                ["-F", "raw", "-b", str(img / "base.raw")]
            run(["qemu-img", "create", "-q", "-f", "qcow2", *backing, str(d / f"{node}.qcow2")])
            for i in range(1, args.disks + 1):
                disk = d / f"{node}-data{i}.qcow2"
                run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), args.disk_size])
                vm["disks"].append(str(disk))
        for k in range(1, args.networks + 1):
            run(["vde_switch", "--sock", str(d / f"net{k}.vde"), "--daemon",
                 "--pidfile", str(d / f"net{k}.vde.pid"), "--mode", "0600"])
        save_state(args.name, state)
        start_fenced(args.name)
        t_boot = time.monotonic()
        for node in nodes:
            start_vm(state, node)
        ready = wait_ssh(state, nodes, args.timeout)
        t_ready = time.monotonic() - t_boot
        inventory_path.parent.mkdir(parents=True, exist_ok=True)
        inventory_path.write_text("# Written by tests/lab/lab.py up; removed by down.\n"
                                  + to_yaml(inventory(state)) + "\n")
        state["inventory"] = str(inventory_path)
        if instance_config:
            write_instance_config(state, Path(instance_config))
        save_state(args.name, state)
    except BaseException:
        log("boot failed: tearing the lab down")
        teardown(args.name)
        raise
    return {"ssh_ready_seconds": round(t_ready, 1), "per_vm": ready}


def cmd_up(args) -> None:
    need("qemu-system-x86_64", "qemu-img", "vde_switch", "ssh")
    nodes = check_up_args(args)
    t0 = time.monotonic()
    img = build_image()
    t_image = time.monotonic() - t0
    accel = probe_accel(img)
    layers, layer_report = {}, {}
    if args.extra_repo:
        layer_report["extra_repo"] = build_extra_repo(img, Path(args.extra_repo))
    if args.layer_playbook:
        layers, layer_report = ensure_layers(args, nodes, img, accel)
    inv_path = Path(args.inventory).resolve() if args.inventory else lab_dir(args.name) / "inventory.yml"
    report = boot(args, nodes, img, accel, inv_path, layers, args.instance_config)
    print(json.dumps({
        "name": args.name, "accel": accel, "inventory": str(inv_path), "image": img.name,
        "image_seconds": round(t_image, 1), **layer_report, **report,
    }, indent=2))


# --------------------------------------------------------------------------- layers
#
# A layer is a qcow2 overlay of the base image holding what the collection's
# own install code (playbooks/install.yml) put on a node of given inventory
# groups: scenario VMs boot from it instead of installing the same packages
# under emulation on every run. It is keyed by everything that went in.

COLLECTION = HERE.parents[1]
LAYER_VERSION = "2"  # bump when ensure_layers() changes what a layer holds
# The collection's files that decide what install.yml installs: the playbook,
# the roles' install tasks and their package lists.
LAYER_FILES = ("playbooks/install.yml", "roles/*/tasks/install.yml", "roles/*/vars/*.yml")
JINJA = re.compile(r"{{(.*?)}}", re.S)
NAME = re.compile(r"\b[a-z_][a-z0-9_]*\b")


ROLE_REF = re.compile(r"\bhacluster\.drbd\.([a-z_][a-z0-9_]*)\b")


IMPORT_PLAYBOOK = re.compile(r"^\s*(?:-\s+)?(?:ansible\.builtin\.)?import_playbook:\s*(\S+)\s*$", re.M)


def imported_playbooks(playbook: Path) -> list[Path]:
    """The playbooks `playbook` imports by relative path, transitively, but
    for the collection's own playbooks/ (install.yml's imports there, such as
    validate.yml, install nothing; install.yml itself is a LAYER_FILE)."""
    out: list[Path] = []
    todo = [playbook]
    while todo:
        current = todo.pop()
        for ref in IMPORT_PLAYBOOK.findall(current.read_text()):
            path = (current.parent / ref.strip("'\"")).resolve()
            if path.parent == (COLLECTION / "playbooks").resolve():
                continue
            if path.is_file() and path not in out and path != playbook:
                out.append(path)
                todo.append(path)
    return out


def layer_files(playbook: Path) -> list[Path]:
    """The files of LAYER_FILES that can decide what `playbook` installs: the
    install playbook, and the install tasks and package lists of the roles it
    names, and of the roles those install tasks name in turn; the playbooks it
    imports, with the roles they name. A new role's install tasks thus
    rebuild only the layers that install it."""
    roles: set[str] = set()
    playbooks = imported_playbooks(playbook)
    todo = set(ROLE_REF.findall("\n".join(p.read_text() for p in [playbook] + playbooks)))
    while todo:
        role = todo.pop()
        roles.add(role)
        install = COLLECTION / "roles" / role / "tasks" / "install.yml"
        if install.is_file():
            todo.update(set(ROLE_REF.findall(install.read_text())) - roles)
    out = list(playbooks)
    for path in sorted({p for pattern in LAYER_FILES for p in COLLECTION.glob(pattern) if p.is_file()}):
        parts = path.relative_to(COLLECTION).parts
        if parts[0] != "roles" or parts[1] in roles:
            out.append(path)
    return out


def layer_key(base_key: str, playbook: Path, groups: list[str], group_vars: Path | None,
              extra_repo: str = "") -> str:
    """Hash of what decides a layer's packages: the base image, the install
    playbook, the roles' install tasks and package lists, the node's groups,
    and the values (role defaults, then the node's group_vars) of every
    variable those files use, so that a changed timeout or secret in the same
    group_vars does not rebuild a layer, but a changed package choice does."""
    import yaml  # pylint: disable=import-outside-toplevel  # in the venv that runs the lab

    h = hashlib.sha256()
    for part in (LAYER_VERSION, base_key, playbook.name, playbook.read_text(), " ".join(sorted(groups))):
        h.update(part.encode() + b"\0")
    if extra_repo:
        h.update(b"extra-repo\0" + extra_repo.encode() + b"\0")
    names: set[str] = set()
    for path in layer_files(playbook):
        text = path.read_text()
        h.update(str(path.relative_to(COLLECTION)).encode() + b"\0" + text.encode() + b"\0")
        names.update(n for expr in JINJA.findall(text) for n in NAME.findall(expr))
    # Each variable's value as the node sees it: role default, then group_vars
    # of `all`, then of the node's groups (Ansible's order for sibling groups).
    values: dict = {}
    for path in sorted(COLLECTION.glob("roles/*/defaults/main.yml")):
        values.update((yaml.safe_load(path.read_text()) or {}).items())
    if group_vars:
        files = {p.name.split(".")[0]: p for p in group_vars.iterdir() if p.is_file()}
        for group in ["all"] + sorted(g for g in groups if g != "all"):
            if group in files:
                values.update((yaml.safe_load(files[group].read_text()) or {}).items())
    used = {k: v for k, v in values.items() if k in names}
    h.update(json.dumps(used, sort_keys=True).encode())
    return h.hexdigest()[:16]


def layers_root() -> Path:
    return CACHE / "layers"


def layer_ready(key: str) -> bool:
    return (layers_root() / key / "manifest.json").exists()


def ensure_layers(args, nodes: list[str], img: Path, accel: str) -> tuple[dict[str, Path], dict]:
    """Each node's layer, built first where missing: boot the nodes from the
    base image, run the install playbook against them, shut them down cleanly
    and keep one root disk per distinct key."""
    playbook = Path(args.layer_playbook).resolve()
    group_vars = Path(args.layer_group_vars).resolve() if args.layer_group_vars else None
    groups = node_groups(args, nodes)
    # A node in no inventory group gets nothing from the install playbook (a
    # bench's client, say): it boots from the base image and builds nothing.
    layered = [n for n in nodes if groups[n]]
    extra = extra_repo_image(img, Path(args.extra_repo)).parent.name if args.extra_repo else ""
    keys = {n: layer_key(img.name, playbook, groups[n], group_vars, extra) for n in layered}
    missing = sorted({k for k in keys.values() if not layer_ready(k)})
    report = {"layers": keys, "layers_built": missing}
    if missing:
        started = time.monotonic()
        build_layers(args, layered, img, accel, keys, missing, playbook, group_vars, groups)
        report["layer_build_seconds"] = round(time.monotonic() - started, 1)
    for key in set(keys.values()):
        os.utime(layers_root() / key / "manifest.json")  # recently used: pruned last
    prune_layers(set(keys.values()))
    return {n: layers_root() / k / "root.qcow2" for n, k in keys.items()}, report


def build_layers(args, nodes, img, accel, keys, missing, playbook, group_vars, groups) -> None:
    d = lab_dir(args.name)
    inv_dir = d / "layer-inventory"
    log(f"building disk layers {', '.join(missing)} with {playbook.name} (cached afterwards)")
    boot(args, nodes, img, accel, inv_dir / "hosts.yml", {}, None)
    try:
        if group_vars:
            shutil.copytree(group_vars, inv_dir / "group_vars")
        ansible = Path(sys.executable).parent / "ansible-playbook"
        argv = [str(ansible) if ansible.exists() else "ansible-playbook", "-i", str(inv_dir), str(playbook)]
        log_path = d / "layer-install.log"
        with open(log_path, "w") as out:
            rc = subprocess.call(argv, stdout=out, stderr=subprocess.STDOUT,
                                 env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))
        if rc != 0:
            raise LabError(f"{playbook.name} failed while building a layer (rc={rc}); "
                           f"last lines:\n{log_path.read_text()[-4000:]}")
        state = load_state(args.name)
        kernels = {key: layer_kernel(state, next(n for n in nodes if keys[n] == key), img) for key in missing}
        # A layer must look like a node that was never booted: a new machine
        # id on each VM's first boot, no journal of the build.
        for node in nodes:
            subprocess.run(ssh_base(state, node) + [
                "journalctl --rotate --vacuum-time=1s >/dev/null 2>&1; : > /etc/machine-id; "
                "rm -f /var/lib/dbus/machine-id; systemctl poweroff"], capture_output=True, timeout=60, check=False)
        deadline = time.monotonic() + 180
        for node in nodes:
            while read_pid(d / f"{node}.pid") and time.monotonic() < deadline:
                time.sleep(0.5)
            if read_pid(d / f"{node}.pid"):
                raise LabError(f"{node} did not power off within 180 s; no layer kept")
        for key in missing:
            node = next(n for n in nodes if keys[n] == key)
            layers_root().mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=f".build-{key}-", dir=layers_root()))
            shutil.move(str(d / f"{node}.qcow2"), work / "root.qcow2")
            for name, data in kernels[key][1].items():
                (work / name).write_bytes(data)
            (work / "manifest.json").write_text(json.dumps({
                "key": key, "base": img.name, "groups": groups[node], "playbook": playbook.name,
                "group_vars": str(group_vars) if group_vars else None, "lab": args.name,
                "mib": round((work / "root.qcow2").stat().st_size / 2**20),
                "kernel": kernels[key][0],
                "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }, indent=2) + "\n")
            final = layers_root() / key
            if final.exists():
                shutil.rmtree(final)
            work.rename(final)
            log(f"layer {key} kept ({', '.join(groups[node])})")
    finally:
        teardown(args.name)


def layer_kernel(state: dict, node: str, img: Path) -> tuple[str | None, dict[str, bytes]]:
    """The release, kernel and initrd a layer's node boots by default (what
    /vmlinuz and /initrd.img name), read from the running node, when that is
    not the base image's kernel (installed_kernel.yml makes it so): QEMU then
    starts the layer's VMs with them, and they need no second start through
    kexec. (None, {}) when the default is the base image's kernel."""
    base = image_kernel(img)
    found = subprocess.run(ssh_base(state, node) + ["readlink -e /vmlinuz /initrd.img"], capture_output=True,
                           text=True, timeout=60, check=False).stdout.split()
    if len(found) != 2 or found[0] == f"/boot/vmlinuz-{base}":
        return None, {}
    files = {}
    for name, path in zip(("vmlinuz", "initrd.img"), found):
        proc = subprocess.run(ssh_base(state, node) + [f"cat {path}"], capture_output=True, timeout=120, check=False)
        if proc.returncode != 0 or not proc.stdout:
            raise LabError(f"could not copy {path} out of {node} for its layer")
        files[name] = proc.stdout
    return found[0].removeprefix("/boot/vmlinuz-"), files


# Layers kept besides the ones a lab uses, most recently used first. A full
# `make test` uses one layer per node group of every scenario (five with four
# scenarios); keeping fewer than that lets each run's scenarios push out the
# layers the next run needs first (least recently used, in a cycle), so that
# every run built one or two layers cold, about seven minutes each.
SPARE_LAYERS = 8


def prune_layers(keep: set[str], spare: int = SPARE_LAYERS) -> None:
    """Drop layers of base images that are gone, and all but the `spare` most
    recently used of the others (each holds 150-300 MB)."""
    root = layers_root()
    if not root.is_dir():
        return
    others = []
    for d in root.iterdir():
        if not d.is_dir() or d.name in keep:
            continue
        if d.name.startswith(".build-"):
            if time.time() - d.stat().st_mtime > 3600:
                shutil.rmtree(d, ignore_errors=True)
            continue
        try:
            manifest = json.loads((d / "manifest.json").read_text())
        except (OSError, ValueError):
            shutil.rmtree(d, ignore_errors=True)
            continue
        if not image_ready(CACHE / "images" / manifest.get("base", "")):
            shutil.rmtree(d, ignore_errors=True)
            continue
        others.append(d)
    others.sort(key=lambda d: (d / "manifest.json").stat().st_mtime, reverse=True)
    for d in others[spare:]:
        shutil.rmtree(d, ignore_errors=True)


def teardown(name: str) -> dict:
    d = RUN / name
    report = {"name": name, "vms_killed": 0}
    if not d.exists():
        return report
    for pidfile in d.glob("*.pid"):
        if pidfile.name.endswith(".vde.pid") or pidfile.name == "fenced.pid":
            continue
        if kill_vm(d, pidfile.stem, grace=0):
            report["vms_killed"] += 1
    for pidfile in list(d.glob("*.vde.pid")) + [d / "fenced.pid"]:
        pid = read_pid(pidfile)
        if pid:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError, json.JSONDecodeError, KeyError):
        inv = json.loads((d / "lab.json").read_text()).get("inventory")
        if inv and not Path(inv).is_relative_to(d):
            Path(inv).unlink(missing_ok=True)
    shutil.rmtree(d, ignore_errors=True)
    return report


def stray_qemus(name: str | None = None) -> list[int]:
    """QEMU processes of ours (by the -name marker), e.g. after a crashed run."""
    prefix = f"{MARKER}-{name}-" if name else f"{MARKER}-"
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"qemu-system-x86_64") and any(a.startswith(prefix.encode()) for a in cmd):
            pids.append(int(proc.name))
    return pids


def cmd_down(args) -> None:
    t0 = time.monotonic()
    names = [p.name for p in RUN.iterdir() if p.is_dir()] if (args.all and RUN.exists()) else []
    if not args.all:
        names = [args.name]
    reports = [teardown(n) for n in names]
    strays = stray_qemus(None if args.all else args.name)
    for pid in strays:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if args.all and RUN.exists() and not any(RUN.iterdir()):
        RUN.rmdir()
    print(json.dumps({"labs": reports, "stray_qemu_killed": len(strays),
                      "seconds": round(time.monotonic() - t0, 2)}))


def cmd_status(args) -> None:
    state = load_state(args.name)
    d = Path(state["dir"])
    out = {"name": args.name, "accel": state["accel"], "inventory": state["inventory"], "nodes": {}}
    for node, vm in state["nodes"].items():
        pid = read_pid(d / f"{node}.pid")
        entry = {"power": "on" if pid else "off", "ssh_port": vm["ssh_port"]}
        if pid:
            with contextlib.suppress(LabError, OSError):
                entry["run_state"] = qmp(d, node, "query-status").get("status")
        out["nodes"][node] = entry
    print(json.dumps(out, indent=2))


def cmd_ssh(args) -> int:
    state = load_state(args.name)
    if args.node not in state["nodes"]:
        raise LabError(f"no VM {args.node} in lab {args.name}")
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    return subprocess.call(ssh_base(state, args.node) + cmd)


def cmd_fault(args) -> None:
    state = load_state(args.name)
    d = Path(state["dir"])
    node = args.node
    if node not in state["nodes"]:
        raise LabError(f"no VM {node} in lab {args.name}")
    action = args.action
    if action in ("cut", "restore"):
        names = [n for n, dummy in NETWORKS[: state["networks"]]]
        if args.net not in names:
            raise LabError(f"--net must be one of {', '.join(names)}")
        nic = f"nic{names.index(args.net) + 1}"
        qmp(d, node, "set_link", {"name": nic, "up": action == "restore"})
    elif action == "poweroff":
        if not kill_vm(d, node):
            raise LabError(f"{node} is not running")
    elif action == "hang":
        qmp(d, node, "stop")
    elif action == "resume":
        qmp(d, node, "cont")
    elif action == "reboot":
        qmp(d, node, "system_reset")
    elif action == "start":
        start_vm(state, node)
        if args.wait:
            wait_ssh(state, [node], args.timeout)
    print(json.dumps({"node": node, "action": action, "net": args.net, "time": time.time()}))


def cmd_wait(args) -> None:
    state = load_state(args.name)
    nodes = args.node or list(state["nodes"])
    print(json.dumps({"ready_seconds": wait_ssh(state, nodes, args.timeout)}))


POWER_REQUESTS = ("reboot", "off", "on")


def is_power_action(entry: dict) -> bool:
    """A fencing request that switched a VM off, on or power-cycled it (not
    the agents' `list` and `status` queries)."""
    words = entry.get("request", "").split()
    return bool(words) and words[0] in POWER_REQUESTS


def cmd_fence_log(args) -> None:
    path = lab_dir(args.name) / "fence.log"
    lines = [line for line in (path.read_text().splitlines() if path.exists() else []) if line][args.since:]
    if args.power:
        lines = [line for line in lines if is_power_action(json.loads(line))]
    sys.stdout.write("".join(line + "\n" for line in lines))


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def use_every_cpu() -> None:
    """Let this process, and so every VM and daemon it starts, run on every
    CPU the machine gives us. Whoever started lab.py may have pinned it to one:
    Mitogen's strategy pins Ansible's worker processes, and a VM started from
    a Molecule create step inherited that, so all VMs of a lab shared one core
    of two (boots took 140-160 s instead of about 30)."""
    try:
        os.sched_setaffinity(0, range(os.cpu_count() or 1))
    except (AttributeError, OSError, ValueError):
        pass  # not Linux, or a cpuset that does not allow every CPU: keep what we have


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="lab.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("image", help="build or reuse the cached base image")
    s.add_argument("--rebuild", action="store_true")
    s.add_argument("--prune", action="store_true", help="delete images of other recipes")
    s = sub.add_parser("up", help="boot a lab")
    s.add_argument("--name", required=True)
    s.add_argument("--node", action="append", help="VM name (repeat); default node1..nodeN")
    s.add_argument("--vms", type=int, default=2)
    s.add_argument("--disks", type=int, default=1, help="data disks per VM")
    s.add_argument("--disk-size", default="1G")
    s.add_argument("--networks", type=int, default=3, help="private networks (0-3)")
    s.add_argument("--memory", type=int, default=int(os.environ.get("HACLUSTER_LAB_MEMORY", "768")))
    s.add_argument("--cpus", type=int, default=1)
    s.add_argument("--group", action="append", help="inventory group holding every VM (repeat)")
    s.add_argument("--node-group", action="append", metavar="NODE=GROUP[,GROUP]",
                   help="inventory groups of one VM (repeat)")
    s.add_argument("--layer-playbook", help="boot each VM from a cached disk layer made by this install "
                   "playbook for the VM's groups (built first when missing)")
    s.add_argument("--layer-group-vars", help="group_vars directory the install playbook runs with")
    s.add_argument("--extra-repo", help="package list (one per line) offered from a second offline repository, "
                   "built once per list and base image")
    s.add_argument("--inventory", help="where to write the YAML inventory")
    s.add_argument("--instance-config", help="also write a Molecule instance config here")
    s.add_argument("--timeout", type=float, default=600, help="seconds to wait for ssh")
    s = sub.add_parser("down", help="tear a lab down")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--name")
    g.add_argument("--all", action="store_true")
    s = sub.add_parser("status")
    s.add_argument("--name", required=True)
    s = sub.add_parser("ssh")
    s.add_argument("--name", required=True)
    s.add_argument("node")
    s.add_argument("command", nargs=argparse.REMAINDER)
    s = sub.add_parser("fault", help="inject a fault")
    s.add_argument("--name", required=True)
    s.add_argument("action", choices=["poweroff", "hang", "resume", "cut", "restore", "reboot", "start"])
    s.add_argument("node")
    s.add_argument("--net", help="network for cut/restore: public, drbd or back")
    s.add_argument("--wait", action="store_true", help="start: wait for ssh")
    s.add_argument("--timeout", type=float, default=600)
    s = sub.add_parser("wait", help="wait until VMs answer on ssh")
    s.add_argument("--name", required=True)
    s.add_argument("node", nargs="*")
    s.add_argument("--timeout", type=float, default=600)
    s = sub.add_parser("fence-log")
    s.add_argument("--name", required=True)
    s.add_argument("--since", type=int, default=0, metavar="N", help="leave out the first N entries")
    s.add_argument("--power", action="store_true", help="only the requests that switched a VM off, on or reset it")
    s = sub.add_parser("_fenced")
    s.add_argument("--name", required=True)
    args = p.parse_args(argv)
    use_every_cpu()
    if args.cmd != "_fenced":
        # A killed run (CI time-out, Ctrl-C in a parent) must still tear down
        # what it started: treat SIGTERM like Ctrl-C.
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        handlers = {
            "image": cmd_image, "up": cmd_up, "down": cmd_down, "status": cmd_status, "ssh": cmd_ssh,
            "fault": cmd_fault, "wait": cmd_wait, "fence-log": cmd_fence_log,
            "_fenced": lambda parsed: fenced(parsed.name),
        }
        # Only ssh has an exit code of its own (the remote command's).
        return handlers[args.cmd](args) or 0
    except LabError as exc:
        log(str(exc))
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
