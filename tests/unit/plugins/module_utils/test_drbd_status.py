# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

import pytest

from ansible_collections.hacluster.drbd.plugins.module_utils.drbd_status import (
    DrbdParseError,
    apply_events2,
    parse_drbdadm_status,
    parse_drbdsetup_json,
    parse_events2,
    parse_proc_drbd,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "drbd")


def fixture(relpath):
    # newline="" keeps the bytes as captured (tabs, NULs, trailing blanks).
    with open(os.path.join(FIXTURES, relpath), encoding="utf-8", newline="") as handle:
        return handle.read()


def sync(percent, left, total, finish, speed, want=None, kind="sync'ed", stalled=False, average=None):
    return {
        "kind": kind, "percent": percent, "left_kib": left, "total_kib": total,
        "done_kib": total - left, "finish_seconds": finish, "speed_kib_s": speed,
        "average_kib_s": average, "want_kib_s": want, "stalled": stalled,
    }


UNCONFIGURED = {
    "cstate": "Unconfigured", "role": None, "peer_role": None, "disk": None,
    "peer_disk": None, "protocol": None, "flags": None, "sync": None,
}

# (fixture, header fields, number of devices, {minor: expected subset of the device dict})
PROC_CASES = [
    ("0.7.17/proc_drbd_connected_inconsistent.txt",
     {"version": "0.7.17", "api": 77, "proto_min": 74, "proto_max": 74, "generation": "0.7",
      "build": "SVN Revision: 2093 build by phil@mescal, 2006-03-06 15:04:12"},
     1,
     {0: {"cstate": "Connected", "role": "Secondary", "peer_role": "Secondary",
          "disk": "Inconsistent", "peer_disk": None, "protocol": None, "flags": None,
          "ns": 0, "nr": 0, "ap": 0, "sync": None}}),
    ("0.7.17/proc_drbd_syncsource.txt",
     {"version": "0.7.17", "generation": "0.7"},
     1,
     {0: {"cstate": "SyncSource", "role": "Primary", "peer_role": "Secondary",
          "disk": "Consistent", "ns": 627252, "dr": 629812, "lo": 640, "ua": 640,
          # (8805/9418)M: the kernel prints MiB above 1 GiB
          "sync": sync(6.6, 8805 * 1024, 9418 * 1024, 4 * 60 + 51, 30888, average=27268)}}),
    ("0.7.17/proc_drbd_secondary_primary.txt",
     {"version": "0.7.17"},
     1,
     {0: {"cstate": "Connected", "role": "Secondary", "peer_role": "Primary",
          "disk": "Consistent", "ns": 60, "nr": 136, "dw": 196, "dr": 97, "al": 3, "bm": 3}}),
    ("0.7.17/proc_drbd_unconfigured.txt",
     {"version": "0.7.17", "api": 77},
     2,
     {0: UNCONFIGURED, 1: UNCONFIGURED}),
    ("0.7.20/proc_drbd_connected.txt",
     {"version": "0.7.20", "api": 79, "proto_min": 74,
      "build": "SVN Revision: 2260 build by phil@mescal, 2006-07-04 15:18:57"},
     1,
     {0: {"cstate": "Connected", "role": "Secondary", "peer_role": "Primary", "nr": 28, "bm": 2}}),
    ("0.7.23/proc_drbd_syncing.txt",
     {"version": "0.7.23", "api": 79, "generation": "0.7"},
     1,
     {0: {"cstate": "SyncSource", "disk": "Consistent", "pe": 30, "ua": 2019,
          "sync": sync(12.5, 458848, 520196, 104, 4356, average=4088)}}),
    ("0.7.23/proc_drbd_no_buildline.txt",
     {"version": "0.7.23", "build": None},
     1,
     {0: {"cstate": "Connected", "role": "Primary", "peer_role": "Secondary", "dw": 1372}}),
    ("0.7.23/proc_drbd_two_devices.txt",
     {"build": "SVN Revision: 2686 build by root@node2, 2007-01-23 20:26:03"},
     2,
     {0: {"role": "Primary", "nr": 518132}, 1: {"role": "Primary", "nr": 520252, "bm": 199}}),
    ("8.0.12/proc_drbd.txt",
     {"version": "8.0.12", "api": 86, "proto_min": 86, "proto_max": 86, "generation": "8.0"},
     8,
     {0: {"cstate": "Connected", "role": "Primary", "peer_role": "Secondary", "disk": "UpToDate",
          "peer_disk": "UpToDate", "protocol": "C", "flags": "r---", "ns": 4375577, "al": 1067},
      2: UNCONFIGURED,
      5: {"peer_disk": "Diskless"},
      6: {"disk": "Diskless", "peer_disk": "UpToDate", "nr": 4375581},
      # no network configuration: the protocol letter is a blank
      8: {"cstate": "StandAlone", "peer_role": "Unknown", "peer_disk": "DUnknown",
          "protocol": None, "flags": "r---"}}),
    ("8.0.12/proc_drbd_emptyline.txt",
     {"version": "8.0.12"},
     5,
     {0: {"cstate": "Connected", "ns": 78728316}, 2: UNCONFIGURED, 5: UNCONFIGURED, 6: UNCONFIGURED}),
    ("8.2.4/proc_drbd_wfconnection.txt",
     {"version": "8.2.4", "api": 88, "proto_min": 86, "proto_max": 88, "generation": "8.0"},
     2,
     {0: {"cstate": "WFConnection", "role": "Secondary", "peer_role": "Unknown",
          "disk": "UpToDate", "peer_disk": "DUnknown", "protocol": "C", "flags": "r---"},
      1: {"cstate": "WFConnection"}}),
    ("8.2.4/proc_drbd_connected.txt",
     {"version": "8.2.4"},
     2,
     {0: {"role": "Primary", "peer_role": "Primary", "peer_disk": "UpToDate"},
      1: {"role": "Primary", "peer_role": "Primary"}}),
    ("8.3.1/proc_drbd.txt",
     {"version": "8.3.1", "api": 88, "proto_min": 86, "proto_max": 89, "generation": "8.3"},
     8,
     {0: {"flags": "r----", "wo": "b", "ep": 1, "oos": 0},
      # 8.3.1 printed an unset fifth flag as a NUL byte
      1: {"flags": "r---", "wo": "f", "nr": 140980},
      4: {"cstate": "WFConnection", "dr": 131534},
      8: {"cstate": "StandAlone", "protocol": None}}),
    ("8.3.1/proc_drbd_sync.txt",
     {"version": "8.3.1"},
     5,
     {3: {"cstate": "SyncTarget", "disk": "Inconsistent", "peer_disk": "UpToDate", "oos": 346112,
          "sync": sync(34.9, 346112 * 1024, 524288 * 1024, 5, 59392, average=59392)}}),
    ("8.3.1/proc_drbd_sync_krnl2.6.39.txt",
     {"version": "8.3.1"},
     5,
     # "(14996/15360)Mfinish: ..." on one line
     {3: {"cstate": "SyncSource", "protocol": "A", "flags": "r-----", "oos": 15358208,
          "sync": sync(2.4, 14996 * 1024, 15360 * 1024, 4 * 60 + 8, 61736, average=61736)}}),
    ("8.3.2/proc_drbd_secondary.txt",
     {"version": "8.3.2", "proto_max": 90,
      "build": "GIT-hash: dd7985327f146f33b86d4bff5ca8c94234ce840e build by "
               "mockbuild@v20z-x86-64.home.local, 2009-08-29 14:08:07"},
     1,
     {0: {"role": "Secondary", "peer_role": "Secondary", "flags": "r----", "bm": 127, "wo": "b"}}),
    ("8.3.2/proc_drbd_primary_primary.txt",
     {"version": "8.3.2"},
     1,
     {0: {"role": "Primary", "peer_role": "Primary", "flags": "r---", "ns": 524288}}),
    ("8.3.11/proc_drbd_sync_want.txt",
     {"version": "8.3.11", "proto_max": 96, "build": "srcversion: 2D876214BAAD53B31ADC1D6"},
     4,
     {0: {"cstate": "SyncTarget", "role": "Secondary", "peer_role": "Primary", "lo": 2, "pe": 4,
          "oos": 588416, "sync": sync(44.4, 588416, 1048576, 8, 65736, want=61440, average=65736)},
      3: UNCONFIGURED}),
    ("8.4.2/proc_drbd.txt",
     {"version": "8.4.2", "api": 1, "proto_min": 86, "proto_max": 101, "generation": "8.3"},
     6,
     {0: {"cstate": "Connected", "flags": "r-----", "ns": 1048576, "bm": 64},
      4: {"cstate": "WFConnection", "oos": 1048320},
      6: {"disk": "Diskless", "wo": "b"},
      8: {"cstate": "StandAlone", "protocol": None}}),
    ("8.4.2/proc_drbd_emptyfirst.txt",
     {"version": "8.4.2"},
     5,
     {1: {"role": "Secondary", "peer_role": "Primary"}, 2: UNCONFIGURED}),
    ("8.4.2/proc_drbd_sync.txt",
     {"version": "8.4.2"},
     3,
     {0: {"cstate": "StandAlone", "role": "Primary", "wo": "d", "dw": 33318},
      3: UNCONFIGURED,
      5: {"cstate": "SyncSource", "flags": "r---n-", "pe": 33, "ua": 18,
          "sync": sync(68.5, 335744, 1048576, 5, 64800, average=64800)}}),
    ("8.4.3/proc_drbd.txt",
     {"version": "8.4.3", "api": 1, "build": "srcversion: 1A9F77B1CA5FF92235C2213"},
     1,
     {1: {"cstate": "Connected", "role": "Primary", "peer_role": "Primary", "ns": 17324442,
          "nr": 10961011, "dw": 28263521, "dr": 118696670, "al": 1100, "bm": 221, "lo": 12345,
          "pe": 12346, "ua": 12347, "ap": 12348, "ep": 1, "wo": "d", "oos": 12349}}),
    ("9.0.32/proc_drbd.txt",
     {"version": "9.0.32-1", "api": 2, "proto_min": 86, "proto_max": 121, "generation": "9",
      "transports": "tcp (9.0.32-1)"},
     0,
     {}),
]


