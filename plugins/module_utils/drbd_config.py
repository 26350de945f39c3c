# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# Render DRBD configuration text for one of four dialects. Pure functions, no
# I/O: the module that writes files and runs drbdadm lives elsewhere.
#
#   "0.7"  DRBD 0.7.x: one /etc/drbd.conf, strict scanner, no handlers/common
#   "8.3"  DRBD 8.0-8.3: syncer {}, resource-level protocol, bare flags
#   "8.4"  DRBD 8.4: syncer {} dissolved into disk/net/options, yes/no booleans
#   "9"    DRBD 9.x: node-id, connection-mesh, fencing in net {}
#
# The caller describes a resource once, in "logical" places (syncer.rate,
# disk.fencing, handlers.pri-on-incon-degr, ...). Each option is placed where
# the target dialect expects it. An option the dialect does not have raises
# DrbdConfigError naming the option and the dialect: dropping it silently
# would leave the user believing a setting is active when it is not.
#
# Output is deterministic (sorted options, sorted hosts, fixed indentation),
# so that comparing the rendered text with the file on disk is the idempotency
# check, and every node of a cluster renders byte-identical files no matter in
# which order its inventory listed the hosts.

import fnmatch
import ipaddress
import posixpath
import re

DIALECTS = ("0.7", "8.3", "8.4", "9")
SECTIONS = ("options", "net", "disk", "syncer", "startup", "handlers")

MANAGED_MARKER = "# Managed by hacluster.drbd.drbd_resource; edits here are overwritten."

# The stock /etc/drbd.conf of drbd-utils >= 8.3.7: relative includes resolve
# against the directory of the including file.
STOCK_DRBD_CONF = (
    "# Managed by hacluster.drbd.drbd_resource: resources live in drbd.d/*.res\n"
    "include \"drbd.d/global_common.conf\";\n"
    "include \"drbd.d/*.res\";\n"
)

MASK = "********"


class DrbdConfigError(ValueError):
    """Raised for a resource description that cannot be rendered."""


# ---------------------------------------------------------------------------
# Option placement
# ---------------------------------------------------------------------------

# Where an option lives in each dialect. RESOURCE means "directly inside
# resource NAME { }". None means the dialect has no such option; the string
# next to it tells the user what to do instead.
RESOURCE = "resource"

_C_OPTIONS = ("c-plan-ahead", "c-fill-target", "c-delay-target", "c-max-rate", "c-min-rate")

_PLACEMENT = {
    "resync-rate": {"0.7": ("syncer", "rate"), "8.3": ("syncer", "rate"),
                    "8.4": ("disk", "resync-rate"), "9": ("disk", "resync-rate")},
    "resync-after": {"0.7": "DRBD 0.7 orders resyncs with syncer.group",
                     "8.3": ("syncer", "after"),
                     "8.4": ("disk", "resync-after"), "9": ("disk", "resync-after")},
    "group": {"0.7": ("syncer", "group"),
              "8.3": "sync groups were replaced by syncer.after in DRBD 8.0",
              "8.4": "sync groups were replaced by disk.resync-after",
              "9": "sync groups were replaced by disk.resync-after"},
    "al-extents": {"0.7": ("syncer", "al-extents"), "8.3": ("syncer", "al-extents"),
                   "8.4": ("disk", "al-extents"), "9": ("disk", "al-extents")},
    "verify-alg": {"0.7": "online verify does not exist in DRBD 0.7", "8.3": ("syncer", "verify-alg"),
                   "8.4": ("net", "verify-alg"), "9": ("net", "verify-alg")},
    "csums-alg": {"0.7": "checksum-based resync does not exist in DRBD 0.7", "8.3": ("syncer", "csums-alg"),
                  "8.4": ("net", "csums-alg"), "9": ("net", "csums-alg")},
    "use-rle": {"0.7": "use-rle does not exist in DRBD 0.7", "8.3": ("syncer", "use-rle"),
                "8.4": ("net", "use-rle"), "9": ("net", "use-rle")},
    "cpu-mask": {"0.7": "cpu-mask does not exist in DRBD 0.7", "8.3": ("syncer", "cpu-mask"),
                 "8.4": ("options", "cpu-mask"), "9": ("options", "cpu-mask")},
    "on-no-data-accessible": {"0.7": "on-no-data-accessible does not exist in DRBD 0.7",
                              "8.3": ("syncer", "on-no-data-accessible"),
                              "8.4": ("options", "on-no-data-accessible"),
                              "9": ("options", "on-no-data-accessible")},
    "fencing": {"0.7": "DRBD 0.7 has no fencing policies",
                "8.3": ("disk", "fencing"), "8.4": ("disk", "fencing"), "9": ("net", "fencing")},
    "pri-on-incon-degr": {"0.7": (RESOURCE, "incon-degr-cmd"), "8.3": ("handlers", "pri-on-incon-degr"),
                          "8.4": ("handlers", "pri-on-incon-degr"), "9": ("handlers", "pri-on-incon-degr")},
    "protocol": {"0.7": (RESOURCE, "protocol"), "8.3": (RESOURCE, "protocol"),
                 "8.4": ("net", "protocol"), "9": ("net", "protocol")},
    "become-primary-on": {"0.7": "become-primary-on does not exist in DRBD 0.7",
                          "8.3": ("startup", "become-primary-on"), "8.4": ("startup", "become-primary-on"),
                          "9": "DRBD 9 parses become-primary-on and ignores it; use options.auto-promote"},
    "on-disconnect": {"0.7": ("net", "on-disconnect"),
                      "8.3": "on-disconnect was removed in DRBD 8.0; use disk.fencing",
                      "8.4": "on-disconnect was removed in DRBD 8.0; use disk.fencing",
                      "9": "on-disconnect was removed in DRBD 8.0; use net.fencing"},
}
for _name in _C_OPTIONS:
    _PLACEMENT[_name] = {"0.7": "the dynamic resync controller does not exist in DRBD 0.7",
                         "8.3": ("syncer", _name), "8.4": ("disk", _name), "9": ("disk", _name)}

