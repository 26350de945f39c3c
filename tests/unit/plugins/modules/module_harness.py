# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runs a module's main() with AnsibleModule's run_command answered by a fake host, and returns its result."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

C_LOCALE = {"LC_ALL": "C", "LANG": "C"}


class Done(Exception):
    pass


class Failed(Exception):
    pass


class FakeHost(object):
    """Records every command; subclasses answer them in answer(tool, argv)."""

    def __init__(self):
        self.calls = []
        self.envs = []  # each call's variables besides the C locale
        self.warnings = []

    def run_command(self, module, args, **kwargs):
        assert isinstance(args, list), "argv lists only, never a shell string"
        environ = kwargs.get("environ_update") or {}
        assert dict((k, environ.get(k)) for k in C_LOCALE) == C_LOCALE, "the command runner forces the C locale"
        self.envs.append(dict((k, v) for k, v in environ.items() if k not in C_LOCALE))
        self.calls.append(list(args))
        return self.answer(args[0].rsplit("/", 1)[-1], args)

    def answer(self, tool, args):
        raise AssertionError("unexpected command %s" % args)


def patch_module(monkeypatch, host, bin_dir="/usr/sbin", found=lambda name: True):
    """Route AnsibleModule's commands, tool lookups, warnings and exits to `host` and the test."""
    def run_command(module, args, **kwargs):
        return host.run_command(module, args, **kwargs)

    def exit_json(module, **result):
        raise Done(result)

    def fail_json(module, **result):
        raise Failed(result)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda module, name, required=False, opt_dirs=None:
                        "%s/%s" % (bin_dir, name) if found(name) else None)
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda module, warning, **kw: host.warnings.append(warning))
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    return host


def run_module(main, args, check=False, diff=True, secrets=()):
    """main() with `args` (None values left out); the result, with failed set. No secret may be in it."""
    args = dict((k, v) for k, v in args.items() if v is not None)
    args.update(_ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises((Done, Failed)) as outcome:
            main()
    result = outcome.value.args[0]
    result["failed"] = isinstance(outcome.value, Failed)
    text = json.dumps(result, default=str)
    for secret in secrets:
        assert secret not in text, "a secret is in the module's result"
    return result
