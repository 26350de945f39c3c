#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: drbd_resource
short_description: Configure one DRBD resource and bring it up or down
version_added: 0.1.0
description:
  - Renders the configuration of one DRBD resource for the DRBD release that runs on the host (0.7, 8.0-8.3, 8.4
    or 9), has the host's own C(drbdadm) check it, and only then puts it in place.
  - Options are given once, in their logical place, and are written where the release expects them, for example
    C(rate) in O(syncer) becomes C(disk { resync-rate }) on 8.4 and 9. An option the release does not have is an error,
    never dropped.
  - With O(state=up), creates DRBD meta data when there is none, but only on positive evidence that the backing
    device holds nothing (no DRBD meta data of any format, no file system, partition table or other signature, and
    C(drbdmeta) itself finding no data). Anything else is refused unless O(discard_existing_data=true).
  - On DRBD 0.7 and 8.0-8.3.6 the whole configuration lives in one C(drbd.conf); the module then edits only the
    C(resource NAME { }) block of this resource and keeps the rest of the file byte for byte. From 8.3.7 on it
    writes C(drbd.d/NAME.res) and, when missing, the stock C(drbd.conf) and C(drbd.d/global_common.conf).
  - Waiting for the connection or the initial resync, and promotion, are not part of this module.
author:
  - hacluster.drbd contributors (@hacluster)
requirements:
  - C(drbdadm) of the release that runs on the host; with drbd-utils 8.9 or later, C(drbdadm-84) or C(drbdadm-83) in
    C(/usr/lib/drbd) or C(/lib/drbd) for 8.4 and 8.3 resources
  - C(drbdmeta) (DRBD 8.0 and later), C(blkid) and C(wipefs) (util-linux 2.17 or later) for O(state=up)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Runs only read-only commands (C(drbdadm dump), C(drbdadm -d adjust), C(drbdmeta dump-md), C(blkid -p),
        C(wipefs --no-act)); scratch files for C(drbdadm dump) go to Ansible's temporary directory.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - The shared secret is shown as C(********).
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  name:
    description:
      - Name of the resource. Also the file name C(drbd.d/NAME.res).
    type: str
    required: true
  state:
    description:
      - V(present) writes the configuration only.
      - V(up) also creates meta data when needed, and brings the resource up (attach and connect); when it is up
        already, runs C(drbdadm adjust) if C(drbdadm -d adjust) shows that the kernel differs from the configuration.
      - V(down) takes the resource down; the configuration stays.
      - V(absent) takes the resource down and removes its configuration. Meta data on the disks is never touched.
    type: str
    choices: [present, up, down, absent]
    default: present
  hosts:
    description:
      - The nodes of the resource. Each node finds its own entry by its C(uname -n), as DRBD does.
      - Exactly two for DRBD 0.7 and 8.x; DRBD 9 resources with more than two get a C(connection-mesh).
      - Required for O(state=present) and O(state=up). For O(state=down) and O(state=absent) the minor is read from
        the live configuration when O(hosts) is not given.
    type: list
    elements: dict
    suboptions:
      name:
        description: Host name exactly as C(uname -n) prints it on that node.
        type: str
        required: true
      address:
        description: Replication IP address of the node (IPv4, or IPv6 for DRBD 8.x and 9). Host names are not accepted.
        type: str
        required: true
      port:
        description: TCP port of the resource on that node.
        type: int
        required: true
      disk:
        description:
          - Backing block device. V(none) makes a diskless node (DRBD 9 only).
        type: str
        required: true
      device:
        description:
          - DRBD device, V(/dev/drbdN). Other names need O(hosts[].minor) as well (DRBD 8.3.1 and later).
        type: str
      minor:
        description:
          - Minor number of the DRBD device. Written as C(device minor N) on 8.4 and 9, as C(/dev/drbdN) before.
        type: int
      node_id:
        description:
          - DRBD 9 node id (0-31). Give it for every host or for none; more than two hosts need it.
        type: int
      meta_disk:
        description:
          - V(internal), an external device (V(/dev/sdc1), flexible size) or an indexed external device
            (V(/dev/sdc1[0])). DRBD 0.7 needs the index for external meta data.
        type: str
        default: internal
  protocol:
    description:
      - Replication protocol. Written at resource level for 0.7 and 8.x, in C(net) for 8.4 and 9.
      - Required by DRBD 0.7 and 8.0-8.3.
    type: str
    choices: [A, B, C]
  net:
    description:
      - C(net { }) options, DRBD names (V(after-sb-0pri)) or with underscores (V(after_sb_0pri)).
      - Booleans are written as bare flags (V(allow-two-primaries;)) before 8.4 and as V(yes)/V(no) from 8.4 on.
      - V(verify-alg), V(csums-alg), V(use-rle) and V(fencing) may be given here or in their older place and are
        moved as the release requires. V(discard-my-data) is refused.
    type: dict
  disk:
    description:
      - C(disk { }) options. V(resync-rate), V(resync-after), V(al-extents) and the V(c-*) options may be given here
        or in O(syncer).
    type: dict
  startup:
    description:
      - C(startup { }) options. V(become-primary-on) is refused for DRBD 9, which ignores it (use O(options)
        C(auto-promote)).
    type: dict
  syncer:
    description:
      - C(syncer { }) options of DRBD 0.7 and 8.x. On 8.4 and 9 V(rate), V(after), V(al-extents) and V(c-*) go to
        C(disk), V(verify-alg), V(csums-alg) and V(use-rle) to C(net), V(cpu-mask) and V(on-no-data-accessible) to
        C(options); other syncer options are refused there.
    type: dict
  handlers:
    description:
      - C(handlers { }) (shell commands, always quoted). DRBD 0.7 only knows V(pri-on-incon-degr), which is written
        as its resource-level C(incon-degr-cmd).
    type: dict
  options:
    description:
      - Resource options (C(options { })), DRBD 8.4 and later, for example V(auto-promote) or V(quorum) (DRBD 9).
    type: dict
  shared_secret:
    description:
      - Peer authentication secret (at most 64 characters). Needs O(net) C(cram-hmac-alg). Files holding it are made
        readable by root only, and diffs show C(********).
    type: str
  dialect:
    description:
      - Configuration dialect. V(auto) takes the release of the loaded kernel module (from C(/proc/drbd)); it fails
        when no module is loaded, because a guess could write meta data of the wrong format.
      - V(8.3) covers DRBD 8.0 to 8.3.
    type: str
    choices: [auto, '0.7', '8.3', '8.4', '9']
    default: auto
  config_dir:
    description:
      - Directory holding C(drbd.conf) and C(drbd.d). Every drbdadm call gets C(-c CONFIG_DIR/drbd.conf).
    type: path
    default: /etc
  discard_existing_data:
    description:
      - When creating meta data would destroy something (a file system, partition table, LVM or other signature,
        DRBD meta data of another format, or data C(drbdmeta) does not recognise), erase the signatures with
        C(wipefs --all) and force C(create-md). What was destroyed is returned in RV(destroyed).
      - Without this option such a device is refused. Existing valid meta data of the right format is always kept.
    type: bool
    default: false
