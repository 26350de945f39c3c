# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""cman/rgmanager's /etc/cluster/cluster.conf as data: render it, compare it, mask its secrets, validate it.

Pure functions (no commands run here). Facts the rendering follows (the reference, section 3.1):
``<cluster name= config_version=>`` with a name of at most 15 characters; a two-node cluster needs exactly
``<cman two_node="1" expected_votes="1"/>`` and two nodes of one vote each; node ids are unique and above 0;
fence methods name devices of ``<fencedevices>``; rgmanager's ``<vm>`` and ``<service>`` sit in ``<rm>``, next
to its ``<failoverdomains>``; resource dependencies are expressed by nesting.
"""

from __future__ import annotations

import copy
import re
import traceback
import xml.etree.ElementTree as ET

try:
    from lxml import etree as LXML_ETREE
    LXML_IMPORT_ERROR = None
except ImportError:
    LXML_ETREE = None
    LXML_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.hacluster.drbd.plugins.module_utils.model import (
    cman_cluster_name_error,
    fence_secret_params,
    hostname_error,
)

MASK = "********"
# cluster.conf speaks the fence agents' option names of its era; fence-agents 4 renamed them and still accepts
# the old ones. Pacemaker-style names given here are written the old way.
FENCE_ATTRIBUTE_ALIASES = {"ip": "ipaddr", "username": "login", "password": "passwd",
                           "password_script": "passwd_script", "plug": "port"}
# Agents that fence nothing by themselves: a cluster with only these has no fencing.
NO_FENCING_AGENTS = ("fence_manual", "fence_ack_manual")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_TAG_RE = re.compile(r"[a-z][a-z0-9_-]*")
_ATTR_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SECTIONS = ("cman", "totem", "fence_daemon", "dlm", "gfs_controld", "logging")


class CmanError(ValueError):
    """The specification cannot become a cluster.conf; the message says why."""


def attribute_text(value, what):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and not re.search(r"[\x00-\x1f\x7f]", value):
        return value
    raise CmanError("%s: %r is not a value cluster.conf can hold (a string, number or boolean on one line)"
                    % (what, value))


def _attributes(pairs, what, aliases=None):
    out = {}
    for key, value in (pairs or {}).items():
        name = (aliases or {}).get(key, key)
        if not isinstance(key, str) or not _ATTR_RE.fullmatch(name):
            raise CmanError("%s: %r is not an attribute name" % (what, key))
        if name in out:
            raise CmanError("%s: %s is given twice (as %s and as its older name)" % (what, name, key))
        if value is not None:
            out[name] = attribute_text(value, "%s %s" % (what, key))
    return out


def _name(value, what):
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
        raise CmanError("%s: %r is not a name cluster.conf can refer to (a letter or _, then letters, digits, "
                        "_ . -)" % (what, value))
    return value


def votes(nodes, two_node=None, expected_votes=None):
    """cman's quorum settings: (two_node, expected_votes), derived where not given, checked where given."""
    counts = [int(n.get("votes", 1)) for n in nodes]
    pair = len(nodes) == 2 and counts == [1, 1]
    if two_node is None:
        two_node = pair
    if two_node and not pair:
        raise CmanError("two_node needs exactly two nodes of one vote each; there are %d node(s) with %s votes"
                        % (len(nodes), counts))
    if expected_votes is None:
        expected_votes = 1 if two_node else sum(counts)
    if two_node and int(expected_votes) != 1:
        raise CmanError("two_node needs expected_votes 1 (cman then stays quorate with one node), not %s"
                        % expected_votes)
    if not two_node and int(expected_votes) < sum(counts) // 2 + 1:
        raise CmanError("expected_votes %s is less than a majority of the %d votes the nodes hold"
                        % (expected_votes, sum(counts)))
    return bool(two_node), int(expected_votes)


