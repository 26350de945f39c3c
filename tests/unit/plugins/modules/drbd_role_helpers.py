# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared by the drbd_role, drbd_info and drbd module_utils tests: the
fixture loader, published captures that no fixture file holds, and a
harness that runs a module against a table of command outputs."""

from __future__ import annotations

import contextlib
import json
import os
from unittest import mock

from ansible.module_utils import basic

from ansible_collections.hacluster.drbd.plugins.module_utils import drbd as drbd_utils

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "drbd")


def fixture(relpath):
    # newline="" keeps the bytes as captured (tabs, NULs, trailing blanks).
    with open(os.path.join(FIXTURES, relpath), encoding="utf-8", newline="") as handle:
        return handle.read()


# Captures published in documentation, quoted here because they are not
# fixture files (yet). Each is the command output only: the rst/asciidoc
# code-block indentation (4 spaces in Clusters from Scratch) is removed,
# nothing else is changed.
#
# ClusterLabs/pacemaker doc/sphinx/Clusters_from_Scratch/shared-storage.rst
# @ 73f25672ea92f8fa551c853cef49354b680d790c, DRBD 8.4.11-1 from ELRepo on
# CentOS: lines 217-221, 235-239, 264-270 and 282-286.
CFS_8411_WFCONNECTION = (
    "version: 8.4.11-1 (api:1/proto:86-101)\n"
    "GIT-hash: 66145a308421e9c124ec391a7848ac20203bb03c build by mockbuild@, 2018-04-26 12:10:42\n"
    "\n"
    " 1: cs:WFConnection ro:Secondary/Unknown ds:Inconsistent/DUnknown C r----s\n"
    "    ns:0 nr:0 dw:0 dr:0 al:8 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:524236\n"
)
CFS_8411_FRESH = (
    "version: 8.4.11-1 (api:1/proto:86-101)\n"
    "GIT-hash: 66145a308421e9c124ec391a7848ac20203bb03c build by mockbuild@, 2018-04-26 12:10:42\n"
    "\n"
    " 1: cs:Connected ro:Secondary/Secondary ds:Inconsistent/Inconsistent C r-----\n"
    "    ns:0 nr:0 dw:0 dr:0 al:8 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:524236\n"
)
CFS_8411_SYNCSOURCE = (
    "version: 8.4.11-1 (api:1/proto:86-101)\n"
    "GIT-hash: 66145a308421e9c124ec391a7848ac20203bb03c build by mockbuild@, 2018-04-26 12:10:42\n"
    "\n"
    " 1: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n"
    "    ns:43184 nr:0 dw:0 dr:45312 al:8 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:481052\n"
    "    [>...................] sync'ed:  8.6% (481052/524236)K\n"
    "    finish: 0:01:51 speed: 4,316 (4,316) K/sec\n"
)
CFS_8411_UPTODATE = (
    "version: 8.4.11-1 (api:1/proto:86-101)\n"
    "GIT-hash: 66145a308421e9c124ec391a7848ac20203bb03c build by mockbuild@, 2018-04-26 12:10:42\n"
    "\n"
    " 1: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
    "    ns:524236 nr:0 dw:0 dr:526364 al:8 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n"
)
# Same file @ 2e3b92941d872ad2650c59f068665a864bae0ffe, DRBD 9 (kmod-drbd9x,
# drbd9x-utils on AlmaLinux 9), `drbdadm status`: lines 219-221 and 235-238.
CFS_9_CONNECTING = (
    "wwwdata role:Secondary\n"
    "  disk:Inconsistent\n"
    "  pcmk-2 connection:Connecting\n"
)
CFS_9_FRESH = (
    "wwwdata role:Secondary\n"
    "  disk:Inconsistent\n"
    "  pcmk-2 role:Secondary\n"
    "    peer-disk:Inconsistent\n"
)
# LINBIT/linbit-documentation users-guide/configure.txt
# @ ce940e96e4a7ca5b3ff2cf2373049d51060e5bf2 lines 323-326, DRBD 8.3.0. The
# asciidoc source lost the leading blanks of the device lines.
UG_830_FRESH = (
    "version: 8.3.0 (api:88/proto:86-89)\n"
    "GIT-hash: 9ba8b93e24d842f0dd3fb1f9b90e8348ddb95829 build by buildsystem@linbit, 2008-12-18 16:02:26\n"
    "1: cs:Connected ro:Secondary/Secondary ds:Inconsistent/Inconsistent C r---\n"
    "ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:200768\n"
)


class ExitJson(Exception):
    def __init__(self, result):
        super(ExitJson, self).__init__(result.get("msg"))
        self.result = result


class FailJson(Exception):
    def __init__(self, result):
        super(FailJson, self).__init__(result.get("msg"))
        self.result = result


def _exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    raise ExitJson(kwargs)


def _fail_json(self, **kwargs):
    raise FailJson(kwargs)


class Runner(object):
    """run_command replacement answering from a table.

    table: {argv tuple: (rc, stdout, stderr) or a list of them, used in
    turn, the last one repeating}. An argv not in the table fails the
    test, so every command a module runs is accounted for.
    """

    def __init__(self, table):
        self.table = {tuple(key): (value if isinstance(value, list) else [value]) for key, value in table.items()}
        self.calls = []
        self.environ = []

    def __call__(self, module, args, **kwargs):
        assert isinstance(args, list), "commands must be argv lists, got %r" % (args,)
        self.calls.append(list(args))
        self.environ.append(kwargs.get("environ_update"))
        answers = self.table.get(tuple(args))
        if answers is None:
            raise AssertionError("unexpected command %r" % (args,))
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def ran(self, *args):
        return list(args) in self.calls


class ProcDrbd(object):
    """Successive contents of /proc/drbd (None: module not loaded); the
    last one repeats."""

    def __init__(self, texts):
        self.texts = list(texts)
        self.reads = 0

    def __call__(self, path=None):
        self.reads += 1
        return self.texts.pop(0) if len(self.texts) > 1 else self.texts[0]


class Clock(object):
    """time.monotonic and time.sleep without waiting."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@contextlib.contextmanager
def module_args(args):
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core before 2.19
        payload = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
            yield
        return
    with patch_module_args(args):
        yield


def run_module(main, args, table, proc, binaries=("drbdadm", "drbdsetup"), extra_patches=(), proc_users=()):
    """Run a module's main() and return (outcome, result, runner, proc)
    where outcome is "exit" or "fail". proc_users are modules that
    imported read_proc_drbd by name; they read the same sequence."""
    runner = Runner(table)
    proc_reader = ProcDrbd(proc)

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        return "/usr/sbin/%s" % arg if arg in binaries else None

    def run_command(self, args, **kwargs):
        return runner(self, args, **kwargs)

    patches = [
        mock.patch.object(basic.AnsibleModule, "run_command", run_command),
        mock.patch.object(basic.AnsibleModule, "get_bin_path", get_bin_path),
        mock.patch.object(basic.AnsibleModule, "exit_json", _exit_json),
        mock.patch.object(basic.AnsibleModule, "fail_json", _fail_json),
        mock.patch.object(drbd_utils, "read_proc_drbd", proc_reader),
    ] + [mock.patch.object(user, "read_proc_drbd", proc_reader) for user in proc_users] + list(extra_patches)
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        stack.enter_context(module_args(args))
        try:
            main()
        except ExitJson as exc:
            return "exit", exc.result, runner, proc_reader
        except FailJson as exc:
            return "fail", exc.result, runner, proc_reader
    raise AssertionError("the module returned without exit_json or fail_json")


def ok(rc_out):
    """(0, text, "") for a fixture text."""
    return (0, rc_out, "")
