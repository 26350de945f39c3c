# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""boot_units on real `systemctl is-enabled` output of systemd 252 (fixtures/systemd/252)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hacluster.drbd.plugins.modules import boot_units as mod
from ansible_collections.hacluster.drbd.tests.unit.plugins.modules.module_harness import (
    FakeHost, patch_module, run_module)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "systemd", "252")


def capture(state):
    def read(ext):
        with open(os.path.join(FIXTURES, "is_enabled_%s.%s" % (state, ext)), encoding="utf-8") as handle:
            return handle.read()
    return int(read("rc")), read("stdout"), read("stderr")


class Systemd(FakeHost):
    def __init__(self, states, fail=None):
        super().__init__()
        self.states = dict(states)
        self.fail = fail

    def answer(self, tool, args):
        assert tool == "systemctl"
        if args[1] == "is-enabled":
            return capture(self.states[args[2]])
        if self.fail == args[1]:
            return 1, "", "Failed to %s unit: Access denied\n" % args[2]
        assert args[1] in ("--no-reload", "stop"), args
        return 0, "", ""


def run(monkeypatch, states, check=False, fail=None, **args):
    host = patch_module(monkeypatch, Systemd(states, fail=fail))
    result = run_module(mod.main, dict(args, name=list(states)), check=check)
    return host, result


def writes(host):
    return [c for c in host.calls if c[1] != "is-enabled"]


def test_disable_and_stop_only_what_still_starts_at_boot(monkeypatch):
    host, result = run(monkeypatch, {"smbd.service": "enabled", "nmbd.service": "disabled"}, enabled=False, stop=True)
    assert result["changed"] and not result["failed"]
    assert writes(host) == [["systemctl", "--no-reload", "disable", "smbd.service"], ["systemctl", "stop", "smbd.service"]]
    assert result["states"] == {"smbd.service": "enabled", "nmbd.service": "disabled"}
    assert result["diff"]["after"] == "nmbd.service: disabled\nsmbd.service: disabled\n"


def test_enable_several_units_in_one_call_without_reload(monkeypatch):
    host, result = run(monkeypatch, {"drbd.service": "disabled", "tgt.service": "disabled"}, enabled=True)
    assert writes(host) == [["systemctl", "--no-reload", "enable", "drbd.service", "tgt.service"]]
    assert result["commands"] == ["systemctl --no-reload enable drbd.service tgt.service"]


@pytest.mark.parametrize("enabled,state", [(True, "enabled"), (False, "disabled")])
def test_nothing_to_do(monkeypatch, enabled, state):
    host, result = run(monkeypatch, {"drbd.service": state}, enabled=enabled)
    assert not result["changed"] and not result["failed"]
    assert writes(host) == [] and result["commands"] == []


def test_stop_without_disabling_leaves_a_disabled_unit_running(monkeypatch):
    host, result = run(monkeypatch, {"smbd.service": "disabled"}, enabled=False, stop=True)
    assert not result["changed"] and writes(host) == []


def test_check_mode_reports_and_runs_nothing_that_writes(monkeypatch):
    host, result = run(monkeypatch, {"smbd.service": "enabled"}, check=True, enabled=False, stop=True)
    assert result["changed"]
    assert result["commands"] == ["systemctl --no-reload disable smbd.service", "systemctl stop smbd.service"]
    assert writes(host) == []


@pytest.mark.parametrize("state", ["masked", "static", "not_found"])
def test_units_that_cannot_be_switched_are_refused(monkeypatch, state):
    host, result = run(monkeypatch, {"drbd.service": state}, enabled=True)
    assert result["failed"] and writes(host) == []
    assert "drbd.service is %s" % ("not-found" if state == "not_found" else state) in result["msg"]


def test_a_failed_systemctl_fails_the_task(monkeypatch):
    host, result = run(monkeypatch, {"drbd.service": "disabled"}, enabled=True, fail="--no-reload")
    assert result["failed"]
    assert result["msg"].startswith("systemctl failed (rc=1): Failed to enable unit: Access denied")


@pytest.mark.parametrize("args,needle", [
    (dict(name=["smbd"], enabled=False), "name[0]"),
    (dict(name=["smbd.service\n"], enabled=False), "name[0]"),
    (dict(name=["smbd.service"], enabled=True, stop=True), "stop applies"),
])
def test_bad_arguments_change_nothing(monkeypatch, args, needle):
    host = patch_module(monkeypatch, Systemd({"smbd.service": "enabled"}))
    result = run_module(mod.main, args)
    assert result["failed"] and needle in result["msg"]
    assert host.calls == []