# (section as the user wrote it, option) -> concept in _PLACEMENT. Both the
# old and the new home of a moved option are accepted.
_ALIASES = {
    ("syncer", "rate"): "resync-rate", ("disk", "resync-rate"): "resync-rate",
    ("syncer", "after"): "resync-after", ("disk", "resync-after"): "resync-after",
    ("syncer", "group"): "group",
    ("syncer", "al-extents"): "al-extents", ("disk", "al-extents"): "al-extents",
    ("syncer", "verify-alg"): "verify-alg", ("net", "verify-alg"): "verify-alg",
    ("syncer", "csums-alg"): "csums-alg", ("net", "csums-alg"): "csums-alg",
    ("syncer", "use-rle"): "use-rle", ("net", "use-rle"): "use-rle",
    ("syncer", "cpu-mask"): "cpu-mask", ("options", "cpu-mask"): "cpu-mask",
    ("syncer", "on-no-data-accessible"): "on-no-data-accessible",
    ("disk", "on-no-data-accessible"): "on-no-data-accessible",
    ("options", "on-no-data-accessible"): "on-no-data-accessible",
    ("disk", "fencing"): "fencing", ("net", "fencing"): "fencing",
    ("handlers", "pri-on-incon-degr"): "pri-on-incon-degr",
    ("net", "protocol"): "protocol",
    ("startup", "become-primary-on"): "become-primary-on",
    ("net", "on-disconnect"): "on-disconnect",
}
for _name in _C_OPTIONS:
    _ALIASES[("syncer", _name)] = _name
    _ALIASES[("disk", _name)] = _name

# Sections each dialect has inside a resource. syncer {} is still parsed by
# drbdadm 8.4 but rejected by drbd-utils 9.22's v9 parser, so it is never
# written for 8.4 or 9.
_DIALECT_SECTIONS = {
    "0.7": ("net", "disk", "syncer", "startup"),
    "8.3": ("net", "disk", "syncer", "startup", "handlers"),
    "8.4": ("options", "net", "disk", "startup", "handlers"),
    "9": ("options", "net", "disk", "startup", "handlers"),
}

_MISSING_SECTION_HINT = {
    ("0.7", "handlers"): "DRBD 0.7 has no handlers {} section (only handlers.pri-on-incon-degr, "
                         "written as incon-degr-cmd)",
    ("0.7", "options"): "resource options {} exist from DRBD 8.4 on",
    ("8.3", "options"): "resource options {} exist from DRBD 8.4 on (cpu-mask and on-no-data-accessible "
                        "are placed in syncer {} automatically)",
    ("8.4", "syncer"): "DRBD 8.4 dissolved syncer {} into disk, net and options; give this option in its new section",
    ("9", "syncer"): "DRBD 9 dissolved syncer {} into disk, net and options; give this option in its new section",
}

# Options that only DRBD 9 knows.
_ONLY_9 = {
    ("options", "auto-promote"), ("options", "quorum"), ("options", "on-no-quorum"),
    ("options", "quorum-minimum-redundancy"), ("options", "on-suspended-primary-outdated"),
    ("net", "transport"), ("net", "tls"), ("net", "allow-remote-read"),
    ("handlers", "unfence-peer"), ("handlers", "quorum-lost"), ("handlers", "disconnected"),
}

# discard-my-data is a one-shot recovery flag. Kept in a configuration file it
# makes this node throw its data away at every split-brain reconnect.
_REFUSED = {
    ("net", "discard-my-data"): "net.discard-my-data in a configuration file makes this node discard its data "
                                "after every split brain; run 'drbdadm connect --discard-my-data' once, by hand",
}

# Booleans. From 8.4 on every boolean is "name yes|no"; before that a boolean
# is a bare keyword, and "off" for the flags below is spelt "no-NAME;".
_NEGATABLE_83 = frozenset(("disk-barrier", "disk-flushes", "disk-drain", "md-flushes", "tcp-cork"))
# Bare flags whose default is off in 0.7/8.3: false simply means "do not write
# the flag", which is exactly the default, so nothing is lost.
_OFF_BY_DEFAULT_83 = frozenset(("allow-two-primaries", "always-asbp", "use-rle", "wait-after-sb",
                                "use-bmbv", "stacked-timeouts", "skip-sync", "use-csums"))

