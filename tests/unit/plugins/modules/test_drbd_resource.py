# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.hacluster.drbd.plugins.module_utils import blockdev
from ansible_collections.hacluster.drbd.plugins.module_utils import drbd_config as cfg
from ansible_collections.hacluster.drbd.plugins.modules import drbd_resource as mod

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
CAPTURED = os.path.join(FIXTURES, "drbd", "9.22.0")

SECRET = "capture-secret"
# The resource the captures in fixtures/drbd/9.22.0/resource_*.json were
# taken with: this host is "vm", its backing device /dev/loop0.
HOSTS = [
    {"name": "vm", "address": "127.0.0.1", "port": 7788, "disk": "/dev/loop0", "device": "/dev/drbd0"},
    {"name": "peer", "address": "127.0.0.2", "port": 7788, "disk": "/dev/vdb", "device": "/dev/drbd0"},
]
RESOURCE = {"name": "r0", "hosts": HOSTS, "net": {"cram-hmac-alg": "sha1"}}

NO_MODULE = {"kernel": None, "api": None, "proto": None, "utils": "9.22.0", "dialect": "9",
             "compatible": True, "problem": None}
KERNEL_84 = {"kernel": "8.4.11", "api": 1, "proto": (86, 101), "utils": "9.22.0", "dialect": "8.4",
             "compatible": True, "problem": None}
KERNEL_9 = {"kernel": "9.2.12", "api": 2, "proto": (86, 122), "utils": "9.22.0", "dialect": "9",
            "compatible": True, "problem": None}
# What Debian 12's drbd-utils 9.22.0 installs (checked on the capture host).
LEGACY_TOOLS = {"/usr/lib/drbd/drbdadm-83", "/usr/lib/drbd/drbdadm-84", "/usr/lib/drbd/drbdsetup-84"}
A84 = "/usr/lib/drbd/drbdadm-84"


def fixture_text(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding="utf-8", newline="") as handle:
        return handle.read()


def cap(name):
    """(rc, stdout, stderr) of a real run recorded on the capture host."""
    with open(os.path.join(CAPTURED, "resource_" + name + ".json"), encoding="utf-8") as handle:
        run = json.load(handle)
    return run["rc"], run["stdout"], run["stderr"]


# Results not captured, because they need a loaded DRBD module (the capture
# host has none): drbdadm up/adjust/down succeed silently, and `drbdadm -d
# adjust` prints nothing when the kernel matches the configuration.
QUIET_SUCCESS = (0, "", "")


class Done(Exception):
    pass


class Failed(Exception):
    pass


class Rule(object):
    def __init__(self, tokens, result):
        self.tokens = tokens
        self.result = result


def matches(tokens, argv):
    if os.path.basename(argv[0]) != tokens[0]:
        return False
    rest = iter(argv[1:])
    return all(any(token == arg for arg in rest) for token in tokens[1:])


def is_write(argv):
    name = os.path.basename(argv[0])
    if name == "modprobe":
        return True
    if name == "wipefs":
        return "--all" in argv
    if name.startswith("drbdadm") or name.startswith("drbdsetup"):
        return "-d" not in argv and any(cmd in argv for cmd in ("create-md", "up", "down", "adjust"))
    return False


class Host(object):
    """The target as the module sees it: commands, versions, /proc/drbd."""

    def __init__(self, rules, versions=(NO_MODULE,), proc=None, sizes=None, node="vm"):
        self.rules = [Rule(tokens, result) for tokens, result in rules]
        self.versions = list(versions)
        self.proc = proc
        self.sizes = sizes if sizes is not None else {"/dev/loop0": 314572800}
        self.node = node
        self.calls = []
        self.warnings = []

    def run_command(self, module, args, **kwargs):
        assert isinstance(args, list), "argv lists only, never a shell string"
        assert kwargs.get("environ_update", {}).get("LC_ALL") == "C"
        self.calls.append({"argv": list(args), "data": kwargs.get("data")})
        for rule in self.rules:
            if matches(rule.tokens, args):
                return rule.result
        raise AssertionError("unexpected command: %s" % " ".join(args))

    def detect_versions(self, module):
        return self.versions.pop(0) if len(self.versions) > 1 else self.versions[0]

    def device_size(self, path):
        if path not in self.sizes:
            raise OSError(2, "No such file or directory", path)
        return self.sizes[path]

    @property
    def writes(self):
        return [call["argv"] for call in self.calls if is_write(call["argv"])]

    def argvs(self, name):
        return [call["argv"] for call in self.calls if os.path.basename(call["argv"][0]) == name]


CURRENT = {}


@pytest.fixture
def target(monkeypatch, tmp_path):
    def setup(host):
        CURRENT["host"] = host

        def run_command(module, args, **kwargs):
            return host.run_command(module, args, **kwargs)

        def exit_json(module, **result):
            raise Done(result)

        def fail_json(module, **result):
            raise Failed(result)

        monkeypatch.setattr(basic.AnsibleModule, "warn", lambda module, warning, **kw: host.warnings.append(warning))
        monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
        monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                            lambda module, name, required=False, opt_dirs=None: "/usr/sbin/" + name)
        monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
        monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
        monkeypatch.setattr(mod, "detect_versions", host.detect_versions)
        monkeypatch.setattr(mod, "device_size", host.device_size)
        monkeypatch.setattr(mod, "read_proc_drbd", lambda: host.proc)
        monkeypatch.setattr(mod, "tool_exists", LEGACY_TOOLS.__contains__)
        # The real type: os is global, and ctypes (loaded on first use, by other code) reads uname().machine.
        monkeypatch.setattr(mod.os, "uname", lambda: os.uname_result(("Linux", host.node, "6.1.0", "#1", "x86_64")))
        return host
    return setup


@pytest.fixture
def etc(tmp_path):
    path = tmp_path / "etc"
    path.mkdir()
    return path


def run(tmp_path, etc, check=False, diff=True, **params):
    args = {"name": "r0", "hosts": HOSTS, "net": {"cram-hmac-alg": "sha1"}, "shared_secret": SECRET,
            "dialect": "8.4", "config_dir": str(etc), "_ansible_check_mode": check, "_ansible_diff": diff}
    tmpdir = tmp_path / "ansible-tmp"
    tmpdir.mkdir(exist_ok=True)
    args["_ansible_tmpdir"] = str(tmpdir)
    args.update(params)
    args = dict((k, v) for k, v in args.items() if v is not None)
    with patch_module_args(args):
        with pytest.raises((Done, Failed)) as outcome:
            mod.main()
    result = outcome.value.args[0]
    result["warnings"] = list(CURRENT["host"].warnings)
    # The secret never leaves the module: not in diffs, messages or commands.
    assert SECRET not in json.dumps(result, default=str)
    result["failed"] = isinstance(outcome.value, Failed)
    return result


