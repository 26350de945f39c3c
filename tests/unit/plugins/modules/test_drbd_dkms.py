# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""drbd_dkms against a fake host that answers with real dkms, modinfo and
drbdadm output (fixtures/dkms) and keeps DKMS's state as the real tools do."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hacluster.drbd.plugins.modules import drbd_dkms as mod
from ansible_collections.hacluster.drbd.tests.unit.plugins.modules.module_harness import (
    FakeHost, patch_module, run_module)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "dkms")
KERNEL = "6.1.0-57-amd64"
MKV = ["-m", "drbd", "-v", "8.4.11", "-k", KERNEL]
NOT_FOUND = (1, "", "modinfo: ERROR: Module drbd not found.\n")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


class Dkms(FakeHost):
    """state: absent/added/built/installed; loads: which modinfo fixture the
    kernel's module reads as (in-tree, installed, wrong-kernel, None)."""

    def __init__(self, state, loads="in-tree", fail=None):
        super().__init__()
        self.state, self.loads, self.fail = state, loads, fail

    def answer(self, tool, args):
        if tool == "dkms":
            verb = args[1]
            if verb == "status":
                return 0, {"absent": "", "added": fixture("dkms-status-added.txt"),
                           "built": "drbd/8.4.11, %s, x86_64: built\n" % KERNEL,
                           "installed": fixture("dkms-status-installed.txt"),
                           "wrong": fixture("dkms-status-built-and-wrong.txt")}[self.state], ""
            if verb == self.fail:
                return 10, "", "Error! Bad return status for module build on kernel: %s (x86_64)\n" % KERNEL
            if verb == "add":
                self.state = "added"
                return 0, "Creating symlink /var/lib/dkms/drbd/8.4.11/source -> /usr/src/drbd-8.4.11\n", ""
            if verb == "build":
                self.state = "built"
                return 0, fixture("dkms-build-6.1.0-57.txt"), ""
            if verb == "install":
                assert "--force" in args, "without --force DKMS keeps the kernel's own module of the same version"
                self.state, self.loads = "installed", "installed"
                return 0, "", ""
            if verb == "remove":
                self.state, self.loads = "added", "in-tree"
                return 0, "", ""
        if tool == "modinfo":
            assert args[1:] == ["-k", KERNEL, "drbd"]
            if self.loads is None:
                return NOT_FOUND
            return 0, fixture({"in-tree": "modinfo-in-tree-6.1.0-57.txt",
                               "installed": "modinfo-dkms-installed-6.1.0-57.txt",
                               "wrong": "modinfo-wrong-kernel-6.1.0-57.txt"}[self.loads]), ""
        if tool == "drbdadm":
            assert args[1:] == ["--version"]
            release = self.envs[-1]["DRBD_DRIVER_VERSION_OVERRIDE"]
            return 0, fixture("drbdadm-version-override-%s.txt" % release), ""
        return super().answer(tool, args)


@pytest.fixture
def tree(monkeypatch):
    """The source tree and the kernel's headers are there unless a test says otherwise."""
    present = {"/usr/src/drbd-8.4.11/dkms.conf": True, "/lib/modules/%s/build" % KERNEL: True}
    monkeypatch.setattr(mod.os.path, "isfile", lambda path: present.get(path, False))
    monkeypatch.setattr(mod.os.path, "isdir", lambda path: present.get(path, False))
    return present


def run(monkeypatch, host, check=False, **args):
    patch_module(monkeypatch, host)
    return run_module(mod.main, dict(dict(version="8.4.11", kernel=KERNEL), **args), check=check)


def changes(host):
    return [c for c in host.calls if c[0] == "dkms" and c[1] != "status"]


def test_a_new_tree_is_added_built_installed_over_the_kernels_own_and_checked(monkeypatch, tree):
    host = Dkms("absent")
    result = run(monkeypatch, host)
    assert not result["failed"] and result["changed"]
    assert changes(host) == [["dkms", "add", "-m", "drbd", "-v", "8.4.11"], ["dkms", "build"] + MKV,
                             ["dkms", "install", "--force"] + MKV]
    assert result["module_file"] == {
        "filename": "/lib/modules/%s/updates/dkms/drbd.ko" % KERNEL, "version": "8.4.11",
        "vermagic": "6.1.0-57-amd64 SMP preempt mod_unload modversions", "srcversion": "F73C670A7EC572DB9CF3E5B",
        "api": 1}
    assert "DRBD_DRIVER_VERSION_OVERRIDE=8.4.11 drbdadm --version" in result["commands_run"]
    assert result["diff"] == {"before": "drbd/8.4.11 for %s: absent\n" % KERNEL,
                              "after": "drbd/8.4.11 for %s: installed\n" % KERNEL}


def test_an_installed_and_sound_module_is_only_checked(monkeypatch, tree):
    host = Dkms("installed", loads="installed")
    result = run(monkeypatch, host)
    assert not result["failed"] and not result["changed"]
    assert changes(host) == [] and result["module_file"]["api"] == 1


def test_installed_but_shadowed_by_the_kernels_own_module_is_installed_again(monkeypatch, tree):
    # What plain `dkms install` leaves: "installed", and modprobe still loads kernel/drivers/block/drbd.
    host = Dkms("installed", loads="in-tree")
    result = run(monkeypatch, host)
    assert changes(host) == [["dkms", "install", "--force"] + MKV] and not result["failed"]


def test_a_module_of_another_kernel_in_dkms_place_is_replaced_by_dkms_build(monkeypatch, tree):
    host = Dkms("wrong", loads="wrong")
    result = run(monkeypatch, host)
    assert changes(host) == [["dkms", "install", "--force"] + MKV] and not result["failed"]


