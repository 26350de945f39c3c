# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""libvirt domains as data: render a domain's XML from parameters, read virsh's answers, compare a wanted
definition with the one libvirt keeps, and describe the domain as a cluster service (Pacemaker's VirtualDomain,
rgmanager's <vm>).

Pure functions (no commands run here). virsh output as libvirt 9.0 prints it with LC_ALL=C (captures in
tests/unit/fixtures/virsh/9.0.0). Parsers raise VirshParseError on text they do not understand.
"""

from __future__ import annotations

import copy
import hashlib
import posixpath
import re
import uuid
import xml.etree.ElementTree as ET

# Every node derives the same UUID and MAC address from the domain's name, so that the definition is identical
# everywhere without anybody copying generated values around.
UUID_NAMESPACE = uuid.UUID("5e0c1b7a-3c52-4f8e-9d0a-6b7c2f1e4d93")
MAC_PREFIX = "52:54:00"
_UNITS = {"b": 1, "bytes": 1, "kb": 1000, "k": 1024, "kib": 1024, "mb": 1000 ** 2, "m": 1024 ** 2,
          "mib": 1024 ** 2, "gb": 1000 ** 3, "g": 1024 ** 3, "gib": 1024 ** 3, "tb": 1000 ** 4, "t": 1024 ** 4,
          "tib": 1024 ** 4}
_MEMORY_TAGS = ("memory", "currentMemory", "maxMemory")
# Machine type aliases libvirt expands when it defines a domain (pc -> pc-i440fx-7.2 with QEMU 7.2).
_MACHINE_ALIASES = {"pc": "pc-i440fx-", "q35": "pc-q35-"}
_DOMINFO_RE = re.compile(r"^([A-Za-z][A-Za-z ()]*?):\s+(.*?)\s*$")
_ID_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_.-]")


class VirshParseError(ValueError):
    """Output of virsh, or a domain XML, that this code does not understand."""


def domain_uuid(name):
    return str(uuid.uuid5(UUID_NAMESPACE, "hacluster.drbd/libvirt/" + name))


def domain_mac(name):
    digest = hashlib.sha256(("hacluster.drbd/libvirt/" + name).encode("utf-8")).hexdigest()
    return "%s:%s:%s:%s" % (MAC_PREFIX, digest[0:2], digest[2:4], digest[4:6])


def render_domain(name, memory, vcpus, disk, bridge, domain_type="kvm", disk_format="raw", mac=None, uuid_=None,
                  kernel=None, initrd=None, cmdline=None):
    """A domain's XML from parameters: one virtio disk (cache none: the image lives on a cluster file system that
    two hosts open during a live migration), one virtio interface on a bridge, a serial console. memory in MiB."""
    dom = ET.Element("domain", {"type": domain_type})
    ET.SubElement(dom, "name").text = name
    ET.SubElement(dom, "uuid").text = uuid_ or domain_uuid(name)
    ET.SubElement(dom, "memory", {"unit": "KiB"}).text = str(int(memory) * 1024)
    ET.SubElement(dom, "currentMemory", {"unit": "KiB"}).text = str(int(memory) * 1024)
    ET.SubElement(dom, "vcpu").text = str(int(vcpus))
    os_ = ET.SubElement(dom, "os")
    ET.SubElement(os_, "type").text = "hvm"
    if kernel:
        ET.SubElement(os_, "kernel").text = kernel
        if initrd:
            ET.SubElement(os_, "initrd").text = initrd
        if cmdline:
            ET.SubElement(os_, "cmdline").text = cmdline
    else:
        ET.SubElement(os_, "boot", {"dev": "hd"})
    ET.SubElement(ET.SubElement(dom, "features"), "acpi")
    ET.SubElement(dom, "clock", {"offset": "utc"})
    for event, action in (("on_poweroff", "destroy"), ("on_reboot", "restart"), ("on_crash", "destroy")):
        ET.SubElement(dom, event).text = action
    devices = ET.SubElement(dom, "devices")
    elem = ET.SubElement(devices, "disk", {"type": "file", "device": "disk"})
    ET.SubElement(elem, "driver", {"name": "qemu", "type": disk_format, "cache": "none"})
    ET.SubElement(elem, "source", {"file": disk})
    ET.SubElement(elem, "target", {"dev": "vda", "bus": "virtio"})
    elem = ET.SubElement(devices, "interface", {"type": "bridge"})
    ET.SubElement(elem, "mac", {"address": mac or domain_mac(name)})
    ET.SubElement(elem, "source", {"bridge": bridge})
    ET.SubElement(elem, "model", {"type": "virtio"})
    ET.SubElement(ET.SubElement(devices, "serial", {"type": "pty"}), "target", {"port": "0"})
    ET.SubElement(ET.SubElement(devices, "console", {"type": "pty"}), "target", {"type": "serial", "port": "0"})
    return dom


def domain_from_xml(text, name):
    """A domain XML given whole: checked to be a <domain> named `name`; a missing <uuid> gets the one derived from
    the name (libvirt would invent a different one on every node)."""
    try:
        dom = ET.fromstring(text)
    except ET.ParseError as exc:
        raise VirshParseError("the domain XML is not XML (%s)" % exc)
    if dom.tag != "domain":
        raise VirshParseError("the domain XML's top element is <%s>, not <domain>" % dom.tag)
    found = (dom.findtext("name") or "").strip()
    if found != name:
        raise VirshParseError("the domain XML names the domain %r, not %r" % (found, name))
    if dom.find("uuid") is None:
        elem = ET.Element("uuid")
        elem.text = domain_uuid(name)
        dom.insert(list(dom).index(dom.find("name")) + 1, elem)
    return dom


def disks(dom):
    """The domain's disks: [(type, device kind, source path or None)]."""
    found = []
    for disk in dom.findall("devices/disk"):
        source = disk.find("source")
        path = None
        if source is not None:
            path = source.get("file") or source.get("dev") or source.get("name") or source.get("dir")
        found.append((disk.get("type"), disk.get("device", "disk"), path))
    return found


