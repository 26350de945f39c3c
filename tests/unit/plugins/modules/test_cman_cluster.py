# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""cman_cluster writing a real file in a temporary directory; every file it writes and every rendering it returns
is validated against cman's schema (cluster.rng) with lxml. ccs_config_validate is answered with what xmllint,
which it runs, printed for a valid and an invalid file (fixtures/cman)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.hacluster.drbd.plugins.modules import cman_cluster as mod
from ansible_collections.hacluster.drbd.tests.unit.plugins.module_utils.cman_helpers import FIXTURES, assert_valid
from ansible_collections.hacluster.drbd.tests.unit.plugins.modules.module_harness import (
    FakeHost,
    patch_module,
    run_module,
)

SECRET = "ipmi-s3cret-passw0rd"
NODES = [{"name": "node1", "nodeid": 1, "fence": [{"name": "ipmi", "devices": [{"name": "fence_node1"}]}]},
         {"name": "node2", "nodeid": 2, "fence": [{"name": "ipmi", "devices": [{"name": "fence_node2"}]}]}]
DEVICES = [{"name": "fence_node1", "agent": "fence_ipmilan", "params": {"ip": "10.0.3.71", "username": "admin"}},
           {"name": "fence_node2", "agent": "fence_ipmilan", "params": {"ip": "10.0.3.72", "username": "admin"}}]
SECRETS = {"fence_node1": {"password": SECRET}, "fence_node2": {"password": SECRET}}
VM = {"name": "guest1", "domain": "prefer_node1", "autostart": 1, "use_virsh": 1, "migrate": "live",
      "recovery": "restart"}
DOMAIN = {"name": "prefer_node1", "ordered": 1, "restricted": 0, "nofailback": 1,
          "nodes": [{"name": "node1", "priority": 1}, {"name": "node2", "priority": 2}]}


