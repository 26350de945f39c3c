# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# Pure parsers for DRBD runtime state. No I/O: every function takes the text a
# command printed and returns plain data, or raises DrbdParseError.
#
#   parse_proc_drbd        /proc/drbd of DRBD 0.7, 8.0-8.2, 8.3/8.4 and 9
#   parse_drbdadm_status   text of `drbdadm status` / `drbdsetup status
#                          [--verbose] [--statistics]` (9.x, and the 8.4
#                          backport in drbd-utils >= 9.1.0)
#   parse_drbdsetup_json   `drbdsetup status --json` (9.x)
#   parse_events2          lines of `drbdsetup events2 [--now] [--timestamps]`
#   apply_events2          fold parsed events2 lines into resource state
#
# The last three return the same shape, so callers do not care which command
# produced it:
#
#   {resource: {"role", "suspended", "volumes": {vol: {"minor", "disk", ...}},
#               "connections": {peer: {"connection", "role",
#                                      "volumes": {vol: {"replication",
#                                                        "peer_disk", "done",
#                                                        ...}}}}}}
#
# Keys are the tool's own names with "-" turned into "_". Values stay as the
# tool prints them in text ("yes"/"no"), apart from integers and decimals,
# which become int and float; JSON booleans are turned into "yes"/"no" to match.
#
# Strictness: a line that is not understood raises DrbdParseError instead of
# being skipped, because a half-parsed status could make a caller promote or
# overwrite the wrong node.

import json
import re


class DrbdParseError(ValueError):
    """Raised for DRBD output that the parsers do not understand."""


# ---------------------------------------------------------------------------
# /proc/drbd
# ---------------------------------------------------------------------------

_VERSION_RE = re.compile(
    r"^version: (?P<version>\S+) \(api:(?P<api>\d+)/proto:(?P<pmin>\d+)(?:-(?P<pmax>\d+))?\)"
    r"(?: \(compat 8\.4\))?$"
)
_DEVICE_START_RE = re.compile(r"^\s*\d+: cs:")
_UNCONFIGURED_RE = re.compile(r"^\s*(?P<minor>\d+): cs:Unconfigured$")
_HEADER_07_RE = re.compile(
    r"^\s*(?P<minor>\d+): cs:(?P<cstate>\S+) st:(?P<role>\w+)/(?P<peer_role>\w+) ld:(?P<ld>\w+)$"
)
# The protocol letter is a blank when the device has no network config, which
# leaves three spaces between the disk states and the flags.
_HEADER_8_RE = re.compile(
    r"^\s*(?P<minor>\d+): cs:(?P<cstate>\S+) (?P<rolekey>st|ro):(?P<role>\w+)/(?P<peer_role>\w+)"
    r" ds:(?P<disk>\w+)/(?P<peer_disk>\w+) (?P<protocol>[A-Z ]) (?P<flags>\S+)$"
)
_PROGRESS_RE = re.compile(
    r"^\[[=>.]*\]\s*(?P<kind>sync'ed|verified):\s*(?P<percent>\d+(?:\.\d+)?)%\s*"
    r"\((?P<left>\d+)/(?P<total>\d+)\)(?P<unit>[KM])(?:\s*(?P<rest>finish:.*))?$"
)
# With drbd_proc_details >= 1 the bracket holds "short -- long" averages.
_FINISH_RE = re.compile(
    r"^finish:\s*(?P<h>\d+):(?P<m>\d{2}):(?P<s>\d{2})\s+speed:\s*(?P<speed>[\d,]+)\s*"
    r"\((?P<avg>[\d,]+)(?:\s*--\s*(?P<avg2>[\d,]+))?\)"
    r"(?:\s*want:\s*(?P<want>[\d,]+))?\s*K/sec(?P<stalled>\s*\(stalled\))?$"
)
# Lines the kernel prints for information only; recognised so that they are
# not mistaken for garbage, and deliberately not returned.
_IGNORED_DEVICE_LINES = (
    re.compile(r"^(resync|act_log): used:\d+/\d+ "),          # LRU statistics (8.0+)
    re.compile(r"^\d+% sector pos: \d+/\d+"),                  # 8.4 proc_details >= 1
    re.compile(r"^blocked on activity log: \d+$"),             # 8.4 proc_details >= 2
    re.compile(r"^\d+%\s+\d+/\d+$"),                           # early 8.3 verify progress
)
_INT_COUNTERS = frozenset(("ns", "nr", "dw", "dr", "al", "bm", "lo", "pe", "ua", "ap", "ep", "oos"))
_STR_COUNTERS = frozenset(("wo",))