@pytest.mark.parametrize("relpath, header, count, devices", PROC_CASES,
                         ids=[case[0] for case in PROC_CASES])
def test_parse_proc_drbd(relpath, header, count, devices):
    parsed = parse_proc_drbd(fixture(relpath))
    for key, value in header.items():
        assert parsed[key] == value, key
    assert len(parsed["devices"]) == count
    for minor, expected in devices.items():
        device = parsed["devices"][minor]
        assert device["minor"] == minor
        for key, value in expected.items():
            assert device[key] == value, (minor, key)


def test_proc_drbd_07_has_no_84_counters():
    device = parse_proc_drbd(fixture("0.7.23/proc_drbd_syncing.txt"))["devices"][0]
    assert "ep" not in device and "oos" not in device and "wo" not in device
    assert device["ns"] == 67080 and device["nr"] == 85492 and device["al"] == 9


def test_proc_drbd_unconfigured_has_no_counters():
    device = parse_proc_drbd(fixture("8.0.12/proc_drbd.txt"))["devices"][2]
    assert "ns" not in device and "oos" not in device


# Variants of real captures for lines no public capture shows. Each is built
# from the printf formats in the DRBD kernel's drbd_proc.c (0.7, 8.4).
CONSTRUCTED_SYNC_CASES = [
    # 8.4 marks a resync without progress for 3 minutes with "(stalled)"
    ("finish: 0:00:05 speed: 64,800 (64,800) K/sec (stalled)",
     "sync'ed: 68.5%", sync(68.5, 335744, 1048576, 5, 64800, stalled=True, average=64800)),
    # drbd_proc_details >= 1 prints the short and the long average
    ("finish: 0:00:05 speed: 64,800 (63,100 -- 64,800) K/sec",
     "sync'ed: 68.5%", sync(68.5, 335744, 1048576, 5, 64800, average=64800)),
    # online verify (VerifyS) prints "verified:" and a want: rate
    ("finish: 1:02:03 speed: 1,024 (999) want: 10,240 K/sec",
     "verified: 68.5%", sync(68.5, 335744, 1048576, 3723, 1024, want=10240, kind="verified", average=999)),
]


