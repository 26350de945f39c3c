# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection's one model of its input.

Every rule about a variable lives here once: the roles' tasks/assert.yml and
playbooks/validate.yml reach it through the action plugin
hacluster.drbd.validate, and the modules call the value checks below for their
own arguments. Pure Python (standard library only), so that it runs on the
controller and on managed hosts alike.

Two layers:

* value checks, ``*_error(value) -> None | str``: None when the value is
  usable, else why not (without the variable's name, which the caller knows);
* topology checks, ``check_<topology>(Input) -> view``: read one host's
  variables, record every problem with the variable it concerns, and return
  a view (plain data, never a secret) that ``cluster_<topology>(views)``
  compares across hosts.

Every pattern is matched against the whole string (re.fullmatch): a value
with a trailing newline is refused, never let through by ``$``.
"""

from __future__ import annotations

import ipaddress
import json
import posixpath
import re

from ansible_collections.hacluster.drbd.plugins.module_utils.virsh import pacemaker_spec

MISSING = object()

# ---------------------------------------------------------------------------
# Value checks
# ---------------------------------------------------------------------------

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME_RE = re.compile(r"%s(?:\.%s)*" % (_HOST_LABEL, _HOST_LABEL))
_RESOURCE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_DEVICE_PATH_RE = re.compile(r"/dev/[A-Za-z0-9_.+:@=,-]+(?:/[A-Za-z0-9_.+:@=,-]+)*")
_DRBD_DEVICE_RE = re.compile(r"/dev/drbd(0|[1-9][0-9]*)")
_META_DISK_RE = re.compile(r"(?P<path>/dev/[^\s\[\]\";{}]+?)(?:\[(?P<index>[0-9]+)\])?")
_PATH_RE = re.compile(r"/(?:[A-Za-z0-9_.+@,=%-]+(?:/[A-Za-z0-9_.+@,=%-]+)*)?")
_IFACE_RE = re.compile(r"[A-Za-z0-9_.:@-]{1,15}")
_LVM_NAME_RE = re.compile(r"[A-Za-z0-9_+.][A-Za-z0-9_+.-]{0,126}")
_LV_RESERVED = ("_cdata", "_cmeta", "_corig", "_mimage", "_mlog", "_pmspare", "_rimage", "_rmeta", "_tdata",
                "_tmeta", "_vorigin", "_vdata")
_PACKAGE_RE = re.compile(r"[a-z0-9][a-z0-9+.-]+")
_OPTION_KEY_RE = re.compile(r"[a-z][a-z0-9_-]*")
_XML_ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_SIZE_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?[KMGTkmgt]")
_SCRIPT_RE = re.compile(r"[A-Za-z0-9_.-]+")
_STONITH_TYPE_RE = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)?")
_UNIT_RE = re.compile(r"[A-Za-z0-9:_.@\\-]+\.(?:service|target|mount|socket|device|path|timer|slice|swap|automount)")
_SHARE_NAME_RE = re.compile(r"[A-Za-z0-9_.$-]{1,80}")
_WORKGROUP_RE = re.compile(r"[A-Za-z0-9_.-]{1,15}")
_CLUSTER_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
# A kernel release as `uname -r` prints it (6.1.0-57-amd64), and a DKMS module version.
_KERNEL_RELEASE_RE = re.compile(r"[0-9]+\.[0-9]+[0-9A-Za-z.+_~-]*")
_DKMS_VERSION_RE = re.compile(r"[0-9][0-9A-Za-z.+_~-]*")
_CHECKSUM_RE = re.compile(r"(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})")
_URL_RE = re.compile(r"(?:https?|ftp)://[^\s/]+/\S*|file:///\S+")
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_IQN_RE = re.compile(r"iqn\.[0-9]{4}-(?:0[1-9]|1[0-2])\.%s(?:\.%s)*(?::[a-z0-9._:-]+)?" % (_LABEL, _LABEL))
_EUI_RE = re.compile(r"eui\.[0-9a-f]{16}")
_NAA_RE = re.compile(r"naa\.(?:[0-9a-f]{16}|[0-9a-f]{32})")
_SCSI_SN_RE = re.compile(r"[0-9a-f]{1,16}")
# Fence agent parameters that carry a secret: password, passwd, snmp_priv_passwd,
# ssh_passphrase, secret... (passwd_script and password_script name a program).
_SECRET_PARAM_RE = re.compile(r"(?:.*[_-])?(?:password|passwd|pass|passphrase|secret|pw)(?:[_-].*)?", re.I)

DRBD_MAX_MINOR = (1 << 20) - 1          # MINORMASK of DRBD 8.4 and 9
DRBD_SECRET_MAX = 64                    # SHARED_SECRET_MAX in drbd.h
IQN_MAX_BYTES = 223                     # RFC 3720 3.2.6.1

# Mount points (and share paths) that belong to the operating system: a DRBD
# file system mounted there hides the system's files, and a share exposes them.
SYSTEM_DIRECTORIES = frozenset((
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media", "/opt",
    "/proc", "/root", "/run", "/sbin", "/sys", "/tmp", "/usr", "/var", "/var/cache", "/var/lib", "/var/log",
    "/var/spool", "/var/tmp", "/var/lib/drbd", "/var/lib/heartbeat", "/var/lib/pacemaker",
))
# Nothing below these is a place for a data file system.
SYSTEM_TREES = ("/bin/", "/boot/", "/dev/", "/etc/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/proc/", "/run/",
                "/sbin/", "/sys/", "/usr/")
SAMBA_RESERVED_SHARES = frozenset(("global", "homes", "printers", "ipc$"))
TOPOLOGY_GROUPS = ("primary_secondary", "iscsi_target", "iscsi_initiator", "dual_primary_gfs2", "containers")


def show(value):
    """A value as an error message shows it: JSON (so a newline shows as \\n), at most 80 characters."""
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def text_error(value, empty=False):
    """A string a configuration file can hold on one line."""
    if not isinstance(value, str):
        return "must be a string, not %s" % type(value).__name__
    if not value and not empty:
        return "must not be empty"
    m = _CONTROL_RE.search(value)
    if m:
        return "contains a control character (%s); configuration files hold one value per line" % show(m.group())
    return None


def word_error(value, pattern, what, empty=False):
    """A string that matches `pattern` as a whole."""
    err = text_error(value, empty=empty)
    if err:
        return err
    if not pattern.fullmatch(value):
        return "%s is not %s" % (show(value), what)
    return None


def unit_name_error(value):
    """A systemd unit name with its suffix (smbd.service)."""
    return word_error(value, _UNIT_RE, "a systemd unit name")


def int_value(value):
    """An int from an int or a string of digits (Jinja may hand either); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,12}", value):
        return int(value)
    return None


def int_error(value, low, high=None):
    number = int_value(value)
    if number is None:
        return "must be a whole number, not %s" % show(value)
    if number < low or (high is not None and number > high):
        if high is None:
            return "must be %d or more, not %d" % (low, number)
        return "must be between %d and %d, not %d" % (low, high, number)
    return None


def bool_error(value):
    if not isinstance(value, bool):
        return "must be true or false, not %s" % show(value)
    return None


def choice_error(value, choices):
    if value not in choices:
        return "must be one of %s, not %s" % (", ".join(str(c) for c in choices), show(value))
    return None


def port_error(value):
    return int_error(value, 1, 65535)


def minor_error(value):
    return int_error(value, 0, DRBD_MAX_MINOR)


def ip_address(value):
    """The ipaddress object of a literal IPv4 or IPv6 address (no prefix, no name), else None."""
    if not isinstance(value, str) or "/" in value or value.strip() != value:
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def address_error(value, loopback=False):
    """A node's own unicast address: not 0.0.0.0, a broadcast, multicast, reserved or (unless allowed, as for a
    module tried on one machine) loopback one."""
    err = text_error(value)
    if err:
        return err
    addr = ip_address(value)
    if addr is None:
        return "%s is not an IP address (a literal IPv4 or IPv6 address, no host name, no prefix)" % show(value)
    for flag, what in (("is_unspecified", "the unspecified address, which means every address"),
                       ("is_multicast", "a multicast address"),
                       ("is_loopback" if not loopback else "is_unspecified", "a loopback address"),
                       ("is_reserved", "a reserved address (255.255.255.255 is the broadcast address)")):
        if getattr(addr, flag):
            return "%s is %s; a cluster needs a node's own unicast address" % (value, what)
    return None


def network_error(value):
    """A network in CIDR notation without host bits."""
    err = text_error(value)
    if err:
        return err
    if value.count("/") != 1 or ip_address(value.split("/")[0]) is None:
        return "%s is not a network in CIDR notation (address/prefix)" % show(value)
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        return "%s is not a network without host bits (%s)" % (value, exc)
    return None


def cluster_ip_error(value, prefix=None):
    """A service address: usable, and neither the network nor the broadcast address of its prefix."""
    err = address_error(value)
    if err:
        return err
    addr = ip_address(value)
    bits = int_value(prefix)
    if addr.version == 4 and bits is not None and 1 <= bits <= 30:
        net = ipaddress.ip_network("%s/%d" % (value, bits), strict=False)
        if addr == net.network_address:
            return "%s is the network address of %s" % (value, net)
        if addr == net.broadcast_address:
            return "%s is the broadcast address of %s" % (value, net)
    return None


def hostname_error(value):
    err = text_error(value)
    if err:
        return err
    if len(value) > 253 or not _HOSTNAME_RE.fullmatch(value):
        return "%s is not a host name (letters, digits and -, in dot-separated labels)" % show(value)
    return None


def resource_name_error(value):
    return word_error(value, _RESOURCE_NAME_RE,
                      "a DRBD resource name (a letter or digit, then letters, digits and . + _ -; at most 64)")


def device_path_error(value):
    """A block device path under /dev, written as DRBD, haresources and LVM can hold it."""
    err = text_error(value)
    if err:
        return err
    if not value.startswith("/"):
        return "%s is a relative path; give the device's absolute path under /dev" % show(value)
    if not _DEVICE_PATH_RE.fullmatch(value) or "/../" in value + "/" or "/./" in value + "/":
        return "%s is not a device path under /dev (letters, digits and _ . + : @ = , -)" % show(value)
    return None


def drbd_minor_of(device):
    m = _DRBD_DEVICE_RE.fullmatch(device) if isinstance(device, str) else None
    return int(m.group(1)) if m else None


def meta_disk_error(value):
    if value == "internal":
        return None
    err = text_error(value)
    if err:
        return err
    m = _META_DISK_RE.fullmatch(value)
    if not m:
        return "%s must be internal, /dev/PATH or /dev/PATH[INDEX]" % show(value)
    return device_path_error(m.group("path"))


def meta_disk_path(value):
    """The external device of a meta_disk value, None for internal."""
    if value in (None, "internal"):
        return None
    m = _META_DISK_RE.fullmatch(value) if isinstance(value, str) else None
    return m.group("path") if m else None


def path_error(value):
    """An absolute, normalised path that fits on one configuration line without quoting."""
    err = text_error(value)
    if err:
        return err
    if not value.startswith("/"):
        return "%s is a relative path; give an absolute one" % show(value)
    if not _PATH_RE.fullmatch(value) or posixpath.normpath(value) != value:
        return ("%s is not a plain absolute path (letters, digits and _ . + @ , = %% -, no '..', no double or "
                "trailing slash)" % show(value))
    return None


def mount_point_error(value):
    err = path_error(value)
    if err:
        return err
    if value in SYSTEM_DIRECTORIES or value.startswith(SYSTEM_TREES):
        return ("%s belongs to the operating system; a file system mounted there hides the system's own files. "
                "Use a directory of its own, such as /srv/share" % value)
    return None


def interface_error(value):
    return word_error(value, _IFACE_RE, "a network interface name (at most 15 letters, digits and _ . : @ -)")


def lvm_name_error(value, lv=False):
    err = word_error(value, _LVM_NAME_RE, "an LVM name (letters, digits and _ + . -, not starting with -)")
    if err:
        return err
    if value in (".", ".."):
        return "%s is not an LVM name" % show(value)
    if lv and (value.startswith(("snapshot", "pvmove")) or any(part in value for part in _LV_RESERVED)):
        return "%s is a name LVM keeps for itself" % show(value)
    return None


