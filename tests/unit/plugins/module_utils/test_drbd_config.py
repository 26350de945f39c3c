# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os
import re

import pytest

from ansible_collections.hacluster.drbd.plugins.module_utils import drbd_config as cfg
from ansible_collections.hacluster.drbd.plugins.module_utils.drbd_config import DrbdConfigError

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
GOLDEN = os.path.join(FIXTURES, "drbd_config")
CAPTURED = os.path.join(FIXTURES, "drbd", "9.22.0")


def read(*parts):
    with open(os.path.join(*parts), encoding="utf-8", newline="") as handle:
        return handle.read()


def captured(name):
    with open(os.path.join(CAPTURED, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


def host(name, address, port=7788, disk="/dev/sdb1", **extra):
    entry = {"name": name, "address": address, "port": port, "disk": disk}
    entry.update(extra)
    return entry


# ---------------------------------------------------------------------------
# Golden cases. Each rendered text is compared byte for byte with a file under
# fixtures/drbd_config/<dialect>/, and the `drbdadm dump` that a real parser
# printed for that very file is compared option by option with it (see the
# README next to the golden files for how they were checked).
# ---------------------------------------------------------------------------

# The OpenVZ wiki's 0.7 resource (seed 002), expressed in logical places.
R07 = {
    "name": "r0", "protocol": "C",
    "hosts": [host("ovz-node2", "192.168.255.2", disk="/dev/hda3", device="/dev/drbd0", meta_disk="/dev/hdb1[0]"),
              host("ovz-node1", "192.168.255.1", disk="/dev/hda3", device="/dev/drbd0")],
    "handlers": {"pri-on-incon-degr": "echo '!DRBD! pri on incon-degr' | wall ; sleep 60 ; halt -f"},
    "startup": {"degr-wfc-timeout": 120, "wfc-timeout": 0},
    "net": {"on-disconnect": "reconnect", "ko-count": 4, "max-buffers": 2048},
    "disk": {"on-io-error": "detach"},
    "syncer": {"rate": "30M", "group": 1, "al-extents": 257},
}
R07_SECOND = {
    "name": "r1", "protocol": "C",
    "hosts": [host("ovz-node1", "192.168.255.1", port=7789, disk="/dev/hda4", minor=1),
              host("ovz-node2", "192.168.255.2", port=7789, disk="/dev/hda4", minor=1)],
    "syncer": {"rate": "30M", "group": 2},
}

# The GFS2 dual-primary pair of seed 000 (DRBD 8.0/8.2), safer split-brain policies.
R83_GFS = [
    {"name": name, "protocol": "C",
     "hosts": [host("core-01", "10.0.%d.1" % index, port=7789, disk=disk, device="/dev/drbd%d" % index),
               host("core-02", "10.0.%d.2" % index, port=7789, disk=disk, device="/dev/drbd%d" % index)],
     "startup": {"become-primary-on": "both"},
     "net": {"allow-two-primaries": True, "cram-hmac-alg": "sha1", "after-sb-0pri": "discard-zero-changes",
             "after-sb-1pri": "discard-secondary", "after-sb-2pri": "disconnect", "rr-conflict": "disconnect"},
     "syncer": {"rate": "100M"}}
    for index, (name, disk) in enumerate((("r0", "/dev/sdb1"), ("r1", "/dev/sdc1")))
]

# One resource with options in their "old" places, rendered for 8.3, 8.4 and 9.
R_MOVES = {
    "name": "r0", "protocol": "C",
    "hosts": [host("beta", "fd01::2", disk="/dev/vdb", device="/dev/drbd_data", minor=3, meta_disk="/dev/vdc"),
              host("alpha", "10.0.0.1", disk="/dev/vdb", device="/dev/drbd_data", minor=3)],
    "net": {"cram-hmac-alg": "sha1", "after_sb_0pri": "discard-zero-changes", "always-asbp": True},
    "disk": {"on-io-error": "detach", "fencing": "resource-only", "disk-flushes": False, "md_flushes": False},
    "syncer": {"rate": "40M", "after": "r1", "al-extents": 3389, "verify-alg": "sha1", "csums-alg": "md5",
               "c-plan-ahead": 0, "cpu-mask": 1, "on-no-data-accessible": "io-error"},
    "startup": {"wfc-timeout": 0, "degr-wfc-timeout": 120},
    "handlers": {"fence-peer": "/usr/lib/drbd/crm-fence-peer.sh",
                 "after-resync-target": "/usr/lib/drbd/crm-unfence-peer.sh",
                 "pri-on-incon-degr": "/usr/lib/drbd/notify-pri-on-incon-degr.sh; halt -f"},
}
R_SIBLING = {  # the resync-after target, so that the real parser accepts "after r1"
    "name": "r1", "protocol": "C",
    "hosts": [host("alpha", "10.0.0.1", port=7789, disk="/dev/vdd", minor=4),
              host("beta", "10.0.0.2", port=7789, disk="/dev/vdd", minor=4)],
}

R84_IPV6 = {
    "name": "r6",
    "hosts": [host("alpha", "fd01::1", port=7790, disk="/dev/vg0/r6", minor=6, meta_disk="/dev/vdc[2]"),
              host("beta", "fd01::2", port=7790, disk="/dev/vg0/r6", minor=6, meta_disk="internal")],
    "net": {"allow-two-primaries": False, "max-buffers": 8000},
    "options": {"on-no-data-accessible": "suspend-io"},
}

R9_PAIR = {
    "name": "r0",
    "hosts": [host("beta", "10.0.0.2", disk="/dev/vdb", minor=0), host("alpha", "10.0.0.1", disk="/dev/vdb", minor=0)],
    "net": {"cram-hmac-alg": "sha1"},
    "disk": {"fencing": "resource-only", "al-extents": 6007},
    "syncer": {"rate": "100M", "c-plan-ahead": 0},
    "options": {"auto-promote": False},
    "handlers": {"fence-peer": "/usr/lib/drbd/crm-fence-peer.9.sh",
                 "unfence-peer": "/usr/lib/drbd/crm-unfence-peer.9.sh"},
}
R9_THREE = {
    "name": "data",
    "hosts": [host("n3", "10.0.1.3", port=7000, disk="none", minor=10, node_id=2),
              host("n1", "10.0.1.1", port=7000, disk="/dev/vg0/data", minor=10, node_id=0),
              host("n2", "10.0.1.2", port=7000, disk="/dev/vg0/data", minor=10, node_id=1)],
    "options": {"quorum": "majority", "on-no-quorum": "io-error"},
    "net": {"protocol": "C", "verify-alg": "crc32c"},
}

SECRET = "s3cret-Shared"

# (golden file, how to render it, dump fixtures: [(path, resource name)])
GOLDEN_CASES = [
    ("0.7/drbd.conf", lambda: cfg.render_drbd_conf([R07], "0.7"),
     [("drbd_config/0.7/drbd.conf.dump-r0.txt", "r0")]),
    ("0.7/two_resources.conf", lambda: cfg.render_drbd_conf([R07, R07_SECOND], "0.7", {"minor-count": 4}),
     [("drbd_config/0.7/two_resources.conf.dump-r0.txt", "r0"),
      ("drbd_config/0.7/two_resources.conf.dump-r1.txt", "r1")]),
    ("8.3/drbd.conf", lambda: cfg.render_drbd_conf(R83_GFS, "8.3", shared_secrets={"r0": SECRET, "r1": SECRET}),
     [("drbd/9.22.0/resource_dump_83_gfs_r0.txt", "r0"), ("drbd/9.22.0/resource_dump_83_gfs_r1.txt", "r1")]),
    ("8.3/global_common.conf", lambda: cfg.render_global_common("8.3"), []),
    ("8.3/r0.res", lambda: cfg.render_resource(R_MOVES, "8.3", SECRET),
     [("drbd/9.22.0/resource_dump_83_moves_r0.txt", "r0")]),
    ("8.3/r1.res", lambda: cfg.render_resource(R_SIBLING, "8.3"), []),
    ("8.4/global_common.conf", lambda: cfg.render_global_common("8.4"), []),
    ("8.4/r0.res", lambda: cfg.render_resource(R_MOVES, "8.4", SECRET),
     [("drbd/9.22.0/resource_dump_84_moves_r0.txt", "r0")]),
    ("8.4/r1.res", lambda: cfg.render_resource(R_SIBLING, "8.4"), []),
    ("8.4/r6.res", lambda: cfg.render_resource(R84_IPV6, "8.4"),
     [("drbd/9.22.0/resource_dump_84_ipv6_r6.txt", "r6")]),
    ("9/global_common.conf", lambda: cfg.render_global_common("9"), []),
    ("9/r0.res", lambda: cfg.render_resource(R9_PAIR, "9", SECRET),
     [("drbd/9.22.0/resource_dump_9_pair_r0.txt", "r0")]),
    ("9/data.res", lambda: cfg.render_resource(R9_THREE, "9"),
     [("drbd/9.22.0/resource_dump_9_three_data.txt", "data")]),
]


@pytest.mark.parametrize("golden, render, dumps", GOLDEN_CASES, ids=[c[0] for c in GOLDEN_CASES])
def test_golden_files(golden, render, dumps):
    assert render() == read(GOLDEN, golden)


# --- reading configuration text back, to compare with drbdadm dump --------

_TOKEN_RE = re.compile(r'"([^"]*)"|([{};])|([^\s{};"]+)')


def config_tree(text):
    """Nested dict of a configuration: blocks keyed by their header words,
    statements "key value;" as key -> value ("" for a bare flag)."""
    text = re.sub(r"#[^\n]*", "", text)
    root = {}
    stack = [root]
    words = []
    for quoted, punct, word in _TOKEN_RE.findall(text):
        if punct == "{":
            block = {}
            stack[-1][" ".join(words)] = block
            stack.append(block)
            words = []
        elif punct == "}":
            stack.pop()
        elif punct == ";":
            stack[-1][words[0]] = " ".join(words[1:])
            words = []
        else:
            words.append(quoted if word == "" and punct == "" else word)
    assert len(stack) == 1
    return root


def normalise(tree):
    """What drbdadm dump writes differently without changing the meaning."""
    result = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            result[key] = normalise(value)
            continue
        if key == "address":
            value = re.sub(r"^ipv4 ", "", value)
        if key == "device":
            # "/dev/drbd3 minor 3" is how dump spells "/dev/drbd3".
            m = re.match(r"^(/dev/drbd(\d+)) minor (\d+)$", value)
            if m and m.group(2) == m.group(3):
                value = m.group(1)
        result[key] = value
    return result


@pytest.mark.parametrize("golden, render, dumps",
                         [c for c in GOLDEN_CASES if c[2]], ids=[c[0] for c in GOLDEN_CASES if c[2]])
def test_real_drbdadm_dump_reads_back_every_option(golden, render, dumps):
    """The real parser placed every option where we wrote it, with our value."""
    ours = normalise(config_tree(read(GOLDEN, golden)))
    for dump_path, name in dumps:
        dumped = normalise(config_tree(read(FIXTURES, dump_path)))
        key = "resource %s" % name
        expected = ours[key]
        got = dumped[key]
        if not any("node-id" in block for block in expected.values() if isinstance(block, dict)):
            # DRBD 9 invents node ids for a two-host resource without them.
            for block in got.values():
                if isinstance(block, dict):
                    block.pop("node-id", None)
        assert got == expected


def test_two_host_dump_shows_implicit_node_ids():
    dumped = config_tree(read(CAPTURED, "resource_dump_9_pair_r0.txt"))["resource r0"]
    assert sorted(dumped["on %s" % h]["node-id"] for h in ("alpha", "beta")) == ["0", "1"]


# ---------------------------------------------------------------------------
# Placement, table driven: (dialect, resource fragment, section, expected line)
# ---------------------------------------------------------------------------

PAIR = [host("alpha", "10.0.0.1", device="/dev/drbd0"), host("beta", "10.0.0.2", device="/dev/drbd0")]


def render(dialect, secret=None, **fragment):
    resource = {"name": "r0", "hosts": PAIR}
    if dialect in ("0.7", "8.3") and "protocol" not in fragment:
        resource["protocol"] = "C"
    resource.update(fragment)
    return cfg.render_resource(resource, dialect, secret)


def section_of(text, section):
    m = re.search(r"^    %s \{\n(.*?)^    \}" % re.escape(section), text, re.S | re.M)
    return [line.strip() for line in m.group(1).splitlines()] if m else None


PLACEMENT = [
    ("0.7", {"syncer": {"rate": "10M"}}, "syncer", "rate 10M;"),
    ("8.3", {"syncer": {"rate": "10M"}}, "syncer", "rate 10M;"),
    ("8.4", {"syncer": {"rate": "10M"}}, "disk", "resync-rate 10M;"),
    ("9", {"syncer": {"rate": "10M"}}, "disk", "resync-rate 10M;"),
    ("8.3", {"disk": {"resync-rate": "10M"}}, "syncer", "rate 10M;"),
    ("8.3", {"syncer": {"after": "r9"}}, "syncer", "after r9;"),
    ("8.4", {"syncer": {"after": "r9"}}, "disk", "resync-after r9;"),
    ("0.7", {"syncer": {"group": 3}}, "syncer", "group 3;"),
    ("8.3", {"disk": {"al-extents": 257}}, "syncer", "al-extents 257;"),
    ("9", {"syncer": {"al-extents": 257}}, "disk", "al-extents 257;"),
    ("8.3", {"net": {"verify-alg": "sha1"}}, "syncer", "verify-alg sha1;"),
    ("8.4", {"syncer": {"csums-alg": "md5"}}, "net", "csums-alg md5;"),
    ("8.4", {"syncer": {"use-rle": True}}, "net", "use-rle yes;"),
    ("8.3", {"net": {"use-rle": True}}, "syncer", "use-rle;"),
    ("8.4", {"syncer": {"cpu-mask": "ff"}}, "options", "cpu-mask ff;"),
    ("8.3", {"options": {"on-no-data-accessible": "suspend-io"}}, "syncer", "on-no-data-accessible suspend-io;"),
    ("8.4", {"syncer": {"c-max-rate": "500M"}}, "disk", "c-max-rate 500M;"),
    ("8.3", {"net": {"fencing": "resource-only"}}, "disk", "fencing resource-only;"),
    ("8.4", {"net": {"fencing": "resource-only"}}, "disk", "fencing resource-only;"),
    ("9", {"disk": {"fencing": "resource-only"}}, "net", "fencing resource-only;"),
    ("8.4", {"protocol": "B"}, "net", "protocol B;"),
    ("9", {"net": {"protocol": "A"}}, "net", "protocol A;"),
    ("8.3", {"handlers": {"pri-on-incon-degr": "halt -f"}}, "handlers", 'pri-on-incon-degr "halt -f";'),
    ("0.7", {"net": {"on-disconnect": "stand_alone"}}, "net", "on-disconnect stand_alone;"),
    ("8.3", {"net": {"allow-two-primaries": True}}, "net", "allow-two-primaries;"),
    ("8.4", {"net": {"allow-two-primaries": True}}, "net", "allow-two-primaries yes;"),
    ("8.3", {"disk": {"disk-flushes": False}}, "disk", "no-disk-flushes;"),
    ("8.3", {"disk": {"no-disk-barrier": True}}, "disk", "no-disk-barrier;"),
    ("8.4", {"disk": {"no-disk-barrier": True}}, "disk", "disk-barrier no;"),
    ("9", {"disk": {"disk_flushes": False}}, "disk", "disk-flushes no;"),
    ("8.4", {"startup": {"become-primary-on": "both"}}, "startup", "become-primary-on both;"),
    ("9", {"options": {"auto-promote": True}}, "options", "auto-promote yes;"),
    ("8.4", {"handlers": {"split-brain": "/usr/lib/drbd/notify-split-brain.sh root"}}, "handlers",
     'split-brain "/usr/lib/drbd/notify-split-brain.sh root";'),
]


@pytest.mark.parametrize("dialect, fragment, section, line", PLACEMENT)
def test_options_are_placed_where_the_dialect_expects_them(dialect, fragment, section, line):
    text = render(dialect, **fragment)
    assert line in section_of(text, section)


def test_protocol_is_resource_level_before_84_and_in_net_after():
    assert "\n    protocol C;\n" in render("8.3")
    assert "\n    protocol C;\n" in render("0.7")
    text = render("8.4", protocol="C")
    assert "\n    protocol C;\n" not in text
    assert section_of(text, "net") == ["protocol C;"]


def test_incon_degr_cmd_is_resource_level_in_07():
    text = render("0.7", handlers={"pri-on-incon-degr": "halt -f"})
    assert '\n    incon-degr-cmd "halt -f";\n' in text
    assert "handlers" not in text


def test_false_flag_that_is_off_by_default_is_not_written_before_84():
    text = render("8.3", net={"allow-two-primaries": False, "cram-hmac-alg": "sha1"})
    assert section_of(text, "net") == ["cram-hmac-alg sha1;"]


def test_hosts_are_sorted_so_every_node_renders_the_same_file():
    one = cfg.render_resource({"name": "r0", "hosts": PAIR}, "8.4")
    other = cfg.render_resource({"name": "r0", "hosts": list(reversed(PAIR))}, "8.4")
    assert one == other
    assert one.index("on alpha {") < one.index("on beta {")


def test_device_spellings():
    assert "device minor 7;" in cfg.render_resource(
        {"name": "r0", "hosts": [host("a", "10.0.0.1", minor=7), host("b", "10.0.0.2", minor=7)]}, "8.4")
    assert "device /dev/drbd7;" in cfg.render_resource(
        {"name": "r0", "protocol": "C", "hosts": [host("a", "10.0.0.1", minor=7), host("b", "10.0.0.2", minor=7)]},
        "8.3")


def test_meta_disk_spellings():
    assert cfg.parse_meta_disk("/dev/sdc1[3]") == {"kind": "indexed", "path": "/dev/sdc1", "index": 3}
    assert cfg.parse_meta_disk("/dev/sdc1 [ 3 ]") == {"kind": "indexed", "path": "/dev/sdc1", "index": 3}
    assert cfg.parse_meta_disk("/dev/sdc1") == {"kind": "flexible", "path": "/dev/sdc1", "index": None}
    assert cfg.parse_meta_disk("internal") == {"kind": "internal", "path": None, "index": None}
    hosts = [host("a", "10.0.0.1", minor=1, meta_disk="/dev/sdc1"), host("b", "10.0.0.2", minor=1)]
    assert "flexible-meta-disk /dev/sdc1;" in cfg.render_resource({"name": "r", "protocol": "C", "hosts": hosts}, "8.3")
    assert "meta-disk /dev/sdc1;" in cfg.render_resource({"name": "r", "hosts": hosts}, "8.4")


def test_ipv6_address_spelling():
    text = cfg.render_resource({"name": "r0", "hosts": [host("a", "FD01:0:0::1", minor=0),
                                                        host("b", "[fd01::2]", minor=0)]}, "8.4")
    assert "address ipv6 [fd01::1]:7788;" in text
    assert "address ipv6 [fd01::2]:7788;" in text


def test_three_host_drbd9_resource_gets_a_mesh_and_two_do_not():
    text = cfg.render_resource(R9_THREE, "9")
    assert section_of(text, "connection-mesh") == ["hosts n1 n2 n3;"]
    assert "connection-mesh" not in cfg.render_resource(R9_PAIR, "9")


# ---------------------------------------------------------------------------
# Refusals: (dialect, resource fragment, words the message must contain)
# ---------------------------------------------------------------------------

REFUSALS = [
    ("0.7", {"handlers": {"fence-peer": "x"}}, ["handlers.fence-peer", "DRBD 0.7", "no handlers"]),
    ("0.7", {"net": {"cram-hmac-alg": "sha1"}}, None),   # passes through; 0.7's drbdadm judges
    ("0.7", {"options": {"cpu-mask": 1}}, ["options.cpu-mask", "DRBD 0.7"]),
    ("0.7", {"syncer": {"after": "r1"}}, ["syncer.after", "DRBD 0.7", "syncer.group"]),
    ("0.7", {"disk": {"fencing": "resource-only"}}, ["disk.fencing", "DRBD 0.7"]),
    ("8.3", {"options": {"auto-promote": True}}, ["options.auto-promote", "DRBD 8.3", "DRBD 9 option"]),
    ("8.3", {"options": {"something": 1}}, ["options.something", "DRBD 8.3", "8.4"]),
    ("8.3", {"net": {"on-disconnect": "reconnect"}}, ["net.on-disconnect", "removed in DRBD 8.0"]),
    ("8.4", {"net": {"on-disconnect": "reconnect"}}, ["net.on-disconnect", "DRBD 8.4"]),
    ("8.4", {"syncer": {"group": 1}}, ["syncer.group", "resync-after"]),
    ("8.4", {"syncer": {"skip-sync": True}}, ["syncer.skip-sync", "DRBD 8.4", "dissolved"]),
    ("9", {"startup": {"become-primary-on": "alpha"}}, ["become-primary-on", "auto-promote"]),
    ("8.4", {"net": {"discard-my-data": True}}, ["discard-my-data", "by hand"]),
    ("8.4", {"syncer": {"rate": "10M"}, "disk": {"resync-rate": "20M"}}, ["syncer.rate", "disk.resync-rate", "once"]),
    ("8.4", {"net": {"after-sb-0pri": "disconnect", "after_sb_0pri": "disconnect"}}, ["twice"]),
    ("8.4", {"protocol": "B", "net": {"allow-two-primaries": True}}, ["allow-two-primaries", "protocol C"]),
    ("8.3", {"protocol": None}, ["protocol is required", "DRBD 8.3"]),
    ("8.4", {"disk": {"al-extents": None}}, ["disk.al-extents has no value"]),
    ("8.4", {"handlers": {"fence-peer": 'echo "x"'}}, ["handlers.fence-peer", "double quote"]),
    ("8.4", {"net": {"max-buffers": [1, 2]}}, ["net.max-buffers", "string or a number"]),
    ("8.3", {"net": {"some-flag": False}}, ["net.some-flag", "false cannot be expressed"]),
    ("0.7", {"net": {"max-buffers": 1234567890}}, ["more than 9 digits", "DRBD 0.7"]),
    ("0.7", {"handlers": {"pri-on-incon-degr": "x" * 81}}, ["81 characters", "at most 80"]),
    ("8.4", {"net": {"bad key!": 1}}, ["not a valid DRBD option name"]),
]


@pytest.mark.parametrize("dialect, fragment, words", REFUSALS)
def test_options_a_dialect_does_not_have_are_refused_by_name(dialect, fragment, words):
    if words is None:
        assert "cram-hmac-alg sha1;" in render(dialect, **fragment)
        return
    with pytest.raises(DrbdConfigError) as err:
        render(dialect, **fragment)
    for word in words:
        assert word in str(err.value)


HOST_REFUSALS = [
    ("8.4", [host("a", "10.0.0.1", minor=0, node_id=0), host("b", "10.0.0.2", minor=0, node_id=1)],
     "node-id only exists in DRBD 9"),
    ("0.7", [host("a", "fd01::1", device="/dev/drbd0"), host("b", "10.0.0.2", device="/dev/drbd0")],
     "DRBD 0.7 only supports IPv4"),
    ("0.7", [host("a", "10.0.0.255", device="/dev/drbd0"), host("b", "10.0.0.2", device="/dev/drbd0")],
     "first and last octets are 1-254"),
    ("8.4", [host("a", "alpha.example.com", minor=0), host("b", "10.0.0.2", minor=0)], "is not an IP address"),
    ("8.4", [host("a", "10.0.0.1", minor=0)], "exactly two hosts"),
    ("9", [host("a", "10.0.0.1", minor=0), host("b", "10.0.0.2", minor=0), host("c", "10.0.0.3", minor=0)],
     "need node_id on every host"),
    ("9", [host("a", "10.0.0.1", minor=0, node_id=1), host("b", "10.0.0.2", minor=0, node_id=1)], "unique"),
    ("9", [host("a", "10.0.0.1", minor=0, node_id=0), host("b", "10.0.0.2", minor=0)], "every host or for none"),
    ("8.4", [host("a", "10.0.0.1", minor=0), host("a", "10.0.0.2", minor=0)], "listed twice"),
    ("8.4", [host("a", "10.0.0.1", minor=0), host("b", "10.0.0.1", minor=0)], "used by two hosts"),
    ("8.4", [host("a", "10.0.0.1"), host("b", "10.0.0.2", minor=0)], "needs device"),
    ("8.4", [host("a", "10.0.0.1", device="/dev/drbd1", minor=2), host("b", "10.0.0.2", minor=2)], "disagree"),
    ("0.7", [host("a", "10.0.0.1", device="/dev/drbd_x", minor=2), host("b", "10.0.0.2", minor=2)],
     "DRBD 0.7 needs /dev/drbdN"),
    ("0.7", [host("a", "10.0.0.1", device="/dev/drbd0", meta_disk="/dev/sdc1"), host("b", "10.0.0.2", minor=0)],
     "needs an index"),
    ("8.4", [host("a", "10.0.0.1", minor=0, disk="none"), host("b", "10.0.0.2", minor=0)], "needs DRBD 9"),
    ("8.4", [host("a", "10.0.0.1", minor=0, port=70000), host("b", "10.0.0.2", minor=0)], "between 1 and 65535"),
    ("8.4", [host("a", "10.0.0.1", minor=0, vol=1), host("b", "10.0.0.2", minor=0)], "unknown keys: vol"),
]


@pytest.mark.parametrize("dialect, hosts, words", HOST_REFUSALS)
def test_bad_hosts_are_refused(dialect, hosts, words):
    with pytest.raises(DrbdConfigError) as err:
        cfg.render_resource({"name": "r0", "protocol": "C", "hosts": hosts}, dialect)
    assert words in str(err.value)


@pytest.mark.parametrize("secret, net, words", [
    ("x" * 65, {"cram-hmac-alg": "sha1"}, "at most 64"),
    ("s3cret", {}, "needs net.cram-hmac-alg"),
    ("s3cret", {"cram-hmac-alg": "sha1", "shared-secret": "inline"}, "not as net.shared-secret"),
    ('a"b', {"cram-hmac-alg": "sha1"}, "double quote"),
])
def test_shared_secret_rules(secret, net, words):
    with pytest.raises(DrbdConfigError) as err:
        render("8.4", secret, net=net)
    assert words in str(err.value)
    assert secret not in str(err.value) or len(secret) > 64


def test_shared_secret_is_refused_for_07():
    with pytest.raises(DrbdConfigError, match="DRBD 0.7 has no peer authentication"):
        render("0.7", "s3cret", net={"cram-hmac-alg": "sha1"})


def test_common_and_handlers_are_refused_for_07():
    with pytest.raises(DrbdConfigError, match="DRBD 0.7 has no common"):
        cfg.render_drbd_conf([R07], "0.7", common={"disk": {"on-io-error": "detach"}})
    with pytest.raises(DrbdConfigError, match="no include statement"):
        cfg.render_global_common("0.7")
    with pytest.raises(DrbdConfigError, match="global.usage-count does not exist in DRBD 0.7"):
        cfg.render_global("0.7", {"usage-count": "no"})


# A pattern anchored with $ also matches before a trailing newline, so re.match let "sha1\n" through as a
# bare word and the .res gained a line of the user's making. Every value the renderer checks is matched whole.
NEWLINE_AT_END = [
    ("net option value", dict(net={"cram-hmac-alg": "sha1\n"}), "net.cram-hmac-alg contains a line break"),
    ("disk option value", dict(disk={"on-io-error": "detach\n"}), "disk.on-io-error contains a line break"),
    ("resource name", dict(name="r0\n"), "resource name 'r0\\n'"),
    ("host name", dict(hosts=[host("alpha\n", "10.0.0.1", minor=0), host("beta", "10.0.0.2", minor=0)]),
     "hosts[0].name 'alpha\\n'"),
    ("backing disk", dict(hosts=[host("alpha", "10.0.0.1", minor=0, disk="/dev/sdb1\n"),
                                 host("beta", "10.0.0.2", minor=0)]), "hosts[alpha].disk must be"),
    ("device", dict(hosts=[host("alpha", "10.0.0.1", device="/dev/drbd0\n"), host("beta", "10.0.0.2", minor=0)]),
     "hosts[alpha].device '/dev/drbd0\\n' is not a device path"),
]


@pytest.mark.parametrize("dialect", ["8.3", "8.4", "9"])
@pytest.mark.parametrize("case, fragment, words", NEWLINE_AT_END, ids=[c[0] for c in NEWLINE_AT_END])
def test_a_value_ending_in_a_newline_is_refused(dialect, case, fragment, words):
    with pytest.raises(DrbdConfigError) as err:
        text = render(dialect, **fragment)
        pytest.fail("rendered with the newline: %r" % text)
    assert words in str(err.value)


def test_global_comes_first_in_a_single_file():
    text = cfg.render_drbd_conf([R07, R07_SECOND], "0.7", {"minor-count": 4})
    assert text.startswith("global {\n    minor-count 4;\n}\n")
    assert [s["kind"] for s in cfg.split_top_level(text)] == ["global", "resource", "resource"]


def test_bad_resource_names():
    for name in ("r/0", "", "-r0", "r 0"):
        with pytest.raises(DrbdConfigError):
            cfg.check_resource_name(name)
    with pytest.raises(DrbdConfigError, match="DRBD 0.7 names"):
        cfg.check_resource_name("r+0", "0.7")
    assert cfg.check_resource_name("r+0.data_1-x") == "r+0.data_1-x"


def test_unknown_dialect():
    with pytest.raises(DrbdConfigError, match="unknown DRBD configuration dialect '8.2'"):
        cfg.render_resource({"name": "r0", "hosts": PAIR}, "8.2")


# ---------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------

def test_mask_secrets_in_rendered_and_dumped_text():
    rendered = read(GOLDEN, "8.4/r0.res")
    assert SECRET in rendered
    masked = cfg.mask_secrets(rendered)
    assert SECRET not in masked
    assert 'shared-secret "********";' in masked
    dumped = read(CAPTURED, "resource_dump_84_moves_r0.txt")
    assert "shared-secret    %s;" % SECRET in dumped
    assert SECRET not in cfg.mask_secrets(dumped)
    assert cfg.mask_secrets('shared-secret "a;b";') == 'shared-secret "********";'
    assert cfg.mask_secrets(None) is None


# ---------------------------------------------------------------------------
# Editing a single-file configuration
# ---------------------------------------------------------------------------

HAND_WRITTEN = """# kept as is
global { usage-count no; }
resource other {
  protocol C; # a } in a comment
  handlers { pri-lost "echo '}' >/dev/null"; }
  on a { device /dev/drbd5; disk /dev/x; address 10.0.0.1:7790; meta-disk internal; }
  on b { device /dev/drbd5; disk /dev/x; address 10.0.0.2:7790; meta-disk internal; }
}
"""


def test_split_top_level_honours_comments_and_strings():
    statements = cfg.split_top_level(HAND_WRITTEN)
    assert [(s["kind"], s["name"]) for s in statements] == [("global", None), ("resource", "other")]
    assert HAND_WRITTEN[statements[1]["start"]:statements[1]["end"]].endswith("meta-disk internal; }\n}")


def test_replace_resource_block_appends_replaces_and_removes_without_touching_the_rest():
    block = cfg.render_resource(R07, "0.7")
    added = cfg.replace_resource_block(HAND_WRITTEN, "r0", block)
    assert added == HAND_WRITTEN + "\n" + block
    changed_block = block.replace("rate 30M;", "rate 40M;")
    replaced = cfg.replace_resource_block(added, "r0", changed_block)
    assert replaced == HAND_WRITTEN + "\n" + changed_block
    assert cfg.replace_resource_block(replaced, "r0", None) == HAND_WRITTEN
    assert cfg.replace_resource_block(HAND_WRITTEN, "r0", None) == HAND_WRITTEN
    assert cfg.replace_resource_block(None, "r0", block) == block


def test_replace_resource_block_refuses_duplicates_and_broken_files():
    with pytest.raises(DrbdConfigError, match="defined 2 times"):
        cfg.replace_resource_block(HAND_WRITTEN + HAND_WRITTEN.split("\n", 2)[2], "other", None)
    with pytest.raises(DrbdConfigError, match="unbalanced"):
        cfg.replace_resource_block("resource r0 {\n", "r0", None)
    with pytest.raises(DrbdConfigError, match="unterminated string"):
        cfg.split_top_level('resource r0 { handlers { x "abc\n } }')


def test_includes():
    stock = cfg.STOCK_DRBD_CONF
    assert cfg.includes_of(stock) == ["drbd.d/global_common.conf", "drbd.d/*.res"]
    assert cfg.include_covers(stock, "/etc", "/etc/drbd.d/r0.res")
    assert not cfg.include_covers(stock, "/etc", "/etc/drbd.d/r0.conf")
    assert cfg.include_covers('include "/srv/drbd/*.res";', "/etc", "/srv/drbd/r0.res")
    assert not cfg.include_covers(HAND_WRITTEN, "/etc", "/etc/drbd.d/r0.res")


# ---------------------------------------------------------------------------
# Layout and which drbdadm speaks which dialect
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dialect, utils, layout", [
    ("0.7", "0.7.25", "single"),
    ("8.3", "8.0.16", "single"),
    ("8.3", "8.3.6", "single"),
    ("8.3", "8.3.7", "split"),
    ("8.3", "9.22.0", "split"),
    ("8.4", "8.4.4", "split"),
    ("9", "9.22.0", "split"),
])
def test_layout_for(dialect, utils, layout):
    assert cfg.layout_for(dialect, utils) == layout


