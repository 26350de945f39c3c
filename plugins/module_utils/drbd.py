# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# Runner, version checks and live-state reading shared by the DRBD modules.
#
#   run_drbd            run one DRBD tool (argv list, C locale) and fail cleanly
#   assess_versions     pure: which kernel/userland run here, can they work
#                       together, which dialect (0.7, 8.3, 8.4, 9) to speak
#   detect_versions     the I/O around assess_versions
#   force_primary_argv  the forced-promotion command of a given release
#   read_state          one resource's live state, normalised across releases
#
# The parsers of drbd_status do the text work; this file decides which
# command to ask and how to turn the answer into one shape. Nothing here
# writes: every command it runs is a query.

import re
import shlex

from ansible_collections.hacluster.drbd.plugins.module_utils.blockdev import first_line
from ansible_collections.hacluster.drbd.plugins.module_utils.drbd_status import (
    DrbdParseError,
    parse_drbdadm_status,
    parse_drbdsetup_json,
    parse_proc_drbd,
)
from ansible_collections.hacluster.drbd.plugins.module_utils.runner import runner_for

PROC_DRBD = "/proc/drbd"

DIALECTS = ("0.7", "8.3", "8.4", "9")

# 8.x cs: values that mean the handshake is done and the peers talk.
_CS_SYNCING = frozenset((
    "StartingSyncS", "StartingSyncT", "WFBitMapS", "WFBitMapT", "WFSyncUUID",
    "SyncSource", "SyncTarget", "PausedSyncS", "PausedSyncT", "VerifyS", "VerifyT",
    "Ahead", "Behind", "SkippedSyncS", "SkippedSyncT",
))
# Replication states (9 names) during which a progress figure is meaningful.
SYNC_STATES = frozenset((
    "SyncSource", "SyncTarget", "PausedSyncS", "PausedSyncT", "VerifyS", "VerifyT",
))
# drbdsetup prints this instead of an estimate when it has no rate yet.
_JSON_NO_ESTIMATE = 987654321


def run_drbd(module, argv, check=True, data=None):
    """Run a DRBD tool through the collection's command runner (argv list, C locale).

    With check, a non-zero exit ends the module with the tool's first
    stderr line in the message and the full output in the result.
    """
    if isinstance(argv, (str, bytes)):
        raise TypeError("run_drbd takes an argv list, not a command string")
    return runner_for(module).run(argv, data=data, check=check)


# ---------------------------------------------------------------------------
# Versions
# ---------------------------------------------------------------------------

_VERSION_NUMBER_RE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")
_KEY_VALUE_RE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")
# drbdadm before --version existed (0.7 to 8.3.1) prints its usage on an
# unknown option, ending with "Version: <release> (api:<n>)".
_USAGE_VERSION_RE = re.compile(r"^Version: (\d+\.\d+(?:\.\d+)?\S*) \(api:(\d+)\)\s*$", re.M)


def version_tuple(version):
    """Numeric part of a release: 8.4.11 -> (8, 4, 11), 9.0.32-1 -> (9, 0, 32), 8.3 -> (8, 3, 0)."""
    m = _VERSION_NUMBER_RE.match(version or "")
    if not m:
        raise DrbdParseError("not a DRBD version number: %r" % (version,))
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def _dialect_of_version(version):
    major, minor, dummy = version_tuple(version)
    if (major, minor) == (0, 7):
        return "0.7"
    if major == 8 and minor <= 3:
        return "8.3"
    if (major, minor) == (8, 4):
        return "8.4"
    if major >= 9 or (major, minor) >= (8, 9):
        return "9"
    return None


# DRBDADM_API_VERSION / "(api:N)" of the userland, mapped to what it drives.
_API_DIALECT = {1: "8.4", 2: "9", 86: "8.3", 88: "8.3"}


def _dialect_of_api(api):
    if api is None:
        return None
    if 74 <= api <= 79:
        return "0.7"
    return _API_DIALECT.get(api)