notes:
  - Every node must be given the same O(hosts) and options; the rendered file is identical on all of them.
  - DRBD 0.7 has no C(drbdmeta). There the module reads the 0.7 meta data block itself (the last 128 MiB of the
    device, or slot N of an indexed device) and lets C(drbdadm up) create it.
"""

EXAMPLES = r"""
- name: Write the configuration of r0 for whatever DRBD runs here
  hacluster.drbd.drbd_resource:
    name: r0
    state: present
    protocol: C
    hosts:
      - {name: alpha, address: 192.0.2.11, port: 7788, disk: /dev/vdb, device: /dev/drbd0}
      - {name: beta, address: 192.0.2.12, port: 7788, disk: /dev/vdb, device: /dev/drbd0}
    net:
      cram-hmac-alg: sha1
      after-sb-0pri: discard-zero-changes
    disk:
      fencing: resource-only
    syncer:
      rate: 40M
    shared_secret: "{{ drbd_r0_secret }}"

- name: Bring r0 up on an 8.4 kernel, creating meta data on blank disks only
  hacluster.drbd.drbd_resource:
    name: r0
    state: up
    dialect: "8.4"
    protocol: C
    hosts:
      - {name: alpha, address: 192.0.2.11, port: 7788, disk: /dev/vdb, minor: 0}
      - {name: beta, address: 192.0.2.12, port: 7788, disk: /dev/vdb, minor: 0}

- name: A three-node DRBD 9 resource with quorum
  hacluster.drbd.drbd_resource:
    name: data
    state: up
    dialect: "9"
    hosts:
      - {name: n1, address: 192.0.2.21, port: 7000, disk: /dev/vg0/data, minor: 10, node_id: 0}
      - {name: n2, address: 192.0.2.22, port: 7000, disk: /dev/vg0/data, minor: 10, node_id: 1}
      - {name: n3, address: 192.0.2.23, port: 7000, disk: /dev/vg0/data, minor: 10, node_id: 2}
    options:
      quorum: majority
      on-no-quorum: io-error
    net:
      fencing: resource-only

- name: Take r0 down and remove its configuration (meta data stays)
  hacluster.drbd.drbd_resource:
    name: r0
    state: absent
"""

RETURN = r"""
dialect:
  description: Configuration dialect used.
  returned: always
  type: str
  sample: "8.4"
config_files:
  description: Configuration files that hold this resource, or held it for O(state=absent).
  returned: always
  type: list
  elements: str
  sample: [/etc/drbd.conf, /etc/drbd.d/global_common.conf, /etc/drbd.d/r0.res]
commands:
  description:
    - Commands that change state, as shell text, that were run (or would run in check mode). Read-only probes and
      file writes are not listed.
  returned: always
  type: list
  elements: str
  sample: ["/usr/lib/drbd/drbdadm-84 -c /etc/drbd.conf create-md r0", "/usr/lib/drbd/drbdadm-84 -c /etc/drbd.conf up r0"]
adjust_plan:
  description: What C(drbdadm -d adjust) said it would do, when the resource was up already.
  returned: when O(state=up) and the resource was up
  type: list
  elements: str
  sample: ["drbdsetup-84 net-options r0 ipv4:192.0.2.11:7788 ipv4:192.0.2.12:7788 --max-buffers=8000"]
destroyed:
  description: What existing data was overwritten because O(discard_existing_data=true).
  returned: when something was (or in check mode would be) destroyed
  type: list
  elements: dict
  contains:
    device:
      description: The device that was overwritten.
      type: str
    signatures:
      description: What was found there (file systems, partition tables, meta data or unrecognised data).
      type: list
      elements: str
  sample: [{device: /dev/vdb, signatures: ["ext4 at 0x438 (UUID 40a6999d-45fa-42fa-a7ed-2d9bcc128bdc)"]}]
status:
  description:
    - State of the resource after the run, in the shape of the collection's other DRBD modules
      (C(exists), C(role), C(disk), C(cstate), C(connection), C(volumes), C(peers), ...). C(exists) is false when the
      resource is not configured in the kernel.
  returned: always
  type: dict
  sample: {exists: true, role: Secondary, disk: Inconsistent, cstate: WFConnection, minor: 0}
commands_run:
  description:
    - Every command the module ran, read-only probes included, as shell text with secrets masked (the collection's
      one command runner keeps them).
  returned: always
  type: list
  elements: str
  sample: ["drbdadm --version", "drbdadm sh-resources"]