def test_a_build_against_another_kernels_headers_is_built_again(monkeypatch, tree):
    # DKMS installed it, but it says 6.1.0-56-amd64: the headers were wrong at
    # build time. Check mode says so; a run builds again (and then it passes).
    host = Dkms("installed", loads="wrong")
    result = run(monkeypatch, host, check=True)
    assert result["changed"] and changes(host) == []
    assert result["commands"] == ["dkms build --force " + " ".join(MKV), "dkms install --force " + " ".join(MKV)]
    result = run(monkeypatch, host)
    assert not result["failed"]
    assert changes(host) == [["dkms", "build", "--force"] + MKV, ["dkms", "install", "--force"] + MKV]


class WrongHeaders(Dkms):
    """/lib/modules/KERNEL/build points at another kernel's headers: every build says 6.1.0-56-amd64."""

    def answer(self, tool, args):
        answer = super().answer(tool, args)
        if tool == "dkms" and args[1] == "install":
            self.loads = "wrong"
        return answer


def test_a_kernel_whose_fresh_build_is_for_another_kernel_is_refused(monkeypatch, tree):
    host = WrongHeaders("added")
    result = run(monkeypatch, host)
    assert result["failed"] and changes(host) == [["dkms", "build"] + MKV, ["dkms", "install", "--force"] + MKV]
    assert result["msg"].startswith("refusing kernel %s: " % KERNEL)
    assert "built for kernel 6.1.0-56-amd64" in result["msg"] and "Do not boot that kernel" in result["msg"]
    assert result["module_file"]["vermagic"].startswith("6.1.0-56-amd64 ")


def test_a_module_the_user_tools_cannot_drive_is_refused_in_check_mode_too(monkeypatch, tree):
    host = Dkms("installed", loads="installed")
    original = host.answer

    def answer(tool, args):
        if tool == "drbdadm":  # tools that answer with their own stack only (API 2)
            return 0, fixture("drbdadm-version-override-9.2.12.txt"), ""
        return original(tool, args)
    host.answer = answer
    for check in (True, False):
        result = run(monkeypatch, host, check=check)
        assert result["failed"] and "API mismatch" in result["msg"] and changes(host) == []


def test_a_failed_install_still_leaves_no_kernel_checked_as_good(monkeypatch, tree):
    host = Dkms("added", fail="build")
    result = run(monkeypatch, host)
    assert result["failed"] and "dkms failed (rc=10)" in result["msg"]
    assert changes(host) == [["dkms", "build"] + MKV]
    assert "module_file" not in result


def test_check_mode_plans_and_writes_nothing(monkeypatch, tree):
    host = Dkms("absent")
    result = run(monkeypatch, host, check=True)
    assert result["changed"] and not result["failed"] and changes(host) == []
    assert result["commands"] == ["dkms add -m drbd -v 8.4.11", "dkms build " + " ".join(MKV),
                                  "dkms install --force " + " ".join(MKV)]


@pytest.mark.parametrize("state,expected", [
    ("installed", [["dkms", "remove"] + MKV]), ("built", [["dkms", "remove"] + MKV]), ("added", []), ("absent", [])])
def test_absent_removes_only_this_kernels_build(monkeypatch, tree, state, expected):
    host = Dkms(state, loads="installed")
    result = run(monkeypatch, host, state="absent")
    assert changes(host) == expected and result["changed"] == bool(expected)
    assert not [c for c in host.calls if c[0] == "modinfo"]


@pytest.mark.parametrize("missing,message", [
    ("/usr/src/drbd-8.4.11/dkms.conf", "/usr/src/drbd-8.4.11/dkms.conf is missing"),
    ("/lib/modules/%s/build" % KERNEL, "the headers of kernel %s are not installed" % KERNEL),
])
def test_missing_sources_or_headers_stop_before_anything_runs(monkeypatch, tree, missing, message):
    tree[missing] = False
    host = Dkms("absent")
    result = run(monkeypatch, host)
    assert result["failed"] and message in result["msg"] and "nothing was changed" in result["msg"]
    assert host.calls == []


@pytest.mark.parametrize("args,message", [
    ({"kernel": "6.1.0-57-amd64; reboot"}, "kernel: "),
    ({"kernel": "../../etc"}, "kernel: "),
    ({"version": "-k"}, "version: "),
    ({"name": "drbd/../x"}, "name: "),
])
def test_bad_input_is_refused_by_name(monkeypatch, tree, args, message):
    host = Dkms("absent")
    result = run(monkeypatch, host, **args)
    assert result["failed"] and result["msg"].startswith(message) and host.calls == []


def test_user_tools_without_the_modules_series_refuse_the_kernel(monkeypatch, tree):
    # drbd-utils whose drbdadm-84 is missing: drbdadm exits 20 for an 8.4 module.
    host = Dkms("installed", loads="installed")
    original = host.answer

    def answer(tool, args):
        if tool == "drbdadm":
            return 20, "", fixture("drbdadm-version-override-8.4.11-without-drbdadm-84.stderr")
        return original(tool, args)
    host.answer = answer
    result = run(monkeypatch, host)
    assert result["failed"] and changes(host) == []
    assert ("the installed drbd-utils cannot drive DRBD 8.4.11: asked for it, drbdadm --version failed: execvp() "
            "failed to exec drbdadm-84: No such file or directory; install drbd-utils built with support for the 8.4 "
            "series") in result["msg"]