@pytest.mark.parametrize("finish, progress, expected", CONSTRUCTED_SYNC_CASES)
def test_proc_drbd_sync_variants(finish, progress, expected):
    text = fixture("8.4.2/proc_drbd_sync.txt")
    text = text.replace("finish: 0:00:05 speed: 64,800 (64,800) K/sec", finish)
    text = text.replace("sync'ed: 68.5%", progress)
    assert parse_proc_drbd(text)["devices"][5]["sync"] == expected


def test_proc_drbd_07_stalled():
    text = fixture("0.7.23/proc_drbd_syncing.txt").replace(
        "finish: 0:01:44 speed: 4,356 (4,088) K/sec", "stalled")
    assert parse_proc_drbd(text)["devices"][0]["sync"] == {
        "kind": "sync'ed", "percent": 12.5, "left_kib": 458848, "total_kib": 520196,
        "done_kib": 61348, "finish_seconds": None, "speed_kib_s": None, "average_kib_s": None,
        "want_kib_s": None, "stalled": True,
    }


def test_proc_drbd_9_compat84_lists_devices():
    # DRBD 9 built with CONFIG_DRBD_COMPAT_84 prints 8.4-style devices.
    body = fixture("8.4.3/proc_drbd.txt").split("\n", 2)[2]
    text = ("version: 9.2.4 (api:2/proto:86-122) (compat 8.4)\n"
            "GIT-hash: 0123 build by builder\n" + body)
    parsed = parse_proc_drbd(text)
    assert parsed["generation"] == "9" and parsed["proto_max"] == 122
    assert parsed["devices"][1]["cstate"] == "Connected" and parsed["devices"][1]["oos"] == 12349