def size_error(value):
    return word_error(str(value) if isinstance(value, int) and not isinstance(value, bool) else value, _SIZE_RE,
                      "a size with a unit, such as 512M or 10G")


def iscsi_name_error(value):
    err = text_error(value)
    if err:
        return err
    if len(value.encode()) > IQN_MAX_BYTES or not any(rx.fullmatch(value) for rx in (_IQN_RE, _EUI_RE, _NAA_RE)):
        return ("%s is not an iSCSI name in lower case (iqn.YYYY-MM.reversed.domain[:identifier], eui. or naa.)"
                % show(value))
    return None


def kernel_release_error(value):
    return word_error(value, _KERNEL_RELEASE_RE, "a kernel release as uname -r prints it (6.1.0-57-amd64)")


def dkms_version_error(value):
    return word_error(value, _DKMS_VERSION_RE, "a DRBD release such as 8.4.11")


def relative_path_error(value):
    err = text_error(value)
    if err:
        return err
    parts = value.split("/")
    if value.startswith("/") or ".." in parts or not all(_SCRIPT_RE.fullmatch(p) for p in parts if p):
        return "%s is not a relative path inside the tree (letters, digits, _ . -, no ..)" % show(value)
    return None


def package_error(value):
    return word_error(value, _PACKAGE_RE, "a package name")


def xml_id_error(value):
    return word_error(value, _XML_ID_RE, "an XML id (a letter or _, then letters, digits and _ . -)")


def option_value_error(value):
    """A scalar option value DRBD, Corosync or the CIB can hold (quoted where needed)."""
    if isinstance(value, bool) or (isinstance(value, int)) or isinstance(value, float):
        return None
    err = text_error(value)
    if err:
        return err
    for bad, what in (('"', "a double quote"), ("\\", "a backslash")):
        if bad in value:
            return "contains %s, which the configuration file cannot hold" % what
    return None


def smb_value_error(value, empty=True):
    """A value smb.conf holds on its line: no line break, no trailing backslash (which continues the line)."""
    err = text_error(value, empty=empty)
    if err:
        return err
    if value.rstrip().endswith("\\"):
        return "ends with a backslash, which makes smb.conf continue the line into the next parameter"
    if value != value.strip():
        return "starts or ends with white space, which smb.conf drops"
    return None


def share_name_error(value):
    err = word_error(value, _SHARE_NAME_RE, "a share name smb.conf can hold (letters, digits and _ . $ -, at most 80)")
    if err:
        return err
    if value.lower() in SAMBA_RESERVED_SHARES:
        return "[%s] is a section smb.conf keeps for itself" % value
    return None


def secret_error(value, minimum=0, maximum=None, quoted=False):
    """A secret, described without showing it."""
    if not isinstance(value, str):
        return "must be a string"
    if len(value) < minimum:
        return "is %d characters long; use at least %d" % (len(value), minimum)
    if maximum is not None and len(value) > maximum:
        return "is %d characters long; at most %d fit" % (len(value), maximum)
    if _CONTROL_RE.search(value):
        return "contains a control character such as a line break, which its file cannot hold"
    if quoted and ('"' in value or "\\" in value):
        return "contains a double quote or a backslash, which its file cannot hold"
    return None


# GFS2 lock tables ("cluster:fsname"): the characters and lengths mkfs.gfs2 accepts. gfs2-utils 3.1.9 (2015)
# raised the limits from 16 + 16 to 32 + 30; the superblock field holds 64 bytes either way.
GFS2_LOCK_TABLE_LIMITS = (32, 30)
GFS2_LEGACY_LOCK_TABLE_LIMITS = (16, 16)
GFS2_JOURNAL_SIZE_RANGE = (32, 1024)       # MB: mkfs.gfs2 takes 8-1024, gfs2_jadd 32-1024
_LOCK_TABLE_PART_RE = re.compile(r"[A-Za-z0-9_-]+")
# cman's cluster.conf: a cluster name of at most 15 characters (16 with the terminating NUL).
CMAN_CLUSTER_NAME_MAX = 15
_DOMAIN_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}")
_MAC_RE = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}")


def gfs2_lock_table_error(value, limits=GFS2_LOCK_TABLE_LIMITS, cluster_name=None):
    """A GFS2 lock table CLUSTER:FSNAME that mkfs.gfs2 with the given (cluster, fsname) length limits accepts
    and, when cluster_name is given, whose cluster part is that name (DLM refuses a mount otherwise)."""
    err = text_error(value)
    if err:
        return err
    if value.count(":") != 1:
        return "%s is not CLUSTER:FSNAME (exactly one colon)" % show(value)
    cluster, fsname = value.split(":")
    for part, what, limit in ((cluster, "cluster name", limits[0]), (fsname, "file system name", limits[1])):
        if not _LOCK_TABLE_PART_RE.fullmatch(part):
            return "the %s %s of lock table %s is not letters, digits, _ or -" % (what, show(part), show(value))
        if len(part) > limit:
            return ("the %s %s of lock table %s is %d characters long; mkfs.gfs2 takes at most %d"
                    % (what, part, value, len(part), limit))
    if cluster_name is not None and cluster != cluster_name:
        return ("lock table %s names cluster %s, but the cluster is %s; DLM refuses to mount a file system of "
                "another cluster" % (value, show(cluster), show(cluster_name)))
    return None


def cman_cluster_name_error(value):
    err = word_error(value, _LOCK_TABLE_PART_RE, "a cluster name (letters, digits, _ or -)")
    if err:
        return err
    if len(value) > CMAN_CLUSTER_NAME_MAX:
        return ("%s is %d characters long; cman takes a cluster name of at most %d"
                % (value, len(value), CMAN_CLUSTER_NAME_MAX))
    return None


def domain_name_error(value):
    return word_error(value, _DOMAIN_NAME_RE, "a libvirt domain name (a letter or digit, then letters, digits and "
                      "_ . + -; at most 64)")


def mac_error(value):
    err = word_error(value, _MAC_RE, "a MAC address in lower case (52:54:00:12:34:56)")
    if err:
        return err
    if int(value[:2], 16) & 1:
        return "%s is a multicast address; a guest's interface needs a unicast one" % value
    return None


def fence_secret_params(params):
    """Names of fence agent parameters that carry a secret (they belong in pacemaker_fence_secrets)."""
    if not isinstance(params, dict):
        return []
    return sorted(k for k in params if isinstance(k, str) and _SECRET_PARAM_RE.fullmatch(k)
                  and not k.endswith("_script"))


# ---------------------------------------------------------------------------
# One host's input
# ---------------------------------------------------------------------------