"""

import errno
import glob
import os
import shlex
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hacluster.drbd.plugins.module_utils import drbd_config as cfg
from ansible_collections.hacluster.drbd.plugins.module_utils import model
from ansible_collections.hacluster.drbd.plugins.module_utils.blockdev import (
    ProbeError,
    device_size,
    probe_signatures,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.drbd import (
    detect_versions,
    jsonable,
    read_proc_drbd,
    run_drbd,
    state_from_proc,
    state_from_status,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.drbd_status import (
    DrbdParseError,
    parse_drbdsetup_json,
    parse_proc_drbd,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.runner import runner_for

# drbdadm reads these before drbd.conf; a stray one silently wins.
_SHADOWING_FILES = ("drbd-90.conf", "drbd-84.conf", "drbd-83.conf", "drbd-82.conf", "drbd-08.conf", "drbd-07.conf")

# DRBD 0.7 internal meta data: a fixed 128 MiB at the end of the device (or
# slot N of an indexed external device), the magic at byte 28 of the block,
# big endian (drbd 0.7.20 drbd_int.h drbd_md_ss(), DRBD_MD_MAGIC = DRBD_MAGIC+3).
V07_MD_BYTES = 128 << 20
V07_MAGIC = (0x83740267 + 3).to_bytes(4, "big")
V07_MAGIC_OFFSET = 28

_NO_MD = "No valid meta data found"


def tool_exists(path):
    """Whether a versioned drbdadm (drbdadm-84, drbdadm-83) is installed."""
    return os.path.exists(path)


class Refusal(Exception):
    """A data-safety refusal: fail with this text, and change nothing."""


def _join(argv):
    return shlex.join([str(a) for a in argv])


def _version(text):
    parts = []
    for piece in (text or "").split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)


def expected_no_md_rc(utils):
    """Exit code of drbdmeta for "No valid meta data found".

    drbdmeta returns -1 (exit 255) there, except that drbd-utils 9.4.0
    (commit 3d5e3658) normalised every failure to 1 and 9.32.0 (commit
    446c7418) reverted that. An unknown release accepts either, together
    with the message.
    """
    if not utils:
        return (1, 255)
    version = _version(utils)
    if (9, 4, 0) <= version < (9, 32, 0):
        return (1,)
    return (255,)


def classify_md_probe(rc, out, err, utils):
    """Read one `drbdmeta ... dump-md`: "present", "absent" or None (could not tell)."""
    if rc == 0 and out.lstrip().startswith("# DRBD meta data dump"):
        return "present"
    lines = [line.strip() for line in (err or "").splitlines() if line.strip()]
    # drbdmeta warns about BLKSSZGET on devices that do not answer it; that
    # line does not change the verdict.
    lines = [line for line in lines if not line.startswith("ioctl(md_fd, BLKSSZGET)")]
    if rc in expected_no_md_rc(utils) and lines == [_NO_MD]:
        return "absent"
    return None


def probe_v07(path, meta):
    """Look for DRBD 0.7 meta data. Returns {"present": bool, "area_zero": bool}."""
    size = device_size(path)
    if meta["kind"] == "internal":
        offset = (size & ~4095) - V07_MD_BYTES
    else:
        offset = V07_MD_BYTES * (meta["index"] or 0)
    if offset < 0 or offset + V07_MD_BYTES > size:
        raise OSError(errno.ENOSPC, "device too small for DRBD 0.7 meta data (128 MiB)", path)
    with open(path, "rb") as handle:
        handle.seek(offset)
        head = handle.read(4096)
        present = head[V07_MAGIC_OFFSET:V07_MAGIC_OFFSET + 4] == V07_MAGIC
        zero = True
        if not present:
            handle.seek(offset)
            left = V07_MD_BYTES
            while left and zero:
                chunk = handle.read(min(left, 1 << 20))
                if not chunk:
                    break
                zero = not chunk.strip(b"\0")
                left -= len(chunk)
    return {"present": present, "area_zero": zero and not present}


class DrbdResource(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = module.params["name"]
        self.state = module.params["state"]
        self.check = module.check_mode
        self.config_dir = module.params["config_dir"]
        self.conf_path = os.path.join(self.config_dir, "drbd.conf")
        self.ddir = os.path.join(self.config_dir, "drbd.d")
        self.res_path = os.path.join(self.ddir, self.name + ".res")
        self.gc_path = os.path.join(self.ddir, "global_common.conf")
        self.commands = []
        self.diffs = []
        self.destroyed = []
        self.changed = False
        # Filled in by resolve_versions(), render() and validate().
        self.versions = {}
        self.dialect = None
        self.prefix = None
        self.hosts = []
        self.block = None
        self.layout = None
        self.gc_text = None
        self.global_text = None
        self.scratch = None
        self.scratch_main = None
        self.adjust_conf = self.conf_path
        # The secret joins the runner's masks before anything runs: drbdsetup echoes it on failure.
        self.runner = runner_for(module, secrets=[module.params.get("shared_secret")])
        self.result = {"changed": False, "commands": self.commands, "config_files": [],
                       "commands_run": self.runner.ran}

    # -- helpers ---------------------------------------------------------
    def fail(self, msg, **extra):
        self.cleanup()
        result = dict(self.result)
        result.update(extra)
        result["changed"] = self.changed
        self.module.fail_json(msg=self.mask(msg), **result)

    def mask(self, text):
        return self.runner.mask(text)

    def bin(self, name):
        path = self.module.get_bin_path(name)
        if path is None:
            self.fail("%s was not found on this host" % name)
        return path

    def run(self, argv, data=None):
        rc, out, err = run_drbd(self.module, argv, check=False, data=data)
        return rc, out, err

    def run_change(self, argv, data=None, what=None):
        """Run a command that changes state; fail with its first stderr line."""
        self.commands.append(_join(argv))
        rc, out, err = self.run(argv, data=data)
        if rc != 0:
            self.changed = True
            first = next((line.strip() for line in (err or out).splitlines() if line.strip()), "no output")
            self.fail("%s failed (rc=%d): %s%s" % (_join(argv), rc, first, (". " + what) if what else ""),
                      cmd=_join(argv), rc=rc, stdout=self.mask(out), stderr=self.mask(err))
        self.changed = True
        return rc, out, err

    def drbdadm(self, *args, **kwargs):
        conf = kwargs.get("conf", self.conf_path)
        return self.prefix + ["-c", conf] + list(args)

    def cleanup(self):
        if self.scratch and os.path.exists(self.scratch):
            if os.path.isdir(self.scratch):
                shutil.rmtree(self.scratch, ignore_errors=True)
            else:
                os.unlink(self.scratch)
        self.scratch = None

    # -- what runs here --------------------------------------------------
    def resolve_versions(self):
        self.versions = detect_versions(self.module)
        wanted = self.params["dialect"]
        kernel = self.versions.get("kernel")
        kernel_dialect = self.versions.get("dialect") if kernel else None
        if wanted == "auto":
            if kernel_dialect is None and self.state in ("present", "up"):
                self.fail("dialect=auto needs a loaded DRBD kernel module to tell the release (no /proc/drbd); "
                          "load it (modprobe drbd) or set dialect to 0.7, 8.3, 8.4 or 9")
            self.dialect = kernel_dialect
        else:
            self.dialect = wanted
            if kernel_dialect and kernel_dialect != wanted:
                msg = ("dialect %s was asked for, but the loaded DRBD kernel module is %s (dialect %s)"
                       % (wanted, kernel, kernel_dialect))
                if self.state == "present":
                    self.module.warn(msg + "; the configuration is written for %s as asked" % wanted)
                else:
                    self.fail(msg + "; set dialect to %s or load the matching module" % kernel_dialect)
        self.result["dialect"] = self.dialect
        if self.state == "up" and kernel and not self.versions.get("compatible"):
            self.fail("the DRBD userland cannot drive the loaded kernel module: %s" % self.versions.get("problem"))
        self.prefix = None
        if self.dialect is not None:
            try:
                prefix = cfg.drbdadm_argv(self.dialect, self.versions.get("utils"), tool_exists)
            except cfg.DrbdConfigError as exc:
                if self.check and self.state == "present":
                    self.module.warn("%s; the configuration could not be checked by drbdadm" % exc)
                    prefix = None
                elif self.state in ("down", "absent") and not kernel:
                    prefix = None
                else:
                    self.fail(str(exc))
            if prefix == ["drbdadm"]:
                prefix = [self.bin("drbdadm")]
            self.prefix = prefix
        for name in _SHADOWING_FILES:
            path = os.path.join(self.config_dir, name)
            if os.path.exists(path):
                self.module.warn("%s exists; drbdadm without -c reads it instead of %s" % (path, self.conf_path))

    # -- configuration ---------------------------------------------------
    def wanted_resource(self):
        return {
            "name": self.name,
            "hosts": [dict((k, v) for k, v in h.items() if v is not None) for h in (self.params["hosts"] or [])],
            "protocol": self.params["protocol"],
            "net": self.params["net"], "disk": self.params["disk"], "startup": self.params["startup"],
            "syncer": self.params["syncer"], "handlers": self.params["handlers"], "options": self.params["options"],
        }

    def render(self):
        try:
            self.hosts = cfg.normalize_hosts(self.wanted_resource()["hosts"], self.dialect)
            self.block = cfg.render_resource(self.wanted_resource(), self.dialect, self.params["shared_secret"])
            self.layout = cfg.layout_for(self.dialect, self.versions.get("utils"))
            self.gc_text = cfg.render_global_common(self.dialect) if self.layout == "split" else None
            self.global_text = cfg.render_global(self.dialect)
        except cfg.DrbdConfigError as exc:
            self.fail("invalid DRBD %s configuration for resource %s: %s" % (self.dialect, self.name, exc))

    @staticmethod
    def read(path):
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except (IOError, OSError) as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise

    def read_or_fail(self, path):
        try:
            return self.read(path)
        except (IOError, OSError, UnicodeDecodeError) as exc:
            self.fail("cannot read %s: %s" % (path, exc))

    def choose_layout(self, live_conf):
        """Split layout unless drbd.conf is a self-contained file without includes."""
        if self.layout != "split" or live_conf is None:
            return self.layout
        try:
            if cfg.include_covers(live_conf, self.config_dir, self.res_path):
                return "split"
            if cfg.includes_of(live_conf):
                self.fail("%s has include statements, but none of them reads %s; include drbd.d/*.res there "
                          "or move this resource into a file that is included" % (self.conf_path, self.res_path))
        except cfg.DrbdConfigError as exc:
            self.fail("cannot read the structure of %s: %s" % (self.conf_path, exc))
        self.module.warn("%s holds the whole configuration (no include statements), so resource %s is kept "
                         "in it rather than in %s" % (self.conf_path, self.name, self.res_path))
        return "single"

    @staticmethod
    def wanted_mode(text, current_mode):
        # Only ever tighten: a file holding a secret becomes root-only; other
        # files keep whatever mode the administrator gave them.
        if "shared-secret" in text:
            if current_mode is None or current_mode & 0o077:
                return 0o600
            return current_mode
        return current_mode if current_mode is not None else 0o644

    @staticmethod
    def mode_of(path):
        try:
            return stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            return None

    def plan_files(self):
        """Return a list of {path, before, after, mode_before, mode} for the wanted configuration."""
        live_conf = self.read_or_fail(self.conf_path)
        self.layout = self.choose_layout(live_conf)
        files = []
        if self.layout == "split":
            files.append({"path": self.conf_path, "before": live_conf,
                          "after": live_conf if live_conf is not None else cfg.STOCK_DRBD_CONF})
            live_gc = self.read_or_fail(self.gc_path)
            files.append({"path": self.gc_path, "before": live_gc,
                          "after": live_gc if live_gc is not None else self.gc_text})
            files.append({"path": self.res_path, "before": self.read_or_fail(self.res_path), "after": self.block})
            if live_conf is not None:
                try:
                    in_conf = [s for s in cfg.split_top_level(live_conf)
                               if s["kind"] == "resource" and s["name"] == self.name]
                except cfg.DrbdConfigError as exc:
                    self.fail("cannot read the structure of %s: %s" % (self.conf_path, exc))
                if in_conf:
                    self.fail("resource %s is also defined inside %s; remove it there first, two definitions "
                              "make drbdadm refuse the configuration" % (self.name, self.conf_path))
        else:
            base = live_conf if live_conf is not None else self.global_text
            try:
                after = cfg.replace_resource_block(base, self.name, self.block)
            except cfg.DrbdConfigError as exc:
                self.fail("cannot edit %s: %s" % (self.conf_path, exc))
            files.append({"path": self.conf_path, "before": live_conf, "after": after})
        for item in files:
            item["mode_before"] = self.mode_of(item["path"])
            item["mode"] = self.wanted_mode(item["after"], item["mode_before"])
        self.result["config_files"] = [f["path"] for f in files]
        return files

    def validate(self, files, main_text):
        """Have the real drbdadm parse the new configuration; fail if it refuses."""
        if self.prefix is None:
            return
        if not self.check and not os.path.isdir(self.config_dir):
            self.fail("%s does not exist" % self.config_dir)
        try:
            conf = self._build_scratch(files, main_text)
        except (IOError, OSError) as exc:
            self.fail("cannot write scratch files to check the configuration: %s" % exc)
        argv = self.drbdadm("dump", self.name, conf=conf)
        rc, out, err = self.run(argv)
        if rc != 0:
            self.fail(self.explain_rejection(rc, err or out, main_text), cmd=_join(argv), rc=rc,
                      stderr=self.mask(err))
        self.adjust_conf = conf

    def _build_scratch(self, files, main_text):
        """Write the candidate configuration where drbdadm can read it; return its drbd.conf."""
        # Next to the live files, so that the checked bytes can be renamed
        # into place; check mode writes nothing there.
        base = self.module.tmpdir if self.check else self.config_dir
        if self.layout != "split":
            fd, conf = tempfile.mkstemp(prefix=".drbd.conf-", dir=base)
            os.close(fd)
            self.scratch = self.scratch_main = conf
            self._write_new(conf, main_text, 0o600)
            return conf
        self.scratch = tempfile.mkdtemp(prefix=".drbd_resource-", dir=base)
        os.makedirs(os.path.join(self.scratch, "drbd.d"))
        conf = os.path.join(self.scratch, "drbd.conf")
        self.scratch_main = os.path.join(self.scratch, "drbd.d", self.name + ".res")
        texts = {conf: cfg.STOCK_DRBD_CONF,
                 os.path.join(self.scratch, "drbd.d", "global_common.conf"): files[1]["after"],
                 self.scratch_main: main_text}
        # The other resources are parsed too: drbdadm checks minors, ports
        # and names across all of them.
        for sibling in sorted(glob.glob(os.path.join(self.ddir, "*.res"))):
            text = self.read_or_fail(sibling)
            if os.path.basename(sibling) != self.name + ".res" and text is not None:
                texts[os.path.join(self.scratch, "drbd.d", os.path.basename(sibling))] = text
        for path, text in texts.items():
            self._write_new(path, text, 0o600)
        return conf

    def explain_rejection(self, rc, err, main_text):
        errors = cfg.parse_drbdadm_error(self.mask(err))
        lines = main_text.splitlines()
        parts = []
        for e in errors:
            text = e["message"]
            path = e["path"]
            if path is not None:
                ours = os.path.basename(path) in (self.name + ".res", os.path.basename(self.scratch or ""))
                where = self.res_path if self.layout == "split" else self.conf_path
                if not ours and self.layout == "split" and "drbd.d/" in path:
                    # Scratch copies of global_common.conf and the other resources.
                    path = os.path.join(self.ddir, os.path.basename(path))
                if ours and 1 <= e["line"] <= len(lines):
                    rendered = cfg.mask_secrets(lines[e["line"] - 1].strip())
                    text = "%s line %d: %s (rendered line: %r)" % (where, e["line"], text, rendered)
                elif ours:
                    text = "%s line %d: %s" % (where, e["line"], text)
                else:
                    text = "%s:%d: %s" % (path, e["line"], text)
            parts.append(text)
        detail = "; ".join(parts) or "no message"
        msg = "drbdadm rejected the configuration of resource %s (rc=%d): %s. The live configuration was left " \
              "untouched" % (self.name, rc, detail)
        if "not defined in your config (for this host)" in err or "missing section 'on" in err:
            msg += ". DRBD picks its section by uname -n, which is %r here; hosts are %s" % (
                os.uname()[1], ", ".join(h["name"] for h in self.hosts))
        return msg

    def _write_new(self, path, text, mode):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(path, mode)

    def install(self, src, dest, mode):
        """Put a fully written file in place with one rename (same file system)."""
        os.chmod(src, mode)
        os.rename(src, dest)
        if self.module.selinux_enabled():
            self.module.set_default_selinux_context(dest, False)

    def write_text(self, path, text, mode):
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + "-", dir=os.path.dirname(path))
        os.close(fd)
        try:
            self._write_new(tmp, text, mode)
            self.install(tmp, path, mode)
        except Exception:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def apply_files(self, files):
        main = files[-1]
        try:
            if self.layout == "split" and not os.path.isdir(self.ddir):
                os.makedirs(self.ddir, 0o755)
            for item in files:
                content = item["after"] != item["before"]
                if item is main and content and self.prefix is not None:
                    # The very bytes drbdadm checked are moved into place.
                    self.install(self.scratch_main, item["path"], item["mode"])
                    if self.layout == "single":
                        self.scratch = None
                elif content:
                    self.write_text(item["path"], item["after"], item["mode"])
                elif item["mode"] != item["mode_before"]:
                    os.chmod(item["path"], item["mode"])
        except (IOError, OSError) as exc:
            self.changed = True
            self.fail("writing the configuration failed: %s" % exc)

    def ensure_config(self):
        files = self.plan_files()
        content_changed = [f for f in files if f["after"] != f["before"]]
        mode_changed = [f for f in files if f["mode"] != f["mode_before"] and f["before"] is not None]
        if content_changed:
            self.validate(files, files[-1]["after"])
        for item in content_changed:
            self.diffs.append({"before_header": item["path"], "after_header": item["path"],
                               "before": cfg.mask_secrets(item["before"] or ""),
                               "after": cfg.mask_secrets(item["after"])})
        if content_changed or mode_changed:
            self.changed = True
            if not self.check:
                self.apply_files(files)
        return bool(content_changed)

    def remove_config(self):
        files = []
        res = self.read_or_fail(self.res_path)
        if res is not None:
            files.append(self.res_path)
            self.diffs.append({"before_header": self.res_path, "after_header": self.res_path,
                               "before": cfg.mask_secrets(res), "after": ""})
            if not self.check:
                try:
                    os.unlink(self.res_path)
                except OSError as exc:
                    self.fail("cannot remove %s: %s" % (self.res_path, exc))
            self.changed = True
        conf = self.read_or_fail(self.conf_path)
        if conf is not None:
            try:
                after = cfg.replace_resource_block(conf, self.name, None)
            except cfg.DrbdConfigError as exc:
                self.fail("cannot edit %s: %s" % (self.conf_path, exc))
            if after != conf:
                files.append(self.conf_path)
                self.diffs.append({"before_header": self.conf_path, "after_header": self.conf_path,
                                   "before": cfg.mask_secrets(conf), "after": cfg.mask_secrets(after)})
                if not self.check:
                    try:
                        self.write_text(self.conf_path, after, self.mode_of(self.conf_path) or 0o644)
                    except (IOError, OSError) as exc:
                        self.fail("cannot write %s: %s" % (self.conf_path, exc))
                self.changed = True
        self.result["config_files"] = files

    def live_config_has_resource(self):
        if self.read_or_fail(self.res_path) is not None:
            return True
        conf = self.read_or_fail(self.conf_path)
        if conf is None:
            return False
        try:
            return any(s["kind"] == "resource" and s["name"] == self.name for s in cfg.split_top_level(conf))
        except cfg.DrbdConfigError:
            return True

    # -- runtime ---------------------------------------------------------
    def local_host(self):
        node = os.uname()[1]
        for host in self.hosts:
            if host["name"] == node:
                return host
        self.fail("this host's name (uname -n) is %r, which is not among hosts (%s); DRBD picks its section by "
                  "that name" % (node, ", ".join(h["name"] for h in self.hosts)))

    def minors(self):
        if self.params["hosts"]:
            try:
                hosts = cfg.normalize_hosts(self.wanted_resource()["hosts"], self.dialect)
            except cfg.DrbdConfigError as exc:
                self.fail("invalid hosts: %s" % exc)
            node = os.uname()[1]
            local = [h for h in hosts if h["name"] == node]
            if local:
                return [local[0]["minor"]]
        if self.prefix is None or not self.live_config_has_resource():
            self.fail("cannot tell which minor resource %s uses on this host: no entry for %r in hosts and no "
                      "configuration for it; pass hosts" % (self.name, os.uname()[1]))
        modern = _version(self.versions.get("utils")) >= (8, 3, 1)
        argv = self.drbdadm("sh-minor" if modern else "sh-dev", self.name)
        rc, out, err = self.run(argv)
        minors = []
        for line in out.split():
            digits = line if modern else line.rsplit("drbd", 1)[-1]
            if digits.isdigit():
                minors.append(int(digits))
        if rc != 0 or not minors:
            self.fail("%s failed (rc=%d) or printed no minor: %s" % (_join(argv), rc, (err or out).strip()))
        return minors

    def absent_status(self):
        # drbd.py's "not configured" shape: no minors means nothing is up.
        return state_from_proc(self.name, {"devices": {}}, [])

    def read_status(self):
        if not self.versions.get("kernel"):
            return self.absent_status()
        if self.dialect == "9":
            argv = [self.bin("drbdsetup"), "status", "--json", self.name]
            rc, out, err = self.run(argv)
            if rc == 10 and "No such resource" in err:
                return self.absent_status()
            if rc != 0:
                self.fail("%s failed (rc=%d): %s" % (_join(argv), rc, err.strip()))
            try:
                parsed = parse_drbdsetup_json(out)
            except DrbdParseError as exc:
                self.fail("cannot parse the output of %s: %s" % (_join(argv), exc))
            if self.name not in parsed:
                return self.absent_status()
            return state_from_status(self.name, parsed[self.name], "drbdsetup status --json")
        minors = self.minors()
        text = read_proc_drbd()
        if text is None:
            return self.absent_status()
        try:
            proc = parse_proc_drbd(text)
        except DrbdParseError as exc:
            self.fail("cannot parse /proc/drbd: %s" % exc)
        return state_from_proc(self.name, proc, minors, self.dialect)

    def probe_signatures(self, path):
        """Signatures on a device, or raise Refusal when the probes cannot tell."""
        try:
            device_size(path)
        except (IOError, OSError) as exc:
            raise Refusal("cannot read %s (%s), so it cannot be shown to be empty; nothing was changed"
                          % (path, exc.strerror or exc))
        try:
            return probe_signatures(path, self.run, blkid=self.bin("blkid"), wipefs=self.bin("wipefs"))
        except ProbeError as exc:
            raise Refusal("%s; nothing was changed" % exc)

    def md_formats(self):
        if self.dialect == "9" or _version(self.versions.get("utils")) >= (8, 9, 0):
            return ["v08", "v09"]
        return ["v08"]

    def probe_metadata(self, host):
        """{format: present?} for DRBD 8.0+ meta data, raising Refusal when drbdmeta cannot tell."""
        meta = host["meta"]
        if meta["kind"] == "internal":
            md_args = [host["disk"], "internal"]
        elif meta["kind"] == "flexible":
            md_args = [meta["path"], "flex-external"]
        else:
            md_args = [meta["path"], str(meta["index"])]
        found = {}
        for fmt in self.md_formats():
            argv = [self.bin("drbdmeta"), "--force", str(host["minor"]), fmt] + md_args + ["dump-md"]
            rc, out, err = self.run(argv)
            verdict = classify_md_probe(rc, out, err, self.versions.get("utils"))
            if verdict is None:
                first = next((line.strip() for line in (err or out).splitlines() if line.strip()), "no output")
                raise Refusal("could not tell whether %s holds DRBD meta data: %s exited %d (%s); nothing was changed"
                              % (md_args[0], _join(argv), rc, first))
            found[fmt] = verdict == "present"
        return found

    def decide_metadata(self, host):
        """Return a plan: {"action": "keep"|"create"|"discard", "signatures": [...], "device": path}."""
        own = "v09" if self.dialect == "9" else "v08"
        meta = host["meta"]
        target = host["disk"] if meta["kind"] == "internal" else meta["path"]
        discard = self.params["discard_existing_data"]
        if self.dialect == "0.7":
            try:
                v07 = probe_v07(target, meta)
            except (IOError, OSError) as exc:
                raise Refusal("cannot read the DRBD 0.7 meta data area of %s (%s); nothing was changed"
                              % (target, exc.strerror or exc))
            if v07["present"]:
                return {"action": "keep", "device": target, "signatures": []}
            signatures = self.probe_signatures(target)
            if not v07["area_zero"] and not signatures:
                signatures = ["unrecognised data in the last 128 MiB, where DRBD 0.7 puts its meta data"]
        else:
            found = self.probe_metadata(host)
            if found.get(own):
                return {"action": "keep", "device": target, "signatures": []}
            signatures = ["drbd %s meta data" % fmt for fmt, present in sorted(found.items()) if present]
            for sig in self.probe_signatures(target):
                if sig not in signatures:
                    signatures.append(sig)
        data = []
        if meta["kind"] != "internal" and host["disk"] != "none":
            # External meta data leaves the data disk out of the probes above, yet the initial sync
            # overwrites it on the peer: it must be shown blank too.
            data = ["%s on the data disk %s" % (sig, host["disk"]) for sig in self.probe_signatures(host["disk"])]
        if not signatures and not data:
            return {"action": "create", "device": target, "signatures": []}
        if data and not discard:
            raise Refusal("refusing to create DRBD meta data for %s: its data disk %s holds %s, which the initial "
                          "sync would overwrite on the node that is not its source. Set discard_existing_data: true "
                          "to accept that; nothing was changed"
                          % (self.name, host["disk"], "; ".join(s.rsplit(" on the data disk ", 1)[0] for s in data)))
        if data:
            found = [s.rsplit(" on the data disk ", 1)[0] for s in data]
            self.destroyed.append({"device": host["disk"], "signatures": found})
        if not signatures:
            return {"action": "create", "device": target, "signatures": []}
        if not discard:
            other = [s for s in signatures if s.startswith("drbd v0")]
            hint = ""
            if other and self.dialect != "0.7":
                hint = (" DRBD %s needs %s meta data; converting existing meta data is an upgrade step "
                        "(drbdadm create-md, answering the conversion question), not something this module "
                        "does on its own." % (self.dialect, own))
            raise Refusal("refusing to create DRBD meta data on %s: it holds %s.%s Set discard_existing_data: true "
                          "to destroy it; nothing was changed" % (target, "; ".join(signatures), hint))
        return {"action": "discard", "device": target, "signatures": signatures}

    def create_md_argv(self, force):
        if not force:
            return self.drbdadm("create-md", self.name)
        if self.dialect == "8.3":
            # 8.3 drbdadm passes options to drbdmeta only after "--".
            return self.drbdadm("--", "--force", "create-md", self.name)
        return self.drbdadm("create-md", "--force", self.name)

    def up_plan(self, md_plan):
        """The one list of commands that bring the resource up: check mode reports it, apply runs it.
        Each step is (kind, argv, stdin)."""
        plan = []
        if not self.versions.get("kernel"):
            plan.append(("modprobe", [self.bin("modprobe"), "drbd"], None))
        if md_plan and md_plan["action"] == "discard":
            self.destroyed.append({"device": md_plan["device"], "signatures": list(md_plan["signatures"])})
            if any(not s.startswith("unrecognised data") for s in md_plan["signatures"]):
                plan.append(("wipefs", [self.bin("wipefs"), "--all", md_plan["device"]], None))
            if self.dialect != "0.7":
                plan.append(("create-md", self.create_md_argv(True), "yes"))
        elif md_plan and md_plan["action"] == "create" and self.dialect != "0.7":
            # Blank by our probes: create-md without --force, so that drbdmeta's own check for data gets a
            # say. On a non-terminal stdin drbd-utils >= 9.20.1 answers every question "no"; older ones read
            # the "no".
            plan.append(("create-md-unforced", self.create_md_argv(False), "no"))
        plan.append(("up", self.drbdadm("up", self.name), None))
        return plan

    def apply(self, step, device):
        kind, argv, data = step
        if kind != "create-md-unforced":
            self.run_change(argv, data=data)
            if kind == "modprobe":
                self.check_loaded_module()
            return
        self.commands.append(_join(argv))
        rc, out, err = self.run(argv, data=data)
        if rc == 0:
            self.changed = True
            return
        said = [line.strip() for line in (out + "\n" + err).splitlines()
                if line.strip() and not line.startswith(("md_offset", "al_offset", "bm_offset"))]
        if not self.params["discard_existing_data"]:
            self.fail("drbdmeta refused to create meta data on %s without confirmation (rc=%d): %s. Set "
                      "discard_existing_data: true to overwrite it; nothing was changed"
                      % (device, rc, " / ".join(said) or "no output"),
                      cmd=_join(argv), rc=rc, stdout=self.mask(out), stderr=self.mask(err))
        self.destroyed.append({"device": device,
                               "signatures": ["data drbdmeta did not recognise: %s" % " / ".join(said)]})
        self.run_change(self.create_md_argv(True), data="yes")

    def check_loaded_module(self):
        self.versions = detect_versions(self.module)
        loaded = self.versions.get("dialect") if self.versions.get("kernel") else None
        if loaded != self.dialect:
            self.fail("modprobe drbd loaded DRBD %s (dialect %s), but the resource is configured for dialect %s; "
                      "no meta data was written" % (self.versions.get("kernel"), loaded, self.dialect))
        if not self.versions.get("compatible"):
            self.fail("the DRBD userland cannot drive the loaded kernel module: %s" % self.versions.get("problem"))

    def bring_up(self, config_changed):
        host = self.local_host()
        status = self.read_status()
        if status.get("exists"):
            conf = self.adjust_conf if (self.check and config_changed) else self.conf_path
            argv = self.drbdadm("-d", "adjust", self.name, conf=conf)
            rc, out, err = self.run(argv)
            if rc != 0:
                self.fail("%s failed (rc=%d): %s" % (_join(argv), rc, (err or out).strip()),
                          cmd=_join(argv), rc=rc, stderr=self.mask(err))
            # The dry run prints drbdsetup command lines, secret included.
            plan = [self.mask(line.strip())
                    for line in out.splitlines() if line.strip() and not line.startswith("#")]
            self.result["adjust_plan"] = plan
            if plan:
                if self.check:
                    self.commands.append(_join(self.drbdadm("adjust", self.name)))
                    self.changed = True
                else:
                    self.run_change(self.drbdadm("adjust", self.name))
            return
        md_plan = None
        if host["disk"] != "none":
            try:
                md_plan = self.decide_metadata(host)
            except Refusal as exc:
                self.fail(str(exc))
        self.changed = True
        plan = self.up_plan(md_plan)
        if self.check:
            self.commands.extend(_join(argv) for dummy, argv, dummy2 in plan)
            return
        for step in plan:
            self.apply(step, md_plan["device"] if md_plan else None)

    def take_down(self):
        status = self.read_status()
        if not status.get("exists"):
            return
        if self.live_config_has_resource():
            argv = self.drbdadm("down", self.name)
        elif self.dialect in ("8.4", "9"):
            # drbdadm needs the configuration; drbdsetup knows resources by name.
            if self.prefix and self.prefix[0].endswith("drbdadm-84"):
                drbdsetup = os.path.join(os.path.dirname(self.prefix[0]), "drbdsetup-84")
            else:
                drbdsetup = self.bin("drbdsetup")
            argv = [drbdsetup, "down", self.name]
        else:
            self.fail("resource %s is up, but its configuration is gone and DRBD %s cannot take a resource down "
                      "without it; restore the configuration first" % (self.name, self.dialect))
        if self.check:
            self.commands.append(_join(argv))
            self.changed = True
        else:
            self.run_change(argv)

    # -- main --------------------------------------------------------------
    def run_state(self):
        try:
            self.resolve_versions()
            if self.state in ("present", "up"):
                self.render()
                config_changed = self.ensure_config()
                if self.state == "up":
                    self.bring_up(config_changed)
                status = self.read_status()
            elif self.state == "down":
                if self.dialect is not None:
                    self.take_down()
                status = self.read_status() if self.dialect is not None else self.absent_status()
            else:
                status = self.absent_status()
                if self.dialect is not None:
                    self.take_down()
                    # Read while the configuration still names the minors.
                    status = self.read_status()
                self.remove_config()
            self.result["status"] = jsonable(status)
        finally:
            self.cleanup()
        self.result["changed"] = self.changed
        if self.destroyed:
            self.result["destroyed"] = self.destroyed
        if self.module._diff:
            self.result["diff"] = self.diffs
        self.module.exit_json(**self.result)


def main():
    host_options = dict(
        name=dict(type="str", required=True),
        address=dict(type="str", required=True),
        port=dict(type="int", required=True),
        disk=dict(type="str", required=True),
        device=dict(type="str"),
        minor=dict(type="int"),
        node_id=dict(type="int"),
        meta_disk=dict(type="str", default="internal"),
    )
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "up", "down", "absent"]),
            hosts=dict(type="list", elements="dict", options=host_options,
                       required_one_of=[["device", "minor"]]),
            protocol=dict(type="str", choices=["A", "B", "C"]),
            net=dict(type="dict"),
            disk=dict(type="dict"),
            startup=dict(type="dict"),
            syncer=dict(type="dict"),
            handlers=dict(type="dict"),
            options=dict(type="dict"),
            shared_secret=dict(type="str", no_log=True),
            dialect=dict(type="str", default="auto", choices=["auto", "0.7", "8.3", "8.4", "9"]),
            config_dir=dict(type="path", default="/etc"),
            discard_existing_data=dict(type="bool", default=False),
        ),
        required_if=[("state", "present", ["hosts"]), ("state", "up", ["hosts"])],
        supports_check_mode=True,
    )
    problem = argument_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    try:
        cfg.check_resource_name(module.params["name"])
    except cfg.DrbdConfigError as exc:
        module.fail_json(msg=str(exc))
    DrbdResource(module).run_state()


def argument_problem(params):
    """The collection's model on this module's arguments: values the configuration cannot hold are refused as the
    roles refuse them. The roles' policy goes further (devices under /dev, no loopback replication address);
    the module also serves tests on one machine, with loop files and 127.0.0.1."""
    checks = [("name", model.resource_name_error(params["name"]))]
    if params.get("shared_secret") is not None:
        checks.append(("shared_secret", model.secret_error(params["shared_secret"], 1, model.DRBD_SECRET_MAX,
                                                           quoted=True)))
    for host in params.get("hosts") or []:
        where = "hosts[%s]" % host.get("name")
        checks.append((where + ".name", model.hostname_error(host.get("name"))))
        address = host.get("address") or ""
        address = address[1:-1] if address.startswith("[") else address
        checks.append((where + ".address", model.address_error(address, loopback=True)))
        checks.append((where + ".port", model.port_error(host.get("port"))))
        if host.get("minor") is not None:
            checks.append((where + ".minor", model.minor_error(host["minor"])))
        if host.get("disk") != "none":
            checks.append((where + ".disk", model.path_error(host.get("disk"))))
    for name, error in checks:
        if error:
            return "%s: %s; nothing was changed" % (name, error)
    return None


if __name__ == "__main__":
    main()