def test_proc_drbd_accepts_crlf():
    parsed = parse_proc_drbd(fixture("8.3.11/proc_drbd_sync_want.txt").replace("\n", "\r\n"))
    assert parsed["devices"][0]["sync"]["want_kib_s"] == 61440


MALFORMED_PROC = [
    ("empty", ""),
    ("blank lines only", "\n\n  \n"),
    ("garbage", "this is not drbd\n"),
    ("no version line (ganeti fixture)", fixture("malformed/proc_drbd_no_version.txt")),
    ("truncated version line", "version: 8.4.11 (api:1/pro\n"),
    ("version without api", "version: 8.4.11\nsrcversion: ABC\n"),
    ("unsupported version", "version: 0.6.13 (api:58/proto:61)\nbuild\n"),
    ("unknown line in device block",
     fixture("8.4.3/proc_drbd.txt") + "\tsomething new: 1\n"),
    ("unknown counter",
     fixture("8.4.3/proc_drbd.txt").replace("wo:d", "wo:d xx:5")),
    ("non-numeric counter",
     fixture("8.4.3/proc_drbd.txt").replace("ns:17324442", "ns:lots")),
    ("device without counter line (truncated)",
     "\n".join(fixture("8.4.3/proc_drbd.txt").splitlines()[:4]) + "\n"),
    ("progress bar without timing line (truncated)",
     "\n".join(fixture("8.3.11/proc_drbd_sync_want.txt").splitlines()[:5]) + "\n"),
    ("timing line without progress bar",
     fixture("8.4.3/proc_drbd.txt") + "\tfinish: 0:00:05 speed: 1 (1) K/sec\n"),
    ("ro: under an 8.0 version line",
     fixture("8.2.4/proc_drbd_connected.txt").replace("st:", "ro:")),
    ("st: under an 8.4 version line",
     fixture("8.4.3/proc_drbd.txt").replace("ro:", "st:")),
    ("ds: under a 0.7 version line",
     fixture("0.7.20/proc_drbd_connected.txt").replace("ld:Consistent", "ds:UpToDate/UpToDate")),
    ("duplicate minor",
     fixture("8.4.3/proc_drbd.txt") + "\n".join(fixture("8.4.3/proc_drbd.txt").splitlines()[3:]) + "\n"),
    ("stray text before the devices",
     "version: 8.4.11 (api:1/proto:86-101)\nsrcversion: ABC\nhello world\n"),
]


@pytest.mark.parametrize("text", [case[1] for case in MALFORMED_PROC],
                         ids=[case[0] for case in MALFORMED_PROC])
def test_parse_proc_drbd_rejects(text):
    with pytest.raises(DrbdParseError):
        parse_proc_drbd(text)


def test_parse_proc_drbd_rejects_bytes():
    with pytest.raises(DrbdParseError):
        parse_proc_drbd(fixture("8.4.3/proc_drbd.txt").encode())


def test_drbd_parse_error_is_value_error():
    assert issubclass(DrbdParseError, ValueError)


# ---------------------------------------------------------------------------
# drbdadm status / drbdsetup status
# ---------------------------------------------------------------------------

