# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one command runner; and that every module runs its tools through it."""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.hacluster.drbd.plugins.module_utils.runner import CommandRunner, runner_for

SECRET = "runner-secret-5521"
# drbdsetup's failure output echoes its command line (see playbooks/split_brain_recover.yml).
ECHO = "drbdsetup-84 connect r0 ipv4:10.0.0.1:7789 ipv4:10.0.0.2:7789 --shared-secret=%s --cram-hmac-alg=sha1" % SECRET


class Failed(Exception):
    pass


class Module(object):
    def __init__(self, result):
        self.result = result
        self.calls = []
        self.no_log_values = set()

    def run_command(self, argv, environ_update=None, data=None):
        self.calls.append((argv, environ_update, data))
        return self.result

    def fail_json(self, **result):
        raise Failed(result)


def test_argv_lists_only_and_the_c_locale():
    module = Module((0, "out", ""))
    runner = CommandRunner(module)
    assert runner.run(["drbdadm", "status", 7]) == (0, "out", "")
    assert module.calls == [(["drbdadm", "status", "7"], {"LC_ALL": "C", "LANG": "C"}, None)]
    assert runner.ran == ["drbdadm status 7"]
    with pytest.raises(TypeError):
        runner.run("drbdadm status")


def test_extra_variables_join_the_c_locale_and_show_in_the_record():
    module = Module((0, "DRBDADM_API_VERSION=1\n", ""))
    runner = CommandRunner(module)
    runner.run(["drbdadm", "--version"], env={"DRBD_DRIVER_VERSION_OVERRIDE": "8.4.11", "LC_ALL": "C"})
    assert module.calls == [(["drbdadm", "--version"],
                             {"LC_ALL": "C", "LANG": "C", "DRBD_DRIVER_VERSION_OVERRIDE": "8.4.11"}, None)]
    assert runner.ran == ["DRBD_DRIVER_VERSION_OVERRIDE=8.4.11 LC_ALL=C drbdadm --version"]
    runner.add_secrets(SECRET)
    runner.run(["true"], env={"TOKEN": "a b %s" % SECRET})
    assert runner.ran[-1] == "TOKEN='a b ********' true"


def test_a_failure_names_the_first_line_and_masks_secrets():
    module = Module((10, "", "\n" + ECHO + "\nFailure: (102) Local address(port) already in use.\n"))
    runner = runner_for(module, secrets=[SECRET])
    with pytest.raises(Failed) as failed:
        runner.run(["drbdadm", "connect", "--secret-arg=%s" % SECRET, "r0"], check=True)
    result = failed.value.args[0]
    assert result["msg"].startswith("drbdadm failed (rc=10): drbdsetup-84 connect r0 ")
    assert SECRET not in repr(result)
    assert "--shared-secret=********" in result["stderr"]
    assert result["commands_run"] == ["drbdadm connect --secret-arg=******** r0"]
    assert SECRET in module.no_log_values


def test_one_runner_per_module():
    module = Module((0, "", ""))
    assert runner_for(module) is runner_for(module, secrets=["x"])
    assert runner_for(module).secrets == ["x"]


def test_every_module_runs_its_tools_through_the_runner():
    plugins = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins")
    callers = []
    for folder in ("modules", "module_utils"):
        for name in sorted(os.listdir(os.path.join(plugins, folder))):
            if name.endswith(".py") and name != "runner.py":
                with open(os.path.join(plugins, folder, name), encoding="utf-8") as handle:
                    if re.search(r"\.run_command\(", handle.read()):
                        callers.append(name)
    assert callers == []