def parse_drbdadm_version(text):
    """Parse `drbdadm --version` (8.3.2 and later) or the usage text older
    drbdadm prints instead. Returns utils, utils_api and kernel_code."""
    if not isinstance(text, str):
        raise DrbdParseError("expected text, got %s" % type(text).__name__)
    values = {}
    for line in text.splitlines():
        m = _KEY_VALUE_RE.match(line.strip())
        if m:
            try:
                # drbdadm shell-escapes the values so that they can be eval'ed.
                values[m.group(1)] = " ".join(shlex.split(m.group(2)))
            except ValueError:
                values[m.group(1)] = m.group(2)
    if "DRBDADM_VERSION" in values:
        utils = values["DRBDADM_VERSION"]
        api = values.get("DRBDADM_API_VERSION")
        if api is not None and not api.isdigit():
            raise DrbdParseError("DRBDADM_API_VERSION is not a number: %r" % api)
        code = values.get("DRBD_KERNEL_VERSION_CODE")
        kernel_code = None
        if code is not None:
            if not re.match(r"^0x[0-9a-fA-F]+$", code):
                raise DrbdParseError("DRBD_KERNEL_VERSION_CODE is not hexadecimal: %r" % code)
            # 0 means drbdadm found no module to ask.
            kernel_code = int(code, 16) or None
        result = {"utils": utils, "utils_api": int(api) if api is not None else None,
                  "kernel_code": kernel_code, "buildtag": values.get("DRBDADM_BUILDTAG")}
    else:
        m = _USAGE_VERSION_RE.search(text)
        if not m:
            raise DrbdParseError("drbdadm printed no DRBDADM_VERSION= line and no 'Version:' line: %r"
                                 % first_line(text))
        result = {"utils": m.group(1), "utils_api": int(m.group(2)), "kernel_code": None, "buildtag": None}
    version_tuple(result["utils"])
    return result


def _kernel_code_version(code):
    return "%d.%d.%d" % (code >> 16, (code >> 8) & 0xFF, code & 0xFF)


def _install_hint(kernel_dialect):
    if kernel_dialect in ("8.4", "9"):
        return ("install drbd-utils (8.9.2 or later drives 8.4 kernels, 8.9.0 or later DRBD 9; "
                "Debian/Ubuntu package drbd-utils)")
    if kernel_dialect == "8.3":
        return ("install the 8.3 userland that matches the module (drbd83-utils / drbd8-utils 8.3.x), "
                "or a drbd-utils build that still ships /lib/drbd/drbdadm-83")
    if kernel_dialect == "0.7":
        return "install the DRBD 0.7 userland of the module's release (drbd0.7-utils)"
    return "install drbd-utils"


def compatibility_problem(kernel, api, utils, utils_api, what="the loaded DRBD kernel module"):
    """Reference 2.10: why this userland cannot drive this kernel, or None.
    `what` names the module in the message (a loaded one, or a file)."""
    kernel_dialect = _dialect_of_version(kernel)
    utils_v = version_tuple(utils)
    where = "%s %s (api:%d)" % (what, kernel, api)
    found = "drbdadm %s (API %s)" % (utils, utils_api if utils_api is not None else "unknown")

    if kernel_dialect == "0.7" or utils_v[:2] == (0, 7):
        if kernel_dialect != "0.7" or utils_v[:2] != (0, 7):
            return ("%s and %s belong to different DRBD generations: 0.7 and 8.x/9 tools and modules "
                    "cannot drive each other; %s" % (where, found, _install_hint(kernel_dialect)))
        if utils_api is not None and utils_api != api:
            return ("API mismatch: %s needs the 0.7 userland built for api:%d, found %s; "
                    "0.7 drbdsetup refuses a module of another API; %s"
                    % (where, api, found, _install_hint("0.7")))
        return None

    if kernel_dialect == "9":
        if utils_v < (8, 9, 0):
            return ("%s needs drbd-utils 8.9.0 or later; %s is the DRBD 8 userland; %s"
                    % (where, found, _install_hint("9")))
        if utils_api is not None and utils_api != 2:
            return ("API mismatch: %s speaks genetlink API 2, but %s speaks another; %s"
                    % (where, found, _install_hint("9")))
        return None

    if kernel_dialect == "8.4":
        if utils_v < (8, 4, 0):
            return ("API mismatch: %s needs the 8.4 or drbd-utils userland (API 1), but %s is the "
                    "8.3-era userland; %s" % (where, found, _install_hint("8.4")))
        if utils_api is not None and utils_api != 1:
            return ("API mismatch: %s expects API 1, but %s answered for another stack (drbd-utils "
                    "built without 8.4 support?); %s" % (where, found, _install_hint("8.4")))
        return None

    # 8.0 to 8.3 kernels: the userland must speak the module's API exactly.
    if utils_api is not None and utils_api != api:
        return ("API mismatch: %s needs a userland of API %d, but found %s; %s"
                % (where, api, found, _install_hint("8.3")))
    if utils_api is None and not (8, 0, 0) <= utils_v < (8, 4, 0):
        return ("%s needs the 8.0-8.3 userland, but %s; %s" % (where, found, _install_hint("8.3")))
    return None