def _resource(spec, what):
    if not isinstance(spec, dict):
        raise CmanError("%s: must be a dictionary {type: ..., attributes..., children: [...]}" % what)
    tag = spec.get("type")
    if not isinstance(tag, str) or not _TAG_RE.fullmatch(tag):
        raise CmanError("%s: type %r is not a resource element name (fs, clusterfs, ip, script, ...)" % (what, tag))
    label = "%s %s" % (what, spec.get("name", tag))
    elem = ET.Element(tag, _attributes({k: v for k, v in spec.items() if k not in ("type", "children")}, label))
    for index, child in enumerate(spec.get("children") or []):
        elem.append(_resource(child, "%s child %d" % (label, index)))
    return elem


def render(spec):
    """The cluster.conf element tree of a specification (see the cman_cluster module's options)."""
    err = cman_cluster_name_error(spec.get("name"))
    if err:
        raise CmanError("name: %s" % err)
    nodes = spec.get("nodes") or []
    if not nodes:
        raise CmanError("nodes: a cluster needs nodes")
    devices = spec.get("fence_devices") or []
    device_names = [_name(d.get("name"), "fence_devices") for d in devices]
    for name in set(n for n in device_names if device_names.count(n) > 1):
        raise CmanError("fence_devices: %s is defined twice" % name)
    root = ET.Element("cluster", {"name": spec["name"], "config_version": str(spec.get("config_version", 1))})

    two_node, expected = votes(nodes, spec.get("two_node"), spec.get("expected_votes"))
    cman = {"two_node": "1" if two_node else None, "expected_votes": str(expected)}
    cman.update(_attributes(spec.get("cman"), "cman"))
    ET.SubElement(root, "cman", {k: v for k, v in cman.items() if v is not None})
    for section in SECTIONS[1:]:
        if spec.get(section):
            ET.SubElement(root, section, _attributes(spec[section], section))

    elem_nodes = ET.SubElement(root, "clusternodes")
    names, ids = [], []
    for node in nodes:
        name = node.get("name")
        if hostname_error(name):
            raise CmanError("nodes: %r: %s" % (name, hostname_error(name)))
        nodeid = node.get("nodeid")
        if isinstance(nodeid, bool) or not isinstance(nodeid, int) or nodeid < 1:
            raise CmanError("nodes: %s: nodeid must be a whole number above 0, not %r" % (name, nodeid))
        if name in names or nodeid in ids:
            raise CmanError("nodes: %s: the name or nodeid %d is used twice" % (name, nodeid))
        names.append(name)
        ids.append(nodeid)
        attrs = {"name": name, "nodeid": str(nodeid), "votes": attribute_text(node.get("votes", 1), name + " votes")}
        elem = ET.SubElement(elem_nodes, "clusternode", attrs)
        methods = node.get("fence") or []
        usable = [d.get("name") for m in methods for d in (m.get("devices") or [])
                  if next((x for x in devices if x.get("name") == d.get("name")), {}).get("agent")
                  not in NO_FENCING_AGENTS]
        if not usable:
            raise CmanError("nodes: %s has no fence method with a device that fences (%s do not); fenced would "
                            "wait for ever after losing it, and DLM and GFS2 with it"
                            % (name, ", ".join(NO_FENCING_AGENTS)))
        fence = ET.SubElement(elem, "fence")
        for number, method in enumerate(methods, start=1):
            method_name = attribute_text(method.get("name", str(number)), name + " method")
            elem_method = ET.SubElement(fence, "method", {"name": method_name})
            for device in method.get("devices") or []:
                if device.get("name") not in device_names:
                    raise CmanError("nodes: %s: fence method %s names device %r, which fence_devices does not define"
                                    % (name, elem_method.get("name"), device.get("name")))
                ET.SubElement(elem_method, "device", _attributes(device, "%s fence device" % name,
                                                                 FENCE_ATTRIBUTE_ALIASES))

    elem_devices = ET.SubElement(root, "fencedevices")
    for device in devices:
        attrs = {"name": device["name"], "agent": attribute_text(device.get("agent"), device["name"] + " agent")}
        attrs.update(_attributes(device.get("params"), "fence device " + device["name"], FENCE_ATTRIBUTE_ALIASES))
        ET.SubElement(elem_devices, "fencedevice", attrs)

    rm = ET.Element("rm", _attributes(spec.get("rm"), "rm"))
    domains = spec.get("failover_domains") or []
    domain_names = []
    if domains:
        elem_domains = ET.SubElement(rm, "failoverdomains")
        for domain in domains:
            dname = _name(domain.get("name"), "failover_domains")
            domain_names.append(dname)
            elem_domain = ET.SubElement(elem_domains, "failoverdomain", _attributes(
                {k: v for k, v in domain.items() if k != "nodes"}, "failover domain " + dname))
            for member in domain.get("nodes") or []:
                if member.get("name") not in names:
                    raise CmanError("failover domain %s names node %r, which is not one of the nodes"
                                    % (dname, member.get("name")))
                ET.SubElement(elem_domain, "failoverdomainnode", _attributes(member, "failover domain " + dname))
    if spec.get("resources"):
        elem_resources = ET.SubElement(rm, "resources")
        for index, res in enumerate(spec["resources"]):
            elem_resources.append(_resource(res, "resources[%d]" % index))
    services = [("service", s) for s in spec.get("services") or []] + [("vm", v) for v in spec.get("vms") or []]
    seen = []
    for tag, item in services:
        sname = _name(item.get("name"), tag + "s")
        if sname in seen:
            raise CmanError("%ss: %s is defined twice" % (tag, sname))
        seen.append(sname)
        if item.get("domain") is not None and item["domain"] not in domain_names:
            raise CmanError("%s %s: domain %r is not one of failover_domains" % (tag, sname, item["domain"]))
        elem = ET.SubElement(rm, tag, _attributes({k: v for k, v in item.items() if k != "children"}, tag + " " + sname))
        for index, child in enumerate(item.get("children") or []):
            elem.append(_resource(child, "%s %s child %d" % (tag, sname, index)))
    if len(rm) or rm.attrib:
        root.append(rm)
    return root


