# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""kmod parsers and checks on real output (fixtures/dkms: Debian 12's dkms
3.0.10, kmod 30 and drbd-utils 9.22, DRBD 8.4.11 from linux-source-6.1 built
for 6.1.0-56-amd64 and 6.1.0-57-amd64; see its README)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hacluster.drbd.plugins.module_utils import kmod

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "dkms")
KERNEL = "6.1.0-57-amd64"


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


def test_modinfo_of_the_installed_dkms_module():
    info = kmod.parse_modinfo(fixture("modinfo-dkms-installed-6.1.0-57.txt"))
    assert info["filename"] == "/lib/modules/6.1.0-57-amd64/updates/dkms/drbd.ko"
    assert info["version"] == "8.4.11"
    assert info["vermagic"] == "6.1.0-57-amd64 SMP preempt mod_unload modversions"
    assert kmod.vermagic_release(info["vermagic"]) == KERNEL
    assert info["depends"] == ["lru_cache,libcrc32c"]
    assert len(info["parm"]) == 5 and info["parm"][3].startswith("minor_count:")
    assert info["srcversion"] == "F73C670A7EC572DB9CF3E5B"


@pytest.mark.parametrize("text,problem", [
    ("", "printed nothing"),
    ("filename: /x.ko\n", "no vermagic"),
    ("vermagic: 6.1.0-57-amd64 SMP\n", "no filename"),
    ("filename: /x.ko\nvermagic: a\nvermagic: b\n", "twice"),
])
def test_modinfo_that_cannot_be_trusted_is_refused(text, problem):
    with pytest.raises(kmod.KmodParseError, match=problem):
        kmod.parse_modinfo(text)


def test_dkms_status_lines():
    entries = kmod.parse_dkms_status(fixture("dkms-status-built-and-wrong.txt"))
    assert [(e["kernel"], e["state"]) for e in entries] == [("6.1.0-56-amd64", "built"), (KERNEL, "installed")]
    assert entries[1]["note"] == "WARNING! Diff between built and installed module!"
    assert kmod.parse_dkms_status(fixture("dkms-status-added.txt")) == [
        {"name": "drbd", "version": "8.4.11", "kernel": None, "arch": None, "state": "added", "note": None}]
    assert kmod.parse_dkms_status("") == []
    with pytest.raises(kmod.KmodParseError, match="does not know"):
        kmod.parse_dkms_status("Error! Could not locate dkms.conf file.\n")


@pytest.mark.parametrize("name,kernel,state", [
    ("dkms-status-added.txt", KERNEL, "added"),
    ("dkms-status-installed.txt", KERNEL, "installed"),
    ("dkms-status-installed.txt", "6.1.0-56-amd64", "added"),
    # the installed file is not DKMS's build: it has to be installed again
    ("dkms-status-built-and-wrong.txt", KERNEL, "built"),
    ("dkms-status-built-and-wrong.txt", "6.1.0-56-amd64", "built"),
])
def test_dkms_state_for_one_kernel(name, kernel, state):
    assert kmod.dkms_state(kmod.parse_dkms_status(fixture(name)), "drbd", "8.4.11", kernel) == state
    assert kmod.dkms_state(kmod.parse_dkms_status(fixture(name)), "drbd", "9.2.12", kernel) == "absent"


@pytest.mark.parametrize("release,api", [
    ("0.7.19", 78), ("0.7.25", 79), ("8.0.16", 86), ("8.2.7", 88), ("8.3.11", 88), ("8.4.11", 1), ("9.2.12", 2)])
def test_api_of_release(release, api):
    assert kmod.api_of_release(release) == api


def test_the_module_dkms_built_for_the_kernel_passes():
    info = kmod.parse_modinfo(fixture("modinfo-dkms-installed-6.1.0-57.txt"))
    answer = fixture("drbdadm-version-override-8.4.11.txt")
    assert kmod.module_problems(info, KERNEL, "drbd", answer, expected_dir="/lib/modules/%s/updates/dkms" % KERNEL) == []


def test_a_module_built_for_another_kernel_is_refused():
    info = kmod.parse_modinfo(fixture("modinfo-wrong-kernel-6.1.0-57.txt"))
    problems = kmod.module_problems(info, KERNEL, "drbd", fixture("drbdadm-version-override-8.4.11.txt"),
                                    expected_dir="/lib/modules/%s/updates/dkms" % KERNEL)
    assert len(problems) == 1
    assert "built for kernel 6.1.0-56-amd64" in problems[0] and "not for 6.1.0-57-amd64" in problems[0]


def test_the_kernels_own_module_is_not_the_one_dkms_installed():
    info = kmod.parse_modinfo(fixture("modinfo-in-tree-6.1.0-57.txt"))
    problems = kmod.module_problems(info, KERNEL, "drbd", fixture("drbdadm-version-override-8.4.11.txt"),
                                    expected_dir="/lib/modules/%s/updates/dkms" % KERNEL)
    assert len(problems) == 1 and "kernel/drivers/block/drbd/drbd.ko" in problems[0]


@pytest.mark.parametrize("release,answer,refused", [
    # drbd-utils 9.22 answers API 88 for 8.3 (it ships drbdadm-83) and 1 for 8.4
    ("8.3.11", "drbdadm-version-override-8.3.11.txt", None),
    ("8.4.11", "drbdadm-version-override-8.4.11.txt", None),
    ("9.2.12", "drbdadm-version-override-9.2.12.txt", None),
    # ... and only its own stack (API 2) for a 0.7 module: another generation
    ("0.7.25", "drbdadm-version-override-0.7.25.txt", "different DRBD generations"),
    # an answer of the wrong stack for the module's release
    ("8.4.11", "drbdadm-version-override-9.2.12.txt", "API mismatch"),
])
def test_the_user_tools_must_drive_the_modules_release(release, answer, refused):
    info = kmod.parse_modinfo(fixture("modinfo-dkms-installed-6.1.0-57.txt"))
    info["version"] = release
    problems = kmod.module_problems(info, KERNEL, "drbd", fixture(answer))
    if refused is None:
        assert problems == []
    else:
        assert len(problems) == 1 and refused in problems[0] and "the module file %s" % release in problems[0]


def test_missing_user_tools_are_a_problem():
    info = kmod.parse_modinfo(fixture("modinfo-dkms-installed-6.1.0-57.txt"))
    assert "install drbd-utils" in kmod.module_problems(info, KERNEL, "drbd", None)[0]


def test_an_empty_vermagic_is_a_problem_not_a_crash():
    info = kmod.parse_modinfo(fixture("modinfo-dkms-installed-6.1.0-57.txt").replace(
        "vermagic:       6.1.0-57-amd64 SMP preempt mod_unload modversions ", "vermagic:"))
    problems = kmod.module_problems(info, KERNEL, "drbd", fixture("drbdadm-version-override-8.4.11.txt"))
    assert problems == ["/lib/modules/6.1.0-57-amd64/updates/dkms/drbd.ko has an empty vermagic: the kernel it "
                        "was built for cannot be told"]