def assess_versions(proc_text, drbdadm_version_text):
    """Decide what runs here from the text of /proc/drbd and of
    `drbdadm --version` (None for "absent"). Pure; raises DrbdParseError
    on text it does not understand.

    dialect is the release family whose commands and configuration to
    use: the loaded kernel's when there is one, else what the installed
    drbdadm would drive (its API says which of its stacks it picked).
    """
    result = {"kernel": None, "api": None, "proto": None, "utils": None,
              "dialect": None, "compatible": False, "problem": None}
    kernel_dialect = None
    if proc_text is not None:
        proc = parse_proc_drbd(proc_text)
        result["kernel"] = proc["version"]
        result["api"] = proc["api"]
        result["proto"] = (proc["proto_min"], proc["proto_max"])
        kernel_dialect = _dialect_of_version(proc["version"])
        if kernel_dialect is None:
            raise DrbdParseError("DRBD kernel release %s is not one this collection knows" % proc["version"])

    utils = None
    if drbdadm_version_text is not None:
        utils = parse_drbdadm_version(drbdadm_version_text)
        result["utils"] = utils["utils"]

    if kernel_dialect is not None:
        result["dialect"] = kernel_dialect
    elif utils is not None:
        result["dialect"] = _dialect_of_api(utils["utils_api"]) or _dialect_of_version(utils["utils"])

    if utils is None:
        if kernel_dialect is None:
            result["problem"] = ("DRBD is not installed: /proc/drbd is absent (no module loaded) and "
                                 "drbdadm was not found; %s" % _install_hint(None))
        else:
            result["problem"] = ("drbdadm was not found, so the loaded DRBD %s module cannot be managed; %s"
                                 % (result["kernel"], _install_hint(kernel_dialect)))
        return result
    if kernel_dialect is None:
        # Nothing loaded, nothing to disagree with; the module that loads
        # later is checked on the next run.
        result["compatible"] = True
        return result
    result["problem"] = compatibility_problem(result["kernel"], result["api"], utils["utils"], utils["utils_api"])
    result["compatible"] = result["problem"] is None
    return result


