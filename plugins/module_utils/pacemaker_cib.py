# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pacemaker configuration as data: render resources, constraints and
properties to CIB XML for one Pacemaker generation, merge them into a live
CIB, and render the same objects as crm shell text.

Pure functions (no commands run here). Generations, after the reference
(section 3.5):

* ``1.1`` - promotable resources are ``<master>`` with ``master-max`` and
  friends, roles ``Master``/``Slave`` (crm shell ``ms``).
* ``2.0`` - ``<clone>`` with meta ``promotable=true`` and ``promoted-max``,
  roles still ``Master``/``Slave``.
* ``2.1`` - as 2.0 with roles ``Promoted``/``Unpromoted``.

Only the objects named in the specification are touched; everything else in
the CIB (constraints added by DRBD's fence-peer handler, ``cli-prefer-*``
constraints of a manual move, Pacemaker's own properties) stays as it is.
Operational meta attributes an operator sets on a live resource
(``target-role``, ``is-managed``, ``maintenance``) are kept unless the
specification names them, and so are the ``<utilization>`` attributes of a
primitive whose specification has none (resource agents set them on the
running resource: VirtualDomain writes its guest's ``cpu`` and
``hv_memory``).
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET

DIALECTS = ("1.1", "2.0", "2.1")
OPERATIONAL_META = ("target-role", "is-managed", "maintenance")
ROLE_NAMES = {
    "1.1": {"promoted": "Master", "unpromoted": "Slave"},
    "2.0": {"promoted": "Master", "unpromoted": "Slave"},
    "2.1": {"promoted": "Promoted", "unpromoted": "Unpromoted"},
}
ROLE_ALIASES = {"promoted": "promoted", "master": "promoted", "unpromoted": "unpromoted", "slave": "unpromoted",
                "started": "Started", "stopped": "Stopped"}
PROMOTED_META = {"promoted-max": "master-max", "promoted-node-max": "master-node-max"}
ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# Parameter names whose values are masked wherever this code shows them.
SECRET_PARAM_RE = re.compile(r"(passw|secret|key$|token)", re.I)


class CibError(ValueError):
    """The specification or the CIB cannot be used; the message says why."""


def dialect_for_version(version: str) -> str:
    """Map a Pacemaker version ("2.1.5", "1.1.24") to the dialect that speaks it."""
    match = re.match(r"(\d+)\.(\d+)", version or "")
    if not match:
        raise CibError(f"cannot read a Pacemaker version from {version!r}")
    major, minor = int(match.group(1)), int(match.group(2))
    if major < 2:
        return "1.1"
    if major == 2 and minor == 0:
        return "2.0"
    return "2.1"


def parse_pacemakerd_version(text: str) -> str:
    """`pacemakerd --version` prints "Pacemaker 2.1.5" on its first line."""
    match = re.search(r"Pacemaker (\d+\.\d+(?:\.\d+)?)", text or "")
    if not match:
        raise CibError(f"unexpected `pacemakerd --version` output: {text.strip()[:200]!r}")
    return match.group(1)


def _check_id(value, what: str) -> str:
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise CibError(f"{what}: {value!r} is not a valid CIB id (a letter or _, then letters, digits, _ . -)")
    return value


def _role(value, dialect: str, what: str) -> str:
    key = ROLE_ALIASES.get(str(value).lower())
    if key is None:
        raise CibError(f"{what}: unknown role {value!r} (Promoted, Unpromoted, Started, Stopped)")
    return ROLE_NAMES[dialect].get(key, key)


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _nvset(parent, tag: str, set_id: str, pairs: dict) -> None:
    if not pairs:
        return
    nvset = ET.SubElement(parent, tag, {"id": set_id})
    for name in pairs:
        ET.SubElement(nvset, "nvpair", {"id": f"{set_id}-{name}", "name": name, "value": _text(pairs[name])})


def split_agent(agent: str, what: str) -> dict:
    """ "ocf:linbit:drbd" -> class, provider, type; "stonith:fence_lab" and "systemd:smbd" -> class, type."""
    parts = str(agent).split(":")
    if len(parts) == 3 and parts[0] == "ocf" and all(parts):
        return {"class": "ocf", "provider": parts[1], "type": parts[2]}
    if len(parts) == 2 and parts[0] in ("stonith", "systemd", "lsb", "service") and parts[1]:
        return {"class": parts[0], "type": parts[1]}
    raise CibError(f"{what}: agent {agent!r} is not class:provider:type (ocf) or class:type "
                   "(stonith, systemd, lsb, service)")


def _primitive(spec: dict, dialect: str) -> ET.Element:
    rid = _check_id(spec.get("id"), "primitive id")
    elem = ET.Element("primitive", dict(id=rid, **split_agent(spec.get("agent"), f"primitive {rid}")))
    _nvset(elem, "instance_attributes", f"{rid}-instance_attributes", spec.get("params") or {})
    _nvset(elem, "meta_attributes", f"{rid}-meta_attributes", spec.get("meta") or {})
    ops = spec.get("ops") or []
    if ops:
        operations = ET.SubElement(elem, "operations")
        seen = set()
        for op in ops:
            name, interval = op.get("name"), _text(op.get("interval", "0s"))
            if not name:
                raise CibError(f"primitive {rid}: an operation without a name")
            attrs = {"id": f"{rid}-{name}-interval-{interval}", "name": name, "interval": interval}
            if attrs["id"] in seen:
                # ocf:linbit:drbd needs one monitor per role, with different intervals.
                raise CibError(f"primitive {rid}: two {name} operations with interval {interval}; "
                               "operations of one name need different intervals (one monitor per role)")
            seen.add(attrs["id"])
            if op.get("role"):
                attrs["role"] = _role(op["role"], dialect, f"primitive {rid} op {name}")
            for key in ("timeout", "on-fail", "start-delay"):
                if op.get(key) is not None:
                    attrs[key] = _text(op[key])
            ET.SubElement(operations, "op", attrs)
    return elem


def _resource(spec: dict, dialect: str) -> ET.Element:
    kind = spec.get("type", "primitive")
    if kind == "primitive":
        return _primitive(spec, dialect)
    rid = _check_id(spec.get("id"), f"{kind} id")
    meta = dict(spec.get("meta") or {})
    if kind == "group":
        members = spec.get("members") or []
        if not members:
            raise CibError(f"group {rid}: no members")
        elem = ET.Element("group", {"id": rid})
        _nvset(elem, "meta_attributes", f"{rid}-meta_attributes", meta)
        for member in members:
            if member.get("type", "primitive") != "primitive":
                raise CibError(f"group {rid}: members must be primitives")
            elem.append(_primitive(member, dialect))
        return elem
    if kind == "clone":
        child = spec.get("child")
        if not isinstance(child, dict) or child.get("type", "primitive") not in ("primitive", "group"):
            raise CibError(f"clone {rid}: child must be one primitive or group")
        promotable = bool(spec.get("promotable"))
        if promotable and dialect == "1.1":
            elem = ET.Element("master", {"id": rid})
            meta = {PROMOTED_META.get(k, k): v for k, v in meta.items()}
        else:
            elem = ET.Element("clone", {"id": rid})
            meta = {({v: k for k, v in PROMOTED_META.items()}).get(k, k): v for k, v in meta.items()}
            if promotable:
                meta = dict({"promotable": "true"}, **meta)
        _nvset(elem, "meta_attributes", f"{rid}-meta_attributes", meta)
        elem.append(_resource(child, dialect))
        return elem
    raise CibError(f"resource {rid}: unknown type {kind!r} (primitive, group, clone)")


def _constraint(spec: dict, dialect: str) -> ET.Element:
    kind = spec.get("type")
    cid = _check_id(spec.get("id"), f"{kind or 'constraint'} id")
    if kind == "colocation":
        attrs = {"id": cid, "rsc": _check_id(spec.get("rsc"), f"colocation {cid} rsc"),
                 "with-rsc": _check_id(spec.get("with_rsc"), f"colocation {cid} with_rsc"),
                 "score": _text(spec.get("score", "INFINITY"))}
        for key, attr in (("rsc_role", "rsc-role"), ("with_rsc_role", "with-rsc-role")):
            if spec.get(key):
                attrs[attr] = _role(spec[key], dialect, f"colocation {cid} {key}")
        return ET.Element("rsc_colocation", attrs)
    if kind == "order":
        attrs = {"id": cid, "first": _check_id(spec.get("first"), f"order {cid} first"),
                 "first-action": spec.get("first_action", "start"),
                 "then": _check_id(spec.get("then"), f"order {cid} then"),
                 "then-action": spec.get("then_action", "start"),
                 "kind": spec.get("kind", "Mandatory")}
        for key in ("first-action", "then-action"):
            if attrs[key] not in ("start", "stop", "promote", "demote"):
                raise CibError(f"order {cid}: {key} {attrs[key]!r} is not start, stop, promote or demote")
        return ET.Element("rsc_order", attrs)
    if kind == "location":
        attrs = {"id": cid, "rsc": _check_id(spec.get("rsc"), f"location {cid} rsc"),
                 "node": str(spec.get("node") or ""), "score": _text(spec.get("score", "INFINITY"))}
        if not attrs["node"]:
            raise CibError(f"location {cid}: no node")
        return ET.Element("rsc_location", attrs)
    raise CibError(f"constraint {cid}: unknown type {kind!r} (colocation, order, location)")


def render(spec: dict, dialect: str) -> dict:
    """Render the specification: {"resources": [Element], "constraints": [Element],
    "properties": {name: value}, "rsc_defaults": {name: value}}."""
    if dialect not in DIALECTS:
        raise CibError(f"dialect {dialect!r} is not one of {', '.join(DIALECTS)}")
    resources = [_resource(r, dialect) for r in spec.get("resources") or []]
    constraints = [_constraint(c, dialect) for c in spec.get("constraints") or []]
    ids = [e.get("id") for top in resources for e in top.iter() if e.get("id")] + [c.get("id") for c in constraints]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CibError(f"ids used twice: {', '.join(dupes)}")
    return {
        "resources": resources,
        "constraints": constraints,
        "properties": {k: _text(v) for k, v in (spec.get("properties") or {}).items()},
        "rsc_defaults": {k: _text(v) for k, v in (spec.get("rsc_defaults") or {}).items()},
    }


# --------------------------------------------------------------------------- merging into a live CIB


def canonical(elem: ET.Element):
    """A comparable form: tag, sorted attributes, then the children. Only the
    order of primitives (a group's members) means something; attribute sets,
    nvpairs and operations compare in any order. Text is ignored."""
    members = tuple(canonical(c) for c in elem if c.tag == "primitive")
    others = tuple(sorted(canonical(c) for c in elem if c.tag != "primitive"))
    return (elem.tag, tuple(sorted(elem.attrib.items())), others, members)


def _section(config: ET.Element, tag: str) -> ET.Element:
    found = config.find(tag)
    if found is None:
        found = ET.SubElement(config, tag)
    return found


def _keep_operational_meta(new: ET.Element, old: ET.Element) -> None:
    old_meta = old.find("meta_attributes")
    if old_meta is None:
        return
    new_meta = new.find("meta_attributes")
    wanted = {nv.get("name") for nv in new_meta.iter("nvpair")} if new_meta is not None else set()
    for nv in old_meta.iter("nvpair"):
        if nv.get("name") in OPERATIONAL_META and nv.get("name") not in wanted:
            if new_meta is None:
                new_meta = ET.Element("meta_attributes", {"id": old_meta.get("id")})
                new.insert(0, new_meta)
            new_meta.append(copy.deepcopy(nv))


def _keep_agent_utilization(new: ET.Element, old: ET.Element) -> None:
    """Keep the <utilization> of every primitive (the top one or those inside a group or clone) whose new
    version has none: the resource's agent wrote it on the running resource."""
    old_primitives = {p.get("id"): p for p in old.iter("primitive")}
    for prim in new.iter("primitive"):
        before = old_primitives.get(prim.get("id"))
        if before is not None and prim.find("utilization") is None and before.find("utilization") is not None:
            prim.append(copy.deepcopy(before.find("utilization")))


def _all_ids(root: ET.Element) -> dict:
    return {e.get("id"): e for e in root.iter() if e.get("id")}


def _set_nvpairs(parent: ET.Element, set_tag: str, default_id: str, pairs: dict, changed: list, label: str) -> None:
    if not pairs:
        return
    nvset = parent.find(set_tag)
    if nvset is None:
        nvset = ET.SubElement(parent, set_tag, {"id": default_id})
    current = {nv.get("name"): nv for nv in nvset.findall("nvpair")}
    for name, value in pairs.items():
        if name in current:
            if current[name].get("value") != value:
                current[name].set("value", value)
                changed.append(f"{label} {name}")
        else:
            ET.SubElement(nvset, "nvpair", {"id": f"{nvset.get('id')}-{name}", "name": name, "value": value})
            changed.append(f"{label} {name}")


def merge(live_xml: str, rendered: dict, absent=()) -> tuple:
    """Apply the rendered objects to a live CIB. Returns (new CIB text, changed
    labels, {id: (before Element or None, after Element or None)})."""
    try:
        root = ET.fromstring(live_xml)
    except ET.ParseError as exc:
        raise CibError(f"the live CIB is not XML: {exc}") from exc
    config = root.find("configuration")
    if root.tag != "cib" or config is None:
        raise CibError("the live CIB has no <cib><configuration>")
    changed, objects = [], {}
    live_ids = _all_ids(root)
    # Resources a constraint may name: those of the specification, or any in the CIB.
    wanted = {e.get("id") for top in rendered["resources"] for e in top.iter()
              if e.tag in ("primitive", "group", "clone", "master")}
    for section_tag, elements in (("resources", rendered["resources"]), ("constraints", rendered["constraints"])):
        section = _section(config, section_tag)
        for elem in elements:
            elem = copy.deepcopy(elem)
            for attr in ("rsc", "with-rsc", "first", "then"):
                ref = elem.get(attr)
                if ref is not None and ref not in wanted and ref not in live_ids:
                    raise CibError(f"{elem.get('id')}: {attr} names {ref}, "
                                   "which is neither in the specification nor in the CIB")
            old = next((c for c in section if c.get("id") == elem.get("id")), None)
            if old is None:
                clash = [i for i in _all_ids(elem) if i in live_ids]
                if clash:
                    raise CibError(f"{elem.get('id')}: id {clash[0]} is already used elsewhere in the CIB")
                section.append(elem)
                changed.append(f"{elem.tag} {elem.get('id')}")
                objects[elem.get("id")] = (None, elem)
                continue
            _keep_operational_meta(elem, old)
            _keep_agent_utilization(elem, old)
            if canonical(old) != canonical(elem):
                section[list(section).index(old)] = elem
                changed.append(f"{elem.tag} {elem.get('id')}")
                objects[elem.get("id")] = (old, elem)
    for rid in absent:
        for section_tag in ("resources", "constraints"):
            section = _section(config, section_tag)
            old = next((c for c in section if c.get("id") == rid), None)
            if old is not None:
                section.remove(old)
                changed.append(f"removed {old.tag} {rid}")
                objects[rid] = (old, None)
    crm_config = _section(config, "crm_config")
    _set_nvpairs(crm_config, "cluster_property_set", "cib-bootstrap-options", rendered["properties"], changed,
                 "property")
    if rendered["rsc_defaults"]:
        _set_nvpairs(_section(config, "rsc_defaults"), "meta_attributes", "rsc-options", rendered["rsc_defaults"],
                     changed, "rsc_defaults")
    if changed:
        # A newer configuration: the patch made from it then names the version
        # it applies to, and the CIB refuses it if someone changed it since.
        root.set("epoch", str(int(root.get("epoch", "0")) + 1))
        root.set("num_updates", "0")
    return ET.tostring(root, encoding="unicode"), changed, objects


def masked_xml(elem) -> str:
    """Pretty XML of one object with secret-looking parameter values masked (for diffs)."""
    if elem is None:
        return ""
    elem = copy.deepcopy(elem)
    for nv in elem.iter("nvpair"):
        if SECRET_PARAM_RE.search(nv.get("name", "")):
            nv.set("value", "********")
    ET.indent(elem)
    return ET.tostring(elem, encoding="unicode") + "\n"


# --------------------------------------------------------------------------- crm shell


def _crm_pairs(pairs: dict) -> str:
    return " ".join(f"{k}={_crm_value(v)}" for k, v in pairs.items())


def _crm_value(value) -> str:
    text = _text(value)
    return f'"{text}"' if re.search(r"[\s\"']", text) or text == "" else text


def _crm_primitive(elem: ET.Element) -> list:
    agent = ":".join(elem.get(k) for k in ("class", "provider", "type") if elem.get(k))
    line = f"primitive {elem.get('id')} {agent}"
    params = {nv.get("name"): nv.get("value") for nv in elem.findall("instance_attributes/nvpair")}
    meta = {nv.get("name"): nv.get("value") for nv in elem.findall("meta_attributes/nvpair")}
    parts = [line]
    if params:
        parts.append(f"params {_crm_pairs(params)}")
    if meta:
        parts.append(f"meta {_crm_pairs(meta)}")
    for op in elem.findall("operations/op"):
        extra = {k: v for k, v in op.attrib.items() if k not in ("id", "name")}
        parts.append(f"op {op.get('name')} {_crm_pairs(extra)}".rstrip())
    return [" \\\n  ".join(parts)]


def crm_shell(rendered: dict, mask_secrets: bool = True) -> str:
    """The rendered objects as `crm configure` input: `ms` and Master/Slave for
    1.1, `clone ... promotable=true` for 2.x (the roles come from the dialect
    the objects were rendered for)."""
    lines = []
    for top in rendered["resources"]:
        if mask_secrets:
            top = copy.deepcopy(top)
            for nv in top.iter("nvpair"):
                if SECRET_PARAM_RE.search(nv.get("name", "")):
                    nv.set("value", "********")
        if top.tag == "primitive":
            lines += _crm_primitive(top)
            continue
        meta = {nv.get("name"): nv.get("value") for nv in top.findall("meta_attributes/nvpair")}
        if top.tag == "group":
            for member in top.findall("primitive"):
                lines += _crm_primitive(member)
            line = f"group {top.get('id')} " + " ".join(m.get("id") for m in top.findall("primitive"))
        else:
            child = next(c for c in top if c.tag in ("primitive", "group"))
            if child.tag == "primitive":
                lines += _crm_primitive(child)
            else:
                for member in child.findall("primitive"):
                    lines += _crm_primitive(member)
                lines.append(f"group {child.get('id')} " + " ".join(m.get("id") for m in child.findall("primitive")))
            line = f"{'ms' if top.tag == 'master' else 'clone'} {top.get('id')} {child.get('id')}"
        if meta:
            line += f" \\\n  meta {_crm_pairs(meta)}"
        lines.append(line)
    for con in rendered["constraints"]:
        attrs = con.attrib
        if con.tag == "rsc_colocation":
            rsc = attrs["rsc"] + (f":{attrs['rsc-role']}" if "rsc-role" in attrs else "")
            with_rsc = attrs["with-rsc"] + (f":{attrs['with-rsc-role']}" if "with-rsc-role" in attrs else "")
            lines.append(f"colocation {attrs['id']} {attrs['score']}: {rsc} {with_rsc}")
        elif con.tag == "rsc_order":
            lines.append(f"order {attrs['id']} {attrs['kind']}: {attrs['first']}:{attrs['first-action']} "
                         f"{attrs['then']}:{attrs['then-action']}")
        else:
            lines.append(f"location {attrs['id']} {attrs['rsc']} {attrs['score']}: {attrs['node']}")
    if rendered["properties"]:
        lines.append(f"property {_crm_pairs(rendered['properties'])}")
    if rendered["rsc_defaults"]:
        lines.append(f"rsc_defaults {_crm_pairs(rendered['rsc_defaults'])}")
    return "\n".join(lines) + "\n"