_GLOBAL_OPTIONS = {
    "0.7": ("minor-count", "dialog-refresh", "disable-ip-verification", "disable-io-hints"),
    "8.3": ("minor-count", "dialog-refresh", "disable-ip-verification", "usage-count"),
    "8.4": ("minor-count", "dialog-refresh", "disable-ip-verification", "usage-count", "udev-always-use-vnr"),
    "9": ("minor-count", "dialog-refresh", "disable-ip-verification", "usage-count", "udev-always-use-vnr"),
}
# usage-count defaults to "ask" in drbd-utils, which prompts on a terminal and
# phones home otherwise: neither belongs in unattended runs.
DEFAULT_GLOBAL = {"0.7": {}, "8.3": {"usage-count": "no"}, "8.4": {"usage-count": "no"}, "9": {"usage-count": "no"}}

_KEY_RE = re.compile(r"^[a-z][a-z0-9-]*$")
# Unquoted tokens: the NAME class of the drbdadm scanners, [/_.A-Za-z0-9-].
_BARE_RE = re.compile(r"^[/_.A-Za-z0-9-]+$")
_NUMBER_RE = re.compile(r"^[0-9]+[kmgKMGsS]?$")
_RES_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_HOST_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PATH_RE = re.compile(r"^/[/_.A-Za-z0-9+:@-]+$")
_META_RE = re.compile(r"^(?P<path>/[^\s\[\]\";{}]+?)\s*(?:\[\s*(?P<index>\d+)\s*\])?$")
_DRBD_DEV_RE = re.compile(r"^/dev/drbd(?P<minor>\d+)$")

_RESOURCE_KEYS = frozenset(("name", "hosts", "protocol") + SECTIONS)
_HOST_KEYS = frozenset(("name", "address", "port", "disk", "device", "minor", "node_id", "meta_disk"))


def _fail(msg, *args):
    raise DrbdConfigError(msg % args if args else msg)


def check_dialect(dialect):
    if dialect not in DIALECTS:
        _fail("unknown DRBD configuration dialect %r; expected one of %s", dialect, ", ".join(DIALECTS))
    return dialect


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------

def _check_text(value, where):
    # The scanners have no usable escape syntax across all versions; refusing
    # these characters keeps a value from ending its string or statement early.
    for bad, label in (('"', "a double quote"), ("\\", "a backslash"), ("\n", "a line break"),
                       ("\r", "a carriage return"), ("\x00", "a NUL byte")):
        if bad in value:
            _fail("%s contains %s, which DRBD configuration files cannot hold", where, label)


def _quote(value, where, dialect):
    _check_text(value, where)
    if dialect == "0.7" and len(value) > 80:
        # drbdadm 0.7 scanner: STRING is at most 80 characters.
        _fail("%s is %d characters long; DRBD 0.7 allows at most 80", where, len(value))
    return '"%s"' % value


def _scalar(value, where, dialect, quote=False):
    """Render one non-boolean value."""
    if value is None:
        _fail("%s has no value; remove it or give it one", where)
    if isinstance(value, bool):
        _fail("%s is a boolean here, where DRBD expects a value", where)
    if not isinstance(value, (int, str)):
        _fail("%s must be a string or a number, not %s", where, type(value).__name__)
    text = str(value)
    if text == "":
        _fail("%s is empty", where)
    if dialect == "0.7" and _NUMBER_RE.fullmatch(text) and len(text.rstrip("kmgKMGsS")) > 9:
        # The 0.7 scanner exits with "number exceeds limit of 9 digits".
        _fail("%s = %s has more than 9 digits, which DRBD 0.7 cannot parse", where, text)
    if quote or not _BARE_RE.fullmatch(text):
        return _quote(text, where, dialect)
    if dialect == "0.7" and len(text) > 80:
        _fail("%s is %d characters long; DRBD 0.7 allows at most 80", where, len(text))
    return text


def _boolean_statement(name, value, dialect, where):
    """Return (name, rendered value or None for a bare flag), or None to omit."""
    negated = name.startswith("no-")
    base = name[3:] if negated else name
    enabled = (not value) if negated else value
    if dialect in ("8.4", "9"):
        # drbdadm 8.4+ turns "no-xxx;" into "xxx no" anyway; write the canonical form.
        return (base, "yes" if enabled else "no")
    if enabled:
        return (base, None)
    if base in _NEGATABLE_83:
        return ("no-" + base, None)
    if base in _OFF_BY_DEFAULT_83:
        return None
    _fail("%s: false cannot be expressed in DRBD %s, where booleans are bare flags; remove the option", where, dialect)


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------