def test_status_84_backport():
    assert parse_drbdadm_status(fixture("8.4/drbdadm_status.txt")) == {
        "home": {
            "role": "Secondary", "suspended": None,
            "volumes": {0: {"minor": None, "disk": "UpToDate"}},
            "connections": {"peer": {
                # "connection" is not printed when Connected; the role is
                "connection": "Connected", "role": "Secondary",
                "volumes": {0: {"replication": "Established", "peer_disk": "UpToDate", "done": None}},
            }},
        },
    }


def test_status_84_verbose_statistics_wrapped():
    parsed = parse_drbdadm_status(fixture("8.4/drbdsetup_status_verbose_statistics.txt"))
    home = parsed["home"]
    assert home["role"] == "Secondary" and home["suspended"] == "no"
    assert home["write_ordering"] == "flush"
    vol = home["volumes"][0]
    assert vol["minor"] == 0 and vol["disk"] == "UpToDate" and vol["size"] == 5033792
    # continued on a second line by the 80-column wrap
    assert vol["lower_pending"] == 0 and vol["al_suspended"] == "no" and vol["blocked"] == "no"
    peer = home["connections"]["peer"]
    assert peer["connection"] == "Connected" and peer["role"] == "Secondary"
    assert peer["congested"] == "no"
    pv = peer["volumes"][0]
    assert pv["replication"] == "Established" and pv["peer_disk"] == "UpToDate"
    assert pv["resync_suspended"] == "no"
    assert pv["received"] == 0 and pv["out_of_sync"] == 0 and pv["unacked"] == 0


def test_status_9_four_nodes_one_connecting():
    home = parse_drbdadm_status(fixture("9/drbdadm_status_four_nodes.txt"))["home"]
    assert home["role"] == "Secondary"
    assert home["volumes"] == {0: {"minor": None, "disk": "UpToDate"}}
    assert sorted(home["connections"]) == ["nina", "nino", "nono"]
    # old drbd-utils printed the peer's disk as "disk:"
    assert home["connections"]["nina"]["volumes"][0]["peer_disk"] == "UpToDate"
    assert home["connections"]["nina"]["volumes"][0]["replication"] is None
    assert home["connections"]["nino"]["connection"] == "Connected"
    assert home["connections"]["nono"] == {"connection": "Connecting", "role": None, "volumes": {}}


def test_status_9_three_resources():
    parsed = parse_drbdadm_status(fixture("9/drbdadm_status_three_resources.txt"))
    assert sorted(parsed) == ["haqm1", "haqm2", "haqm3"]
    roles = {name: res["role"] for name, res in parsed.items()}
    assert roles == {"haqm1": "Primary", "haqm2": "Secondary", "haqm3": "Secondary"}
    assert parsed["haqm2"]["connections"]["mqhavm14.hursley.ibm.com"]["role"] == "Primary"
    assert parsed["haqm3"]["connections"]["mqhavm15.hursley.ibm.com"]["role"] == "Primary"
    for res in parsed.values():
        for conn in res["connections"].values():
            assert conn["connection"] == "Connected"
            assert conn["volumes"][0]["peer_disk"] == "UpToDate"


def test_status_no_resources():
    assert parse_drbdadm_status("# No currently configured DRBD found.\n") == {}
    # the 8.4 backport prints nothing at all
    assert parse_drbdadm_status("") == {}


# Built from the printf formats in drbd-utils user/v9/drbdsetup.c; no public
# capture with these elements was found (see the fixtures README).
def test_status_9_sync_done_multi_volume_and_colour():
    text = (
        "\x1b[1mr0\x1b[0m role:\x1b[1mPrimary\x1b[0m\n"
        "  volume:0 disk:UpToDate\n"
        "  volume:1 disk:UpToDate\n"
        "  bob role:Secondary\n"
        "    volume:0 replication:SyncSource peer-disk:Inconsistent done:37.50\n"
        "    volume:1 peer-disk:UpToDate\n"
        "  node-id:3 connection:StandAlone\n"
    )
    r0 = parse_drbdadm_status(text)["r0"]
    assert r0["role"] == "Primary"
    assert sorted(r0["volumes"]) == [0, 1]
    bob = r0["connections"]["bob"]
    assert bob["volumes"][0] == {"replication": "SyncSource", "peer_disk": "Inconsistent", "done": 37.5}
    assert bob["volumes"][1] == {"replication": None, "peer_disk": "UpToDate", "done": None}
    # a connection without a name is keyed by its node id
    assert r0["connections"]["node-id:3"]["connection"] == "StandAlone"
    assert r0["connections"]["node-id:3"]["node_id"] == 3


