# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""The containers topology's OpenVZ rendering (seed 002): the render playbook
runs with ansible-playbook against two names with connection local, writes
each node's tree into a temporary directory, and the tree is checked here -
the haresources line, each link and its target, vz.conf's values (and that
the shell parses it) - without any VM. Runs from the collection copy that
`make units` makes (ansible_collections/hacluster/drbd), which
ANSIBLE_COLLECTIONS_PATH then points at."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
COLLECTION = HERE.parents[3]
PLAYBOOK = COLLECTION / "playbooks" / "containers_openvz_render.yml"

SEED_LINKS = {
    "etc_vz": {"/etc/vz/vz.conf": "/vz/cluster/etc/vz/vz.conf", "/etc/vz/conf": "/vz/cluster/etc/vz/conf",
               "/var/vzquota": "/vz/cluster/var/vzquota"},
    # Seed 002's own paths (vzctl before 3.0.9).
    "sysconfig": {"/etc/sysconfig/vz": "/vz/cluster/etc/sysconfig/vz",
                  "/etc/sysconfig/vz-scripts": "/vz/cluster/etc/sysconfig/vz-scripts",
                  "/var/vzquota": "/vz/cluster/var/vzquota"},
}
VZ_CONF = {"VE_ROOT": "/vz/root/$VEID", "VE_PRIVATE": "/vz/private/$VEID", "TEMPLATE": "/vz/template",
           "LOCKDIR": "/vz/lock", "DUMPDIR": "/vz/dump", "DISK_QUOTA": "yes"}

VARIABLES = {
    "drbd_resources": [{"name": "r0", "port": 7788, "minor": 0, "disk": "/dev/vdb", "protocol": "C"}],
    "heartbeat_links": [{"interface": "eth1", "addresses": ["192.168.255.1", "192.168.255.2"]}],
    "heartbeat_authkey": "PutYourSuperSecretKeyHere",
    "heartbeat_stonith_hosts": [{"host": "*", "type": "external/lab", "params": []}],
    "primary_secondary_mount": "/vz",
    "primary_secondary_fstype": "ext3",
}
HOSTS = {"ovz-node1": {"drbd_address": "192.168.255.1"}, "ovz-node2": {"drbd_address": "192.168.255.2"}}


def collections_path() -> str:
    if COLLECTION.parent.name != "hacluster" or COLLECTION.parents[1].name != "ansible_collections":
        pytest.skip("needs the collection copy at ansible_collections/hacluster/drbd (make units)")
    return str(COLLECTION.parents[2])


def render(tmp_path: Path, **changes) -> tuple[int, str, Path]:
    dest = tmp_path / "render"
    variables = dict(VARIABLES, openvz_render_dir=str(dest), **changes)
    inventory = {"containers": {"hosts": HOSTS, "vars": dict(
        variables, ansible_connection="local", ansible_python_interpreter=sys.executable)}}
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps(inventory))
    playbook = Path(sys.executable).parent / "ansible-playbook"
    # The strategy is the caller's: make exports Mitogen's, which runs the render's ~30 file and template
    # tasks in one Python per host (19 s instead of 43 s a render on a slow 2-core machine).
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_PIPELINING="1")
    proc = subprocess.run([str(playbook) if playbook.exists() else "ansible-playbook", "-i", str(inv), str(PLAYBOOK)],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr, dest


def vz_conf(path: Path) -> dict:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))


@pytest.mark.parametrize("layout", sorted(SEED_LINKS))
def test_the_seed_layout_is_rendered(tmp_path, layout):
    rc, out, dest = render(tmp_path, openvz_layout=layout)
    assert rc == 0, out
    if layout == "etc_vz":
        # A second render finds everything as the first left it.
        rc, again, dest = render(tmp_path, openvz_layout=layout)
        assert rc == 0 and "changed=0" in again and "changed=1" not in again, again
    for node in HOSTS:
        tree = dest / node
        haresources = [line for line in (tree / "etc/ha.d/haresources").read_text().splitlines()
                       if line and not line.startswith("#")]
        # Seed 002: "ovz-node1 datadisk::r0 Filesystem::/dev/drbd0::/vz::ext3 vz"; drbddisk is datadisk's
        # successor in DRBD 8 and later.
        assert haresources == ["ovz-node1 drbddisk::r0 Filesystem::/dev/drbd0::/vz::ext3 vz"]
        hacf = (tree / "etc/ha.d/ha.cf").read_text()
        assert "node ovz-node1\nnode ovz-node2\n" in hacf and "crm no" in hacf
        assert not (tree / "etc/ha.d/authkeys").exists()
        assert (tree / "vz").is_dir()
        for path, target in SEED_LINKS[layout].items():
            link = tree / path.lstrip("/")
            assert link.is_symlink(), path
            assert os.readlink(link) == target, path
    data = dest / "ovz-node1" / "vz"
    for name in ("root", "private", "template", "lock", "dump"):
        assert (data / name).is_dir(), name
    for target in SEED_LINKS[layout].values():
        copy = dest / "ovz-node1" / target.lstrip("/")
        assert copy.exists(), target
    # The passive node has only the empty mount point, as DRBD's secondary does.
    assert list((dest / "ovz-node2" / "vz").iterdir()) == []
    (conf_path,) = [t for p, t in SEED_LINKS[layout].items() if p.endswith(("vz.conf", "sysconfig/vz"))]
    conf = dest / "ovz-node1" / conf_path.lstrip("/")
    assert vz_conf(conf) == VZ_CONF
    checked = subprocess.run(["bash", "-n", str(conf)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    if shutil.which("shellcheck"):
        # VEID is vzctl's to set when it reads the file (SC2154); the names are vzctl's, read elsewhere (SC2034).
        checked = subprocess.run(["shellcheck", "--shell=sh", "--exclude=SC2034,SC2154", str(conf)],
                                 capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stdout


def test_only_the_layout_paths_chosen_are_linked(tmp_path):
    rc, out, dest = render(tmp_path, openvz_linked_paths=["/var/vzquota"])
    assert rc == 0, out
    tree = dest / "ovz-node2"
    assert os.readlink(tree / "var/vzquota") == "/vz/cluster/var/vzquota"
    assert not (tree / "etc/vz/conf").is_symlink() and not (tree / "etc/vz/conf").exists()
    # vz.conf is not moved, so each node has its own.
    assert vz_conf(tree / "etc/vz/vz.conf") == VZ_CONF


def test_bad_input_renders_nothing(tmp_path):
    """The model's refusals are tests/validation's; here only that a refused render writes nothing."""
    rc, out, dest = render(tmp_path, openvz_root="/srv/vz")
    assert rc != 0, out
    assert "openvz_root: \"/srv/vz\" is not the replicated file system's mount point" in out, out
    assert not dest.exists()