def _normalize_options(section, options):
    """Return {option: value} with '_' spelt as '-' and duplicates refused."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        _fail("%s must be a dictionary of DRBD options, not %s", section, type(options).__name__)
    result = {}
    for raw_key, value in options.items():
        if not isinstance(raw_key, str):
            _fail("%s has a non-string option name %r", section, raw_key)
        key = raw_key.strip().lower().replace("_", "-")
        if not _KEY_RE.fullmatch(key):
            _fail("%s.%s is not a valid DRBD option name", section, raw_key)
        if key in result:
            _fail("%s.%s is given twice (spelt with '-' and with '_')", section, key)
        result[key] = value
    return result


def _place_options(resource, dialect):
    """Sort the user's options into {section: {option: value}} for the dialect.

    Resource-level statements (protocol, incon-degr-cmd) are returned under
    the RESOURCE key.
    """
    placed = {}
    origin = {}

    def put(section, key, value, source):
        target = placed.setdefault(section, {})
        if key in target:
            _fail("%s and %s are the same DRBD %s option (%s %s); give it once",
                  origin[(section, key)], source, dialect, section, key)
        target[key] = value
        origin[(section, key)] = source

    if resource.get("protocol") is not None:
        protocol = resource["protocol"]
        if protocol not in ("A", "B", "C"):
            _fail("protocol must be A, B or C, not %r", protocol)
        section, key = _PLACEMENT["protocol"][dialect]
        put(section, key, protocol, "protocol")

    for section in SECTIONS:
        options = _normalize_options(section, resource.get(section))
        for key, value in options.items():
            source = "%s.%s" % (section, key)
            if (section, key) in _REFUSED:
                _fail(_REFUSED[(section, key)])
            if (section, key) in _ONLY_9 and dialect != "9":
                _fail("%s does not exist in DRBD %s (it is a DRBD 9 option)", source, dialect)
            concept = _ALIASES.get((section, key))
            if concept is not None:
                where = _PLACEMENT[concept][dialect]
                if isinstance(where, str):
                    _fail("%s cannot be used with DRBD %s: %s", source, dialect, where)
                put(where[0], where[1], value, source)
                continue
            if section not in _DIALECT_SECTIONS[dialect]:
                hint = _MISSING_SECTION_HINT.get((dialect, section), "")
                _fail("%s cannot be used with DRBD %s: %s", source, dialect, hint)
            put(section, key, value, source)
    return placed


def _render_section_options(section, options, dialect, extra=None):
    """Return the statements of one section, sorted by the name written."""
    statements = list(extra or [])
    for key in options:
        value = options[key]
        where = "%s.%s" % (section, key)
        if isinstance(value, bool):
            statement = _boolean_statement(key, value, dialect, where)
            if statement is None:
                continue
            statements.append(statement)
        else:
            # Handlers are shell command lines: always quoted.
            statements.append((key, _scalar(value, where, dialect, quote=(section == "handlers"))))
    statements.sort(key=lambda item: item[0])
    return ["%s;" % name if text is None else "%s %s;" % (name, text) for name, text in statements]


# ---------------------------------------------------------------------------
# Hosts
# ---------------------------------------------------------------------------

def _address(host, dialect):
    where = "hosts[%s].address" % host["name"]
    raw = host.get("address")
    if not isinstance(raw, str) or not raw:
        _fail("%s is required (an IPv4 or IPv6 address)", where)
    text = raw.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        _fail("%s %r is not an IP address; DRBD needs a literal IPv4 or IPv6 address", where, raw)
    port = host.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        _fail("hosts[%s].port must be an integer between 1 and 65535, not %r", host["name"], port)
    if addr.version == 6:
        if dialect == "0.7":
            _fail("%s %s: DRBD 0.7 only supports IPv4 addresses", where, raw)
        return addr, "ipv6 [%s]:%d" % (addr.compressed, port)
    if dialect == "0.7":
        # drbdadm 0.7 scanner: IPV4ADDR is {_1_254}.{_0_255}.{_0_255}.{_1_254}.
        first, last = addr.packed[0], addr.packed[3]
        if not (1 <= first <= 254 and 1 <= last <= 254):
            _fail("%s %s: DRBD 0.7 accepts IPv4 addresses whose first and last octets are 1-254", where, raw)
    return addr, "%s:%d" % (addr, port)


def _device(host, dialect):
    """Return (minor, rendered device value)."""
    name = host["name"]
    device = host.get("device")
    minor = host.get("minor")
    if minor is not None and (isinstance(minor, bool) or not isinstance(minor, int) or minor < 0):
        _fail("hosts[%s].minor must be a non-negative integer, not %r", name, minor)
    if device is None and minor is None:
        _fail("hosts[%s] needs device (/dev/drbdN) or minor", name)
    if device is not None:
        if not isinstance(device, str) or not _PATH_RE.fullmatch(device):
            _fail("hosts[%s].device %r is not a device path", name, device)
        m = _DRBD_DEV_RE.fullmatch(device)
        if m:
            if minor is not None and int(m.group("minor")) != minor:
                _fail("hosts[%s]: device %s and minor %d disagree", name, device, minor)
            return int(m.group("minor")), device
        # Arbitrary device names need an explicit minor (drbdadm 8.3.1+).
        if dialect == "0.7":
            _fail("hosts[%s].device %s: DRBD 0.7 needs /dev/drbdN device names", name, device)
        if minor is None:
            _fail("hosts[%s].device %s does not name a minor (/dev/drbdN); give minor as well", name, device)
        return minor, "%s minor %d" % (device, minor)
    if dialect in ("0.7", "8.3"):
        # "device minor N" only exists from drbdadm 8.3.1 on; /dev/drbdN works everywhere.
        return minor, "/dev/drbd%d" % minor
    return minor, "minor %d" % minor


def parse_meta_disk(value, dialect="9"):
    """Split a meta_disk value into {'kind', 'path', 'index'}.

    kind is "internal", "flexible" (external device, no index) or "indexed".
    """
    if value is None or value == "internal":
        return {"kind": "internal", "path": None, "index": None}
    if not isinstance(value, str):
        _fail("meta_disk must be 'internal' or a device path, not %r", value)
    m = _META_RE.fullmatch(value.strip())
    if not m:
        _fail("meta_disk %r must be 'internal', /dev/PATH or /dev/PATH[INDEX]", value)
    if m.group("index") is None:
        if dialect == "0.7":
            # 0.7 scanner: "meta-disk: index missing".
            _fail("meta_disk %s: DRBD 0.7 needs an index for external meta data (/dev/PATH[0])", value)
        return {"kind": "flexible", "path": m.group("path"), "index": None}
    return {"kind": "indexed", "path": m.group("path"), "index": int(m.group("index"))}


def _meta_statement(meta, dialect):
    if meta["kind"] == "internal":
        return "meta-disk internal;"
    if meta["kind"] == "indexed":
        return "meta-disk %s [%d];" % (meta["path"], meta["index"])
    if dialect == "8.3":
        # 8.3's meta-disk insists on an index; flexible external needs its own keyword.
        return "flexible-meta-disk %s;" % meta["path"]
    return "meta-disk %s;" % meta["path"]


def normalize_hosts(hosts, dialect):
    """Validate hosts and return them sorted by name, with derived fields.

    Each returned host carries name, address_text, addr (ipaddress object),
    port, disk, minor, device_text, meta (parse_meta_disk) and node_id.
    """
    check_dialect(dialect)
    if not isinstance(hosts, list) or not hosts:
        _fail("hosts must be a non-empty list")
    result = []
    seen_names = set()
    seen_endpoints = set()
    for index, host in enumerate(hosts):
        if not isinstance(host, dict):
            _fail("hosts[%d] must be a dictionary", index)
        unknown = sorted(k for k, v in host.items() if k not in _HOST_KEYS and v is not None)
        if unknown:
            _fail("hosts[%d] has unknown keys: %s", index, ", ".join(unknown))
        name = host.get("name")
        if not isinstance(name, str) or not _HOST_NAME_RE.fullmatch(name) or len(name) > 80:
            _fail("hosts[%d].name %r must be the node's host name (uname -n)", index, name)
        if name in seen_names:
            _fail("host %s is listed twice", name)
        seen_names.add(name)
        addr, address_text = _address(host, dialect)
        endpoint = (addr, host["port"])
        if endpoint in seen_endpoints:
            _fail("hosts[%s]: %s is used by two hosts", name, address_text)
        seen_endpoints.add(endpoint)
        disk = host.get("disk")
        if disk == "none":
            if dialect != "9":
                _fail("hosts[%s].disk none (a diskless node) needs DRBD 9", name)
        elif not isinstance(disk, str) or not _PATH_RE.fullmatch(disk):
            _fail("hosts[%s].disk must be the backing block device path, not %r", name, disk)
        minor, device_text = _device(host, dialect)
        meta = parse_meta_disk(host.get("meta_disk"), dialect)
        node_id = host.get("node_id")
        if node_id is not None:
            if dialect != "9":
                _fail("hosts[%s].node_id: node-id only exists in DRBD 9, not in DRBD %s", name, dialect)
            if isinstance(node_id, bool) or not isinstance(node_id, int) or not 0 <= node_id <= 31:
                _fail("hosts[%s].node_id must be an integer between 0 and 31, not %r", name, node_id)
        result.append({
            "name": name, "addr": addr, "address_text": address_text, "port": host["port"],
            "disk": disk, "minor": minor, "device_text": device_text, "meta": meta, "node_id": node_id,
        })
    result.sort(key=lambda h: h["name"])
    if dialect != "9" and len(result) != 2:
        _fail("DRBD %s resources have exactly two hosts, not %d", dialect, len(result))
    if dialect == "9":
        ids = [h["node_id"] for h in result]
        if any(i is None for i in ids):
            if any(i is not None for i in ids):
                _fail("node_id must be given for every host or for none")
            if len(result) != 2:
                # drbdadm only invents node ids for exactly two hosts.
                _fail("DRBD 9 resources with %d hosts need node_id on every host", len(result))
        elif len(set(ids)) != len(ids):
            _fail("node_id values must be unique, got %s", ", ".join(str(i) for i in ids))
    return result


def _render_host(host, dialect):
    lines = ["on %s {" % host["name"]]
    body = []
    if host["node_id"] is not None:
        body.append("node-id %d;" % host["node_id"])
    body.append("device %s;" % host["device_text"])
    body.append("disk %s;" % host["disk"])
    if host["disk"] != "none":
        body.append(_meta_statement(host["meta"], dialect))
    body.append("address %s;" % host["address_text"])
    lines.extend("    " + b for b in body)
    lines.append("}")
    return lines


# ---------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------

def check_resource_name(name, dialect="9"):
    if not isinstance(name, str) or not _RES_NAME_RE.fullmatch(name) or len(name) > 80:
        # drbd-utils 9.2 enforces [0-9A-Za-z.+_-]; the name is also a file name.
        _fail("resource name %r must match [A-Za-z0-9][A-Za-z0-9._+-]* (at most 80 characters)", name)
    if dialect == "0.7" and "+" in name:
        _fail("resource name %r: DRBD 0.7 names may only contain letters, digits, '.', '_' and '-'", name)
    return name


def _check_shared_secret(secret, placed, dialect):
    if secret is None:
        return
    if dialect == "0.7":
        _fail("shared_secret: DRBD 0.7 has no peer authentication")
    if not isinstance(secret, str) or not secret:
        _fail("shared_secret must be a non-empty string")
    if len(secret) > 64:
        # SHARED_SECRET_MAX in drbd.h
        _fail("shared_secret is %d characters long; DRBD allows at most 64", len(secret))
    _check_text(secret, "shared_secret")
    if "cram-hmac-alg" not in placed.get("net", {}):
        _fail("shared_secret needs net.cram-hmac-alg (for example sha1); without it DRBD ignores the secret")
    if "shared-secret" in placed.get("net", {}):
        _fail("give the secret as shared_secret, not as net.shared-secret, so that it is kept out of logs and diffs")


def _check_dangerous(placed):
    net = placed.get("net", {})
    two_primaries = net.get("allow-two-primaries")
    if two_primaries is True or (isinstance(two_primaries, str) and two_primaries.lower() == "yes"):
        protocol = placed.get(RESOURCE, {}).get("protocol") or net.get("protocol") or "C"
        if protocol != "C":
            _fail("net.allow-two-primaries needs protocol C (got %s): with A or B both primaries can lose "
                  "acknowledged writes", protocol)


def render_resource(resource, dialect, shared_secret=None):
    """Return the text of one `resource NAME { ... }` block, ending in a newline.

    resource: dict with name, hosts, protocol and the option dictionaries net,
    disk, startup, syncer, handlers and options.
    """
    check_dialect(dialect)
    if not isinstance(resource, dict):
        _fail("a resource must be a dictionary")
    unknown = sorted(k for k in resource if k not in _RESOURCE_KEYS)
    if unknown:
        _fail("unknown resource keys: %s", ", ".join(unknown))
    name = check_resource_name(resource.get("name"), dialect)
    hosts = normalize_hosts(resource.get("hosts"), dialect)
    placed = _place_options(resource, dialect)
    _check_shared_secret(shared_secret, placed, dialect)
    _check_dangerous(placed)

    top = placed.pop(RESOURCE, {})
    if dialect in ("0.7", "8.3") and "protocol" not in top:
        # Both parsers reject a resource without it ("protocol definition missing").
        _fail("protocol is required by DRBD %s; set protocol: C unless you know you want A or B", dialect)

    lines = [MANAGED_MARKER, "resource %s {" % name]
    if "protocol" in top:
        lines.append("    protocol %s;" % top["protocol"])
    if "incon-degr-cmd" in top:
        command = _scalar(top["incon-degr-cmd"], "handlers.pri-on-incon-degr", dialect, quote=True)
        lines.append("    incon-degr-cmd %s;" % command)
    for section in SECTIONS:
        extra = None
        if section == "net" and shared_secret is not None:
            extra = [("shared-secret", '"%s"' % shared_secret)]
        body = _render_section_options(section, placed.get(section, {}), dialect, extra)
        if not body:
            continue
        lines.append("    %s {" % section)
        lines.extend("        " + b for b in body)
        lines.append("    }")
    for host in hosts:
        lines.extend("    " + line for line in _render_host(host, dialect))
    if dialect == "9" and len(hosts) > 2:
        lines.append("    connection-mesh {")
        lines.append("        hosts %s;" % " ".join(h["name"] for h in hosts))
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_global(dialect, options=None):
    """Return a `global { }` block, or "" when there is nothing to say."""
    check_dialect(dialect)
    if options is None:
        options = DEFAULT_GLOBAL[dialect]
    options = _normalize_options("global", options)
    for key in options:
        if key not in _GLOBAL_OPTIONS[dialect]:
            _fail("global.%s does not exist in DRBD %s (known: %s)", key, dialect, ", ".join(_GLOBAL_OPTIONS[dialect]))
    body = _render_section_options("global", options, dialect)
    if not body:
        return ""
    return "global {\n%s\n}\n" % "\n".join("    " + b for b in body)


def render_common(dialect, common=None):
    """Return a `common { }` block with the given sections, or ""."""
    check_dialect(dialect)
    if not common:
        return ""
    if dialect == "0.7":
        _fail("common: DRBD 0.7 has no common {} section; put the options into each resource")
    unknown = sorted(k for k in common if k not in ("protocol",) + SECTIONS)
    if unknown:
        _fail("common has unknown keys: %s", ", ".join(unknown))
    placed = _place_options(common, dialect)
    top = placed.pop(RESOURCE, {})
    lines = ["common {"]
    if "protocol" in top:
        lines.append("    protocol %s;" % top["protocol"])
    for section in SECTIONS:
        body = _render_section_options(section, placed.get(section, {}), dialect)
        if body:
            lines.append("    %s {" % section)
            lines.extend("        " + b for b in body)
            lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_global_common(dialect, global_options=None, common=None):
    """Return drbd.d/global_common.conf for the split layout (8.3.7+, 8.4, 9)."""
    check_dialect(dialect)
    if dialect == "0.7":
        _fail("DRBD 0.7 has no include statement, so there is no global_common.conf")
    parts = [MANAGED_MARKER + "\n", render_global(dialect, global_options), render_common(dialect, common)]
    return "".join(p for p in parts if p)


def render_drbd_conf(resources, dialect, global_options=None, common=None, shared_secrets=None):
    """Return a complete single-file /etc/drbd.conf (0.7, and 8.x before includes).

    resources: list of resource dicts; shared_secrets: {resource name: secret}.
    global {} comes first, because the 0.7 scanner insists on it.
    """
    check_dialect(dialect)
    shared_secrets = shared_secrets or {}
    parts = [render_global(dialect, global_options), render_common(dialect, common)]
    names = set()
    for resource in resources:
        name = resource.get("name") if isinstance(resource, dict) else None
        if name in names:
            _fail("resource %s is given twice", name)
        names.add(name)
        parts.append(render_resource(resource, dialect, shared_secrets.get(name)))
    return "\n".join(p for p in parts if p)


# ---------------------------------------------------------------------------
# Layout, secrets, editing single-file configurations
# ---------------------------------------------------------------------------

def _version_tuple(version):
    if not version:
        return None
    m = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", str(version))
    if not m:
        return None
    return tuple(int(x or 0) for x in m.groups())


def layout_for(dialect, utils_version):
    """Return "split" (drbd.d/*.res) or "single" (everything in drbd.conf).

    The include statement arrived in 8.3.1 and the stock drbd.d layout in
    8.3.7; anything older, and 0.7, keeps the whole configuration in one file.
    """
    check_dialect(dialect)
    if dialect == "0.7":
        return "single"
    if dialect == "8.3":
        version = _version_tuple(utils_version)
        if version is None or version < (8, 3, 7):
            return "single"
    return "split"


_LEGACY_DIRS = ("/usr/lib/drbd", "/lib/drbd")


def drbdadm_argv(dialect, utils_version, exists):
    """Return the drbdadm argv prefix that speaks `dialect` on this host.

    drbd-utils >= 8.9 ship one drbdadm for DRBD 9 and hand 8.4 (and, when
    built with it, 8.3) work to drbdadm-84/drbdadm-83, chosen from the loaded
    kernel module. Without a loaded module it cannot know, and a plain
    `drbdadm create-md` writes v09 meta data; so the versioned binary is named
    explicitly whenever the dialect is known. `exists` is os.path.exists (a
    parameter so that this stays free of I/O).
    """
    check_dialect(dialect)
    version = _version_tuple(utils_version)
    if version is None:
        _fail("drbd-utils were not found on this host (no usable drbdadm); install them first")
    modern = version >= (8, 9, 0)
    if dialect == "9":
        if not modern:
            _fail("drbdadm %s cannot drive DRBD 9; DRBD 9 needs drbd-utils 8.9 or later", utils_version)
        return ["drbdadm"]
    if dialect in ("8.3", "8.4"):
        if modern:
            name = "drbdadm-" + dialect.replace(".", "")
            for directory in _LEGACY_DIRS:
                path = posixpath.join(directory, name)
                if exists(path):
                    return [path]
            _fail("drbd-utils %s on this host has no %s (built without DRBD %s support); "
                  "install a build with it or use the matching legacy userland", utils_version, name, dialect)
        if dialect == "8.4" and version[:2] != (8, 4):
            _fail("drbdadm %s cannot drive DRBD 8.4; it needs the 8.4 userland or drbd-utils >= 8.9", utils_version)
        if dialect == "8.3" and not (8, 0) <= version[:2] <= (8, 3):
            _fail("drbdadm %s cannot drive DRBD 8.0-8.3", utils_version)
        return ["drbdadm"]
    if version[:2] != (0, 7):
        _fail("drbdadm %s cannot drive DRBD 0.7; it needs the 0.7 userland", utils_version)
    return ["drbdadm"]


_SECRET_RE = re.compile(r'(shared-secret\s+)("(?:[^"\\\n]|\\.)*"|[^\s;]+)')


def mask_secrets(text):
    """Replace every shared-secret value in configuration text with ********."""
    if text is None:
        return None
    return _SECRET_RE.sub(lambda m: '%s"%s"' % (m.group(1), MASK), text)


def _tokens(text):
    """Yield (kind, value, start, end) for drbd.conf text; comments are skipped."""
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "{};":
            yield c, c, i, i + 1
            i += 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            if j >= n or text[j] != '"':
                _fail("unterminated string at offset %d", i)
            yield "word", text[i + 1:j], i, j + 1
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '{};#"':
                j += 1
            yield "word", text[i:j], i, j
            i = j


def split_top_level(text):
    """Return the top-level statements of a drbd.conf as a list of dicts.

    Each dict has kind (first keyword: global, common, resource, include,
    skip, ...), name (resource name or None), start and end (character
    offsets, end exclusive, including the closing brace or semicolon).
    Comments and quoted strings are honoured, so braces inside them do not
    count. Raises DrbdConfigError for unbalanced text.
    """
    statements = []
    depth = 0
    start = None
    words = []
    for kind, value, begin, finish in _tokens(text or ""):
        if start is None:
            if kind in ("}", ";"):
                _fail("unexpected '%s' at offset %d", value, begin)
            start = begin
        if kind == "{":
            depth += 1
        elif kind == "}":
            depth -= 1
            if depth < 0:
                _fail("unbalanced '}' at offset %d", begin)
            if depth == 0:
                statements.append(_statement(words, start, finish))
                start, words = None, []
        elif kind == ";" and depth == 0:
            statements.append(_statement(words, start, finish))
            start, words = None, []
        elif kind == "word" and depth == 0:
            words.append(value)
    if depth != 0:
        _fail("unbalanced '{': the file ends inside a section")
    if start is not None:
        _fail("the file ends in the middle of a statement")
    return statements


def _statement(words, start, end):
    kind = words[0] if words else ""
    name = words[1] if kind == "resource" and len(words) > 1 else None
    return {"kind": kind, "name": name, "start": start, "end": end}


def _block_span(text, statement):
    """Extend a statement's span over our marker line and the line break."""
    start, end = statement["start"], statement["end"]
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip() == "":
        start = line_start
        previous = text.rfind("\n", 0, max(start - 1, 0)) + 1
        if start > 0 and text[previous:start - 1] == MANAGED_MARKER:
            start = previous
    if end < len(text) and text[end] == "\n":
        end += 1
    return start, end


def replace_resource_block(existing, name, block):
    """Return single-file configuration text with resource `name` set to `block`.

    existing: the current file text (None or "" when there is none).
    block: rendered resource text, or None to remove the resource.
    Other statements are kept byte for byte. A new resource is appended.
    """
    text = existing or ""
    found = [s for s in split_top_level(text) if s["kind"] == "resource" and s["name"] == name]
    if len(found) > 1:
        _fail("resource %s is defined %d times in the existing file; fix that by hand first", name, len(found))
    if found:
        start, end = _block_span(text, found[0])
        if block is None and text[:start].endswith("\n\n"):
            # Also drop the blank line that separated the block when it was appended.
            start -= 1
        return text[:start] + (block or "") + text[end:]
    if block is None:
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    if text and not text.endswith("\n\n"):
        text += "\n"
    return text + block


def includes_of(text):
    """Return the include patterns of a drbd.conf (top level only)."""
    patterns = []
    for statement in split_top_level(text or ""):
        if statement["kind"] == "include":
            raw = text[statement["start"]:statement["end"]]
            m = re.match(r'^include\s+"?([^";]+?)"?\s*;$', raw.strip())
            if m:
                patterns.append(m.group(1))
    return patterns


def include_covers(text, conf_dir, path):
    """True when one of the drbd.conf includes matches `path`.

    Relative patterns resolve against conf_dir, the directory of drbd.conf.
    """
    for pattern in includes_of(text):
        full = pattern if pattern.startswith("/") else posixpath.join(conf_dir, pattern)
        if fnmatch.fnmatchcase(posixpath.normpath(path), posixpath.normpath(full)):
            return True
    return False


_LOCATION_RE = re.compile(r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+):\s*(?P<msg>.*)$")


def parse_drbdadm_error(stderr):
    """Pull file, line and message out of drbdadm's complaint.

    drbdadm prints `FILE:LINE: message` and indents continuation lines with a
    tab. Returns a list of {path, line, message}; messages without a location
    get path and line None.
    """
    errors = []
    for raw in (stderr or "").splitlines():
        if not raw.strip():
            continue
        if raw[0] in " \t" and errors:
            errors[-1]["message"] += " " + raw.strip()
            continue
        m = _LOCATION_RE.match(raw)
        if m:
            errors.append({"path": m.group("path"), "line": int(m.group("line")), "message": m.group("msg").strip()})
        else:
            errors.append({"path": None, "line": None, "message": raw.strip()})
    return errors