MALFORMED_STATUS = [
    ("events2 text", fixture("9/events2_sync.txt")),
    ("json text", fixture("9/drbdsetup_status_json.json")),
    ("proc_drbd text", fixture("8.4.3/proc_drbd.txt")),
    ("indented line first", "  disk:UpToDate\n"),
    ("token without colon", "r0 role:Primary\n  disk:UpToDate bogus\n"),
    ("odd indentation", "r0 role:Primary\n   disk:UpToDate\n"),
    ("tab indentation", "r0 role:Primary\n\tdisk:UpToDate\n"),
    ("duplicate resource", "r0 role:Primary\nr0 role:Secondary\n"),
    ("duplicate volume", "r0 role:Primary\n  volume:0 disk:UpToDate\n  volume:0 disk:UpToDate\n"),
    ("duplicate connection", "r0 role:Primary\n  disk:UpToDate\n  b role:Secondary\n  b role:Secondary\n"),
    ("peer volume line under a local volume", "r0 role:Primary\n  disk:UpToDate\n    peer-disk:UpToDate\n"),
    ("bad volume number", "r0 role:Primary\n  volume:x disk:UpToDate\n"),
    ("peer statistics without a peer volume", "r0 role:Primary\n  b role:Secondary\n        sent:0\n"),
]


@pytest.mark.parametrize("text", [case[1] for case in MALFORMED_STATUS],
                         ids=[case[0] for case in MALFORMED_STATUS])
def test_parse_drbdadm_status_rejects(text):
    with pytest.raises(DrbdParseError):
        parse_drbdadm_status(text)


# ---------------------------------------------------------------------------
# drbdsetup status --json
# ---------------------------------------------------------------------------

def test_status_json():
    parsed = parse_drbdsetup_json(fixture("9/drbdsetup_status_json.json"))
    assert sorted(parsed) == ["1-single-0", "1-single-1", "vg1", "vg2", "vg3"]
    vg3 = parsed["vg3"]
    assert vg3["role"] == "Secondary" and vg3["suspended"] == "no" and vg3["node_id"] == 2
    assert vg3["write_ordering"] == "flush"
    assert vg3["volumes"][0]["minor"] == 8 and vg3["volumes"][0]["disk"] == "UpToDate"
    assert vg3["volumes"][0]["size"] == 204756 and vg3["volumes"][0]["quorum"] == "yes"
    conn = vg3["connections"]["SLE15-sp1-gm-drbd1145296-node1"]
    assert conn["connection"] == "Connected" and conn["role"] == "Primary" and conn["node_id"] == 1
    assert conn["congested"] == "no"
    pv = conn["volumes"][0]
    assert pv["replication"] == "Established" and pv["peer_disk"] == "UpToDate"
    assert pv["done"] is None and pv["percent_in_sync"] == 100.0 and pv["received"] == 548576
    assert parsed["1-single-1"]["volumes"][0]["minor"] == 3


def test_status_json_same_shape_as_text():
    text = parse_drbdadm_status(fixture("8.4/drbdsetup_status_verbose_statistics.txt"))["home"]
    data = parse_drbdsetup_json(fixture("9/drbdsetup_status_json.json"))["vg1"]
    for key in ("role", "suspended", "volumes", "connections", "write_ordering"):
        assert key in text and key in data
    text_pv = next(iter(text["connections"].values()))["volumes"][0]
    data_pv = next(iter(data["connections"].values()))["volumes"][0]
    assert {"replication", "peer_disk", "done", "received", "out_of_sync"} <= set(text_pv) & set(data_pv)