def below(path, directory):
    """Is `path` inside `directory` (both normalised absolute paths)?"""
    return posixpath.normpath(path) == path and path.startswith(directory.rstrip("/") + "/")


def to_text(dom):
    dom = copy.deepcopy(dom)
    ET.indent(dom, space="  ")
    return ET.tostring(dom, encoding="unicode") + "\n"


def parse_dominfo(text):
    """`virsh dominfo NAME`: {"name", "uuid", "state", "persistent", "autostart"}."""
    fields = {}
    for line in (text or "").splitlines():
        m = _DOMINFO_RE.match(line)
        if m:
            fields[m.group(1)] = m.group(2)
    missing = [k for k in ("Name", "UUID", "State", "Persistent", "Autostart") if k not in fields]
    if missing:
        raise VirshParseError("virsh dominfo printed no %s: %r" % (", ".join(missing), (text or "")[:200]))
    for key, values in (("Persistent", ("yes", "no")), ("Autostart", ("enable", "disable"))):
        if fields[key] not in values:
            raise VirshParseError("virsh dominfo: %s is %r, not %s" % (key, fields[key], " or ".join(values)))
    return {"name": fields["Name"], "uuid": fields["UUID"], "state": fields["State"],
            "persistent": fields["Persistent"] == "yes", "autostart": fields["Autostart"] == "enable"}


def domain_missing(rc, err):
    """Did `virsh dominfo` (or dumpxml) say there is no such domain (rather than fail)?"""
    return rc == 1 and "failed to get domain" in (err or "")


def domain_vanished(rc, err):
    """Did the domain go away while `virsh dominfo` asked about it? It was found
    by name, then libvirt no longer knew its UUID: a transient guest that a
    cluster manager was starting, stopping or migrating at that moment. Asking
    again gives a clean answer (its state, or no such domain)."""
    return rc == 1 and "Domain not found: no domain with matching uuid" in (err or "")