def res_text(dialect="8.4", secret=SECRET, **changes):
    resource = dict(RESOURCE)
    resource.update(changes)
    return cfg.render_resource(resource, dialect, secret)


def listing(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def seed_config(etc, text=None):
    (etc / "drbd.d").mkdir()
    (etc / "drbd.conf").write_text(cfg.STOCK_DRBD_CONF)
    (etc / "drbd.d" / "global_common.conf").write_text(cfg.render_global_common("8.4"))
    res = etc / "drbd.d" / "r0.res"
    res.write_text(text if text is not None else res_text())
    os.chmod(res, 0o600)
    return res


DUMP_OK = (("drbdadm-84", "dump", "r0"), cap("dump_r0_84"))
BLANK_PROBES = [
    (("drbdmeta", "v08", "dump-md"), cap("drbdmeta_v08_dump_md_blank")),
    (("drbdmeta", "v09", "dump-md"), cap("drbdmeta_v09_dump_md_blank")),
    (("blkid",), cap("blkid_blank")),
    (("wipefs", "--no-act"), cap("wipefs_blank")),
]


# ---------------------------------------------------------------------------
# state=present
# ---------------------------------------------------------------------------

def test_present_creates_the_split_layout_after_drbdadm_checked_it(target, tmp_path, etc):
    host = target(Host([DUMP_OK]))
    result = run(tmp_path, etc)
    assert result["failed"] is False
    assert result["changed"] is True
    assert result["dialect"] == "8.4"
    assert result["commands"] == []
    assert result["config_files"] == [str(etc / "drbd.conf"), str(etc / "drbd.d/global_common.conf"),
                                      str(etc / "drbd.d/r0.res")]
    assert (etc / "drbd.conf").read_text() == cfg.STOCK_DRBD_CONF
    assert (etc / "drbd.d/global_common.conf").read_text() == cfg.render_global_common("8.4")
    assert (etc / "drbd.d/r0.res").read_text() == res_text()
    assert stat.S_IMODE(os.stat(etc / "drbd.d/r0.res").st_mode) == 0o600
    # The versioned drbdadm checked a scratch tree next to the live files,
    # which is gone afterwards.
    [dump] = host.argvs("drbdadm-84")
    assert dump[0] == A84 and dump[1] == "-c" and dump[3:] == ["dump", "r0"]
    assert os.path.dirname(os.path.dirname(dump[2])) == str(etc)
    assert listing(etc) == ["drbd.conf", "drbd.d", "drbd.d/global_common.conf", "drbd.d/r0.res"]
    assert result["status"]["exists"] is False


def test_present_is_idempotent_and_runs_nothing_the_second_time(target, tmp_path, etc):
    target(Host([DUMP_OK]))
    run(tmp_path, etc)
    host = target(Host([]))
    result = run(tmp_path, etc)
    assert result["changed"] is False
    assert host.calls == []
    assert result["diff"] == []


def test_present_check_mode_writes_nothing_and_shows_a_masked_diff(target, tmp_path, etc):
    host = target(Host([DUMP_OK]))
    result = run(tmp_path, etc, check=True)
    assert result["changed"] is True
    assert listing(etc) == []
    [dump] = host.argvs("drbdadm-84")
    # Scratch files of check mode live in Ansible's temporary directory.
    assert dump[2].startswith(str(tmp_path / "ansible-tmp"))
    assert host.writes == []
    res_diff = result["diff"][2]
    assert res_diff["before_header"] == str(etc / "drbd.d/r0.res")
    assert res_diff["before"] == ""
    assert res_diff["after"] == cfg.mask_secrets(res_text())
    assert 'shared-secret "********";' in res_diff["after"]


def test_changed_option_diff_masks_the_secret_on_both_sides(target, tmp_path, etc):
    seed_config(etc)
    target(Host([DUMP_OK]))
    result = run(tmp_path, etc, syncer={"rate": "40M"})
    assert result["changed"] is True
    [diff] = result["diff"]
    assert 'shared-secret "********";' in diff["before"]
    assert 'shared-secret "********";' in diff["after"]
    assert "resync-rate 40M;" in diff["after"] and "resync-rate" not in diff["before"]
    assert (etc / "drbd.d/r0.res").read_text() == res_text(syncer={"rate": "40M"})


def test_drbdadm_rejection_leaves_the_live_file_untouched(target, tmp_path, etc):
    live = seed_config(etc)
    before = live.read_bytes()
    target(Host([(("drbdadm-84", "dump", "r0"), cap("dump_r0_84_parse_error"))]))
    result = run(tmp_path, etc, disk={"bogus-option": 1})
    assert result["failed"] is True
    assert result["rc"] == 10
    assert result["msg"] == (
        "drbdadm rejected the configuration of resource r0 (rc=10): %s line 8: Parse error: 'an option keyword' "
        "expected, but got 'bogus-option' (rendered line: 'bogus-option 1;'). The live configuration was left "
        "untouched" % (etc / "drbd.d/r0.res"))
    assert live.read_bytes() == before
    assert stat.S_IMODE(os.stat(live).st_mode) == 0o600
    assert listing(etc) == ["drbd.conf", "drbd.d", "drbd.d/global_common.conf", "drbd.d/r0.res"]


def test_drbdadm_says_the_resource_is_not_for_this_host(target, tmp_path, etc):
    target(Host([(("drbdadm-84", "dump", "r0"), cap("dump_r0_84_not_this_host"))], node="alpha"))
    result = run(tmp_path, etc)
    assert result["failed"] is True
    assert "'r0' not defined in your config (for this host)." in result["msg"]
    assert "uname -n, which is 'alpha' here; hosts are peer, vm" in result["msg"]
    assert listing(etc) == []


def test_a_file_without_includes_keeps_everything_and_gets_our_block(target, tmp_path, etc):
    hand = ("global { usage-count no; }\n"
            "resource other {\n  on vm { device /dev/drbd5; disk /dev/x; address 127.0.0.1:7790; "
            "meta-disk internal; }\n  on peer { device /dev/drbd5; disk /dev/x; address 127.0.0.2:7790; "
            "meta-disk internal; }\n}\n")
    (etc / "drbd.conf").write_text(hand)
    host = target(Host([DUMP_OK]))
    result = run(tmp_path, etc)
    assert result["config_files"] == [str(etc / "drbd.conf")]
    assert (etc / "drbd.conf").read_text() == hand + "\n" + res_text()
    assert result["warnings"] == ["%s holds the whole configuration (no include statements), so resource r0 is "
                                  "kept in it rather than in %s" % (etc / "drbd.conf", etc / "drbd.d/r0.res")]
    [dump] = host.argvs("drbdadm-84")
    assert os.path.basename(dump[2]).startswith(".drbd.conf-")
    assert not (etc / "drbd.d").exists()


def test_a_stray_versioned_config_file_is_reported(target, tmp_path, etc):
    seed_config(etc)
    (etc / "drbd-84.conf").write_text("# left over\n")
    target(Host([]))
    result = run(tmp_path, etc)
    assert result["changed"] is False
    assert result["warnings"] == ["%s exists; drbdadm without -c reads it instead of %s"
                                  % (etc / "drbd-84.conf", etc / "drbd.conf")]


def test_auto_dialect_without_a_loaded_module_is_refused(target, tmp_path, etc):
    target(Host([]))
    result = run(tmp_path, etc, dialect="auto")
    assert result["failed"] is True
    assert result["msg"].startswith("dialect=auto needs a loaded DRBD kernel module")
    assert listing(etc) == []


def test_invalid_options_fail_before_anything_runs(target, tmp_path, etc):
    host = target(Host([]))
    result = run(tmp_path, etc, net={"cram-hmac-alg": "sha1", "on-disconnect": "reconnect"})
    assert result["failed"] is True
    assert result["msg"] == ("invalid DRBD 8.4 configuration for resource r0: net.on-disconnect cannot be used "
                             "with DRBD 8.4: on-disconnect was removed in DRBD 8.0; use disk.fencing")
    assert host.calls == []


@pytest.mark.parametrize("change,msg", [
    ({"disk": "/dev/loop0\n"}, "hosts[vm].disk: contains a control character"),
    ({"disk": "loop0"}, "hosts[vm].disk: \"loop0\" is a relative path"),
    ({"address": "0.0.0.0"}, "hosts[vm].address: 0.0.0.0 is the unspecified address"),
    ({"address": "127.0.0.1\n"}, "hosts[vm].address: contains a control character"),
    ({"port": 0}, "hosts[vm].port: must be between 1 and 65535"),
    ({"minor": 1 << 20, "device": None}, "hosts[vm].minor: must be between 0 and 1048575"),
    ({"name": "vm\n"}, "hosts[vm\n].name: contains a control character"),
], ids=["disk newline", "disk relative", "address 0.0.0.0", "address newline", "port 0", "minor", "host name"])
def test_the_models_checks_refuse_arguments_before_anything_runs(target, tmp_path, etc, change, msg):
    host = target(Host([]))
    hosts = [dict(HOSTS[0], **change), HOSTS[1]]
    result = run(tmp_path, etc, hosts=[{k: v for k, v in h.items() if v is not None} for h in hosts])
    assert result["failed"] is True
    assert result["msg"].startswith(msg), result["msg"]
    assert result["msg"].endswith("nothing was changed")
    assert host.calls == []
    assert listing(etc) == []


def test_a_secret_with_a_line_break_is_refused_without_showing_it(target, tmp_path, etc):
    host = target(Host([]))
    result = run(tmp_path, etc, shared_secret="abc\ndef-" + SECRET)
    assert result["failed"] is True
    assert result["msg"].startswith("shared_secret: contains a control character")
    assert SECRET not in result["msg"]
    assert host.calls == []


# ---------------------------------------------------------------------------
# Dialect-specific placement through the module
# ---------------------------------------------------------------------------

def test_dialect_9_moves_fencing_to_net_and_uses_plain_drbdadm(target, tmp_path, etc):
    host = target(Host([(("drbdadm", "dump", "r0"), cap("dump_r0_9"))]))
    result = run(tmp_path, etc, dialect="9", disk={"fencing": "resource-only"}, syncer={"rate": "10M"})
    assert result["changed"] is True
    text = (etc / "drbd.d/r0.res").read_text()
    assert "    net {\n        cram-hmac-alg sha1;\n        fencing resource-only;\n" in text
    assert "    disk {\n        resync-rate 10M;\n    }\n" in text
    assert host.argvs("drbdadm")[0][0] == "/usr/sbin/drbdadm"


def test_dialect_83_uses_drbdadm_83_and_resource_level_protocol(target, tmp_path, etc):
    host = target(Host([(("drbdadm-83", "dump", "r0"), QUIET_SUCCESS)]))
    result = run(tmp_path, etc, dialect="8.3", protocol="C", syncer={"rate": "10M"},
                 net={"cram-hmac-alg": "sha1", "allow-two-primaries": True})
    assert result["failed"] is False
    text = (etc / "drbd.d/r0.res").read_text()
    assert text.startswith(cfg.MANAGED_MARKER + "\nresource r0 {\n    protocol C;\n")
    assert "        allow-two-primaries;\n" in text
    assert "    syncer {\n        rate 10M;\n    }\n" in text
    assert host.argvs("drbdadm-83")[0][0] == "/usr/lib/drbd/drbdadm-83"


def test_dialect_07_keeps_one_drbd_conf(target, tmp_path, etc):
    versions = dict(NO_MODULE, utils="0.7.25", dialect="0.7")
    host = target(Host([(("drbdadm", "dump", "r0"), QUIET_SUCCESS)], versions=[versions]))
    hosts = [dict(h, address=a) for h, a in zip(HOSTS, ("10.0.0.1", "10.0.0.2"))]
    result = run(tmp_path, etc, dialect="0.7", shared_secret=None, net=None, hosts=hosts, protocol="C",
                 syncer={"rate": "10M", "group": 1}, handlers={"pri-on-incon-degr": "halt -f"})
    assert result["failed"] is False
    expected = cfg.render_resource({"name": "r0", "hosts": hosts, "protocol": "C",
                                    "syncer": {"rate": "10M", "group": 1},
                                    "handlers": {"pri-on-incon-degr": "halt -f"}}, "0.7")
    assert (etc / "drbd.conf").read_text() == expected
    assert listing(etc) == ["drbd.conf"]
    [dump] = host.calls
    assert dump["argv"][0] == "/usr/sbin/drbdadm" and dump["argv"][3:] == ["dump", "r0"]


# ---------------------------------------------------------------------------
# state=up
# ---------------------------------------------------------------------------

UP_RULES = [
    (("modprobe", "drbd"), QUIET_SUCCESS),
    (("drbdadm-84", "create-md", "r0"), cap("create_md_84_blank")),
    (("drbdadm-84", "up", "r0"), QUIET_SUCCESS),
]


def test_up_on_a_blank_disk_creates_meta_data_and_brings_it_up(target, tmp_path, etc):
    seed_config(etc)
    proc = fixture_text("drbd", "8.4.2", "proc_drbd.txt")
    host = target(Host(BLANK_PROBES + UP_RULES, versions=[NO_MODULE, KERNEL_84], proc=proc))
    result = run(tmp_path, etc, state="up")
    assert result["failed"] is False
    assert result["changed"] is True
    conf = str(etc / "drbd.conf")
    assert result["commands"] == [
        "/usr/sbin/modprobe drbd",
        "%s -c %s create-md r0" % (A84, conf),
        "%s -c %s up r0" % (A84, conf),
    ]
    # drbdmeta's own data check gets a say: create-md runs without --force
    # and is answered "no" should it ask anything.
    [create] = [c for c in host.calls if "create-md" in c["argv"]]
    assert create["data"] == "no"
    assert host.argvs("drbdmeta") == [
        ["/usr/sbin/drbdmeta", "--force", "0", "v08", "/dev/loop0", "internal", "dump-md"],
        ["/usr/sbin/drbdmeta", "--force", "0", "v09", "/dev/loop0", "internal", "dump-md"],
    ]
    assert "destroyed" not in result
    # The state after comes from /proc/drbd (ganeti's 8.4.2 capture, minor 0).
    assert result["status"]["exists"] is True
    assert result["status"]["role"] == "Primary"
    assert result["status"]["cstate"] == "Connected"
    assert result["status"]["disk"] == "UpToDate"


def test_up_check_mode_predicts_and_runs_only_probes(target, tmp_path, etc):
    host = target(Host([DUMP_OK] + BLANK_PROBES))
    result = run(tmp_path, etc, state="up", check=True)
    assert result["changed"] is True
    conf = str(etc / "drbd.conf")
    assert result["commands"] == ["/usr/sbin/modprobe drbd", "%s -c %s create-md r0" % (A84, conf),
                                  "%s -c %s up r0" % (A84, conf)]
    assert host.writes == []
    assert listing(etc) == []


def test_up_keeps_existing_meta_data(target, tmp_path, etc):
    seed_config(etc)
    rules = [(("drbdmeta", "v08", "dump-md"), cap("drbdmeta_v08_dump_md_after_create_md")),
             (("drbdmeta", "v09", "dump-md"), cap("drbdmeta_v09_dump_md_on_v08"))] + UP_RULES
    host = target(Host(rules, versions=[NO_MODULE, KERNEL_84], proc=fixture_text("drbd", "8.4.2", "proc_drbd.txt")))
    result = run(tmp_path, etc, state="up")
    conf = str(etc / "drbd.conf")
    assert result["commands"] == ["/usr/sbin/modprobe drbd", "%s -c %s up r0" % (A84, conf)]
    assert host.argvs("blkid") == [] and host.argvs("wipefs") == []


DISCARD_RULES = [(("drbdmeta", "v08"), cap("drbdmeta_v08_dump_md_ext4")), (("drbdmeta", "v09"), cap("drbdmeta_v09_dump_md_ext4")),
                 (("blkid",), cap("blkid_ext4")), (("wipefs", "--no-act"), cap("wipefs_ext4")),
                 (("wipefs", "--all"), cap("wipefs_all_ext4")), (("modprobe",), QUIET_SUCCESS),
                 (("drbdadm-84", "create-md", "--force", "r0"), cap("create_md_84_force_after_wipefs")),
                 (("drbdadm-84", "up", "r0"), QUIET_SUCCESS)]


@pytest.mark.parametrize("rules,params", [(BLANK_PROBES + UP_RULES, {}),
                                          (DISCARD_RULES, {"discard_existing_data": True})],
                         ids=["blank disk", "discard existing data"])
def test_check_mode_reports_exactly_the_commands_apply_runs(target, tmp_path, etc, rules, params):
    seed_config(etc)
    proc = fixture_text("drbd", "8.4.2", "proc_drbd.txt")
    checked = target(Host(rules, versions=[NO_MODULE], proc=proc))
    predicted = run(tmp_path, etc, check=True, state="up", **params)
    assert checked.writes == []
    target(Host(rules, versions=[NO_MODULE, KERNEL_84], proc=proc))
    applied = run(tmp_path, etc, state="up", **params)
    assert predicted["failed"] is False and applied["failed"] is False
    assert predicted["commands"] == applied["commands"]
    assert predicted.get("destroyed") == applied.get("destroyed")
    assert [c.split()[0] for c in applied["commands"]][-1].endswith("drbdadm-84")


def test_up_is_a_no_op_when_the_kernel_matches_the_configuration(target, tmp_path, etc):
    seed_config(etc)
    host = target(Host([(("drbdadm-84", "-d", "adjust", "r0"), QUIET_SUCCESS)], versions=[KERNEL_84],
                       proc=fixture_text("drbd", "8.4.2", "proc_drbd.txt")))
    result = run(tmp_path, etc, state="up")
    assert result["changed"] is False
    assert result["commands"] == []
    assert result["adjust_plan"] == []
    assert host.writes == []
    assert host.argvs("drbdmeta") == []


def test_up_adjusts_when_drbdadm_plans_changes(target, tmp_path, etc):
    seed_config(etc)
    plan = cap("dry_run_adjust_r0_84_not_up")
    host = target(Host([(("drbdadm-84", "-d", "adjust", "r0"), plan), (("drbdadm-84", "adjust", "r0"), QUIET_SUCCESS)],
                       versions=[KERNEL_84], proc=fixture_text("drbd", "8.4.2", "proc_drbd.txt")))
    result = run(tmp_path, etc, state="up")
    assert result["changed"] is True
    # drbdadm -d prints the drbdsetup command lines, shared secret included.
    assert "--shared-secret=%s" % SECRET in plan[1]
    assert result["adjust_plan"] == [line.replace(SECRET, "********") for line in plan[1].splitlines() if line]
    assert "/usr/lib/drbd/drbdsetup-84 net-options" not in result["adjust_plan"][0]
    assert result["commands"] == ["%s -c %s adjust r0" % (A84, etc / "drbd.conf")]
    assert host.writes == [[A84, "-c", str(etc / "drbd.conf"), "adjust", "r0"]]


def test_up_check_mode_asks_adjust_about_the_new_configuration(target, tmp_path, etc):
    seed_config(etc)
    plan = cap("dry_run_adjust_r0_84_not_up")
    host = target(Host([DUMP_OK, (("drbdadm-84", "-d", "adjust", "r0"), plan)], versions=[KERNEL_84],
                       proc=fixture_text("drbd", "8.4.2", "proc_drbd.txt")))
    result = run(tmp_path, etc, state="up", check=True, syncer={"rate": "40M"})
    assert result["changed"] is True
    [dry] = [a for a in host.argvs("drbdadm-84") if "-d" in a]
    [dump] = [a for a in host.argvs("drbdadm-84") if "dump" in a]
    assert dry[2] == dump[2] and dry[2].startswith(str(tmp_path / "ansible-tmp"))
    assert result["commands"] == ["%s -c %s adjust r0" % (A84, etc / "drbd.conf")]
    assert host.writes == []
    assert (etc / "drbd.d/r0.res").read_text() == res_text()


# -- refusals ---------------------------------------------------------------

SIGNATURES = [
    ("ext4", "drbdmeta_v08_dump_md_ext4", "drbdmeta_v09_dump_md_ext4",
     "ext4 at 0x438 (UUID %s)"),
    ("lvm", "drbdmeta_v08_dump_md_blank", "drbdmeta_v09_dump_md_blank",
     "LVM2_member at 0x218 (UUID %s)"),
    ("dos", "drbdmeta_v08_dump_md_blank", "drbdmeta_v09_dump_md_blank", "dos at 0x1fe"),
]


def uuid_of(name):
    line = [line for line in cap(name)[1].splitlines() if line.startswith("UUID=")]
    return line[0].split("=", 1)[1] if line else None


@pytest.mark.parametrize("kind, v08, v09, found", SIGNATURES, ids=[s[0] for s in SIGNATURES])
def test_up_refuses_a_disk_with_a_signature(target, tmp_path, etc, kind, v08, v09, found):
    seed_config(etc)
    if "%s" in found:
        found = found % uuid_of("blkid_" + kind)
    host = target(Host([(("drbdmeta", "v08"), cap(v08)), (("drbdmeta", "v09"), cap(v09)),
                        (("blkid",), cap("blkid_" + kind)), (("wipefs", "--no-act"), cap("wipefs_" + kind))]))
    result = run(tmp_path, etc, state="up")
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == ("refusing to create DRBD meta data on /dev/loop0: it holds %s. Set "
                             "discard_existing_data: true to destroy it; nothing was changed" % found)
    assert host.writes == []


EXTERNAL = [dict(HOSTS[0], meta_disk="/dev/loop1"), dict(HOSTS[1], meta_disk="/dev/vdc")]
SIZES = {"/dev/loop0": 314572800, "/dev/loop1": 314572800}


def test_up_with_external_meta_data_refuses_a_data_disk_that_holds_a_file_system(target, tmp_path, etc):
    # The meta data device is blank, the data disk holds ext4: create-md would succeed, and the initial
    # sync would overwrite the file system on the node that is not its source.
    seed_config(etc)
    host = target(Host([(("drbdadm-84", "dump", "r0"), cap("dump_r0_84")),
                        (("drbdmeta", "v08"), cap("drbdmeta_v08_dump_md_blank")),
                        (("drbdmeta", "v09"), cap("drbdmeta_v09_dump_md_blank")),
                        (("blkid", "/dev/loop1"), cap("blkid_blank")), (("wipefs", "/dev/loop1"), cap("wipefs_blank")),
                        (("blkid", "/dev/loop0"), cap("blkid_ext4")), (("wipefs", "/dev/loop0"), cap("wipefs_ext4"))],
                       sizes=SIZES))
    result = run(tmp_path, etc, state="up", hosts=EXTERNAL)
    assert result["failed"] is True
    assert result["msg"].startswith("refusing to create DRBD meta data for r0: its data disk /dev/loop0 holds ext4")
    assert result["msg"].endswith("nothing was changed")
    assert host.writes == []
    assert [c[-1] for c in host.argvs("blkid")] == ["/dev/loop1", "/dev/loop0"]


def test_up_with_external_meta_data_probes_the_data_disk_and_creates_on_blank_disks(target, tmp_path, etc):
    seed_config(etc)
    host = target(Host([(("drbdadm-84", "dump", "r0"), cap("dump_r0_84")),
                        (("drbdmeta", "v08"), cap("drbdmeta_v08_dump_md_blank")),
                        (("drbdmeta", "v09"), cap("drbdmeta_v09_dump_md_blank")),
                        (("blkid",), cap("blkid_blank")), (("wipefs", "--no-act"), cap("wipefs_blank"))] + UP_RULES,
                       versions=[NO_MODULE, KERNEL_84], sizes=SIZES))
    result = run(tmp_path, etc, state="up", hosts=EXTERNAL)
    assert result["failed"] is False, result["msg"]
    assert sorted(c[-1] for c in host.argvs("blkid")) == ["/dev/loop0", "/dev/loop1"]
    assert any("create-md" in c for c in result["commands"])


def test_up_refuses_when_drbdmeta_cannot_tell(target, tmp_path, etc):
    seed_config(etc)
    hosts = [dict(HOSTS[0], disk="/dev/loop7"), HOSTS[1]]
    host = target(Host([DUMP_OK, (("drbdmeta", "v08"), cap("drbdmeta_v08_dump_md_unattached_loop"))]))
    result = run(tmp_path, etc, state="up", hosts=hosts, check=True)
    assert result["failed"] is True
    assert result["msg"] == ("could not tell whether /dev/loop7 holds DRBD meta data: /usr/sbin/drbdmeta --force 0 "
                             "v08 /dev/loop7 internal dump-md exited 10 (/dev/loop7 is only 0 bytes. That's not "
                             "enough.); nothing was changed")
    assert host.writes == []


def test_up_refuses_a_device_blkid_and_wipefs_would_call_empty(target, tmp_path, etc):
    # An unattached loop device: blkid exits 2 and wipefs prints nothing, as
    # for a blank disk (both captured). Only reading the device tells.
    seed_config(etc)
    hosts = [dict(HOSTS[0], disk="/dev/loop7"), HOSTS[1]]
    probes = [(("blkid",), cap("blkid_unattached_loop")), (("wipefs",), cap("wipefs_unattached_loop"))]
    host = target(Host([DUMP_OK] + BLANK_PROBES + probes))
    result = run(tmp_path, etc, state="up", hosts=hosts)
    assert result["failed"] is True
    assert result["msg"] == ("cannot read /dev/loop7 (No such file or directory), so it cannot be shown to be "
                             "empty; nothing was changed")
    assert host.writes == []


def test_no_valid_meta_data_with_the_wrong_exit_code_is_not_taken_for_empty(target, tmp_path, etc):
    # drbd-utils 9.22 exits 1 for "No valid meta data found"; 255 with the
    # same text would be another release's answer, so the probe stops.
    seed_config(etc)
    rc, out, err = cap("drbdmeta_v08_dump_md_blank")
    host = target(Host([(("drbdmeta", "v08"), (255, out, err))]))
    result = run(tmp_path, etc, state="up")
    assert result["failed"] is True
    assert "exited 255 (No valid meta data found)" in result["msg"]
    assert host.writes == []


def test_up_refuses_meta_data_of_the_other_format(target, tmp_path, etc):
    seed_config(etc)
    host = target(Host([(("drbdmeta", "v08"), cap("drbdmeta_v08_dump_md_on_v09")),
                        (("drbdmeta", "v09"), cap("drbdmeta_v09_dump_md_after_create_md")),
                        (("blkid",), cap("blkid_drbd_v09")), (("wipefs",), (0, "0x12bff03c,e53fc7382e8a6316,,drbd\n", ""))]))
    result = run(tmp_path, etc, state="up")
    assert result["failed"] is True
    assert result["msg"].startswith("refusing to create DRBD meta data on /dev/loop0: it holds drbd v09 meta data; "
                                    "drbd at 0x12bff03c (UUID e53fc7382e8a6316).")
    assert "DRBD 8.4 needs v08 meta data; converting existing meta data is an upgrade step" in result["msg"]
    assert host.writes == []


def test_up_refuses_data_that_only_drbdmeta_notices(target, tmp_path, etc):
    seed_config(etc)
    host = target(Host([(("drbdmeta", "v08"), cap("drbdmeta_v08_dump_md_blank")),
                        (("drbdmeta", "v09"), cap("drbdmeta_v09_dump_md_blank")),
                        (("blkid",), cap("blkid_random")), (("wipefs",), cap("wipefs_random")),
                        (("modprobe",), QUIET_SUCCESS),
                        (("drbdadm-84", "create-md", "r0"), cap("create_md_84_random"))],
                       versions=[NO_MODULE, KERNEL_84]))
    result = run(tmp_path, etc, state="up")
    assert result["failed"] is True
    assert result["rc"] == 1
    assert "drbdmeta refused to create meta data on /dev/loop0 without confirmation (rc=1)" in result["msg"]
    assert "Found some data / ==> This might destroy existing data! <==" in result["msg"]
    assert [a for a in host.writes if "create-md" in a] == [[A84, "-c", str(etc / "drbd.conf"), "create-md", "r0"]]
    assert "--force" not in str(host.writes)


def test_drbdmeta_refusing_to_truncate_a_file_system_stops_the_module(target, tmp_path, etc):
    # Should blkid and wipefs ever miss a file system, drbdmeta's own check
    # (exit 40, captured on an ext4 device) still stops everything.
    seed_config(etc)
    host = target(Host(BLANK_PROBES + [(("modprobe",), QUIET_SUCCESS),
                                       (("drbdadm-84", "create-md", "r0"), cap("create_md_84_ext4"))],
                       versions=[NO_MODULE, KERNEL_84]))
    result = run(tmp_path, etc, state="up")
    assert result["failed"] is True
    assert result["rc"] == 40
    assert "Found ext3 filesystem" in result["msg"]
    assert "Operation refused." in result["msg"]
    assert [a for a in host.writes if "create-md" in a] == [[A84, "-c", str(etc / "drbd.conf"), "create-md", "r0"]]
    assert host.argvs("drbdadm-84") == [[A84, "-c", str(etc / "drbd.conf"), "create-md", "r0"]]


# -- discard_existing_data ----------------------------------------------------

def test_discard_existing_data_wipes_forces_and_reports(target, tmp_path, etc):
    seed_config(etc)
    rules = [(("drbdmeta", "v08"), cap("drbdmeta_v08_dump_md_ext4")), (("drbdmeta", "v09"), cap("drbdmeta_v09_dump_md_ext4")),
             (("blkid",), cap("blkid_ext4")), (("wipefs", "--no-act"), cap("wipefs_ext4")),
             (("wipefs", "--all"), cap("wipefs_all_ext4")), (("modprobe",), QUIET_SUCCESS),
             (("drbdadm-84", "create-md", "--force", "r0"), cap("create_md_84_force_after_wipefs")),
             (("drbdadm-84", "up", "r0"), QUIET_SUCCESS)]
    host = target(Host(rules, versions=[NO_MODULE, KERNEL_84], proc=fixture_text("drbd", "8.4.2", "proc_drbd.txt")))
    result = run(tmp_path, etc, state="up", discard_existing_data=True)
    assert result["failed"] is False
    conf = str(etc / "drbd.conf")
    assert result["commands"] == ["/usr/sbin/modprobe drbd", "/usr/sbin/wipefs --all /dev/loop0",
                                  "%s -c %s create-md --force r0" % (A84, conf), "%s -c %s up r0" % (A84, conf)]
    assert result["destroyed"] == [{"device": "/dev/loop0",
                                    "signatures": ["ext4 at 0x438 (UUID %s)" % uuid_of("blkid_ext4")]}]


def test_discard_existing_data_in_check_mode_reports_what_would_go(target, tmp_path, etc):
    seed_config(etc)
    rules = [(("drbdmeta", "v08"), cap("drbdmeta_v08_dump_md_blank")), (("drbdmeta", "v09"), cap("drbdmeta_v09_dump_md_blank")),
             (("blkid",), cap("blkid_lvm")), (("wipefs", "--no-act"), cap("wipefs_lvm"))]
    host = target(Host(rules))
    result = run(tmp_path, etc, state="up", discard_existing_data=True, check=True)
    assert result["changed"] is True
    assert result["destroyed"] == [{"device": "/dev/loop0",
                                    "signatures": ["LVM2_member at 0x218 (UUID %s)" % uuid_of("blkid_lvm")]}]
    assert "/usr/sbin/wipefs --all /dev/loop0" in result["commands"]
    assert host.writes == []


def test_discard_existing_data_overrides_drbdmeta_finding_data(target, tmp_path, etc):
    seed_config(etc)
    rules = BLANK_PROBES[:2] + [(("blkid",), cap("blkid_random")), (("wipefs", "--no-act"), cap("wipefs_random")),
                                (("modprobe",), QUIET_SUCCESS),
                                (("drbdadm-84", "create-md", "--force", "r0"), cap("create_md_84_force_after_wipefs")),
                                (("drbdadm-84", "create-md", "r0"), cap("create_md_84_random")),
                                (("drbdadm-84", "up", "r0"), QUIET_SUCCESS)]
    host = target(Host(rules, versions=[NO_MODULE, KERNEL_84], proc=fixture_text("drbd", "8.4.2", "proc_drbd.txt")))
    result = run(tmp_path, etc, state="up", discard_existing_data=True)
    assert result["failed"] is False
    [entry] = result["destroyed"]
    assert entry["device"] == "/dev/loop0"
    assert entry["signatures"][0].startswith("data drbdmeta did not recognise: Found some data")
    assert host.argvs("wipefs") == [["/usr/sbin/wipefs", "--no-act", "--parsable", "/dev/loop0"]]
    [forced] = [c for c in host.calls if "--force" in c["argv"] and "create-md" in c["argv"]]
    assert forced["data"] == "yes"


def test_dialect_83_forces_create_md_through_the_dash_dash_form(target, tmp_path, etc):
    versions = dict(KERNEL_84, kernel="8.3.13", api=88, dialect="8.3")
    rules = [(("drbdadm-83", "dump"), QUIET_SUCCESS)] + BLANK_PROBES[:2] + [
        (("blkid",), cap("blkid_ext4")), (("wipefs", "--no-act"), cap("wipefs_ext4")),
        (("wipefs", "--all"), cap("wipefs_all_ext4")),
        (("drbdadm-83", "create-md", "r0"), QUIET_SUCCESS), (("drbdadm-83", "up", "r0"), QUIET_SUCCESS)]
    proc = "version: 8.3.13 (api:88/proto:86-96)\n"
    host = target(Host(rules, versions=[versions], proc=proc))
    result = run(tmp_path, etc, state="up", dialect="8.3", protocol="C", discard_existing_data=True)
    assert result["failed"] is False
    conf = str(etc / "drbd.conf")
    assert "/usr/lib/drbd/drbdadm-83 -c %s -- --force create-md r0" % conf in result["commands"]
    assert host.argvs("modprobe") == []


# -- DRBD 0.7: no drbdmeta, the module reads the 0.7 meta data block itself ---

def v07_device(tmp_path, with_block=True, noise=False):
    block = json.loads(fixture_text("drbd", "9.22.0", "resource_drbdmeta_v07_block.json"))
    path = tmp_path / "v07.img"
    with open(path, "wb") as handle:
        handle.truncate(block["device_size"])
        if with_block:
            handle.seek(block["md_block_offsets"][0])
            handle.write(bytes.fromhex(block["md_block_hex"]))
        if noise:
            handle.seek(block["device_size"] - 4096)
            handle.write(b"\xff" * 16)
    return str(path), block["device_size"]


@pytest.mark.parametrize("with_block, noise, expected", [
    (True, False, {"present": True, "area_zero": False}),
    (False, False, {"present": False, "area_zero": True}),
    (False, True, {"present": False, "area_zero": False}),
])
def test_probe_v07_finds_the_block_drbdmeta_wrote(monkeypatch, tmp_path, with_block, noise, expected):
    path, size = v07_device(tmp_path, with_block, noise)
    monkeypatch.setattr(mod, "device_size", lambda p: size)
    assert mod.probe_v07(path, {"kind": "internal", "path": None, "index": None}) == expected


def test_up_on_07_with_existing_meta_data_just_brings_it_up(target, tmp_path, etc):
    path, size = v07_device(tmp_path)
    versions = dict(NO_MODULE, kernel="0.7.25", api=79, utils="0.7.25", dialect="0.7")
    hosts = [dict(HOSTS[0], address="10.0.0.1", disk=path), dict(HOSTS[1], address="10.0.0.2")]
    host = target(Host([(("drbdadm", "dump", "r0"), QUIET_SUCCESS), (("drbdadm", "up", "r0"), QUIET_SUCCESS)],
                       versions=[versions], proc="version: 0.7.25 (api:79/proto:74)\n 0: cs:Unconfigured\n",
                       sizes={path: size}))
    result = run(tmp_path, etc, state="up", dialect="0.7", protocol="C", hosts=hosts, net=None, shared_secret=None)
    assert result["failed"] is False
    assert result["commands"] == ["/usr/sbin/drbdadm -c %s up r0" % (etc / "drbd.conf")]
    assert host.argvs("blkid") == []


def test_up_on_07_refuses_unrecognised_data_in_the_meta_data_area(target, tmp_path, etc):
    path, size = v07_device(tmp_path, with_block=False, noise=True)
    versions = dict(NO_MODULE, kernel="0.7.25", api=79, utils="0.7.25", dialect="0.7")
    hosts = [dict(HOSTS[0], address="10.0.0.1", disk=path), dict(HOSTS[1], address="10.0.0.2")]
    host = target(Host([(("drbdadm", "dump", "r0"), QUIET_SUCCESS), (("blkid",), cap("blkid_blank")),
                        (("wipefs",), cap("wipefs_blank"))], versions=[versions],
                       proc="version: 0.7.25 (api:79/proto:74)\n 0: cs:Unconfigured\n", sizes={path: size}))
    result = run(tmp_path, etc, state="up", dialect="0.7", protocol="C", hosts=hosts, net=None, shared_secret=None)
    assert result["failed"] is True
    assert "unrecognised data in the last 128 MiB" in result["msg"]
    assert host.writes == []


# ---------------------------------------------------------------------------
# state=down / absent
# ---------------------------------------------------------------------------

def test_down_takes_an_up_resource_down_once(target, tmp_path, etc):
    seed_config(etc)
    proc = fixture_text("drbd", "8.4.2", "proc_drbd.txt")
    host = target(Host([(("drbdadm-84", "down", "r0"), QUIET_SUCCESS)], versions=[KERNEL_84], proc=proc))
    result = run(tmp_path, etc, state="down")
    assert result["changed"] is True
    assert result["commands"] == ["%s -c %s down r0" % (A84, etc / "drbd.conf")]
    host = target(Host([], versions=[KERNEL_84], proc="version: 8.4.11 (api:1/proto:86-101)\n"))
    result = run(tmp_path, etc, state="down")
    assert result["changed"] is False
    assert result["commands"] == []
    assert host.calls == []
    assert (etc / "drbd.d/r0.res").exists()


# An 8.4 minor that exists but is StandAlone, Diskless and Secondary: /proc/drbd lists it as "cs:Unconfigured"
# (the line of the real 8.4.2 capture fixtures/drbd/8.4.2/proc_drbd_sync.txt, here for minor 0).
UNCONFIGURED_84 = "version: 8.4.11 (api:1/proto:86-101)\n 0: cs:Unconfigured\n"


def test_down_takes_an_unconfigured_84_minor_down(target, tmp_path, etc):
    seed_config(etc)
    host = target(Host([(("drbdadm-84", "down", "r0"), QUIET_SUCCESS)], versions=[KERNEL_84], proc=UNCONFIGURED_84))
    result = run(tmp_path, etc, state="down")
    assert result["changed"] is True
    assert result["commands"] == ["%s -c %s down r0" % (A84, etc / "drbd.conf")]
    assert host.writes == [[A84, "-c", str(etc / "drbd.conf"), "down", "r0"]]


def test_up_on_an_unconfigured_84_minor_adjusts_it(target, tmp_path, etc):
    # `drbdadm up` would fail on the existing minor; adjust attaches and connects it.
    seed_config(etc)
    plan = cap("dry_run_adjust_r0_84_not_up")
    host = target(Host([(("drbdadm-84", "-d", "adjust", "r0"), plan), (("drbdadm-84", "adjust", "r0"), QUIET_SUCCESS)],
                       versions=[KERNEL_84], proc=UNCONFIGURED_84))
    result = run(tmp_path, etc, state="up")
    assert result["changed"] is True
    assert result["commands"] == ["%s -c %s adjust r0" % (A84, etc / "drbd.conf")]
    assert host.writes == [[A84, "-c", str(etc / "drbd.conf"), "adjust", "r0"]]
    assert host.argvs("drbdmeta") == [] and host.argvs("blkid") == []
    assert result["status"]["exists"] is True and result["status"]["cstate"] == "Unconfigured"


def test_down_on_drbd9_without_configuration_uses_drbdsetup_by_name(target, tmp_path, etc):
    # The resource runs (drbdsetup status --json lists it) but no file
    # configures it any more: drbdadm could not name it, drbdsetup can.
    seed_config(etc, res_text("9"))
    status = fixture_text("drbd", "9", "drbdsetup_status_json.json")
    host = target(Host([(("drbdsetup", "status", "--json"), (0, status, "")),
                        (("drbdsetup", "down", "1-single-0"), QUIET_SUCCESS)], versions=[KERNEL_9]))
    result = run(tmp_path, etc, state="down", dialect="9", name="1-single-0", hosts=None, net=None,
                 shared_secret=None)
    assert result["failed"] is False
    assert result["commands"] == ["/usr/sbin/drbdsetup down 1-single-0"]
    assert result["status"]["exists"] is True
    assert host.argvs("drbdsetup")[0] == ["/usr/sbin/drbdsetup", "status", "--json", "1-single-0"]


def test_absent_takes_down_and_removes_the_file_but_never_touches_meta_data(target, tmp_path, etc):
    seed_config(etc)
    proc = fixture_text("drbd", "8.4.2", "proc_drbd.txt")
    host = target(Host([(("drbdadm-84", "sh-minor", "r0"), cap("sh_minor_r0_84")),
                        (("drbdadm-84", "down", "r0"), QUIET_SUCCESS)], versions=[KERNEL_84], proc=proc))
    result = run(tmp_path, etc, state="absent", hosts=None, net=None, shared_secret=None)
    assert result["changed"] is True
    assert result["commands"] == ["%s -c %s down r0" % (A84, etc / "drbd.conf")]
    assert result["config_files"] == [str(etc / "drbd.d/r0.res")]
    assert listing(etc) == ["drbd.conf", "drbd.d", "drbd.d/global_common.conf"]
    assert result["diff"][0]["after"] == "" and 'shared-secret "********";' in result["diff"][0]["before"]
    assert host.argvs("drbdmeta") == [] and host.argvs("wipefs") == []
    # Run again, now with hosts (the minor comes from them): nothing left to do.
    host = target(Host([], versions=[KERNEL_84], proc="version: 8.4.11 (api:1/proto:86-101)\n"))
    result = run(tmp_path, etc, state="absent", hosts=HOSTS, net=None, shared_secret=None)
    assert result["changed"] is False
    assert host.calls == []


def test_absent_without_hosts_reads_the_minor_from_the_configuration(target, tmp_path, etc):
    seed_config(etc)
    proc = fixture_text("drbd", "8.4.2", "proc_drbd.txt")
    host = target(Host([(("drbdadm-84", "sh-minor", "r0"), cap("sh_minor_r0_84")),
                        (("drbdadm-84", "down", "r0"), QUIET_SUCCESS)], versions=[KERNEL_84], proc=proc))
    result = run(tmp_path, etc, state="absent", hosts=None, net=None, shared_secret=None, check=True)
    assert result["changed"] is True
    assert result["commands"] == ["%s -c %s down r0" % (A84, etc / "drbd.conf")]
    assert host.writes == []
    assert (etc / "drbd.d/r0.res").exists()


def test_up_with_another_kernel_than_the_dialect_is_refused(target, tmp_path, etc):
    seed_config(etc)
    target(Host([], versions=[KERNEL_9]))
    result = run(tmp_path, etc, state="up")
    assert result["failed"] is True
    assert result["msg"] == ("dialect 8.4 was asked for, but the loaded DRBD kernel module is 9.2.12 (dialect 9); "
                             "set dialect to 9 or load the matching module")


# ---------------------------------------------------------------------------
# Probe readers, on every captured output
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, verdict", [
    ("drbdmeta_v08_dump_md_blank", "absent"),
    ("drbdmeta_v09_dump_md_blank", "absent"),
    ("drbdmeta_v08_dump_md_ext4", "absent"),
    ("drbdmeta_v09_dump_md_on_v08", "absent"),
    ("drbdmeta_v08_dump_md_on_v09", "absent"),
    ("drbdmeta_v08_dump_md_after_create_md", "present"),
    ("drbdmeta_v09_dump_md_after_create_md", "present"),
    ("drbdmeta_v07_dump_md", "present"),
    ("drbdmeta_v08_dump_md_unattached_loop", None),
])
def test_classify_md_probe(name, verdict):
    rc, out, err = cap(name)
    assert mod.classify_md_probe(rc, out, err, "9.22.0") == verdict