def test_status_json_suspended_reasons_and_resync_done():
    # keys as drbd-utils 9.2x prints them (user/v9/drbdsetup.c resource_status_json)
    text = ('[{"name": "r0", "node-id": 0, "role": "Primary", "suspended": true,'
            ' "suspended-user": false, "suspended-no-data": false, "suspended-fencing": true,'
            ' "suspended-quorum": true, "devices": [{"volume": 0, "minor": 1, "disk-state": "UpToDate"}],'
            ' "connections": [{"peer-node-id": 1, "name": "b", "connection-state": "Connected",'
            ' "peer-role": "Secondary", "peer_devices": [{"volume": 0, "replication-state": "SyncSource",'
            ' "peer-disk-state": "Inconsistent", "percent-resync-done": 12.5}]}]}]')
    r0 = parse_drbdsetup_json(text)["r0"]
    assert r0["suspended"] == "fencing,quorum"
    assert r0["connections"]["b"]["volumes"][0] == {
        "replication": "SyncSource", "peer_disk": "Inconsistent", "done": 12.5}


def test_status_json_unknown_resource_is_empty():
    # `drbdsetup status --json NAME` for an unknown NAME prints "[", "]" (and exits 10)
    assert parse_drbdsetup_json("[\n]\n") == {}


MALFORMED_JSON = [
    ("not json", "r0 role:Primary\n"),
    ("truncated", fixture("9/drbdsetup_status_json.json")[:400]),
    ("object instead of list", '{"name": "r0"}'),
    ("resource without name", '[{"role": "Primary"}]'),
    ("resource not an object", '["r0"]'),
    ("devices not a list", '[{"name": "r0", "devices": {}}]'),
    ("device without volume", '[{"name": "r0", "devices": [{"minor": 1}]}]'),
    ("boolean volume", '[{"name": "r0", "devices": [{"volume": true}]}]'),
    ("connection without name", '[{"name": "r0", "connections": [{"peer-role": "Primary"}]}]'),
    ("duplicate resource", '[{"name": "r0"}, {"name": "r0"}]'),
    ("duplicate peer volume", '[{"name": "r0", "connections": [{"name": "b", "peer_devices":'
                              ' [{"volume": 0}, {"volume": 0}]}]}]'),
]


@pytest.mark.parametrize("text", [case[1] for case in MALFORMED_JSON],
                         ids=[case[0] for case in MALFORMED_JSON])
def test_parse_drbdsetup_json_rejects(text):
    with pytest.raises(DrbdParseError):
        parse_drbdsetup_json(text)


# ---------------------------------------------------------------------------
# drbdsetup events2
# ---------------------------------------------------------------------------

def test_parse_events2_lines():
    events = parse_events2(fixture("9/events2_helper.txt"))
    assert len(events) == 8
    assert events[0] == {"timestamp": None, "event": "exists", "object": "-", "fields": {}}
    assert events[1]["event"] == "create" and events[1]["object"] == "resource"
    assert events[1]["fields"]["promotion_score"] == "0"
    path = events[5]
    assert path["object"] == "path" and path["fields"]["local"] == "ipv4:1.2.3.4:7789"
    assert events[6]["event"] == "call" and events[6]["fields"]["helper"] == "before-resync-target"
    assert events[7]["event"] == "response" and events[7]["fields"]["status"] == "1"


def test_parse_events2_accepts_list_and_timestamps():
    # line from LINBIT/drbdtop pkg/resource/resource_test.go
    line = ("2017-02-15T14:43:16.688437+00:00 exists connection name:test0 conn-name:peer "
            "connection:Connected role:Secondary congested:no")
    (event,) = parse_events2([line, ""])
    assert event["timestamp"] == "2017-02-15T14:43:16.688437+00:00"
    assert event["object"] == "connection" and event["fields"]["conn-name"] == "peer"