def _kib(elem):
    text = (elem.text or "").strip()
    unit = (elem.get("unit") or "KiB").lower()
    if not re.fullmatch(r"[0-9]+", text) or unit not in _UNITS:
        return None
    return -(-int(text) * _UNITS[unit] // 1024)


def _same_value(tag, name, wanted, live):
    if wanted == live:
        return True
    if tag == "type" and name == "machine" and wanted in _MACHINE_ALIASES:
        return (live or "").startswith(_MACHINE_ALIASES[wanted])
    return False


def _matches(wanted, live, path, differences):
    if wanted.tag in _MEMORY_TAGS:
        if _kib(wanted) is None or _kib(wanted) != _kib(live):
            differences.append("%s: %s %s, libvirt has %s %s" % (
                path, (wanted.text or "").strip(), wanted.get("unit", "KiB"), (live.text or "").strip(),
                live.get("unit", "KiB")))
            return False
        return True
    ok = True
    for name, value in wanted.attrib.items():
        if not _same_value(wanted.tag, name, value, live.get(name)):
            differences.append("%s/@%s: %r, libvirt has %r" % (path, name, value, live.get(name)))
            ok = False
    text = (wanted.text or "").strip()
    if text and text != (live.text or "").strip():
        differences.append("%s: %r, libvirt has %r" % (path, text, (live.text or "").strip()))
        ok = False
    taken, seen = set(), {}
    for child in wanted:
        seen[child.tag] = seen.get(child.tag, 0) + 1
        label = "%s/%s[%d]" % (path, child.tag, seen[child.tag])
        candidates = [c for c in live if c.tag == child.tag and id(c) not in taken]
        found = None
        for candidate in candidates:
            if not _matches(child, candidate, label, []):
                continue
            found = candidate
            break
        if found is None:
            if len(candidates) == 1:
                _matches(child, candidates[0], label, differences)
            else:
                differences.append("%s: missing" % label)
            ok = False
            continue
        taken.add(id(found))
    return ok


def definition_differences(wanted, live):
    """What of the wanted definition libvirt's (`virsh dumpxml --inactive`) lacks or holds otherwise; [] when
    libvirt's holds all of it. What libvirt adds (PCI addresses, controllers, the expanded machine type, memory
    written in KiB) is no difference."""
    differences = []
    if wanted.tag != live.tag:
        return ["<%s> is not <%s>" % (live.tag, wanted.tag)]
    _matches(wanted, live, "/domain", differences)
    return differences


def resource_id(prefix, name):
    return prefix + _ID_UNSAFE_RE.sub("_", name)


# VirtualDomain's operations and their defaults; `operations` of pacemaker_spec overrides interval and timeout.
VIRTUALDOMAIN_OPS = (("monitor", "10s", "30s"), ("start", "0s", "120s"), ("stop", "0s", "120s"),
                     ("migrate_to", "0s", "120s"), ("migrate_from", "0s", "120s"))
# What the module itself sets; agent_params may not name these.
VIRTUALDOMAIN_OWN_PARAMS = ("config", "hypervisor", "migration_transport", "migration_network_suffix")


def pacemaker_spec(name, config, uri, prefer=None, prefer_score=100, depends_on=(), migration_transport="ssh",
                   migration_network_suffix=None, agent_params=None, operations=None):
    """The domain as Pacemaker resources and constraints, in the form hacluster.drbd.pacemaker_cib takes: a
    VirtualDomain primitive that live-migrates (allow-migrate), a location preference, and for every resource it
    depends on (the clone of its file system) an order and a colocation. agent_params adds VirtualDomain
    parameters (for example force_stop); operations overrides an operation's interval or timeout,
    {"monitor": {"timeout": "60s"}}."""
    rid = resource_id("p_vm_", name)
    params = {"config": config, "hypervisor": uri, "migration_transport": migration_transport}
    if migration_network_suffix:
        params["migration_network_suffix"] = migration_network_suffix
    for key, value in sorted((agent_params or {}).items()):
        if key in VIRTUALDOMAIN_OWN_PARAMS:
            raise ValueError("agent_params may not set %s; it has an option of its own" % key)
        params[key] = str(value).lower() if isinstance(value, bool) else str(value)
    overrides = dict(operations or {})
    unknown = sorted(set(overrides) - set(op for op, dummy, dummy2 in VIRTUALDOMAIN_OPS))
    if unknown:
        raise ValueError("operations names %s; VirtualDomain's are %s"
                         % (", ".join(unknown), ", ".join(op for op, dummy, dummy2 in VIRTUALDOMAIN_OPS)))
    ops = []
    for op, interval, timeout in VIRTUALDOMAIN_OPS:
        given = overrides.get(op) or {}
        if not isinstance(given, dict):
            raise ValueError("operations.%s is %r, not a mapping of interval and timeout" % (op, given))
        extra = sorted(set(given) - {"interval", "timeout"})
        if extra:
            raise ValueError("operations.%s may set interval and timeout, not %s" % (op, ", ".join(extra)))
        ops.append({"name": op, "interval": str(given.get("interval", interval)),
                    "timeout": str(given.get("timeout", timeout))})
    constraints = []
    if prefer:
        constraints.append({"type": "location", "id": resource_id("l_%s_prefers_" % rid, prefer), "rsc": rid,
                            "node": prefer, "score": prefer_score})
    for dep in depends_on:
        constraints.append({"type": "order", "id": "o_%s_before_%s" % (dep, rid), "first": dep,
                            "first_action": "start", "then": rid, "then_action": "start", "kind": "Mandatory"})
        constraints.append({"type": "colocation", "id": "c_%s_with_%s" % (rid, dep), "rsc": rid, "with_rsc": dep,
                            "score": "INFINITY"})
    return {"resources": [{"id": rid, "agent": "ocf:heartbeat:VirtualDomain", "params": params,
                           "meta": {"allow-migrate": "true"}, "ops": ops}],
            "constraints": constraints}


def rgmanager_spec(name, uri, nodes, prefer=None):
    """The domain as rgmanager serves it (cman_cluster's vms and failover_domains): a <vm> started with virsh,
    live-migrated, restarted where it failed, in a failover domain of its own that puts the preferred node first."""
    order = ([prefer] if prefer else []) + [n for n in nodes if n != prefer]
    domain = {"name": resource_id("vm_", name), "ordered": 1 if prefer else 0, "restricted": 1, "nofailback": 0,
              "nodes": [{"name": node, "priority": index + 1} for index, node in enumerate(order)]}
    vm = {"name": name, "domain": domain["name"], "autostart": 1, "use_virsh": 1, "migrate": "live",
          "recovery": "restart", "hypervisor_uri": uri}
    return {"vm": vm, "failover_domain": domain}