def canonical(elem, skip_version=True):
    """A comparable form: tag, attributes (without the root's config_version), children in order (the order of
    fence methods and nested resources means something; that of the sections under <cluster> does not)."""
    attrs = dict(elem.attrib)
    if skip_version and elem.tag == "cluster":
        attrs.pop("config_version", None)
    children = [canonical(c, False) for c in elem]
    if elem.tag == "cluster":
        children.sort()
    return (elem.tag, tuple(sorted(attrs.items())), tuple(children))


def masked(elem):
    """A copy with the value of every secret-looking attribute (passwd, password, ...) masked."""
    elem = copy.deepcopy(elem)
    for item in elem.iter():
        for name in fence_secret_params(dict(item.attrib)):
            item.set(name, MASK)
    return elem


def to_text(elem):
    elem = copy.deepcopy(elem)
    ET.indent(elem, space="  ")
    return '<?xml version="1.0"?>\n' + ET.tostring(elem, encoding="unicode") + "\n"


def parse(text):
    """An existing cluster.conf: (root element, config_version as int)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise CmanError("it is not XML (%s)" % exc)
    if root.tag != "cluster":
        raise CmanError("its top element is <%s>, not <cluster>" % root.tag)
    version = root.get("config_version", "")
    if not re.fullmatch(r"[0-9]{1,10}", version):
        raise CmanError("its config_version %r is not a whole number" % version)
    return root, int(version)


def schema_errors(text, rng):
    """RelaxNG validation with lxml (only hosts without ccs_config_validate need it; LXML_ETREE is None where
    it is missing). Returns the list of errors, [] for a valid file."""
    schema = LXML_ETREE.RelaxNG(LXML_ETREE.fromstring(rng))
    doc = LXML_ETREE.fromstring(text.encode("utf-8") if isinstance(text, str) else text)
    if schema.validate(doc):
        return []
    return ["line %d: %s" % (e.line, e.message) for e in schema.error_log]