def read_proc_drbd(path=None):
    """Text of /proc/drbd, or None when the module is not loaded."""
    try:
        with open(path or PROC_DRBD, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def detect_versions(module):
    """assess_versions on this host. A probe that cannot be read or
    understood ends the module: guessing a release is how data is lost."""
    try:
        proc_text = read_proc_drbd()
    except OSError as exc:
        module.fail_json(msg="cannot read %s: %s" % (PROC_DRBD, exc))
    version_text = None
    if module.get_bin_path("drbdadm") is not None:
        # Old drbdadm prints its usage and exits non-zero; the text still
        # carries the version, so the exit code is not checked here.
        dummy, out, err = run_drbd(module, ["drbdadm", "--version"], check=False)
        version_text = out if out.strip() else err
    try:
        return assess_versions(proc_text, version_text)
    except DrbdParseError as exc:
        module.fail_json(msg="cannot tell which DRBD release runs here: %s" % exc)


def force_primary_argv(dialect_or_version, resource):
    """The forced promotion of `resource` in the given release's own form.

    Takes a dialect ("0.7", "8.3", "8.4", "9") or an exact userland
    version. `--force` exists from drbdadm 8.3.8 on; with only "8.3" the
    long form, understood by every 8.0-8.3 release, is used.
    """
    value = str(dialect_or_version)
    if value == "0.7":
        major, minor, patch = 0, 7, 0
    elif value == "8.3":
        major, minor, patch = 8, 0, 0
    elif value in ("8.4", "9"):
        major, minor, patch = 8, 4, 0
    else:
        try:
            major, minor, patch = version_tuple(value)
        except DrbdParseError:
            raise ValueError("not a DRBD release: %r" % value)
    if (major, minor) == (0, 7):
        return ["drbdadm", "--", "--do-what-I-say", "primary", resource]
    if major == 8 and (minor, patch) < (3, 8):
        return ["drbdadm", "--", "--overwrite-data-of-peer", "primary", resource]
    if (major, minor, patch) >= (8, 3, 8):
        return ["drbdadm", "primary", "--force", resource]
    raise ValueError("no forced-promotion form known for DRBD %s" % value)


# ---------------------------------------------------------------------------
# Live state
# ---------------------------------------------------------------------------

def _connection_of_cstate(cstate):
    # 8.x mixes connection and replication in cs:; 9 (and the 8.4 status
    # backport) splits them. WFReportParams is "Connected" with the
    # handshake still running, exactly as drbdsetup-84 status shows it.
    if cstate in _CS_SYNCING or cstate in ("Connected", "WFReportParams", "DiskLessClient", "ServerForDLess"):
        return "Connected"
    if cstate == "WFConnection":
        return "Connecting"
    return cstate


def _replication_of_cstate(cstate):
    if cstate in ("Connected", "DiskLessClient", "ServerForDLess"):
        return "Established"
    if cstate in _CS_SYNCING:
        return cstate
    return "Off"


def _cstate_of(connection, replication):
    if connection is None:
        return None
    if connection != "Connected":
        return "WFConnection" if connection == "Connecting" else connection
    if replication is None:
        return None
    if replication == "Established":
        return "Connected"
    if replication == "Off":
        return "WFReportParams"
    return replication


def _absent(resource, source):
    return {
        "resource": resource, "exists": False, "source": source, "role": None, "minor": None,
        "disk": None, "volumes": [], "peers": [], "peer_roles": [], "peer_disks": [],
        "connection": None, "cstate": None, "sync": None,
    }


def _finish(state):
    """Fill the first-volume / first-peer shortcuts from the full lists."""
    volumes, peers = state["volumes"], state["peers"]
    state["minor"] = volumes[0]["minor"] if volumes else None
    state["disk"] = volumes[0]["disk"] if volumes else None
    state["peer_roles"] = [peer["role"] for peer in peers]
    state["peer_disks"] = [vol["peer_disk"] for peer in peers for vol in peer["volumes"]]
    if peers:
        first = peers[0]
        state["connection"] = first["connection"]
        replication = first["volumes"][0]["replication"] if first["volumes"] else None
        state["cstate"] = _cstate_of(first["connection"], replication)
    syncs = [vol["sync"] for peer in peers for vol in peer["volumes"] if vol["sync"]]
    state["sync"] = syncs[0] if syncs else None
    return state


# DRBD 8.4 lists a minor that exists in the kernel but is StandAlone, Diskless
# and Secondary as "cs:Unconfigured" (drbd_proc.c). Such a minor is there:
# `drbdadm up` fails on it ("Minor or volume exists already"), `down` removes
# it and `adjust` attaches and connects it. Before 8.4 the kernel lists every
# minor it ever set up the same way, and `up` configures it.
_UNCONFIGURED_84 = {"cstate": "Unconfigured", "role": "Secondary", "peer_role": "Unknown", "disk": "Diskless",
                    "peer_disk": "DUnknown", "sync": None}


def state_from_proc(resource, proc, minors, dialect=None):
    """Normalised state of the minors of one resource in parsed /proc/drbd
    (0.7 and 8.x: one device per volume, one peer, named "peer")."""
    devices = [proc["devices"].get(minor) for minor in minors]
    if dialect == "8.4":
        devices = [dict(dev, **_UNCONFIGURED_84) if dev is not None and dev["cstate"] == "Unconfigured" else dev
                   for dev in devices]
    if all(dev is None or (dev["cstate"] == "Unconfigured" and dev["role"] is None) for dev in devices):
        return _absent(resource, PROC_DRBD)
    state = _absent(resource, PROC_DRBD)
    state["exists"] = True
    peer = {"name": "peer", "role": None, "connection": None, "volumes": []}
    for index, (minor, dev) in enumerate(zip(minors, devices)):
        if dev is None or dev["role"] is None:
            # One volume up and another not: report the hole, decide nothing on it.
            state["volumes"].append({"volume": index, "minor": minor, "disk": None})
            peer["volumes"].append({"volume": index, "replication": None, "peer_disk": None,
                                    "peer_client": None, "sync": None})
            continue
        if state["role"] is None:
            state["role"] = dev["role"]
            peer["role"] = dev["peer_role"]
            peer["connection"] = _connection_of_cstate(dev["cstate"])
        state["volumes"].append({"volume": index, "minor": minor, "disk": dev["disk"]})
        sync = None
        if dev["sync"] is not None:
            sync = {"percent": dev["sync"]["percent"], "eta_seconds": dev["sync"]["finish_seconds"],
                    "speed": dev["sync"]["speed_kib_s"], "average": dev["sync"].get("average_kib_s")}
        peer["volumes"].append({"volume": index, "replication": _replication_of_cstate(dev["cstate"]),
                                "peer_disk": dev["peer_disk"], "peer_client": None, "sync": sync})
    state["peers"] = [peer]
    _finish(state)
    # The 8.x combined state straight from the kernel, not rebuilt.
    first = next((dev for dev in devices if dev is not None and dev["role"] is not None), None)
    state["cstate"] = first["cstate"]
    return state


def _json_sync(pv):
    if pv.get("replication") not in SYNC_STATES or pv.get("done") is None:
        return None
    eta = pv.get("estimated_seconds_to_finish")
    if not isinstance(eta, (int, float)) or eta == _JSON_NO_ESTIMATE:
        eta = None
    speed = pv.get("db1/dt1 [MiB/s]")
    if isinstance(speed, (int, float)):
        speed = int(round(speed * 1024))
    else:
        speed = None
    average = pv.get("db/dt [MiB/s]")
    average = int(round(average * 1024)) if isinstance(average, (int, float)) else None
    return {"percent": float(pv["done"]), "eta_seconds": int(eta) if eta is not None else None, "speed": speed,
            "average": average}


def state_from_status(resource, res, source):
    """Normalised state from one resource of parse_drbdsetup_json or
    parse_drbdadm_status (DRBD 9). In the text form a missing replication
    state stays None: drbdsetup leaves out both Established and Off."""
    state = _absent(resource, source)
    state["exists"] = True
    state["role"] = res.get("role")
    for number in sorted(res["volumes"]):
        vol = res["volumes"][number]
        state["volumes"].append({"volume": number, "minor": vol.get("minor"), "disk": vol.get("disk")})
    for name, conn in res["connections"].items():
        peer = {"name": name, "role": conn.get("role"), "connection": conn.get("connection"), "volumes": []}
        for number in sorted(conn["volumes"]):
            pv = conn["volumes"][number]
            peer_disk = pv.get("peer_disk")
            if peer_disk is None and conn.get("connection") not in (None, "Connected"):
                peer_disk = "DUnknown"
            peer["volumes"].append({"volume": number, "replication": pv.get("replication"),
                                    "peer_disk": peer_disk, "peer_client": pv.get("peer_client"),
                                    "sync": _json_sync(pv)})
        state["peers"].append(peer)
    return _finish(state)


def _fail_parse(module, argv, exc, out):
    module.fail_json(msg="cannot parse the output of `%s`: %s" % (shlex.join(argv), exc),
                     cmd=shlex.join(argv), stdout=out)


def config_minors(module, resource, versions):
    """Minor numbers of a resource's volumes, from the configuration.
    sh-minor exists from drbdadm 8.3.1 on; older releases give the device
    path, which ends in the minor (/dev/drbdN, 0.7 also /dev/nbN)."""
    utils = versions.get("utils")
    use_minor = utils is not None and version_tuple(utils) >= (8, 3, 1)
    argv = ["drbdadm", "sh-minor" if use_minor else "sh-dev", resource]
    dummy, out, err = run_drbd(module, argv)
    minors = []
    for line in out.splitlines():
        line = line.strip()
        if not line:
            continue
        m = re.match(r"^\d+$", line) if use_minor else re.match(r"^/dev/(?:drbd|nb)(\d+)$", line)
        if not m:
            _fail_parse(module, argv, DrbdParseError("not a minor number: %r" % line), out)
        minors.append(int(m.group(1) if m.groups() else m.group(0)))
    if not minors:
        _fail_parse(module, argv, DrbdParseError("no minor for resource %s" % resource), out)
    return minors


def status_text_supported(versions):
    """Whether `drbdadm status` prints the text status: DRBD 9, and 8.4
    kernels with the backport of drbd-utils 9.1.0 and later."""
    utils = versions.get("utils")
    if utils is None or versions.get("dialect") not in ("8.4", "9"):
        return False
    if versions["dialect"] == "9":
        return version_tuple(utils) >= (8, 9, 0)
    return version_tuple(utils) >= (9, 1, 0)


def read_state(module, resource, versions):
    """Live state of one resource, normalised:

    {resource, exists, source, role, minor, disk, volumes: [{volume, minor,
    disk}], peers: [{name, role, connection, volumes: [{volume, replication,
    peer_disk, peer_client, sync}]}], peer_roles, peer_disks, connection
    (9 names: Connected, Connecting, StandAlone...), cstate (8.x names:
    Connected, WFConnection, SyncSource...), sync: {percent, eta_seconds,
    speed (KiB/s, the last seconds), average (KiB/s since the resync
    started)} or None}.

    DRBD 9 lists no devices in /proc/drbd, so it is read with
    `drbdsetup status --json` (drbd-utils 8.9.8 and later; text status
    before). 0.7 and 8.x are read from /proc/drbd, which carries role,
    connection, both disk states and resync timing in one consistent
    snapshot; the minors come from the configuration.
    """
    if versions.get("kernel") is None:
        # No module loaded, so nothing is up. Not asking drbdadm here also
        # keeps it from loading the module (it runs modprobe on demand).
        return _absent(resource, PROC_DRBD)
    if versions["dialect"] == "9":
        if version_tuple(versions["utils"]) >= (8, 9, 8):
            argv = ["drbdsetup", "status", "--json", resource]
            parser, source = parse_drbdsetup_json, "drbdsetup status --json"
        else:
            argv = ["drbdadm", "status", resource]
            parser, source = parse_drbdadm_status, "drbdadm status"
        rc, out, err = run_drbd(module, argv, check=False)
        if rc == 10 and "No such resource" in err:
            return _absent(resource, source)
        if rc != 0:
            run_drbd_failed(module, argv, rc, out, err)
        try:
            parsed = parser(out)
        except DrbdParseError as exc:
            _fail_parse(module, argv, exc, out)
        if resource not in parsed:
            _fail_parse(module, argv, DrbdParseError("resource %s missing from the output" % resource), out)
        return state_from_status(resource, parsed[resource], source)

    minors = config_minors(module, resource, versions)
    try:
        proc_text = read_proc_drbd()
    except OSError as exc:
        module.fail_json(msg="cannot read %s: %s" % (PROC_DRBD, exc))
    if proc_text is None:
        return _absent(resource, PROC_DRBD)
    try:
        proc = parse_proc_drbd(proc_text)
    except DrbdParseError as exc:
        module.fail_json(msg="cannot parse %s: %s" % (PROC_DRBD, exc), proc_drbd=proc_text)
    return state_from_proc(resource, proc, minors, versions.get("dialect"))


def run_drbd_failed(module, argv, rc, out, err, hint=None, **extra):
    """fail_json in run_drbd's wording, for callers that looked at rc first."""
    runner_for(module).fail(argv, rc, out, err, hint=hint, **extra)


def progress(state):
    """The figures a waiting caller shows: how far a resync is, and where."""
    sync = state.get("sync") or {}
    peer_disks = state.get("peer_disks") or []
    return {
        "percent": sync.get("percent"),
        "eta_seconds": sync.get("eta_seconds"),
        "speed_kib_s": sync.get("speed"),
        "average_kib_s": sync.get("average"),
        "cstate": state.get("cstate"),
        "disk": state.get("disk"),
        "peer_disk": peer_disks[0] if peer_disks else None,
    }


def jsonable(value):
    """Parsed structures keyed by int (minors, volumes) with str keys, as
    they reach the controller anyway."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value