def cap(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as handle:
        doc = json.load(handle)
    return doc["rc"], doc["stdout"], doc["stderr"]


class Host(FakeHost):
    def __init__(self, ccs=None):
        super(Host, self).__init__()
        self.ccs = ccs
        self.validated = []

    def answer(self, tool, args):
        assert tool == "ccs_config_validate" and args[1] == "-l"
        with open(args[2], encoding="utf-8") as handle:
            self.validated.append(handle.read())
        assert stat.S_IMODE(os.stat(args[2]).st_mode) == 0o600
        return self.ccs


@pytest.fixture
def host(monkeypatch):
    def setup(ccs=None):
        target = patch_module(monkeypatch, Host(ccs), found=lambda name: ccs is not None)
        return target
    return setup


def run(path, check=False, diff=True, **params):
    args = {"name": "hacluster", "path": str(path), "nodes": NODES, "fence_devices": DEVICES,
            "fence_secrets": SECRETS}
    args.update(params)
    result = run_module(mod.main, args, check=check, diff=diff, secrets=(SECRET,))
    if result.get("content") and not result["failed"]:
        assert_valid(result["content"])
    return result


def written(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert_valid(text)
    return text


def test_a_new_file_is_validated_written_0640_and_reported_masked(host, tmp_path):
    path = tmp_path / "cluster" / "cluster.conf"
    host()
    result = run(path)
    assert result["failed"] is False and result["changed"] is True, result
    assert (result["config_version"], result["previous_config_version"], result["validated_by"]) == (1, None, "schema")
    text = written(path)
    assert 'passwd="%s"' % SECRET in text and 'ipaddr="10.0.3.71"' in text and 'login="admin"' in text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert 'passwd="********"' in result["content"] and result["diff"]["before"] == ""
    assert '<cluster name="hacluster" config_version="1">' in text


def test_a_second_run_changes_nothing_and_keeps_the_version(host, tmp_path):
    path = tmp_path / "cluster.conf"
    host()
    run(path)
    before = os.stat(path).st_mtime_ns
    result = run(path)
    assert (result["changed"], result["config_version"], result["validated_by"]) == (False, 1, None)
    assert os.stat(path).st_mtime_ns == before
    assert result["diff"]["before"] == result["diff"]["after"]


def test_a_change_raises_config_version_by_one(host, tmp_path):
    path = tmp_path / "cluster.conf"
    host()
    run(path)
    result = run(path, failover_domains=[DOMAIN], vms=[VM])
    assert (result["changed"], result["config_version"], result["previous_config_version"]) == (True, 2, 1)
    text = written(path)
    assert 'config_version="2"' in text and '<vm name="guest1" domain="prefer_node1"' in text
    assert "<vm" not in result["diff"]["before"] and "<vm" in result["diff"]["after"]
    assert 'config_version="1"' in result["diff"]["before"] and 'config_version="2"' in result["diff"]["after"]


def test_a_changed_password_is_a_change_that_never_shows(host, tmp_path):
    path = tmp_path / "cluster.conf"
    host()
    run(path)
    other = {"fence_node1": {"password": "an0ther-s3cret"}, "fence_node2": {"password": SECRET}}
    result = run(path, fence_secrets=other)
    assert (result["changed"], result["config_version"]) == (True, 2)
    assert "an0ther-s3cret" not in json.dumps(result)
    assert 'passwd="an0ther-s3cret"' in written(path)


def test_check_mode_reports_the_new_version_and_writes_nothing(host, tmp_path):
    path = tmp_path / "cluster.conf"
    host()
    run(path)
    text = written(path)
    result = run(path, check=True, vms=[VM], failover_domains=[DOMAIN])
    assert (result["changed"], result["config_version"], result["validated_by"]) == (True, 2, "schema")
    assert written(path) == text


def test_a_hand_written_file_of_the_same_content_keeps_its_version(host, tmp_path):
    path = tmp_path / "cluster.conf"
    host()
    run(path)
    path.write_text(written(path).replace('config_version="1"', 'config_version="7"').replace("  ", "\t"))
    result = run(path)
    assert (result["changed"], result["config_version"]) == (False, 7)


def test_ccs_config_validate_is_used_where_cman_is_installed(host, tmp_path):
    path = tmp_path / "cluster.conf"
    target = host(ccs=cap("xmllint_relaxng_valid"))
    result = run(path)
    assert (result["changed"], result["validated_by"]) == (True, "ccs_config_validate")
    assert len(target.validated) == 1 and target.validated[0] == written(path)
    assert result["commands_run"][0].startswith("/usr/sbin/ccs_config_validate -l /")
    # The scratch copy holding the password is gone.
    assert not os.path.exists(target.calls[0][2])


def test_a_refusal_of_ccs_config_validate_writes_nothing(host, tmp_path):
    path = tmp_path / "cluster.conf"
    host(ccs=cap("xmllint_relaxng_seed_6.5"))
    result = run(path)
    assert result["failed"] is True
    assert result["msg"].startswith("ccs_config_validate refused the new cluster.conf (rc=3): ")
    assert result["msg"].endswith("nothing was written") and not path.exists()


def test_a_file_the_schema_refuses_is_not_written(host, tmp_path):
    path = tmp_path / "cluster.conf"
    host()
    result = run(path, fence_devices=[dict(DEVICES[0], params={"ip": "10.0.3.71", "colour": "red"}), DEVICES[1]])
    assert result["failed"] is True and "does not validate against cman's schema" in result["msg"], result["msg"]
    assert not path.exists()


def test_without_lxml_and_ccs_config_validate_nothing_is_written(host, tmp_path, monkeypatch):
    path = tmp_path / "cluster.conf"
    host()
    monkeypatch.setattr(mod, "LXML_ETREE", None)
    result = run(path)
    assert result["failed"] is True and "lxml" in result["msg"] and "python3-lxml" in result["msg"]
    assert not path.exists()


@pytest.mark.parametrize("params,needle", [
    ({"fence_devices": [dict(DEVICES[0], params={"ip": "10.0.3.71", "passwd": SECRET}), DEVICES[1]]},
     "carries passwd in params"),
    ({"fence_secrets": dict(SECRETS, fence_node3={"password": SECRET})}, "fence_secrets names fence_node3"),
    ({"name": "a-sixteen-chars-"}, "at most 15"),
    ({"nodes": [NODES[0], {"name": "node2", "nodeid": 2}]}, "node2 has no fence method"),
    ({"expected_votes": 2}, "needs expected_votes 1"),
    ({"path": "cluster.conf"}, "relative path"),
])
def test_bad_input_is_refused_and_nothing_written(host, tmp_path, params, needle):
    params.setdefault("path", tmp_path / "cluster.conf")
    host()
    result = run(**params)
    assert result["failed"] is True and needle in result["msg"], result["msg"]
    assert result["msg"].endswith("nothing was changed")
    assert not (tmp_path / "cluster.conf").exists()


@pytest.mark.parametrize("content,needle", [
    ("not xml\n", "not XML"), ('<cluster name="x" config_version="x"/>', "not a whole number")])
def test_a_file_that_is_not_a_cluster_conf_is_left_alone(host, tmp_path, content, needle):
    path = tmp_path / "cluster.conf"
    path.write_text(content)
    host()
    result = run(path)
    assert result["failed"] is True and needle in result["msg"] and "move it away" in result["msg"]
    assert path.read_text() == content