def _generation(version):
    m = re.match(r"^(\d+)\.(\d+)", version)
    if not m:
        raise DrbdParseError("unrecognised DRBD version %r" % version)
    major, minor = int(m.group(1)), int(m.group(2))
    if major == 0 and minor == 7:
        return "0.7"
    if major == 8 and minor <= 2:
        return "8.0"
    if major == 8 and minor in (3, 4):
        return "8.3"
    if major >= 9:
        return "9"
    raise DrbdParseError("unsupported DRBD version %r" % version)


def _kib(number):
    # The kernel groups thousands with commas ("65,736").
    return int(number.replace(",", ""))


def _parse_device_header(line, generation):
    m = _UNCONFIGURED_RE.match(line)
    if m:
        return {
            "minor": int(m.group("minor")), "cstate": "Unconfigured", "role": None,
            "peer_role": None, "disk": None, "peer_disk": None, "protocol": None,
            "flags": None, "sync": None,
        }
    if generation == "0.7":
        m = _HEADER_07_RE.match(line)
        if not m:
            raise DrbdParseError("not a DRBD 0.7 device line: %r" % line)
        return {
            "minor": int(m.group("minor")), "cstate": m.group("cstate"),
            "role": m.group("role"), "peer_role": m.group("peer_role"),
            "disk": m.group("ld"), "peer_disk": None, "protocol": None,
            "flags": None, "sync": None,
        }
    m = _HEADER_8_RE.match(line)
    if not m:
        raise DrbdParseError("not a DRBD %s device line: %r" % (generation, line))
    # 8.0-8.2 print st:, 8.3.0 renamed it to ro:; a mismatch means the version
    # line and the body do not belong together.
    wanted = "st" if generation == "8.0" else "ro"
    if m.group("rolekey") != wanted:
        raise DrbdParseError("device line uses %s: but DRBD %s prints %s:: %r"
                             % (m.group("rolekey"), generation, wanted, line))
    protocol = m.group("protocol").strip() or None
    # 8.3.1 printed an unset congestion flag as a NUL byte.
    flags = m.group("flags").replace("\x00", "")
    return {
        "minor": int(m.group("minor")), "cstate": m.group("cstate"),
        "role": m.group("role"), "peer_role": m.group("peer_role"),
        "disk": m.group("disk"), "peer_disk": m.group("peer_disk"),
        "protocol": protocol, "flags": flags, "sync": None,
    }


def _parse_counters(line, device):
    for token in line.split():
        key, sep, value = token.partition(":")
        if not sep:
            raise DrbdParseError("malformed counter %r in %r" % (token, line))
        if key in _INT_COUNTERS:
            if not re.match(r"^-?\d+$", value):
                raise DrbdParseError("counter %s is not a number in %r" % (key, line))
            device[key] = int(value)
        elif key in _STR_COUNTERS:
            device[key] = value
        else:
            raise DrbdParseError("unknown counter %r in %r" % (key, line))


def _new_sync(m):
    factor = 1024 if m.group("unit") == "M" else 1
    left = int(m.group("left")) * factor
    total = int(m.group("total")) * factor
    return {
        "kind": m.group("kind"),
        "percent": float(m.group("percent")),
        "left_kib": left,
        "total_kib": total,
        "done_kib": total - left,
        "finish_seconds": None,
        "speed_kib_s": None,
        "average_kib_s": None,
        "want_kib_s": None,
        "stalled": False,
    }


def _apply_finish(line, sync):
    m = _FINISH_RE.match(line)
    if not m:
        raise DrbdParseError("unrecognised resync progress line: %r" % line)
    sync["finish_seconds"] = int(m.group("h")) * 3600 + int(m.group("m")) * 60 + int(m.group("s"))
    sync["speed_kib_s"] = _kib(m.group("speed"))
    # "(avg)" is the average since the resync started; with drbd_proc_details >= 1 the kernel prints
    # "(short -- since start)".
    sync["average_kib_s"] = _kib(m.group("avg2") or m.group("avg"))
    sync["want_kib_s"] = _kib(m.group("want")) if m.group("want") else None
    sync["stalled"] = bool(m.group("stalled"))