# Which of these exist in Debian 12's drbd-utils 9.22.0 was checked by
# installing it: /lib/drbd/drbdadm-83 and /lib/drbd/drbdadm-84 (/lib is a
# symbolic link to /usr/lib there).
DEBIAN_DRBD_UTILS = {"/usr/lib/drbd/drbdadm-83", "/usr/lib/drbd/drbdadm-84", "/lib/drbd/drbdadm-83",
                     "/lib/drbd/drbdadm-84"}


@pytest.mark.parametrize("dialect, utils, present, argv", [
    ("9", "9.22.0", DEBIAN_DRBD_UTILS, ["drbdadm"]),
    ("8.4", "9.22.0", DEBIAN_DRBD_UTILS, ["/usr/lib/drbd/drbdadm-84"]),
    ("8.3", "9.22.0", DEBIAN_DRBD_UTILS, ["/usr/lib/drbd/drbdadm-83"]),
    ("8.4", "8.9.8", {"/lib/drbd/drbdadm-84"}, ["/lib/drbd/drbdadm-84"]),
    ("8.4", "8.4.4", set(), ["drbdadm"]),
    ("8.3", "8.3.13", set(), ["drbdadm"]),
    ("0.7", "0.7.25", set(), ["drbdadm"]),
])
def test_drbdadm_argv(dialect, utils, present, argv):
    assert cfg.drbdadm_argv(dialect, utils, present.__contains__) == argv