class Input(object):
    """One host's variables, and the problems found in them."""

    def __init__(self, host, values, play_hosts=None, inventory_hosts=None, groups=None):
        self.host = host
        self.values = dict(values)
        self.play_hosts = list(play_hosts or [host])
        self.inventory_hosts = set(inventory_hosts or self.play_hosts)
        self.groups = list(groups or [])
        self.problems = []
        self.facts = {}

    def get(self, name, default=MISSING):
        return self.values.get(name, default)

    def problem(self, variable, message):
        entry = {"host": self.host, "variable": variable, "message": message}
        if entry not in self.problems:
            self.problems.append(entry)

    def check(self, variable, error):
        if error:
            self.problem(variable, error)
        return error is None

    def require(self, name, checker, *args):
        """Check a variable that must be set; returns its value, or None after a problem."""
        value = self.get(name)
        if value is MISSING:
            self.problem(name, "is not set")
            return None
        return value if self.check(name, checker(value, *args)) else None

    def optional(self, name, checker, *args):
        value = self.get(name)
        if value is MISSING:
            return None
        return value if self.check(name, checker(value, *args)) else None

    def items(self, name, minimum=0, kind=None):
        """A list variable (of `kind` items when given); [] after a problem."""
        value = self.get(name, [])
        if not isinstance(value, list):
            self.problem(name, "must be a list, not %s" % show(value))
            return []
        if len(value) < minimum:
            plural = "y" if minimum == 1 else "ies"
            self.problem(name, "needs at least %d entr%s; got %d" % (minimum, plural, len(value)))
        if kind is not None:
            wrong = [i for i, item in enumerate(value) if not isinstance(item, kind)]
            if wrong:
                self.problem("%s[%d]" % (name, wrong[0]), "must be a %s, not %s"
                             % ("dictionary" if kind is dict else kind.__name__, show(value[wrong[0]])))
                return [item for item in value if isinstance(item, kind)]
        return value

    def mapping(self, name):
        value = self.get(name, {})
        if not isinstance(value, dict):
            self.problem(name, "must be a dictionary, not %s" % show(value))
            return {}
        return value

    def unknown_keys(self, label, item, known):
        unknown = sorted(str(k) for k in item if k not in known)
        if unknown:
            self.problem(label, "has unknown key%s %s (known: %s); a misspelt key would be ignored"
                         % ("s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(sorted(known))))

    def with_values(self, **overrides):
        """The same host with some variables replaced (a topology handing values to a role)."""
        other = Input(self.host, dict(self.values, **overrides), self.play_hosts, self.inventory_hosts, self.groups)
        other.problems = self.problems
        other.facts = self.facts
        return other


def own_addresses(inp):
    """Every address this host's variables give it."""
    found = []
    for name in ("drbd_address", "hacluster_cluster_address", "ansible_host"):
        value = inp.get(name)
        if ip_address(value) is not None:
            found.append(str(ip_address(value)))
    links = inp.get("pacemaker_link_addresses")
    if isinstance(links, list):
        found.extend(str(ip_address(a)) for a in links if ip_address(a) is not None)
    return sorted(set(found))


def _unique(inp, label, values, what):
    seen, twice = set(), []
    for value in values:
        key = json.dumps(value, sort_keys=True, default=str)
        if key in seen and value not in twice:
            twice.append(value)
        seen.add(key)
    if twice:
        inp.problem(label, "uses %s %s more than once" % (what, ", ".join(show(v) for v in twice)))
    return not twice


def _bools(inp, *names):
    for name in names:
        inp.optional(name, bool_error)


# ---------------------------------------------------------------------------
# DRBD
# ---------------------------------------------------------------------------

DRBD_RESOURCE_KEYS = frozenset(("name", "port", "minor", "device", "disk", "meta_disk", "protocol", "nodes",
                                "initial_primary", "node_ids", "net", "disk_options", "startup", "syncer",
                                "handlers", "options"))
DRBD_SECTIONS = ("net", "disk_options", "startup", "syncer", "handlers", "options")
_DISCARDING = re.compile(r"(?:discard-.*|violently-as0p)")


def _drbd_label(index, res):
    name = res.get("name") if isinstance(res, dict) else None
    return "drbd_resources[%s]" % (name if resource_name_error(name) is None else index)


def _check_sections(inp, label, res, dialect):
    for section in DRBD_SECTIONS:
        options = res.get(section)
        if options is None:
            continue
        if not isinstance(options, dict):
            inp.problem("%s.%s" % (label, section), "must be a dictionary of options, not %s" % show(options))
            continue
        for key, value in options.items():
            where = "%s.%s.%s" % (label, section, key)
            if not isinstance(key, str) or not _OPTION_KEY_RE.fullmatch(key):
                inp.problem("%s.%s" % (label, section), "option name %s is not a DRBD option name" % show(key))
                continue
            inp.check(where, option_value_error(value))
            if key.replace("_", "-") == "shared-secret":
                inp.problem(where, "give the secret as drbd_shared_secret, which is kept out of logs and diffs")
            if key.replace("_", "-") == "discard-my-data":
                inp.problem(where, "is a recovery step (playbooks/split_brain_recover.yml), never configuration")


def _resource_nodes(inp, label, res, default_nodes):
    nodes = res.get("nodes", default_nodes)
    where = "%s.nodes" % label if "nodes" in res else "drbd_nodes"
    if not isinstance(nodes, list) or not all(isinstance(n, str) for n in nodes):
        inp.problem(where, "must be a list of inventory host names, not %s" % show(nodes))
        return []
    if len(nodes) < 2:
        inp.problem(where, "needs at least two nodes to replicate between; got %s" % show(nodes))
    _unique(inp, where, nodes, "the node")
    unknown = [n for n in nodes if n not in inp.inventory_hosts]
    if unknown:
        inp.problem(where, "names %s, not in the inventory" % ", ".join(unknown))
    return nodes


def check_drbd(inp):
    """The drbd role's variables on one host; returns its view."""
    dialect = inp.get("drbd_dialect", "auto")
    inp.check("drbd_dialect", choice_error(dialect, ("auto", "0.7", "8.3", "8.4", "9")))
    _bools(inp, "drbd_cluster_managed", "drbd_allow_automatic_split_brain_discard", "drbd_lvm_filter",
           "drbd_start_at_boot", "drbd_bring_up")
    inp.optional("drbd_wait_for", choice_error, ("none", "connected", "uptodate"))
    inp.optional("drbd_wait_timeout", int_error, 1)
    inp.optional("drbd_cram_hmac_alg", word_error, re.compile(r"[a-z0-9-]{1,32}"), "an HMAC algorithm such as sha1")
    secret = inp.get("drbd_shared_secret", "")
    if secret:
        inp.check("drbd_shared_secret", secret_error(secret, 1, DRBD_SECRET_MAX, quoted=True))
    for index, pattern in enumerate(inp.items("drbd_lvm_accept", kind=str)):
        where = "drbd_lvm_accept[%d]" % index
        if inp.check(where, option_value_error(pattern)):
            if "|" in pattern:
                inp.problem(where, "contains |, which ends the pattern in LVM's filter")
            try:
                re.compile(pattern)
            except re.error as exc:
                inp.problem(where, "%s is not a regular expression (%s)" % (show(pattern), exc))

    default_nodes = inp.get("drbd_nodes", inp.play_hosts)
    resources = inp.items("drbd_resources", minimum=1, kind=dict)
    managed = inp.get("drbd_cluster_managed", True) is True
    allow_discard = inp.get("drbd_allow_automatic_split_brain_discard", False) is True
    disks = inp.mapping("drbd_disks")
    ports, minors, names = [], [], []
    for index, res in enumerate(resources):
        label = _drbd_label(index, res)
        inp.unknown_keys(label, res, DRBD_RESOURCE_KEYS)
        name = res.get("name", MISSING)
        if name is MISSING:
            inp.problem(label + ".name", "is not set")
        elif inp.check(label + ".name", resource_name_error(name)):
            names.append(name)
        port = res.get("port", MISSING)
        if port is MISSING:
            inp.problem(label + ".port", "is not set (the resource's TCP port, 1-65535)")
        elif inp.check(label + ".port", port_error(port)):
            ports.append(int_value(port))
        minor = res.get("minor", MISSING)
        if minor is MISSING:
            inp.problem(label + ".minor", "is not set (the device's minor number: 0 gives /dev/drbd0)")
        elif inp.check(label + ".minor", minor_error(minor)):
            minors.append(int_value(minor))
        if "device" in res and inp.check(label + ".device", device_path_error(res["device"])):
            if drbd_minor_of(res["device"]) is None:
                inp.problem(label + ".device", "%s is not /dev/drbdN" % show(res["device"]))
            elif int_value(minor) is not None and drbd_minor_of(res["device"]) != int_value(minor):
                inp.problem(label + ".device", "%s disagrees with minor %s (/dev/drbd%s); leave device out, the "
                            "minor gives it" % (res["device"], minor, minor))
        protocol = res.get("protocol", "C")
        inp.check(label + ".protocol", choice_error(protocol, ("A", "B", "C")))
        if managed and protocol in ("A", "B"):
            inp.problem(label + ".protocol", "is %s; with a cluster manager promoting the peer after a failure only "
                        "protocol C guarantees that every acknowledged write is on both disks. Use protocol C, or "
                        "set drbd_cluster_managed: false" % protocol)
        nodes = _resource_nodes(inp, label, res, default_nodes)
        if dialect in ("0.7", "8.3", "8.4") and len(nodes) > 2:
            inp.problem(label + ".nodes", "DRBD %s replicates between exactly two nodes" % dialect)
        if "initial_primary" in res and res["initial_primary"] not in nodes:
            inp.problem(label + ".initial_primary", "%s is not one of the resource's nodes %s"
                        % (show(res["initial_primary"]), show(nodes)))
        node_ids = res.get("node_ids")
        if node_ids is not None:
            if not isinstance(node_ids, dict) or sorted(node_ids) != sorted(nodes):
                inp.problem(label + ".node_ids", "must give every node of the resource its id, {node: 0-31}")
            else:
                for node, nid in node_ids.items():
                    inp.check("%s.node_ids.%s" % (label, node), int_error(nid, 0, 31))
                _unique(inp, label + ".node_ids", list(node_ids.values()), "the node id")
        disk = disks.get(name) if isinstance(name, str) and name in disks else res.get("disk", MISSING)
        disk_label = "drbd_disks.%s" % name if isinstance(name, str) and name in disks else label + ".disk"
        if inp.host in nodes:
            if disk is MISSING:
                inp.problem(label + ".disk", "is not set, and drbd_disks has no disk for %s on this node"
                            % show(name))
            elif disk == "none" and dialect == "9":
                pass
            elif inp.check(disk_label, device_path_error(disk)) and drbd_minor_of(disk) is not None:
                inp.problem(disk_label, "%s is a DRBD device; the backing disk lies underneath DRBD" % disk)
        meta = res.get("meta_disk", "internal")
        if inp.check(label + ".meta_disk", meta_disk_error(meta)) and meta_disk_path(meta) == disk:
            inp.problem(label + ".meta_disk", "is the data disk itself; use internal, or another device")
        _check_sections(inp, label, res, dialect)
        net = res.get("net") if isinstance(res.get("net"), dict) else {}
        two = net.get("allow-two-primaries", net.get("allow_two_primaries"))
        if (two is True or str(two).lower() == "yes") and protocol != "C":
            inp.problem(label + ".net.allow-two-primaries", "needs protocol C; with %s two primaries can lose "
                        "writes" % protocol)
        for key, value in net.items():
            if (isinstance(key, str) and re.fullmatch(r"after[-_]sb[-_][012]pri", key)
                    and _DISCARDING.fullmatch(str(value)) and not allow_discard):
                inp.problem("%s.net.%s" % (label, key), "%s %s %s would throw one node's changes away after a split "
                            "brain without asking anybody. Keep the default disconnect and recover with "
                            "playbooks/split_brain_recover.yml, or set drbd_allow_automatic_split_brain_discard: "
                            "true to accept losing data" % (name, key, value))
    _unique(inp, "drbd_resources", names, "the name")
    _unique(inp, "drbd_resources", ports, "port")
    _unique(inp, "drbd_resources", minors, "minor")
    unknown_disks = sorted(str(k) for k in disks if k not in names)
    if unknown_disks and names:
        inp.problem("drbd_disks", "names %s, which drbd_resources does not define" % ", ".join(unknown_disks))

    all_nodes = sorted(set(n for res in resources for n in (res.get("nodes", default_nodes)
                                                            if isinstance(res.get("nodes", default_nodes), list)
                                                            else [])))
    if inp.host in all_nodes or not resources:
        inp.require("drbd_address", address_error)
    return {
        "resources": json.dumps(resources, sort_keys=True, default=str),
        "address": inp.get("drbd_address") if isinstance(inp.get("drbd_address"), str) else None,
        "nodes": all_nodes,
    }


def cluster_drbd(views, problems, host_of):
    """Cross-host rules of the drbd role over {host: view}."""
    texts = sorted(set(v["resources"] for v in views.values()))
    if len(texts) > 1:
        problems.append({"host": host_of, "variable": "drbd_resources",
                         "message": "drbd_resources differs between %s; DRBD needs the same resource definition on "
                                    "every node. Define drbd_resources in group_vars (per-node backing disks go in "
                                    "drbd_disks)" % ", ".join(sorted(views))})
    by_address = {}
    for host, view in sorted(views.items()):
        if view.get("address"):
            by_address.setdefault(str(ip_address(view["address"]) or view["address"]), []).append(host)
    for address, hosts in sorted(by_address.items()):
        if len(hosts) > 1:
            problems.append({"host": hosts[1], "variable": "drbd_address",
                             "message": "%s is also the drbd_address of %s; every node needs its own"
                                        % (address, ", ".join(hosts[:1]))})
    for host, view in sorted(views.items()):
        for node in view.get("nodes", []):
            if node not in views:
                problems.append({"host": host, "variable": "drbd_resources",
                                 "message": "node %s of a resource is not in this play, so its drbd_address and "
                                            "disk cannot be checked; run the play on every node" % node})


# ---------------------------------------------------------------------------
# Heartbeat
# ---------------------------------------------------------------------------

def check_heartbeat(inp):
    nodes = inp.items("heartbeat_nodes", minimum=2)
    for index, node in enumerate(nodes):
        inp.check("heartbeat_nodes[%d]" % index, hostname_error(node))
    _unique(inp, "heartbeat_nodes", nodes, "the node")
    if nodes and inp.host not in nodes:
        inp.problem("heartbeat_nodes", "must list this host (%s) as `uname -n` prints it; got %s"
                    % (inp.host, show(nodes)))
    links = inp.items("heartbeat_links", minimum=1, kind=dict)
    for index, link in enumerate(links):
        label = "heartbeat_links[%d]" % index
        inp.unknown_keys(label, link, ("interface", "addresses"))
        iface = link.get("interface", MISSING)
        if isinstance(iface, dict):
            if inp.host not in iface:
                inp.problem(label + ".interface", "names no interface for this host")
            for node, name in iface.items():
                inp.check("%s.interface.%s" % (label, node), interface_error(name))
        elif iface is MISSING:
            inp.problem(label + ".interface", "is not set")
        else:
            inp.check(label + ".interface", interface_error(iface))
        addresses = link.get("addresses", MISSING)
        if not isinstance(addresses, list) or not addresses:
            inp.problem(label + ".addresses", "must list the address of every node on this link")
            continue
        for number, address in enumerate(addresses):
            inp.check("%s.addresses[%d]" % (label, number), address_error(address))
        _unique(inp, label + ".addresses", addresses, "the address")
    inp.optional("heartbeat_udpport", port_error)
    serial = inp.get("heartbeat_serial", "")
    if serial:
        inp.check("heartbeat_serial", device_path_error(serial))
    inp.optional("heartbeat_baud", choice_error, (9600, 19200, 38400, 57600, 115200))
    timing = {}
    for name in ("heartbeat_keepalive", "heartbeat_warntime", "heartbeat_deadtime", "heartbeat_initdead"):
        if inp.optional(name, int_error, 1) is not None:
            timing[name] = int_value(inp.get(name))
    if len(timing) == 4:
        keep, warn, dead, init = (timing["heartbeat_" + n] for n in ("keepalive", "warntime", "deadtime", "initdead"))
        if not keep < warn:
            inp.problem("heartbeat_warntime", "must be more than heartbeat_keepalive (%d); got %d" % (keep, warn))
        if not warn < dead:
            inp.problem("heartbeat_warntime", "must be less than heartbeat_deadtime (%d); got %d" % (dead, warn))
        if init < 2 * dead:
            inp.problem("heartbeat_initdead", "must be at least twice heartbeat_deadtime (%d): boot and network "
                        "start-up take time; got %d" % (dead, init))
    _bools(inp, "heartbeat_auto_failback", "heartbeat_allow_no_stonith", "heartbeat_service_enabled",
           "heartbeat_disable_other_stacks")
    for index, address in enumerate(inp.items("heartbeat_ping_nodes")):
        inp.check("heartbeat_ping_nodes[%d]" % index, address_error(address))
    method = inp.get("heartbeat_auth_method", "sha1")
    if method not in ("sha1", "md5"):
        inp.problem("heartbeat_auth_method", "must be sha1 (or md5), not %s: crc authenticates nothing, so anyone "
                    "on the link could take over the cluster" % show(method))
    key = inp.get("heartbeat_authkey", "")
    err = secret_error(key, 16, 256)
    if not err and re.search(r"\s", key):
        err = "contains white space; authkeys takes the key as one word"
    inp.check("heartbeat_authkey", err)
    inp.optional("heartbeat_service_state", choice_error, ("started", "stopped", "restarted", "reloaded"))
    for name in ("heartbeat_ipfail_path", "heartbeat_hb_takeover_path"):
        inp.optional(name, path_error)
    for index, unit in enumerate(inp.items("heartbeat_after_units")):
        inp.check("heartbeat_after_units[%d]" % index, unit_name_error(unit))
    groups = inp.items("heartbeat_resource_groups", kind=dict)
    for index, group in enumerate(groups):
        label = "heartbeat_resource_groups[%d]" % index
        inp.unknown_keys(label, group, ("node", "resources"))
        if group.get("node") not in nodes:
            inp.problem(label + ".node", "%s is not one of heartbeat_nodes %s" % (show(group.get("node")), show(nodes)))
        resources = group.get("resources", MISSING)
        if not isinstance(resources, list) or not resources:
            inp.problem(label + ".resources", "must list the group's resources")
            continue
        for number, res in enumerate(resources):
            where = "%s.resources[%d]" % (label, number)
            if isinstance(res, str):
                inp.check(where, word_error(res, _SCRIPT_RE, "a resource script name"))
                continue
            if not isinstance(res, dict):
                inp.problem(where, "must be a script name or {agent, args}, not %s" % show(res))
                continue
            inp.unknown_keys(where, res, ("agent", "args"))
            inp.check(where + ".agent", word_error(res.get("agent"), _SCRIPT_RE, "a resource script name"))
            args = res.get("args", [])
            if not isinstance(args, list):
                inp.problem(where + ".args", "must be a list")
                continue
            for anum, arg in enumerate(args):
                text = str(arg) if isinstance(arg, int) and not isinstance(arg, bool) else arg
                err = text_error(text)
                if not err and (re.search(r"\s", text) or "::" in text):
                    err = "%s holds white space or ::, which separate haresources' fields" % show(text)
                inp.check("%s.args[%d]" % (where, anum), err)
    stonith = inp.items("heartbeat_stonith_hosts", kind=dict)
    for index, entry in enumerate(stonith):
        label = "heartbeat_stonith_hosts[%d]" % index
        inp.unknown_keys(label, entry, ("host", "type", "params"))
        if entry.get("host") != "*" and entry.get("host") not in nodes:
            inp.problem(label + ".host", "must be * or one of heartbeat_nodes, not %s" % show(entry.get("host")))
        inp.check(label + ".type", word_error(entry.get("type"), _STONITH_TYPE_RE, "a STONITH plugin type"))
        params = entry.get("params", [])
        if not isinstance(params, list):
            inp.problem(label + ".params", "must be a list, in the plugin's order")
            continue
        for pnum, param in enumerate(params):
            # Parameters may be secrets (an IPMI password): described, never shown.
            text = str(param) if isinstance(param, (int, float)) and not isinstance(param, bool) else param
            err = secret_error(text, 1)
            if not err and pnum < len(params) - 1 and re.search(r"\s", text):
                err = "holds white space; only the last parameter may (Heartbeat splits the line into words)"
            inp.check("%s.params[%d]" % (label, pnum), err)
    if not stonith and inp.get("heartbeat_allow_no_stonith", False) is not True:
        inp.problem("heartbeat_stonith_hosts", "is empty. Without STONITH, a network split lets both nodes start the "
                    "resources: both promote DRBD, mount the file system and take the IP, and the two copies of "
                    "the data diverge. Configure heartbeat_stonith_hosts, or set heartbeat_allow_no_stonith: true "
                    "to accept that risk")
    return {"groups": json.dumps(groups, sort_keys=True, default=str),
            "nodes": json.dumps(nodes, default=str)}


def cluster_heartbeat(views, problems, host_of):
    for key, variable in (("groups", "heartbeat_resource_groups"), ("nodes", "heartbeat_nodes")):
        if len(set(v[key] for v in views.values())) > 1:
            problems.append({"host": host_of, "variable": variable,
                             "message": "%s differs between %s; Heartbeat requires an identical %s on every node. "
                                        "Set it in group_vars, not host_vars"
                                        % (variable, ", ".join(sorted(views)),
                                           "haresources" if key == "groups" else "ha.cf")})


# ---------------------------------------------------------------------------
# Samba
# ---------------------------------------------------------------------------

SAMBA_SHARE_KEYS = ("name", "path", "comment", "read_only", "guest_ok")


def check_samba(inp, share_label=None):
    inp.optional("samba_workgroup", word_error, _WORKGROUP_RE, "a NetBIOS workgroup name (at most 15 characters)")
    inp.optional("samba_server_string", smb_value_error)
    _bools(inp, "samba_cluster_managed")
    shares = inp.items("samba_shares", kind=dict)
    names = []
    for index, share in enumerate(shares):
        label = share_label or "samba_shares[%d]" % index
        inp.unknown_keys(label, share, SAMBA_SHARE_KEYS)
        name_label = share_label and "primary_secondary_share_name" or label + ".name"
        if inp.check(name_label, share_name_error(share.get("name"))):
            names.append(share["name"].lower())
        path_label = share_label and "primary_secondary_mount" or label + ".path"
        inp.check(path_label, mount_point_error(share.get("path")))
        if "comment" in share:
            inp.check(label + ".comment", smb_value_error(share["comment"]))
        for key in ("read_only", "guest_ok"):
            if key in share:
                inp.check("%s.%s" % (label, key), bool_error(share[key]))
    _unique(inp, "samba_shares", names, "the share name (smb.conf ignores case)")
    return {}


# ---------------------------------------------------------------------------
# Primary/secondary (seeds 000, 002, 004)
# ---------------------------------------------------------------------------

def single_resource(inp, variable):
    """The DRBD resource a one-resource topology uses: its own setting, else the only one there is."""
    resources = inp.get("drbd_resources", [])
    named = [r for r in resources if isinstance(r, dict) and isinstance(r.get("name"), str)] \
        if isinstance(resources, list) else []
    chosen = inp.get(variable, "")
    if chosen in (None, "", MISSING):
        if len(named) == 1:
            return named[0]
        if named:
            inp.problem(variable, "is not set, and drbd_resources holds %d resources (%s); name the one this "
                        "topology uses" % (len(named), ", ".join(r["name"] for r in named)))
        return None
    for res in named:
        if res["name"] == chosen:
            return res
    inp.problem(variable, "%s is not one of drbd_resources (%s)" % (show(chosen), ", ".join(r["name"] for r in named)))
    return None


def derived_device(inp, variable, res):
    """/dev/drbdN of the resource; a device set explicitly must agree."""
    if res is None or int_value(res.get("minor")) is None:
        return None
    device = "/dev/drbd%d" % int_value(res["minor"])
    given = inp.get(variable, "")
    if given not in (None, "", MISSING) and given != device:
        inp.problem(variable, "%s disagrees with resource %s, whose minor %s gives %s; leave %s unset"
                    % (show(given), res["name"], res["minor"], device, variable))
    return device


def _two_hosts(inp, variable):
    if len(inp.play_hosts) != 2:
        inp.problem(variable, "this topology runs on exactly two nodes; the play holds %s" % show(inp.play_hosts))


def check_primary_secondary(inp):
    res = single_resource(inp, "primary_secondary_resource")
    device = derived_device(inp, "primary_secondary_device", res)
    _two_hosts(inp, "primary_secondary")
    _bools(inp, "primary_secondary_samba")
    samba = inp.get("primary_secondary_samba", True) is not False
    inp.optional("primary_secondary_fstype", choice_error, ("ext3", "ext4"))
    inp.optional("primary_secondary_label", word_error, re.compile(r"[A-Za-z0-9_.-]{0,16}"),
                 "an ext file system label (at most 16 letters, digits and _ . -)", True)
    mount = inp.require("primary_secondary_mount", mount_point_error)
    if mount is not None and "::" in mount:
        inp.problem("primary_secondary_mount", "holds ::, which separates haresources' fields")
    prefix = inp.optional("primary_secondary_cluster_ip_prefix", int_error, 1, 32)
    # Samba's clients need an address that moves with the share; without
    # Samba (containers bring addresses of their own) the address is optional.
    if samba or inp.get("primary_secondary_cluster_ip", "") not in ("", MISSING):
        ip = inp.require("primary_secondary_cluster_ip", cluster_ip_error, prefix)
    else:
        ip = ""
    if ip and ip_address(ip).version != 4:
        inp.problem("primary_secondary_cluster_ip", "%s: Heartbeat's IPaddr2 here takes an IPv4 address" % ip)
    inp.optional("primary_secondary_cluster_ip_interface", interface_error)
    agent = inp.get("primary_secondary_ip_agent", "IPaddr2")
    inp.check("primary_secondary_ip_agent", choice_error(agent, ("IPaddr2", "IPaddr")))
    preferred = inp.get("primary_secondary_preferred_node", inp.play_hosts[0])
    if preferred not in inp.play_hosts:
        inp.problem("primary_secondary_preferred_node", "%s is not one of the play's nodes %s"
                    % (show(preferred), show(inp.play_hosts)))
    _bools(inp, "primary_secondary_share_writable")
    extra = inp.items("primary_secondary_resources")
    if res is not None:
        nodes = res.get("nodes", inp.get("drbd_nodes", inp.play_hosts))
        if isinstance(nodes, list) and sorted(nodes) != sorted(inp.play_hosts):
            inp.problem("drbd_resources[%s].nodes" % res["name"], "%s are not the topology's nodes %s"
                        % (show(nodes), show(inp.play_hosts)))
    drbd = check_drbd(inp)
    resources = [
        {"agent": "drbddisk", "args": [res["name"] if res else ""]},
        {"agent": "Filesystem", "args": [device or "", mount or "", inp.get("primary_secondary_fstype", "ext4")]}]
    if ip:
        resources.append({"agent": agent, "args": ["%s/%s/%s" % (
            ip, inp.get("primary_secondary_cluster_ip_prefix", 24),
            inp.get("primary_secondary_cluster_ip_interface", "eth0"))]})
    resources += extra
    if samba:
        resources.append("smbd")
    groups = [{"node": preferred, "resources": resources}]
    # The group is checked only when its parts are: a bad part is reported once, under its own name.
    parts_good = res is not None and device and mount and ip is not None and preferred in inp.play_hosts
    hb = check_heartbeat(inp.with_values(heartbeat_nodes=list(inp.play_hosts),
                                         heartbeat_resource_groups=groups if parts_good else []))
    if samba:
        share = {"name": inp.get("primary_secondary_share_name", "share"), "path": mount or "/srv/share"}
        check_samba(inp.with_values(samba_shares=[share]), share_label="primary_secondary_share_name")
    if ip:
        taken = set(own_addresses(inp))
        for link in inp.get("heartbeat_links", []) if isinstance(inp.get("heartbeat_links"), list) else []:
            if isinstance(link, dict) and isinstance(link.get("addresses"), list):
                taken.update(str(ip_address(a)) for a in link["addresses"] if ip_address(a) is not None)
        if str(ip_address(ip)) in taken:
            inp.problem("primary_secondary_cluster_ip", "%s is also a node's address; the cluster IP must be an "
                        "address of its own, which moves with the service" % ip)
    inp.facts.update({"__primary_secondary_resource": res["name"] if res else None,
                      "__primary_secondary_device": device,
                      "__primary_secondary_heartbeat_groups": groups})
    return {"cluster_ip": str(ip_address(ip)) if ip else None, "addresses": own_addresses(inp),
            "heartbeat": hb, "drbd": drbd}


def cluster_service_ip(views, problems, variable):
    """A cluster IP may be no node's own address."""
    for host, view in sorted(views.items()):
        ip = view.get("cluster_ip")
        for other, oview in sorted(views.items()):
            if ip and ip in oview.get("addresses", []):
                problems.append({"host": host, "variable": variable,
                                 "message": "%s is an address of %s; the cluster IP must be an address of its own, "
                                            "which moves with the service" % (ip, other)})


def cluster_primary_secondary(views, problems, host_of):
    cluster_service_ip(views, problems, "primary_secondary_cluster_ip")
    cluster_heartbeat({h: v["heartbeat"] for h, v in views.items()}, problems, host_of)
    cluster_drbd({h: v["drbd"] for h, v in views.items()}, problems, host_of)


# ---------------------------------------------------------------------------
# LXC containers, and containers on DRBD under Heartbeat (seed 002's OpenVZ)
# ---------------------------------------------------------------------------

_CONTAINER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_LXC_KEY_RE = re.compile(r"lxc(\.[a-z0-9_]+)+")
_TEMPLATE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
LXC_CONTAINER_KEYS = ("name", "template", "template_options", "config")
# The Heartbeat resource script the lxc role writes (resource.d/LXC NAME).
LXC_HEARTBEAT_AGENT = "LXC"


def check_lxc(inp):
    """The lxc role's input; returns the containers' names."""
    path = inp.optional("lxc_path", mount_point_error)
    if path is not None and "::" in path:
        inp.problem("lxc_path", "holds ::, which separates haresources' fields")
    _bools(inp, "lxc_cluster_managed")
    managed = inp.get("lxc_cluster_managed", False) is True
    inp.optional("lxc_stop_timeout", int_error, 5, 3600)
    for index, package in enumerate(inp.items("lxc_extra_packages")):
        inp.check("lxc_extra_packages[%d]" % index, package_error(package))
    names = []
    containers = inp.items("lxc_containers", kind=dict)
    for index, entry in enumerate(containers):
        label = "lxc_containers[%d]" % index
        inp.unknown_keys(label, entry, LXC_CONTAINER_KEYS)
        name = entry.get("name", MISSING)
        if name is MISSING:
            inp.problem(label + ".name", "is not set")
        elif inp.check(label + ".name", word_error(name, _CONTAINER_RE,
                                                   "a container name (letters, digits, _ . -; at most 64)")):
            names.append(name)
        if "template" in entry:
            inp.check(label + ".template", word_error(entry["template"], _TEMPLATE_RE, "an LXC template name"))
        options = entry.get("template_options", [])
        if not isinstance(options, list):
            inp.problem(label + ".template_options", "must be a list of arguments, not %s" % show(options))
        else:
            for onum, option in enumerate(options):
                inp.check("%s.template_options[%d]" % (label, onum), text_error(option))
        config = entry.get("config", {})
        if not isinstance(config, dict):
            inp.problem(label + ".config", "must be a dictionary of LXC keys, not %s" % show(config))
            continue
        for key, value in config.items():
            where = "%s.config[%s]" % (label, key)
            if not isinstance(key, str) or not _LXC_KEY_RE.fullmatch(key):
                inp.problem(where, "is not an LXC configuration key (lxc.section.name)")
                continue
            text = str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
            inp.check(where, text_error(text, empty=True))
            if managed and key == "lxc.start.auto" and str(value).strip() not in ("0", ""):
                inp.problem(where, "starts the container at boot, but Heartbeat starts it on the node that holds "
                            "the data: started at boot as well, it would run on both nodes at once")
            if key == "lxc.rootfs.path" and path is not None and not str(value).rsplit(":", maxsplit=1)[-1].startswith(
                    path.rstrip("/") + "/"):
                inp.problem(where, "%s is not below lxc_path %s, so it would not move with the container's "
                            "configuration" % (show(value), path))
    _unique(inp, "lxc_containers", names, "the container name")
    # The keys the role writes into each container's configuration; under a
    # cluster every container also gets lxc.start.auto = 0.
    settings = []
    for entry in containers:
        config = entry.get("config", {}) if isinstance(entry.get("config", {}), dict) else {}
        if managed:
            config = dict(config, **{"lxc.start.auto": 0})
        settings += [{"name": entry.get("name"), "key": k, "value": v} for k, v in config.items()]
    inp.facts["__lxc_settings"] = settings
    return names


# OpenVZ (vzctl), seed 002's own engine. Where its files are, per layout:
# "sysconfig" is vzctl before 3.0.9 (the seed's CentOS 4), "etc_vz" is 3.0.9
# and later (vzctl 4). Each entry: the path, what it is (the global
# configuration file, the containers' configuration directory, the quota
# directory) and whether it is a file or a directory. These are the only
# paths the collection moves onto the replicated file system and links back.
OPENVZ_LAYOUTS = {
    "sysconfig": (("/etc/sysconfig/vz", "global", "file"),
                  ("/etc/sysconfig/vz-scripts", "ve_config", "directory"),
                  ("/var/vzquota", "quota", "directory")),
    "etc_vz": (("/etc/vz/vz.conf", "global", "file"),
               ("/etc/vz/conf", "ve_config", "directory"),
               ("/var/vzquota", "quota", "directory")),
}
# Directories below the OpenVZ root that vz.conf names (VE_ROOT, VE_PRIVATE,
# TEMPLATE, LOCKDIR, DUMPDIR) and the one holding the moved files.
OPENVZ_DATA_DIRECTORIES = ("root", "private", "template", "lock", "dump")
OPENVZ_CLUSTER_DIRECTORY = "cluster"
# The init script of vzctl that starts and stops every container; Heartbeat
# runs it (resource.d or init.d) after DRBD and the file system.
OPENVZ_HEARTBEAT_SCRIPT = "vz"
CONTAINER_ENGINES = ("lxc", "openvz")


def openvz_settings(root):
    """vz.conf's data locations below the OpenVZ root, as vzctl's stock file sets them below /vz."""
    return [{"key": "VE_ROOT", "value": root + "/root/$VEID"},
            {"key": "VE_PRIVATE", "value": root + "/private/$VEID"},
            {"key": "TEMPLATE", "value": root + "/template"},
            {"key": "LOCKDIR", "value": root + "/lock"},
            {"key": "DUMPDIR", "value": root + "/dump"},
            {"key": "DISK_QUOTA", "value": "yes"}]


def check_openvz(inp):
    """The openvz role's input. Sets the layout as facts: the directories of
    the OpenVZ root, the links {path, target, kind} from the system's paths
    to their copies below ROOT/cluster, and vz.conf's settings."""
    root = inp.get("openvz_root", "/vz")
    if not inp.check("openvz_root", mount_point_error(root)):
        root = None
    layout = inp.get("openvz_layout", "etc_vz")
    if not inp.check("openvz_layout", choice_error(layout, tuple(sorted(OPENVZ_LAYOUTS)))):
        layout = None
    render_dir = inp.get("openvz_render_dir", "")
    if render_dir not in ("", None, MISSING):
        inp.check("openvz_render_dir", path_error(render_dir))
    allowed = OPENVZ_LAYOUTS.get(layout, ())
    chosen = inp.items("openvz_linked_paths")
    for index, path in enumerate(chosen):
        if path not in [entry[0] for entry in allowed]:
            inp.problem("openvz_linked_paths[%d]" % index,
                        "%s is not one of the paths OpenVZ keeps on the cluster with openvz_layout %s (%s); no other "
                        "system path is moved onto the replicated file system"
                        % (show(path), layout, ", ".join(entry[0] for entry in allowed)))
    _unique(inp, "openvz_linked_paths", chosen, "the path")
    entries = [e for e in allowed if not chosen or e[0] in chosen]
    if root is None or layout is None:
        inp.facts.update({"__openvz_directories": [], "__openvz_links": [], "__openvz_settings": [],
                          "__openvz_global_config": None})
        return {}
    cluster = "%s/%s" % (root, OPENVZ_CLUSTER_DIRECTORY)
    links = [{"path": path, "target": cluster + path, "what": what, "kind": kind} for path, what, kind in entries]
    directories = [root] + ["%s/%s" % (root, d) for d in OPENVZ_DATA_DIRECTORIES] + [cluster]
    for link in links:
        parent = posixpath.dirname(link["target"])
        while parent != root and parent not in directories:
            directories.append(parent)
            parent = posixpath.dirname(parent)
        if link["kind"] == "directory":
            directories.append(link["target"])
    # vz.conf's settings go where the file is: its copy on the replicated file
    # system when it is moved, the node's own file otherwise.
    global_config = [e[0] for e in allowed if e[1] == "global"][0]
    if global_config in [link["path"] for link in links]:
        global_config = cluster + global_config
    inp.facts.update({"__openvz_directories": sorted(set(directories)), "__openvz_links": links,
                      "__openvz_settings": openvz_settings(root), "__openvz_global_config": global_config})
    return {}


def check_containers(inp):
    """Seed 002's topology today: containers, their configuration and root
    file systems on the primary/secondary topology's DRBD file system, started
    by Heartbeat after DRBD and the mount, in place of the Samba share. LXC
    (containers_engine: lxc), or OpenVZ as the seed had it (openvz)."""
    engine = inp.get("containers_engine", "lxc")
    inp.check("containers_engine", choice_error(engine, CONTAINER_ENGINES))
    mount = inp.get("primary_secondary_mount", "/srv/share")
    mount_ok = isinstance(mount, str) and not mount_point_error(mount)
    if engine == "openvz":
        check_openvz(inp)
        root = inp.get("openvz_root", "/vz")
        if mount_ok and root != mount:
            inp.problem("openvz_root", "%s is not the replicated file system's mount point (primary_secondary_mount "
                        "%s): OpenVZ's containers and the files linked below %s/%s would stay behind on a "
                        "fail-over" % (show(root), mount, show(root), OPENVZ_CLUSTER_DIRECTORY))
        listed = inp.get("lxc_containers", [])
        if listed not in ([], None, MISSING):
            inp.problem("lxc_containers", "lists LXC containers, but containers_engine is openvz: they would be "
                        "neither made nor started. Empty it, or set containers_engine: lxc")
        resources = [OPENVZ_HEARTBEAT_SCRIPT]
    else:
        names = check_lxc(inp.with_values(lxc_cluster_managed=True))
        path = inp.get("lxc_path", "/var/lib/lxc")
        if mount_ok and isinstance(path, str) and not (
                path.rstrip("/") == mount.rstrip("/") or path.startswith(mount.rstrip("/") + "/")):
            inp.problem("lxc_path", "%s is not on the replicated file system (primary_secondary_mount %s): the "
                        "containers would stay behind on a fail-over" % (path, mount))
        if not names:
            inp.problem("lxc_containers", "lists no container; the topology moves containers")
        resources = [{"agent": LXC_HEARTBEAT_AGENT, "args": [n]} for n in names]
    inp.facts["__containers_resources"] = resources
    return check_primary_secondary(inp.with_values(
        primary_secondary_samba=False, primary_secondary_resources=resources))


# ---------------------------------------------------------------------------
# Pacemaker
# ---------------------------------------------------------------------------

def check_pacemaker(inp):
    nodes = inp.items("pacemaker_nodes", minimum=2)
    for index, node in enumerate(nodes):
        inp.check("pacemaker_nodes[%d]" % index, hostname_error(node))
    _unique(inp, "pacemaker_nodes", nodes, "the node")
    if nodes and inp.host not in nodes:
        inp.problem("pacemaker_nodes", "must list this host (%s); got %s" % (inp.host, show(nodes)))
    inp.optional("pacemaker_cluster_name", word_error, _CLUSTER_NAME_RE, "1-32 letters, digits, _ or -")
    links = inp.items("pacemaker_link_addresses", minimum=1)
    if len(links) > 8:
        inp.problem("pacemaker_link_addresses", "Corosync has at most 8 links; got %d addresses" % len(links))
    for index, address in enumerate(links):
        inp.check("pacemaker_link_addresses[%d]" % index, address_error(address))
    _unique(inp, "pacemaker_link_addresses", links, "the address")
    cipher = inp.get("pacemaker_crypto_cipher", "aes256")
    inp.check("pacemaker_crypto_cipher", choice_error(cipher, ("none", "aes256", "aes192", "aes128")))
    hash_ = inp.get("pacemaker_crypto_hash", "sha256")
    inp.check("pacemaker_crypto_hash", choice_error(hash_, ("none", "md5", "sha1", "sha256", "sha384", "sha512")))
    if cipher != "none" and hash_ == "none":
        inp.problem("pacemaker_crypto_hash", "is none while pacemaker_crypto_cipher is %s; Corosync encrypts only "
                    "with an authenticating hash" % cipher)
    inp.optional("pacemaker_token", int_error, 100)
    _bools(inp, "pacemaker_allow_no_fencing")
    inp.optional("pacemaker_no_quorum_policy", choice_error, ("stop", "freeze", "demote", "suicide"))
    for index, package in enumerate(inp.items("pacemaker_fence_packages")):
        inp.check("pacemaker_fence_packages[%d]" % index, package_error(package))
    devices = inp.items("pacemaker_fence_devices", kind=dict)
    ids = []
    for index, dev in enumerate(devices):
        label = "pacemaker_fence_devices[%d]" % index
        inp.unknown_keys(label, dev, ("id", "agent", "params", "meta", "ops"))
        if inp.check(label + ".id", xml_id_error(dev.get("id"))):
            ids.append(dev["id"])
            label = "pacemaker_fence_devices[%s]" % dev["id"]
        inp.check(label + ".agent", word_error(dev.get("agent"), re.compile(r"stonith:[A-Za-z0-9_.-]+"),
                                               "stonith:<fence agent>"))
        params = dev.get("params", {})
        if not isinstance(params, dict):
            inp.problem(label + ".params", "must be a dictionary")
            continue
        for key, value in params.items():
            if inp.check(label + ".params", xml_id_error(key)):
                inp.check("%s.params.%s" % (label, key), option_value_error(value))
        secret = fence_secret_params(params)
        if secret:
            inp.problem(label + ".params", "%s carr%s a secret, which would be written into the CIB for everyone "
                        "who can read it and show in logs; move %s to pacemaker_fence_secrets[%s]"
                        % (", ".join(secret), "ies" if len(secret) == 1 else "y", "it" if len(secret) == 1 else "them",
                           dev.get("id")))
    _unique(inp, "pacemaker_fence_devices", ids, "the id")
    if not devices and inp.get("pacemaker_allow_no_fencing", False) is not True:
        inp.problem("pacemaker_fence_devices", "is empty. Without fencing a node that stops answering may still "
                    "write to DRBD, and the peer promoting it makes a split brain; set pacemaker_allow_no_fencing: "
                    "true only for a lab without shared data")
    secrets = inp.mapping("pacemaker_fence_secrets")
    for dev_id, values in secrets.items():
        if dev_id not in ids:
            inp.problem("pacemaker_fence_secrets", "names %s, which is not one of pacemaker_fence_devices (%s)"
                        % (show(dev_id), ", ".join(ids) or "none"))
        if not isinstance(values, dict):
            inp.problem("pacemaker_fence_secrets[%s]" % dev_id, "must be a dictionary {parameter: value}")
            continue
        for key, value in values.items():
            where = "pacemaker_fence_secrets[%s].%s" % (dev_id, key)
            inp.check(where, xml_id_error(key))
            inp.check(where, secret_error(str(value) if isinstance(value, int) else value, 1, quoted=True))
    for name in ("pacemaker_properties", "pacemaker_rsc_defaults"):
        for key, value in inp.mapping(name).items():
            if inp.check(name, xml_id_error(key)):
                inp.check("%s.%s" % (name, key), option_value_error(value))
    props = inp.mapping("pacemaker_properties")
    if str(props.get("stonith-enabled", "")).lower() in ("false", "no", "0") and devices:
        inp.problem("pacemaker_properties.stonith-enabled", "turns fencing off although pacemaker_fence_devices "
                    "defines devices; use pacemaker_allow_no_fencing without devices instead")
    return {"links": len(links), "addresses": [str(ip_address(a)) for a in links if ip_address(a) is not None]}


def cluster_pacemaker(views, problems, host_of):
    counts = sorted(set(v["links"] for v in views.values()))
    if len(counts) > 1:
        problems.append({"host": host_of, "variable": "pacemaker_link_addresses",
                         "message": "every node needs one address per Corosync link; the nodes have %s"
                                    % ", ".join("%s: %d" % (h, v["links"]) for h, v in sorted(views.items()))})
    owner = {}
    for host, view in sorted(views.items()):
        for address in view["addresses"]:
            if address in owner and owner[address] != host:
                problems.append({"host": host, "variable": "pacemaker_link_addresses",
                                 "message": "%s is also a link address of %s; no address may be used twice"
                                            % (address, owner[address])})
            owner.setdefault(address, host)


# ---------------------------------------------------------------------------
# iSCSI target with Pacemaker (seed 003)
# ---------------------------------------------------------------------------

ISCSI_LUN_KEYS = ("lun", "lv", "path", "size", "scsi_sn")


def check_iscsi_target(inp):
    res = single_resource(inp, "iscsi_target_resource")
    device = derived_device(inp, "iscsi_target_device", res)
    _two_hosts(inp, "iscsi_target")
    inp.require("iscsi_target_iqn", iscsi_name_error)
    implementation = inp.get("iscsi_target_implementation", "lio-t")
    if implementation not in ("lio-t", "tgt"):
        inp.problem("iscsi_target_implementation", "must be lio-t or tgt, named explicitly so that both nodes run "
                    "the same target; got %s" % show(implementation))
    if implementation == "tgt":
        inp.optional("iscsi_target_tid", int_error, 1, 65535)
    inp.optional("iscsi_target_port", port_error)
    vg = inp.require("iscsi_target_vg", lvm_name_error)
    host_vgs = inp.items("iscsi_target_host_volume_groups")
    for index, name in enumerate(host_vgs):
        inp.check("iscsi_target_host_volume_groups[%d]" % index, lvm_name_error(name))
    if vg is not None and vg in host_vgs:
        inp.problem("iscsi_target_host_volume_groups", "lists %s, the cluster's volume group (iscsi_target_vg), "
                    "which only Pacemaker may activate" % vg)
    inp.optional("iscsi_target_name", xml_id_error)
    inp.optional("iscsi_target_resource_stickiness", int_error, 0, 1000000)
    inp.optional("iscsi_target_drbd_fencing", choice_error, ("resource-only", "resource-and-stonith"))
    for key, value in inp.mapping("iscsi_target_drbd_handlers").items():
        inp.check("iscsi_target_drbd_handlers.%s" % key, path_error(value))
    luns = inp.items("iscsi_target_luns", minimum=1, kind=dict)
    numbers, volumes = [], []
    for index, unit in enumerate(luns):
        label = "iscsi_target_luns[%d]" % index
        inp.unknown_keys(label, unit, ISCSI_LUN_KEYS)
        low = 1 if implementation == "tgt" else 0
        err = int_error(unit.get("lun"), low, 255) if "lun" in unit else "is not set"
        if err and implementation == "tgt" and int_value(unit.get("lun")) == 0:
            err = "0 is kept by tgt for itself; use 1-255"
        if inp.check(label + ".lun", err):
            numbers.append(int_value(unit["lun"]))
        if "path" in unit:
            path = unit["path"]
            if inp.check(label + ".path", device_path_error(path)):
                if vg is None:
                    pass
                elif not re.fullmatch(r"/dev/%s/[^/]+" % re.escape(vg), path):
                    inp.problem(label + ".path", "%s is not a logical volume of iscsi_target_vg (/dev/%s/NAME)"
                                % (path, vg))
                else:
                    if inp.check(label + ".path", lvm_name_error(posixpath.basename(path), lv=True)):
                        volumes.append(posixpath.basename(path))
        elif inp.check(label + ".lv", lvm_name_error(unit.get("lv"), lv=True)):
            volumes.append(unit["lv"])
        inp.check(label + ".size", size_error(unit.get("size")))
        if "scsi_sn" in unit:
            inp.check(label + ".scsi_sn", word_error(unit["scsi_sn"], _SCSI_SN_RE, "1-16 lower-case hex digits"))
    _unique(inp, "iscsi_target_luns", numbers, "LUN number")
    _unique(inp, "iscsi_target_luns", volumes, "the logical volume (each LUN needs its own, used once)")
    allowed = inp.items("iscsi_target_allowed_initiators", minimum=1)
    for index, who in enumerate(allowed):
        where = "iscsi_target_allowed_initiators[%d]" % index
        if implementation == "tgt":
            if who != "ALL":
                inp.check(where, address_error(who))
        else:
            inp.check(where, iscsi_name_error(who))
    prefix = inp.optional("iscsi_target_cluster_ip_prefix", int_error, 1, 128)
    ip = inp.require("iscsi_target_cluster_ip", cluster_ip_error, prefix)
    inp.optional("iscsi_target_cluster_ip_interface", interface_error)
    networks = inp.items("iscsi_target_networks", minimum=1)
    good = []
    for index, net in enumerate(networks):
        if inp.check("iscsi_target_networks[%d]" % index, network_error(net)):
            good.append(ipaddress.ip_network(net))
    if ip is not None and good and not any(ip_address(ip) in net for net in good if net.version == ip_address(ip).version):
        inp.problem("iscsi_target_cluster_ip", "%s lies outside every network of iscsi_target_networks (%s)"
                    % (ip, ", ".join(str(n) for n in good)))
    if ip is not None and str(ip_address(ip)) in own_addresses(inp):
        inp.problem("iscsi_target_cluster_ip", "%s is also this node's address, not a node's own address; the "
                    "cluster IP must be an address of its own" % ip)
    drbd = check_drbd(inp)
    pm = check_pacemaker(inp.with_values(pacemaker_nodes=list(inp.play_hosts)))
    inp.facts.update({"__iscsi_target_resource": res["name"] if res else None, "__iscsi_target_device": device})
    return {"cluster_ip": str(ip_address(ip)) if ip else None, "addresses": own_addresses(inp), "pacemaker": pm,
            "drbd": drbd}


def cluster_iscsi_target(views, problems, host_of):
    cluster_service_ip(views, problems, "iscsi_target_cluster_ip")
    cluster_pacemaker({h: v["pacemaker"] for h, v in views.items()}, problems, host_of)
    cluster_drbd({h: v["drbd"] for h, v in views.items()}, problems, host_of)


def check_iscsi_initiator(inp):
    inp.require("iscsi_initiator_name", iscsi_name_error)
    inp.require("iscsi_initiator_portal", address_error)
    inp.optional("iscsi_initiator_port", port_error)
    targets = inp.items("iscsi_initiator_targets", minimum=1)
    for index, target in enumerate(targets):
        inp.check("iscsi_initiator_targets[%d]" % index, iscsi_name_error(target))
    inp.optional("iscsi_initiator_replacement_timeout", int_error, 0, 86400)
    _bools(inp, "iscsi_initiator_login_at_boot")
    return {}


# ---------------------------------------------------------------------------
# Dual-primary DRBD with GFS2 and cluster-run guests (seed 000, sections 6.5 and 6.6)
# ---------------------------------------------------------------------------

DPG_FILESYSTEM_KEYS = ("resource", "name", "mount", "journals", "journal_size", "options", "lock_proto")
DPG_VM_KEYS = ("name", "filesystem", "disk", "disk_source", "disk_format", "memory", "vcpus", "prefer", "kernel",
               "initrd", "cmdline", "xml", "agent_params", "operations")
# What the topology writes into each of its DRBD resources; user options come on top, and the model refuses the
# ones that would hurt a file system two nodes write to.
DPG_DRBD_NET = {"allow-two-primaries": True, "after-sb-0pri": "disconnect", "after-sb-1pri": "disconnect",
                "after-sb-2pri": "disconnect"}
DPG_DRBD_HANDLERS = {
    "pacemaker": {"fence-peer": "/usr/lib/drbd/crm-fence-peer.sh",
                  "after-resync-target": "/usr/lib/drbd/crm-unfence-peer.sh"},
    "cman": {"fence-peer": "/usr/lib/drbd/rhcs_fence"},
}
_MOUNT_OPTION_RE = re.compile(r"[A-Za-z0-9_.:=/+-]+")
_NO_FENCING_AGENTS = ("fence_manual", "fence_ack_manual")


def _dpg_filesystems(inp, resources, nodes, cluster):
    """The topology's file systems, resolved: [{resource, name, mount, device, lock_table, journals, ...}]."""
    stack = inp.get("dual_primary_gfs2_stack", "pacemaker")
    limits = GFS2_LEGACY_LOCK_TABLE_LIMITS if stack == "cman" else GFS2_LOCK_TABLE_LIMITS
    by_name = dict((r["name"], r) for r in resources if isinstance(r, dict) and isinstance(r.get("name"), str))
    out, names, mounts, used = [], [], [], []
    for index, fs in enumerate(inp.items("dual_primary_gfs2_filesystems", minimum=1, kind=dict)):
        label = "dual_primary_gfs2_filesystems[%s]" % (fs.get("name") if isinstance(fs.get("name"), str) else index)
        inp.unknown_keys(label, fs, DPG_FILESYSTEM_KEYS)
        res = by_name.get(fs.get("resource"))
        if res is None:
            inp.problem(label + ".resource", "%s is not one of drbd_resources (%s)"
                        % (show(fs.get("resource")), ", ".join(sorted(by_name)) or "none"))
        else:
            used.append(res["name"])
        name = fs.get("name")
        lock_table = None
        what = "a file system name (letters, digits, _ or -)"
        if inp.check(label + ".name", word_error(name, _LOCK_TABLE_PART_RE, what)):
            names.append(name)
            if len(name) > limits[1]:
                inp.problem(label + ".name", "%s is %d characters long; the lock table's file system name may have "
                            "at most %d (mkfs.gfs2 of %s)" % (name, len(name), limits[1],
                                                              "cluster 3" if stack == "cman" else "gfs2-utils 3.1.9+"))
            elif cluster is not None:
                lock_table = "%s:%s" % (cluster, name)
        mount = fs.get("mount", MISSING)
        if mount is MISSING:
            inp.problem(label + ".mount", "is not set (where the cluster mounts the file system on every node)")
        elif inp.check(label + ".mount", mount_point_error(mount)):
            mounts.append(mount)
        journals = fs.get("journals", len(nodes))
        if inp.check(label + ".journals", int_error(journals, 1, 64)) and int_value(journals) < len(nodes):
            inp.problem(label + ".journals", "is %s, fewer than the %d nodes that mount the file system; GFS2 needs "
                        "a journal for every node that mounts it at the same time" % (journals, len(nodes)))
        if "journal_size" in fs:
            inp.check(label + ".journal_size", int_error(fs["journal_size"], *GFS2_JOURNAL_SIZE_RANGE))
        if fs.get("lock_proto", "lock_dlm") != "lock_dlm":
            inp.problem(label + ".lock_proto", "is %s; this file system is mounted by %d nodes at once, and "
                        "lock_nolock there lets each node overwrite what the other wrote (kernel panics and a "
                        "corrupt file system). Only lock_dlm is allowed" % (show(fs.get("lock_proto")), len(nodes)))
        options = fs.get("options", [])
        if not isinstance(options, list):
            inp.problem(label + ".options", "must be a list of mount options")
            options = []
        for number, option in enumerate(options):
            where = "%s.options[%d]" % (label, number)
            if not inp.check(where, word_error(option, _MOUNT_OPTION_RE, "one mount option")):
                continue
            key, dummy, value = option.partition("=")
            if key == "lockproto" and value != "lock_dlm":
                inp.problem(where, "%s: lock_nolock (or any protocol but lock_dlm) on a device two nodes mount "
                            "lets each node overwrite what the other wrote; it is for a disaster recovery with "
                            "the other node down, by hand" % option)
            elif key == "locktable":
                inp.problem(where, "overrides the lock table of the superblock; a wrong one mounts the file system "
                            "in another lock space, unprotected from the other node")
            elif key == "localflocks":
                inp.problem(where, "makes flock() and POSIX locks local to each node, so two nodes can both hold an "
                            "exclusive lock on the same file (and clustered Samba's locks stop working)")
        device = "/dev/drbd%d" % int_value(res["minor"]) if res and int_value(res.get("minor")) is not None else None
        out.append({"resource": res["name"] if res else None, "name": name, "mount": mount, "device": device,
                    "lock_table": lock_table, "journals": int_value(journals),
                    "journal_size": int_value(fs.get("journal_size")), "options": options,
                    "clone": "cl_fs_%s" % name if isinstance(name, str) else None})
    _unique(inp, "dual_primary_gfs2_filesystems", names, "the file system name")
    _unique(inp, "dual_primary_gfs2_filesystems", mounts, "the mount point")
    _unique(inp, "dual_primary_gfs2_filesystems", used, "the DRBD resource (one file system per resource)")
    return out


def _dpg_drbd_resources(inp, filesystems, stack):
    """drbd_resources with the topology's options in the resources that carry a file system; refuses the
    after-split-brain and resync policies that would rewrite blocks under a mounted cluster file system."""
    resources = inp.get("drbd_resources", [])
    if not isinstance(resources, list):
        return resources
    shared = set(fs["resource"] for fs in filesystems if fs["resource"])
    handlers = inp.get("dual_primary_gfs2_drbd_handlers", {}) or DPG_DRBD_HANDLERS.get(stack, {})
    if isinstance(handlers, dict):
        for key, value in handlers.items():
            inp.check("dual_primary_gfs2_drbd_handlers.%s" % key, path_error(value))
        if "fence-peer" not in handlers:
            inp.problem("dual_primary_gfs2_drbd_handlers", "has no fence-peer handler; with fencing "
                        "resource-and-stonith DRBD freezes I/O after losing its peer until that handler says the peer "
                        "is fenced")
    else:
        inp.problem("dual_primary_gfs2_drbd_handlers", "must be a dictionary {handler: program}")
        handlers = {}
    out = []
    for res in resources:
        if not isinstance(res, dict) or res.get("name") not in shared:
            out.append(res)
            continue
        label = "drbd_resources[%s]" % res["name"]
        if "initial_primary" not in res:
            inp.problem(label + ".initial_primary", "is not set; the node named there seeds the first sync and makes "
                        "the GFS2 file system, which the cluster then mounts on both nodes")
        net = dict(res.get("net") or {}) if isinstance(res.get("net"), dict) else {}
        for key, value in list(net.items()):
            word = str(key).replace("_", "-")
            if re.fullmatch(r"after-sb-[012]pri", word) and _DISCARDING.fullmatch(str(value)):
                inp.problem("%s.net.%s" % (label, key), "%s under GFS2: an automatic split-brain recovery throws one "
                            "node's writes away under a file system that the other node has mounted and journaled "
                            "against, which corrupts it. Keep disconnect and recover by hand "
                            "(drbd_allow_automatic_split_brain_discard does not apply to a cluster file system)"
                            % value)
                del net[key]
            elif word == "rr-conflict" and str(value) == "violently":
                inp.problem("%s.net.%s" % (label, key), "violently lets a resync overwrite a primary's data under "
                            "the mounted GFS2; DRBD itself calls it dangerous. Use disconnect")
                del net[key]
            elif word == "allow-two-primaries" and str(value).lower() not in ("yes", "true"):
                inp.problem("%s.net.%s" % (label, key), "is %s, but GFS2 is mounted on both nodes, which needs both "
                            "Primary" % show(value))
                del net[key]
        disk = dict(res.get("disk_options") or {}) if isinstance(res.get("disk_options"), dict) else {}
        fencing = disk.get("fencing", net.get("fencing", "resource-and-stonith"))
        if fencing != "resource-and-stonith":
            inp.problem("%s.disk_options.fencing" % label, "is %s; two primaries need resource-and-stonith, so that "
                        "DRBD freezes I/O until the lost peer is fenced instead of letting both sides write"
                        % show(fencing))
        disk["fencing"] = "resource-and-stonith"
        net.pop("fencing", None)
        new = dict(res, net=dict(DPG_DRBD_NET, **net), disk_options=disk,
                   handlers=dict(handlers, **(res.get("handlers") if isinstance(res.get("handlers"), dict) else {})))
        if stack == "cman":
            # No cluster manager promotes under cman: drbd.service does, at boot, on both nodes (seed 000).
            startup = res.get("startup") if isinstance(res.get("startup"), dict) else {}
            new["startup"] = dict({"become-primary-on": "both"}, **startup)
        out.append(new)
    return out


def _dpg_vms(inp, filesystems, nodes):
    by_fs = dict((fs["name"], fs) for fs in filesystems if isinstance(fs["name"], str))
    first = filesystems[0]["name"] if filesystems else None
    out, names = [], []
    for index, vm in enumerate(inp.items("dual_primary_gfs2_vms", kind=dict)):
        name = vm.get("name")
        label = "dual_primary_gfs2_vms[%s]" % (name if isinstance(name, str) else index)
        inp.unknown_keys(label, vm, DPG_VM_KEYS)
        if inp.check(label + ".name", domain_name_error(name)):
            names.append(name)
        fs = by_fs.get(vm.get("filesystem", first))
        if fs is None:
            inp.problem(label + ".filesystem", "%s is not one of dual_primary_gfs2_filesystems (%s)"
                        % (show(vm.get("filesystem", first)), ", ".join(sorted(by_fs)) or "none"))
        if "xml" in vm:
            inp.check(label + ".xml", text_error(vm["xml"].replace("\n", " ") if isinstance(vm["xml"], str)
                                                 else vm["xml"]))
            for key in ("disk", "disk_source", "kernel", "initrd", "cmdline", "memory", "vcpus", "disk_format"):
                if key in vm:
                    inp.problem("%s.%s" % (label, key), "goes into the xml, which is given whole")
        else:
            disk = vm.get("disk", MISSING)
            if disk is MISSING:
                inp.problem(label + ".disk", "is not set (the guest's disk image on the GFS2 file system)")
            elif inp.check(label + ".disk", path_error(disk)) and fs and isinstance(fs["mount"], str) \
                    and not disk.startswith(fs["mount"].rstrip("/") + "/"):
                inp.problem(label + ".disk", "%s is not on the shared file system %s (%s); a guest that moves "
                            "between nodes needs its disk where both nodes see it" % (disk, fs["name"], fs["mount"]))
            for key in ("disk_source", "kernel", "initrd"):
                if key in vm:
                    inp.check("%s.%s" % (label, key), path_error(vm[key]))
            if "disk_source" in vm and vm["disk_source"] == disk:
                inp.problem(label + ".disk_source", "is the disk itself; name the image the disk is copied from")
            if "cmdline" in vm:
                inp.check(label + ".cmdline", text_error(vm["cmdline"]))
            if "initrd" in vm and "kernel" not in vm:
                inp.problem(label + ".initrd", "needs a kernel")
            inp.check(label + ".memory", int_error(vm.get("memory", 512), 16, 1 << 24))
            inp.check(label + ".vcpus", int_error(vm.get("vcpus", 1), 1, 256))
            inp.check(label + ".disk_format", choice_error(vm.get("disk_format", "raw"), ("raw", "qcow2")))
        # VirtualDomain's parameters and operations: the module's own rules (pacemaker_spec), checked here first.
        given = dict((key, vm.get(key, {})) for key in ("agent_params", "operations"))
        wrong = [key for key, value in given.items() if not isinstance(value, dict)]
        for key in wrong:
            inp.problem("%s.%s" % (label, key), "is %s, not a mapping" % show(given[key]))
        if not wrong and any(given.values()):
            try:
                pacemaker_spec("guest", "/dev/null", "qemu:///system", **given)
            except ValueError as exc:
                inp.problem(label, str(exc))
        prefer = vm.get("prefer", MISSING)
        if prefer is not MISSING and prefer not in nodes:
            inp.problem(label + ".prefer", "%s is not one of the cluster's nodes %s" % (show(prefer), show(nodes)))
        out.append(dict(vm, filesystem=fs["name"] if fs else None, mount=fs["mount"] if fs else None,
                        depends_on=[fs["clone"]] if fs else []))
    _unique(inp, "dual_primary_gfs2_vms", names, "the guest name")
    return out


def _dpg_cman(inp, nodes):
    """cluster.conf's nodes and fence devices from the Pacemaker fencing variables (secrets stay out)."""
    devices = [d for d in inp.get("pacemaker_fence_devices", []) if isinstance(d, dict)] \
        if isinstance(inp.get("pacemaker_fence_devices"), list) else []
    cman_devices, methods = [], dict((n, []) for n in nodes)
    for dev in devices:
        agent = str(dev.get("agent", "")).replace("stonith:", "", 1)
        params = dev.get("params") if isinstance(dev.get("params"), dict) else {}
        if agent in _NO_FENCING_AGENTS:
            inp.problem("pacemaker_fence_devices[%s].agent" % dev.get("id"), "%s fences nothing by itself; a "
                        "cluster with GFS2 waits for ever for a fence that only a person can confirm" % agent)
        cman_devices.append({"name": dev.get("id"), "agent": agent,
                             "params": dict((k, v) for k, v in params.items() if not str(k).startswith("pcmk_"))})
        host_map = dict(pair.split(":", 1) for pair in re.split(r"[;\s]+", str(params.get("pcmk_host_map", "")))
                        if ":" in pair)
        targets = re.split(r"[\s,]+", str(params.get("pcmk_host_list", "")).strip()) + list(host_map)
        for node in nodes:
            if node in targets:
                entry = {"name": dev.get("id")}
                if node in host_map:
                    entry["port"] = host_map[node]
                methods[node].append(entry)
    cman_nodes = []
    for number, node in enumerate(nodes, start=1):
        if not methods[node]:
            inp.problem("pacemaker_fence_devices", "no device fences %s (none names it in pcmk_host_list or "
                        "pcmk_host_map); cman's cluster.conf needs a fence method for every node" % node)
        cman_nodes.append({"name": node, "nodeid": number, "fence": [{"name": "1", "devices": methods[node]}]})
    return cman_devices, cman_nodes


def check_dual_primary_gfs2(inp):
    nodes = list(inp.play_hosts)
    _two_hosts(inp, "dual_primary_gfs2")
    stack = inp.get("dual_primary_gfs2_stack", "pacemaker")
    inp.check("dual_primary_gfs2_stack", choice_error(stack, ("pacemaker", "cman")))
    cluster = inp.get("pacemaker_cluster_name", "hacluster")
    cluster_err = (cman_cluster_name_error(cluster) if stack == "cman"
                   else word_error(cluster, _CLUSTER_NAME_RE, "1-32 letters, digits, _ or -"))
    if cluster_err:
        inp.problem("pacemaker_cluster_name", "%s (it is the cluster part of every GFS2 lock table%s)"
                    % (cluster_err, ", and cman's cluster name" if stack == "cman" else ""))
        cluster = None
    filesystems = _dpg_filesystems(inp, inp.get("drbd_resources", []) if isinstance(inp.get("drbd_resources"), list)
                                   else [], nodes, cluster)
    resources = _dpg_drbd_resources(inp, filesystems, stack)
    vms = _dpg_vms(inp, filesystems, nodes)
    inp.optional("dual_primary_gfs2_bridge", interface_error)
    for index, port in enumerate(inp.items("dual_primary_gfs2_bridge_ports")):
        inp.check("dual_primary_gfs2_bridge_ports[%d]" % index, interface_error(port))
    inp.optional("dual_primary_gfs2_domain_type", choice_error, ("kvm", "qemu"))
    inp.optional("dual_primary_gfs2_migration_transport", choice_error, ("ssh", "tcp", "tls"))
    for name in ("dual_primary_gfs2_cluster_conf", "dual_primary_gfs2_vm_config_dir"):
        inp.optional(name, path_error)
    if str(inp.get("dual_primary_gfs2_vm_config_dir", "")).startswith("/etc/libvirt"):
        inp.problem("dual_primary_gfs2_vm_config_dir", "is below /etc/libvirt, whose files virsh undefine removes")
    for name in ("dual_primary_gfs2_dlm", "dual_primary_gfs2_gfs_controld"):
        for key, value in inp.mapping(name).items():
            if inp.check(name, xml_id_error(key)):
                inp.check("%s.%s" % (name, key), option_value_error(value))
    pm = check_pacemaker(inp.with_values(pacemaker_nodes=nodes))
    if inp.get("pacemaker_allow_no_fencing", False) is True:
        inp.problem("pacemaker_allow_no_fencing", "is set, but DLM, and with it GFS2, does not run without fencing "
                    "(Pacemaker's controld refuses to start with stonith-enabled=false): a node that stops answering "
                    "would leave the file system frozen on the other, or written by both. Configure "
                    "pacemaker_fence_devices")
    cman_devices, cman_nodes = _dpg_cman(inp, nodes) if stack == "cman" else ([], [])
    drbd = check_drbd(inp.with_values(drbd_resources=resources))
    inp.facts.update({
        # The pacemaker role's default reaches the model, not this role's tasks: they use this.
        "__dual_primary_gfs2_cluster_name": cluster,
        "__dual_primary_gfs2_filesystems": filesystems,
        "__dual_primary_gfs2_drbd_resources": resources,
        "__dual_primary_gfs2_vms": vms,
        "__dual_primary_gfs2_cman_fence_devices": cman_devices,
        "__dual_primary_gfs2_cman_nodes": cman_nodes,
    })
    return {"topology": json.dumps({"filesystems": filesystems, "vms": vms, "stack": stack}, sort_keys=True,
                                   default=str),
            "pacemaker": pm, "drbd": drbd}


def cluster_dual_primary_gfs2(views, problems, host_of):
    if len(set(v["topology"] for v in views.values())) > 1:
        problems.append({"host": host_of, "variable": "dual_primary_gfs2_filesystems",
                         "message": "the file systems, guests or stack differ between %s; every node mounts the same "
                                    "file systems and can run every guest. Set them in group_vars"
                                    % ", ".join(sorted(views))})
    cluster_pacemaker({h: v["pacemaker"] for h, v in views.items()}, problems, host_of)
    cluster_drbd({h: v["drbd"] for h, v in views.items()}, problems, host_of)


# ---------------------------------------------------------------------------
# Base set-up and the inventory as a whole
# ---------------------------------------------------------------------------

def check_base(inp):
    hosts = inp.items("base_cluster_hosts", kind=dict)
    for index, entry in enumerate(hosts):
        label = "base_cluster_hosts[%d]" % index
        inp.unknown_keys(label, entry, ("name", "address"))
        inp.check(label + ".name", hostname_error(entry.get("name")) if "name" in entry else "is not set")
        inp.check(label + ".address", address_error(entry.get("address")) if "address" in entry else "is not set")
    _unique(inp, "base_cluster_hosts", [h.get("name") for h in hosts], "the name")
    _unique(inp, "base_cluster_hosts", [h.get("address") for h in hosts], "the address")
    for index, package in enumerate(inp.items("base_packages")):
        inp.check("base_packages[%d]" % index, package_error(package))
    _bools(inp, "base_manage_hostname")
    return {}


def check_inventory(inp):
    """Group membership and the cluster address of one host."""
    topologies = [g for g in TOPOLOGY_GROUPS if g in inp.groups]
    if len(topologies) > 1:
        inp.problem("inventory groups", "the host is in %s; a host belongs to one topology group only (each "
                    "would configure it as its own cluster)" % " and ".join(topologies))
    clustered = [g for g in topologies if g != "iscsi_initiator"]
    if clustered and "hacluster" not in inp.groups:
        inp.problem("inventory groups", "the host is in %s but not in hacluster, so it would get no base set-up "
                    "(host name, /etc/hosts); make %s a child of hacluster" % (clustered[0], clustered[0]))
    address = None
    if "hacluster" in inp.groups:
        address = inp.require("hacluster_cluster_address", address_error)
        check_base(inp)
    return {"address": str(ip_address(address)) if address else None}


def cluster_inventory(views, problems, host_of):
    owner = {}
    for host, view in sorted(views.items()):
        address = view.get("address")
        if address and address in owner:
            problems.append({"host": host, "variable": "hacluster_cluster_address",
                             "message": "%s is also the cluster address of %s" % (address, owner[address])})
        owner.setdefault(address, host)


# ---------------------------------------------------------------------------
# DRBD kernel modules built by DKMS (seed 002's "a module for the kernel it runs on")
# ---------------------------------------------------------------------------

DRBD_DKMS_SOURCES = ("in_tree", "tarball")


def check_drbd_dkms(inp):
    inp.require("drbd_dkms_version", dkms_version_error)
    kernels = []
    for index, kernel in enumerate(inp.items("drbd_dkms_kernels")):
        if inp.check("drbd_dkms_kernels[%d]" % index, kernel_release_error(kernel)):
            kernels.append(kernel)
    _unique(inp, "drbd_dkms_kernels", kernels, "the kernel release")
    source = inp.optional("drbd_dkms_source", choice_error, DRBD_DKMS_SOURCES)
    inp.optional("drbd_dkms_state", choice_error, ("present", "absent"))
    if source == "in_tree":
        inp.optional("drbd_dkms_kernel_source_package", package_error)
    if source == "tarball":
        inp.require("drbd_dkms_tarball_url", word_error, _URL_RE, "an http(s), ftp or file URL")
        checksum = inp.get("drbd_dkms_tarball_checksum", "")
        if not isinstance(checksum, str) or not _CHECKSUM_RE.fullmatch(checksum):
            inp.problem("drbd_dkms_tarball_checksum",
                        "must be sha256:<64 hex digits> (or sha512:...), not %s: a tarball is built into the kernel "
                        "only when its checksum proves it is the one meant" % show(checksum))
        inp.optional("drbd_dkms_tarball_module_dir", relative_path_error)
    return {}


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------

# topology: (host check, cross-host check, roles whose defaults apply)
TOPOLOGIES = {
    "inventory": (check_inventory, cluster_inventory, ("base",)),
    "base": (check_base, None, ("base",)),
    "drbd": (check_drbd, cluster_drbd, ("drbd",)),
    "heartbeat": (check_heartbeat, cluster_heartbeat, ("heartbeat",)),
    "samba": (check_samba, None, ("samba",)),
    "pacemaker": (check_pacemaker, cluster_pacemaker, ("pacemaker",)),
    "primary_secondary": (check_primary_secondary, cluster_primary_secondary,
                          ("drbd", "heartbeat", "samba", "primary_secondary")),
    "iscsi_target": (check_iscsi_target, cluster_iscsi_target, ("drbd", "pacemaker", "iscsi_target")),
    "iscsi_initiator": (check_iscsi_initiator, None, ("iscsi_initiator",)),
    "dual_primary_gfs2": (check_dual_primary_gfs2, cluster_dual_primary_gfs2, ("drbd", "pacemaker", "dual_primary_gfs2")),
    "drbd_dkms": (check_drbd_dkms, None, ("drbd_dkms",)),
    "lxc": (check_lxc, None, ("lxc",)),
    "openvz": (check_openvz, None, ("openvz",)),
    "containers": (check_containers, cluster_primary_secondary,
                   ("drbd", "heartbeat", "primary_secondary", "lxc", "openvz", "containers")),
}

# Variables never shown and never copied into a view.
SECRET_VARIABLES = frozenset(("drbd_shared_secret", "heartbeat_authkey", "pacemaker_fence_secrets",
                              "heartbeat_stonith_hosts"))
# Variables of no role that the checks read.
INVENTORY_VARIABLES = ("drbd_address", "drbd_disks", "hacluster_cluster_address", "ansible_host")
ROLE_PREFIXES = {"base": "base_", "drbd": "drbd_", "heartbeat": "heartbeat_", "samba": "samba_",
                 "pacemaker": "pacemaker_", "primary_secondary": "primary_secondary_",
                 "iscsi_target": "iscsi_target_", "iscsi_initiator": "iscsi_initiator_",
                 "dual_primary_gfs2": "dual_primary_gfs2_", "drbd_dkms": "drbd_dkms_", "lxc": "lxc_",
                 "openvz": "openvz_", "containers": "containers_"}


def variable_names(topology, available):
    """The variables one topology's checks read, out of the names available on the host."""
    roles = TOPOLOGIES[topology][2]
    prefixes = tuple(ROLE_PREFIXES[r] for r in roles)
    names = set(n for n in available if isinstance(n, str) and n.startswith(prefixes))
    names.update(n for n in INVENTORY_VARIABLES if n in available)
    return sorted(names)


def check_host(topology, inp):
    """Run one topology's host check; returns (view, problems, facts)."""
    if topology not in TOPOLOGIES:
        raise ValueError("unknown topology %r; known: %s" % (topology, ", ".join(sorted(TOPOLOGIES))))
    view = TOPOLOGIES[topology][0](inp)
    return view, inp.problems, inp.facts


def check_cluster(topology, views, host_of):
    """Cross-host problems of one topology over {host: view}."""
    problems = []
    checker = TOPOLOGIES[topology][1]
    if checker and views:
        checker(views, problems, host_of)
    return problems


def format_problems(problems):
    lines = ["%s: %s: %s" % (p["host"], p["variable"], p["message"]) for p in problems]
    return "%d problem%s in the input, nothing was changed:\n%s" % (
        len(problems), "" if len(problems) == 1 else "s", "\n".join("- " + line for line in lines))


def validate(topology, hosts, cluster=True):
    """The whole model at once, for callers that hold every host's variables:
    hosts is {host: (values, play_hosts, inventory_hosts, groups)}. Returns (problems, facts by host)."""
    problems, views, facts = [], {}, {}
    for host, (values, play_hosts, inventory_hosts, groups) in hosts.items():
        inp = Input(host, values, play_hosts, inventory_hosts, groups)
        view, found, host_facts = check_host(topology, inp)
        problems.extend(found)
        views[host] = view
        facts[host] = host_facts
    if cluster:
        problems.extend(check_cluster(topology, views, sorted(hosts)[0] if hosts else None))
    return problems, facts