def _parse_device_body(lines, device):
    """Fill counters and resync progress from the lines under a device header."""
    progress_done = False
    counters_seen = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("ns:"):
            if counters_seen:
                raise DrbdParseError("two counter lines for minor %d" % device["minor"])
            counters_seen = True
            _parse_counters(stripped, device)
            continue
        if stripped.startswith("["):
            m = _PROGRESS_RE.match(stripped)
            if not m or device["sync"] is not None:
                raise DrbdParseError("unexpected resync progress line: %r" % line)
            device["sync"] = _new_sync(m)
            # Some kernels (seen with 2.6.39) lost the newline before "finish:".
            if m.group("rest"):
                _apply_finish(m.group("rest"), device["sync"])
                progress_done = True
            continue
        if stripped.startswith("finish:") or stripped == "stalled":
            if device["sync"] is None or progress_done:
                raise DrbdParseError("resync timing without a progress bar: %r" % line)
            if stripped == "stalled":
                # 0.7 and 8.0-8.2 print only this word instead of the timing.
                device["sync"]["stalled"] = True
            else:
                _apply_finish(stripped, device["sync"])
            progress_done = True
            continue
        if any(regex.match(stripped) for regex in _IGNORED_DEVICE_LINES):
            continue
        raise DrbdParseError("unknown line in the block of minor %d: %r" % (device["minor"], line))

    if device["cstate"] != "Unconfigured" and not counters_seen:
        raise DrbdParseError("minor %d has no counter line (truncated output?)" % device["minor"])
    if device["sync"] is not None and not progress_done:
        raise DrbdParseError("minor %d has a progress bar but no timing line (truncated output?)"
                             % device["minor"])


def parse_proc_drbd(text):
    """Parse the contents of /proc/drbd of any DRBD generation.

    Returns version, api, proto_min, proto_max, generation ("0.7", "8.0",
    "8.3" or "9"), build (the second line, or None), transports (DRBD 9) and
    devices keyed by minor number. DRBD 9 lists no devices unless resources
    run in 8.4 compatibility mode.
    """
    if not isinstance(text, str):
        raise DrbdParseError("expected text, got %s" % type(text).__name__)
    lines = [line.rstrip() for line in text.splitlines()]
    index = 0
    while index < len(lines) and not lines[index]:
        index += 1
    if index == len(lines):
        raise DrbdParseError("empty /proc/drbd")
    m = _VERSION_RE.match(lines[index])
    if not m:
        raise DrbdParseError("first line is not a DRBD version line: %r" % lines[index])
    version = m.group("version")
    result = {
        "version": version,
        "api": int(m.group("api")),
        "proto_min": int(m.group("pmin")),
        "proto_max": int(m.group("pmax") or m.group("pmin")),
        "generation": _generation(version),
        "build": None,
        "transports": None,
        "devices": {},
    }
    index += 1
    # The build tag (SVN Revision, GIT-hash or srcversion) is always the second
    # line, but some published captures drop it.
    if index < len(lines) and lines[index] and not _DEVICE_START_RE.match(lines[index]):
        result["build"] = lines[index].strip()
        index += 1

    blocks = []
    for line in lines[index:]:
        if not line:
            # 8.x marks gaps in the minor numbers with an empty line.
            continue
        if _DEVICE_START_RE.match(line):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
        elif line.startswith("Transports (api:") and "): " in line and result["transports"] is None:
            # DRBD 9 lists its loaded transport modules after the build tag.
            result["transports"] = line.split("): ", 1)[1].strip()
        else:
            raise DrbdParseError("unexpected line before the first device: %r" % line)

    for block in blocks:
        device = _parse_device_header(block[0], result["generation"])
        _parse_device_body(block[1:], device)
        if device["minor"] in result["devices"]:
            raise DrbdParseError("minor %d listed twice" % device["minor"])
        result["devices"][device["minor"]] = device
    return result


# ---------------------------------------------------------------------------
# Shared by the status parsers
# ---------------------------------------------------------------------------

# Unquoted drbd.conf names are [a-zA-Z0-9/._-]; quoted ones may hold more, but
# never what would make this output ambiguous (or JSON that was fed by mistake).
_NAME_RE = re.compile(r'^[^\s:{}\[\],"]+$')
_INT_RE = re.compile(r"^-?\d+$")
_FLOAT_RE = re.compile(r"^-?\d+\.\d+$")
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")


def _value(text):
    if _INT_RE.match(text):
        return int(text)
    if _FLOAT_RE.match(text):
        return float(text)
    return text