@pytest.mark.parametrize("utils, codes", [("8.4.4", (255,)), ("9.3.1", (255,)), ("9.4.0", (1,)), ("9.22.0", (1,)),
                                          ("9.31.0", (1,)), ("9.32.0", (255,)), (None, (1, 255))])
def test_expected_no_md_rc(utils, codes):
    assert mod.expected_no_md_rc(utils) == codes


@pytest.mark.parametrize("name, expected", [
    ("blkid_blank", []),
    ("blkid_random", []),
    ("blkid_ext4", ["ext4 (UUID %s)" % uuid_of("blkid_ext4")]),
    ("blkid_lvm", ["LVM2_member (UUID %s)" % uuid_of("blkid_lvm")]),
    ("blkid_dos", ["dos partition table"]),
    ("blkid_drbd_v08", ["drbd v08 meta data (UUID %s)" % uuid_of("blkid_drbd_v08")]),
    ("blkid_drbd_v09", ["drbd v09 meta data (UUID %s)" % uuid_of("blkid_drbd_v09")]),
])
def test_parse_blkid_export(name, expected):
    rc, out, err = cap(name)
    assert blockdev.parse_blkid_export(rc, out) == expected


def test_parse_blkid_export_errors_and_ambivalence():
    assert blockdev.parse_blkid_export(4, "") is None
    assert blockdev.parse_blkid_export(8, "") == ["ambivalent probe result (several signatures)"]


@pytest.mark.parametrize("name, expected", [
    ("wipefs_blank", []),
    ("wipefs_dos", ["dos at 0x1fe"]),
    ("wipefs_lvm", ["LVM2_member at 0x218 (UUID %s)" % uuid_of("blkid_lvm")]),
    ("wipefs_drbd_v08", ["drbd at 0x12bff03c (UUID %s)" % uuid_of("blkid_drbd_v08")]),
])
def test_parse_wipefs_parsable(name, expected):
    rc, out, err = cap(name)
    assert blockdev.parse_wipefs_parsable(rc, out) == expected


def test_parse_wipefs_parsable_old_header_and_failure():
    assert blockdev.parse_wipefs_parsable(0, "# offset,uuid,label,type\n0x438,abc,,ext3\n") == ["ext3 at 0x438 (UUID abc)"]
    assert blockdev.parse_wipefs_parsable(1, "") is None
    assert blockdev.parse_wipefs_parsable(0, "garbage\n") is None