EVENTS2_CASES = [
    ("9/events2_sync.txt",
     {"role": "Secondary", "may_promote": "yes", "promotion_score": 10101},
     {"minor": 1000, "disk": "UpToDate", "backing_dev": "/dev/sda", "quorum": "yes"},
     {"connection": "Connected", "role": "Secondary", "node_id": 1},
     {"replication": "SyncSource", "peer_disk": "Inconsistent", "done": 37.5}),
    ("9/events2_sync_statistics.txt",
     {"role": "Secondary", "write_ordering": "none"},
     {"disk": "UpToDate", "size": 5, "read": 10, "written": 15, "al_writes": 40, "lower_pending": 70},
     {"connection": "Connected", "ap_in_flight": 10, "rs_in_flight": 20},
     {"replication": "SyncSource", "done": 37.5, "out_of_sync": 2500, "dbdt1": 0.24, "eta": 10}),
    ("9/events2_change.txt",
     {"role": "Primary", "may_promote": "no", "promotion_score": 10102, "suspended": "no"},
     {"disk": "UpToDate", "minor": 1000},
     {"connection": "Connected", "role": "Secondary"},
     {"replication": "Established", "peer_disk": "UpToDate", "done": None}),
    ("9/events2_change_full.txt",
     {"role": "Primary", "force_io_failures": "no", "write_ordering": "none"},
     {"disk": "UpToDate", "al_suspended": "no"},
     {"connection": "Connected", "congested": "no"},
     {"replication": "Established", "received": 5, "sent": 10, "unacked": 40}),
    ("9/events2_helper.txt",
     {"role": "Secondary", "may_promote": "no"},
     {"disk": "Diskless", "backing_dev": "none", "client": "no"},
     {"connection": "StandAlone", "role": "Unknown"},
     {"replication": "Off", "peer_disk": "DUnknown", "done": None}),
]


@pytest.mark.parametrize("relpath, res, vol, conn, pv", EVENTS2_CASES,
                         ids=[case[0] for case in EVENTS2_CASES])
def test_apply_events2(relpath, res, vol, conn, pv):
    state = apply_events2(parse_events2(fixture(relpath)))
    assert list(state) == ["some-resource"]
    resource = state["some-resource"]
    for key, value in res.items():
        assert resource[key] == value, key
    assert list(resource["volumes"]) == [0]
    for key, value in vol.items():
        assert resource["volumes"][0][key] == value, key
    assert list(resource["connections"]) == ["some-peer"]
    connection = resource["connections"]["some-peer"]
    for key, value in conn.items():
        assert connection[key] == value, key
    for key, value in pv.items():
        assert connection["volumes"][0][key] == value, key


def test_apply_events2_continues_state_and_clears_done():
    state = apply_events2(parse_events2(fixture("9/events2_sync.txt")))
    assert state["some-resource"]["connections"]["some-peer"]["volumes"][0]["done"] == 37.5
    later = parse_events2(
        "change peer-device name:some-resource peer-node-id:1 conn-name:some-peer volume:0 "
        "replication:Established peer-disk:UpToDate\n"
        "rename resource name:some-resource new_name:other\n"
        "destroy device name:other volume:0\n")
    state = apply_events2(later, state)
    assert list(state) == ["other"]
    assert state["other"]["volumes"] == {}
    assert state["other"]["connections"]["some-peer"]["volumes"][0] == {
        "replication": "Established", "peer_disk": "UpToDate", "done": None,
        "peer_client": "no", "resync_suspended": "no"}
    state = apply_events2(parse_events2("destroy resource name:other\n"), state)
    assert state == {}


def test_apply_events2_same_shape_as_status():
    events = apply_events2(parse_events2(fixture("9/events2_change.txt")))["some-resource"]
    text = parse_drbdadm_status(fixture("8.4/drbdadm_status.txt"))["home"]
    assert set(text) <= set(events)
    assert set(text["volumes"][0]) <= set(events["volumes"][0])
    assert set(text["connections"]["peer"]) <= set(events["connections"]["some-peer"])
    assert set(text["connections"]["peer"]["volumes"][0]) <= set(
        events["connections"]["some-peer"]["volumes"][0])


MALFORMED_EVENTS2 = [
    ("status text", "home role:Secondary\n"),
    ("unknown event", "modify resource name:r0\n"),
    ("unknown object", "change volume name:r0\n"),
    ("token without colon", "change resource name:r0 Primary\n"),
    ("object missing", "exists\n"),
]


@pytest.mark.parametrize("text", [case[1] for case in MALFORMED_EVENTS2],
                         ids=[case[0] for case in MALFORMED_EVENTS2])
def test_parse_events2_rejects(text):
    with pytest.raises(DrbdParseError):
        parse_events2(text)


@pytest.mark.parametrize("line", [
    "change resource role:Primary",                                      # no name
    "change device name:r0 disk:UpToDate",                               # no volume
    "change connection name:r0 connection:Connected",                    # no conn-name
    "change peer-device name:r0 conn-name:b volume:one replication:Off",  # bad volume
])
def test_apply_events2_rejects(line):
    with pytest.raises(DrbdParseError):
        apply_events2(parse_events2(line))