def _key(name):
    return name.replace("-", "_")


def _new_resource():
    return {"role": None, "suspended": None, "volumes": {}, "connections": {}}


def _new_volume():
    return {"minor": None, "disk": None}


def _new_connection():
    return {"connection": None, "role": None, "volumes": {}}


def _new_peer_volume():
    return {"replication": None, "peer_disk": None, "done": None}


def _volume_id(value, where):
    if isinstance(value, bool) or not isinstance(value, int):
        value = _value(str(value))
    if not isinstance(value, int) or value < 0:
        raise DrbdParseError("volume number %r is not a non-negative integer in %s" % (value, where))
    return value


def _volume_and_pairs(tokens, line):
    """A volume line's number (0 when the line names none, as with a single
    implicit volume) and its remaining key:value pairs."""
    pairs = _pairs(tokens, line)
    if pairs[0][0] == "volume":
        return _volume_id(pairs[0][1], line), pairs[1:]
    return 0, pairs


# ---------------------------------------------------------------------------
# drbdadm status / drbdsetup status (text)
# ---------------------------------------------------------------------------

def _pairs(tokens, line):
    pairs = []
    for token in tokens:
        key, sep, value = token.partition(":")
        if not sep or not key:
            raise DrbdParseError("expected key:value, got %r in %r" % (token, line))
        pairs.append((key, value))
    return pairs


def _merge(target, pairs, renames=None):
    for key, value in pairs:
        key = _key(key)
        if renames and key in renames:
            key = renames[key]
        target[key] = _value(value)


# drbd-utils before 9.x printed the peer's disk as "disk:" under a peer.
_PEER_RENAMES = {"disk": "peer_disk", "client": "peer_client"}


def parse_drbdadm_status(text):
    """Parse `drbdadm status` / `drbdsetup status` text output.

    drbdsetup indents each object by a fixed amount and wraps long lines at
    80 columns (or the terminal width) with a deeper, also fixed, indent:
    resource 0 (wrapped: 4), local volume 2 (6), connection 2 (6),
    peer volume 4 (8). Values that drbdsetup leaves out are None, with one
    exception: a connection that shows a role but no state is Connected,
    because drbdsetup prints the state only when it is not Connected and the
    role only when it is. A missing replication state is not guessed: it is
    either Established or Off.
    """
    if not isinstance(text, str):
        raise DrbdParseError("expected text, got %s" % type(text).__name__)
    resources = {}
    resource = level2 = peer_volume = None
    for raw in _ANSI_RE.sub("", text).splitlines():
        line = raw.rstrip()
        if not line:
            continue
        if line.startswith("#"):
            # "# No currently configured DRBD found."
            continue
        body = line.lstrip(" ")
        if body.startswith("\t"):
            raise DrbdParseError("tab in indentation: %r" % line)
        indent = len(line) - len(body)
        tokens = body.split()

        if indent == 0:
            name = tokens[0]
            if not _NAME_RE.match(name):
                raise DrbdParseError("expected a resource name, got %r" % line)
            if name in resources:
                raise DrbdParseError("resource %s listed twice" % name)
            resource = resources[name] = _new_resource()
            _merge(resource, _pairs(tokens[1:], line))
            level2 = peer_volume = None
        elif resource is None:
            raise DrbdParseError("indented line before any resource: %r" % line)
        elif indent == 2:
            peer_volume = None
            first_key = tokens[0].partition(":")[0] if ":" in tokens[0] else None
            if first_key is None or first_key == "node-id":
                # A connection. drbdsetup prints "node-id:N" in place of the
                # name when the connection has none; that token becomes the key.
                name = tokens[0]
                rest = tokens if first_key else tokens[1:]
                if first_key is None and not _NAME_RE.match(name):
                    raise DrbdParseError("expected a connection name, got %r" % line)
                if name in resource["connections"]:
                    raise DrbdParseError("connection %s listed twice" % name)
                conn = resource["connections"][name] = _new_connection()
                _merge(conn, _pairs(rest, line))
                level2 = conn
            else:
                volume, pairs = _volume_and_pairs(tokens, line)
                if volume in resource["volumes"]:
                    raise DrbdParseError("volume %d listed twice" % volume)
                vol = resource["volumes"][volume] = _new_volume()
                _merge(vol, pairs)
                level2 = vol
        elif indent == 4:
            if level2 is None:
                _merge(resource, _pairs(tokens, line))
            elif "volumes" in level2:
                volume, pairs = _volume_and_pairs(tokens, line)
                if volume in level2["volumes"]:
                    raise DrbdParseError("peer volume %d listed twice" % volume)
                peer_volume = level2["volumes"][volume] = _new_peer_volume()
                _merge(peer_volume, pairs, _PEER_RENAMES)
            else:
                raise DrbdParseError("unexpected line under a volume: %r" % line)
        elif indent == 6 and level2 is not None:
            _merge(level2, _pairs(tokens, line))
        elif indent == 8 and peer_volume is not None:
            _merge(peer_volume, _pairs(tokens, line), _PEER_RENAMES)
        else:
            raise DrbdParseError("unexpected indentation (%d) in %r" % (indent, line))

    for resource in resources.values():
        for conn in resource["connections"].values():
            if conn["connection"] is None and conn["role"] is not None:
                conn["connection"] = "Connected"
    return resources