@pytest.mark.parametrize("dialect, utils, present, words", [
    ("8.3", "8.9.8", {"/lib/drbd/drbdadm-84"}, "has no drbdadm-83"),
    ("9", "8.4.4", set(), "DRBD 9 needs drbd-utils 8.9"),
    ("8.4", "8.3.13", set(), "cannot drive DRBD 8.4"),
    ("0.7", "9.22.0", DEBIAN_DRBD_UTILS, "cannot drive DRBD 0.7"),
    ("8.4", None, set(), "drbd-utils were not found"),
])
def test_drbdadm_argv_refuses(dialect, utils, present, words):
    with pytest.raises(DrbdConfigError, match=words):
        cfg.drbdadm_argv(dialect, utils, present.__contains__)


# ---------------------------------------------------------------------------
# drbdadm's complaints, as captured
# ---------------------------------------------------------------------------

def test_parse_drbdadm_error_on_a_captured_parse_error():
    run = captured("resource_dump_r0_84_parse_error")
    assert run["rc"] == 10
    assert cfg.parse_drbdadm_error(run["stderr"]) == [{
        "path": "drbd.d/r0.res", "line": 8,
        "message": "Parse error: 'an option keyword' expected, but got 'bogus-option'",
    }]


def test_parse_drbdadm_error_without_location():
    run = captured("resource_dump_r0_84_not_this_host")
    assert run["rc"] == 1
    assert cfg.parse_drbdadm_error(run["stderr"]) == [
        {"path": None, "line": None, "message": "'r0' not defined in your config (for this host)."}]