# ---------------------------------------------------------------------------
# drbdsetup status --json
# ---------------------------------------------------------------------------

_JSON_RESOURCE_RENAMES = {"node-id": "node_id"}
_JSON_VOLUME_RENAMES = {"disk-state": "disk"}
_JSON_CONNECTION_RENAMES = {"peer-node-id": "node_id", "connection-state": "connection",
                            "peer-role": "role"}
_JSON_PEER_RENAMES = {"replication-state": "replication", "peer-disk-state": "peer_disk",
                      "percent-resync-done": "done"}
_SUSPEND_REASONS = (("suspended-user", "user"), ("suspended-no-data", "no-data"),
                    ("suspended-fencing", "fencing"), ("suspended-quorum", "quorum"))


def _json_scalar(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _json_merge(target, obj, renames, skip):
    for key, value in obj.items():
        if key in skip:
            continue
        target[renames.get(key, _key(key))] = _json_scalar(value)


def _json_object(value, what):
    if not isinstance(value, dict):
        raise DrbdParseError("%s is not a JSON object" % what)
    return value


def _json_list(obj, key, what):
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise DrbdParseError("%s.%s is not a JSON list" % (what, key))
    return value


def _json_string(obj, key, what):
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise DrbdParseError("%s has no %s string" % (what, key))
    return value


def parse_drbdsetup_json(text):
    """Parse `drbdsetup status --json` into the parse_drbdadm_status shape.

    `suspended` becomes the text form ("no", or the reasons joined by commas,
    or "yes" when an older drbd-utils gives no reasons). Every other key is
    optional, because older drbd-utils emit fewer of them.
    """
    if not isinstance(text, str):
        raise DrbdParseError("expected text, got %s" % type(text).__name__)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise DrbdParseError("drbdsetup status --json output is not JSON: %s" % exc)
    if not isinstance(data, list):
        raise DrbdParseError("drbdsetup status --json output is not a list")

    resources = {}
    for item in data:
        item = _json_object(item, "resource")
        name = _json_string(item, "name", "resource")
        if name in resources:
            raise DrbdParseError("resource %s listed twice" % name)
        resource = resources[name] = _new_resource()
        _json_merge(resource, item, _JSON_RESOURCE_RENAMES, ("name", "devices", "connections"))
        if isinstance(item.get("suspended"), bool):
            reasons = [word for key, word in _SUSPEND_REASONS if item.get(key) is True]
            resource["suspended"] = ",".join(reasons) if reasons else ("yes" if item["suspended"] else "no")

        for device in _json_list(item, "devices", name):
            device = _json_object(device, "device of %s" % name)
            volume = _volume_id(device.get("volume"), "device of %s" % name)
            if volume in resource["volumes"]:
                raise DrbdParseError("volume %d of %s listed twice" % (volume, name))
            vol = resource["volumes"][volume] = _new_volume()
            _json_merge(vol, device, _JSON_VOLUME_RENAMES, ("volume",))

        for connection in _json_list(item, "connections", name):
            connection = _json_object(connection, "connection of %s" % name)
            peer = _json_string(connection, "name", "connection of %s" % name)
            if peer in resource["connections"]:
                raise DrbdParseError("connection %s of %s listed twice" % (peer, name))
            conn = resource["connections"][peer] = _new_connection()
            _json_merge(conn, connection, _JSON_CONNECTION_RENAMES, ("name", "peer_devices"))
            for peer_device in _json_list(connection, "peer_devices", peer):
                peer_device = _json_object(peer_device, "peer device of %s" % peer)
                volume = _volume_id(peer_device.get("volume"), "peer device of %s" % peer)
                if volume in conn["volumes"]:
                    raise DrbdParseError("peer volume %d of %s listed twice" % (volume, peer))
                pv = conn["volumes"][volume] = _new_peer_volume()
                _json_merge(pv, peer_device, _JSON_PEER_RENAMES, ("volume",))
    return resources


# ---------------------------------------------------------------------------
# drbdsetup events2
# ---------------------------------------------------------------------------

_EVENTS = frozenset(("exists", "create", "change", "destroy", "call", "response", "rename"))
_OBJECTS = frozenset(("resource", "device", "connection", "peer-device", "path", "helper", "-"))
_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\S+$")


def parse_events2(lines):
    """Split `drbdsetup events2` output into events.

    Accepts the whole output as one string or an iterable of lines. Each
    event is {"timestamp": str or None, "event": ..., "object": ...,
    "fields": {key: value}} with keys and values exactly as printed.
    """
    if isinstance(lines, str):
        lines = lines.splitlines()
    events = []
    for raw in lines:
        if not isinstance(raw, str):
            raise DrbdParseError("expected text lines, got %s" % type(raw).__name__)
        tokens = _ANSI_RE.sub("", raw).split()
        if not tokens:
            continue
        timestamp = None
        if _TIMESTAMP_RE.match(tokens[0]):
            timestamp = tokens.pop(0)
        if len(tokens) < 2 or tokens[0] not in _EVENTS or tokens[1] not in _OBJECTS:
            raise DrbdParseError("not an events2 line: %r" % raw)
        fields = {}
        for key, value in _pairs(tokens[2:], raw):
            fields[key] = value
        events.append({"timestamp": timestamp, "event": tokens[0], "object": tokens[1],
                       "fields": fields})
    return events


def _require(fields, key, event):
    if key not in fields:
        raise DrbdParseError("%s %s event without %s" % (event["event"], event["object"], key))
    return fields[key]


def apply_events2(events, state=None):
    """Fold events from parse_events2 into the parse_drbdadm_status shape.

    Meant for an `events2 --now` dump, but any later events can be folded
    into the returned state by passing it back as `state`. Helper calls and
    paths are not part of the result. events2 prints `done:` only while a
    resync runs, so a replication change without it clears the old value.
    """
    resources = {} if state is None else state
    for event in events:
        kind, obj, fields = event["event"], event["object"], event["fields"]
        if obj in ("-", "helper", "path") or kind in ("call", "response"):
            continue
        if kind == "rename":
            old = _require(fields, "name", event)
            new = _require(fields, "new_name", event)
            if old in resources:
                resources[new] = resources.pop(old)
            continue
        name = _require(fields, "name", event)
        if kind == "destroy" and obj == "resource":
            resources.pop(name, None)
            continue
        resource = resources.setdefault(name, _new_resource())

        if obj == "resource":
            _merge(resource, [(k, v) for k, v in fields.items() if k != "name"])
            continue

        if obj == "device":
            volume = _volume_id(_require(fields, "volume", event), "device event")
            if kind == "destroy":
                resource["volumes"].pop(volume, None)
                continue
            vol = resource["volumes"].setdefault(volume, _new_volume())
            _merge(vol, [(k, v) for k, v in fields.items() if k not in ("name", "volume")])
            continue

        peer = _require(fields, "conn-name", event)
        if obj == "connection":
            if kind == "destroy":
                resource["connections"].pop(peer, None)
                continue
            conn = resource["connections"].setdefault(peer, _new_connection())
            _merge(conn, [(k, v) for k, v in fields.items() if k not in ("name", "conn-name")],
                   {"peer_node_id": "node_id"})
            continue

        # peer-device
        volume = _volume_id(_require(fields, "volume", event), "peer-device event")
        conn = resource["connections"].setdefault(peer, _new_connection())
        if kind == "destroy":
            conn["volumes"].pop(volume, None)
            continue
        pv = conn["volumes"].setdefault(volume, _new_peer_volume())
        if "replication" in fields and "done" not in fields:
            pv["done"] = None
        _merge(pv, [(k, v) for k, v in fields.items()
                    if k not in ("name", "conn-name", "peer-node-id", "volume")])
    return resources
