# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""Unit tests of the lab's pure parts: what QEMU is told, what the inventory
says, how disk layers are keyed, how the fence agent reads its arguments.
The VMs themselves are exercised by the drbd scenario (tests/test_lab.py)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

LAB_DIR = Path(__file__).resolve().parents[2] / "lab"
sys.path.insert(0, str(LAB_DIR))

import fence_lab  # noqa: E402  pylint: disable=wrong-import-position
import lab  # noqa: E402  pylint: disable=wrong-import-position


def make_state(nodes=("node1", "node2"), networks=3, disks=1, accel="tcg"):
    state = {
        "name": "unit", "dir": "/tmp/hacluster-lab/unit", "image": "/cache/img", "accel": accel,
        "cpus": 1, "memory": 768, "networks": networks, "groups": ["hacluster"], "nodes": {}, "inventory": None,
    }
    for idx, node in enumerate(nodes, start=1):
        nets = {}
        for k, (net, cidr) in enumerate(lab.NETWORKS[:networks], start=1):
            base = cidr.split("/")[0].rsplit(".", 1)[0]
            nets[net] = {"address": f"{base}.{10 + idx}", "prefix": 24, "network": cidr, "interface": f"eth{k}"}
        state["nodes"][node] = {
            "index": idx, "ssh_port": 40000 + idx, "networks": nets,
            "disks": [f"/tmp/hacluster-lab/unit/{node}-data{i}.qcow2" for i in range(1, disks + 1)],
        }
    return state


def option_values(argv, option):
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == option]


class TestQemuArgv:
    def test_guest_networks_are_unix_sockets_only(self):
        argv = lab.qemu_argv(make_state(), "node1")
        netdevs = option_values(argv, "-netdev")
        assert len(netdevs) == 4
        mgmt = [n for n in netdevs if n.startswith("user,")]
        assert len(mgmt) == 1
        # The management link is restricted and forwards ssh on loopback only.
        assert "restrict=on" in mgmt[0]
        assert "hostfwd=tcp:127.0.0.1:40001-:22" in mgmt[0]
        for netdev in netdevs:
            assert netdev.split(",")[0] in ("user", "vde"), netdev
        for netdev in netdevs[1:]:
            assert "sock=/tmp/hacluster-lab/unit/net" in netdev

    def test_kernel_command_line_carries_addresses_and_name(self):
        argv = lab.qemu_argv(make_state(), "node2")
        append = option_values(argv, "-append")[0].split()
        assert "systemd.hostname=node2" in append
        assert "lab.mgmt=52:54:00:ff:00:02" in append
        assert "lab.nic=52:54:00:01:00:02,192.168.101.12/24" in append
        assert "lab.nic=52:54:00:03:00:02,192.168.103.12/24" in append

    def test_emulated_vms_keep_programs_at_fixed_addresses_and_the_tsc(self):
        """Under TCG: no ASLR (QEMU's translations are keyed by virtual address) and the TSC kept as clock;
        under KVM the guest kernel's defaults."""
        tcg = option_values(lab.qemu_argv(make_state(), "node1"), "-append")[0].split()
        kvm = option_values(lab.qemu_argv(make_state(accel="kvm"), "node1"), "-append")[0].split()
        assert {"norandmaps", "tsc=reliable"} <= set(tcg)
        assert not {"norandmaps", "tsc=reliable"} & set(kvm)

    def test_a_layer_with_a_kernel_of_its_own_boots_it(self, tmp_path):
        """A layer whose default kernel is not the base image's keeps it (build_layers): QEMU starts that
        node with it; other nodes and layers without one start with the base image's."""
        state = make_state()
        own, plain = tmp_path / "own", tmp_path / "plain"
        for layer in (own, plain):
            layer.mkdir()
            (layer / "root.qcow2").write_text("")
        (own / "vmlinuz").write_text("k")
        (own / "initrd.img").write_text("i")
        state["layers"] = {"node1": str(own / "root.qcow2"), "node2": str(plain / "root.qcow2")}
        first = lab.qemu_argv(state, "node1")
        assert option_values(first, "-kernel") == [str(own / "vmlinuz")]
        assert option_values(first, "-initrd") == [str(own / "initrd.img")]
        assert option_values(lab.qemu_argv(state, "node2"), "-kernel") == ["/cache/img/vmlinuz"]
        assert option_values(lab.qemu_argv(make_state(), "node1"), "-kernel") == ["/cache/img/vmlinuz"]

    def test_data_disks_have_stable_serials(self):
        argv = lab.qemu_argv(make_state(disks=2), "node1")
        devices = option_values(argv, "-device")
        assert "virtio-blk-pci,drive=data1,serial=data1" in devices
        assert "virtio-blk-pci,drive=data2,serial=data2" in devices
        assert any("serial=labshared,share-rw=on" in d for d in devices)

    def test_every_qemu_carries_the_marker(self):
        argv = lab.qemu_argv(make_state(), "node1")
        assert option_values(argv, "-name")[0].startswith(f"{lab.MARKER}-unit-node1")

    def test_fewer_networks(self):
        argv = lab.qemu_argv(make_state(networks=1), "node1")
        assert len(option_values(argv, "-netdev")) == 2

    def test_tcg_uses_the_xen_safe_cpu_model(self):
        assert option_values(lab.qemu_argv(make_state(), "node1"), "-cpu") == [lab.TCG_CPU]
        assert option_values(lab.qemu_argv(make_state(accel="kvm"), "node1"), "-cpu") == ["host"]


class TestInventory:
    def test_hosts_and_private_addresses(self):
        inv = lab.inventory(make_state())
        node2 = inv["all"]["hosts"]["node2"]
        assert node2["ansible_port"] == 40002
        assert node2["lab_networks"]["drbd"]["address"] == "192.168.102.12"
        assert node2["lab_data_disks"] == ["/dev/disk/by-id/virtio-data1"]
        assert inv["all"]["children"]["hacluster"]["hosts"] == {"node1": {}, "node2": {}}
        assert inv["all"]["vars"]["lab_name"] == "unit"

    def test_yaml_round_trip(self):
        yaml = pytest.importorskip("yaml")
        inv = lab.inventory(make_state())
        assert yaml.safe_load(lab.to_yaml(inv)) == inv

    def test_instance_config(self, tmp_path):
        yaml = pytest.importorskip("yaml")
        path = tmp_path / "instance_config.yml"
        lab.write_instance_config(make_state(), path)
        items = yaml.safe_load(path.read_text())
        assert [i["instance"] for i in items] == ["node1", "node2"]
        assert items[1] == {"instance": "node2", "address": "127.0.0.1", "port": 40002, "user": "root",
                            "identity_file": "/cache/img/id_ed25519"}


class TestNodeGroups:
    def test_each_node_in_its_own_groups(self):
        state = make_state(nodes=("node1", "node2", "client1"))
        state["node_groups"] = {"node1": ["hacluster", "iscsi_target"], "node2": ["hacluster", "iscsi_target"],
                                "client1": ["iscsi_initiator"]}
        children = lab.inventory(state)["all"]["children"]
        assert sorted(children["iscsi_target"]["hosts"]) == ["node1", "node2"]
        assert sorted(children["iscsi_initiator"]["hosts"]) == ["client1"]
        assert "client1" not in children["hacluster"]["hosts"]

    def test_without_node_groups_every_node_is_in_every_group(self):
        children = lab.inventory(make_state())["all"]["children"]
        assert sorted(children["hacluster"]["hosts"]) == ["node1", "node2"]

    def test_node_group_arguments_add_to_the_common_groups(self):
        args = SimpleNamespace(group=["hacluster"], node_group=["client1=iscsi_initiator,extra"])
        groups = lab.node_groups(args, ["node1", "client1"])
        assert groups == {"node1": ["hacluster"], "client1": ["hacluster", "iscsi_initiator", "extra"]}


class TestLayerKey:
    @pytest.fixture
    def collection(self, tmp_path, monkeypatch):
        for rel, text in {
            "playbooks/install.yml": "- hosts: all\n  roles: [hacluster.drbd.samba]\n",
            "roles/samba/tasks/install.yml":
                "name: \"{{ __samba_packages + samba_extra_packages + (['winbind'] if samba_winbind else []) }}\"\n",
            "roles/samba/vars/main.yml": "__samba_packages: [samba]\n",
            "roles/samba/defaults/main.yml": "samba_extra_packages: []\nsamba_winbind: false\nsamba_shares: []\n",
            "roles/samba/tasks/main.yml": "config\n",
        }.items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text)
        (tmp_path / "gv").mkdir()
        (tmp_path / "gv" / "hacluster").write_text("samba_extra_packages: [smbclient]\nheartbeat_deadtime: 15\n")
        (tmp_path / "gv" / "other.yml").write_text("samba_extra_packages: [winbind]\n")
        monkeypatch.setattr(lab, "COLLECTION", tmp_path)
        return tmp_path

    def key(self, root, groups=("hacluster", "primary_secondary"), base="base1"):
        return lab.layer_key(base, root / "playbooks" / "install.yml", list(groups), root / "gv")

    def test_stable_and_independent_of_group_order(self, collection):
        assert self.key(collection) == self.key(collection, groups=("primary_secondary", "hacluster"))

    @pytest.mark.parametrize("change", ["playbooks/install.yml", "roles/samba/tasks/install.yml",
                                        "roles/samba/vars/main.yml"])
    def test_install_files_change_the_key(self, collection, change):
        before = self.key(collection)
        (collection / change).write_text((collection / change).read_text() + "# changed\n")
        assert self.key(collection) != before

    @pytest.mark.parametrize("path,text", [
        ("roles/samba/defaults/main.yml", "samba_extra_packages: []\nsamba_winbind: true\nsamba_shares: []\n"),
        ("gv/hacluster", "samba_extra_packages: []\nheartbeat_deadtime: 15\n"),
    ], ids=["role default", "group_vars of the node's group"])
    def test_package_variables_change_the_key(self, collection, path, text):
        before = self.key(collection)
        (collection / path).write_text(text)
        assert self.key(collection) != before

    @pytest.mark.parametrize("path,text", [
        ("roles/samba/defaults/main.yml", "samba_extra_packages: [ctdb]\nsamba_winbind: false\nsamba_shares: [{name: x}]\n"),
        ("gv/hacluster", "# Molecule managed\n---\nsamba_extra_packages:   [smbclient]\nheartbeat_deadtime: 5\n"),
        ("gv/other.yml", "samba_extra_packages: [ctdb]\n"),
        ("roles/samba/tasks/main.yml", "other config\n"),
    ], ids=["other default or one group_vars override", "other group variable and formatting",
            "group the node is not in", "configuration"])
    def test_everything_else_leaves_the_key(self, collection, path, text):
        before = self.key(collection)
        (collection / path).write_text(text)
        assert self.key(collection) == before

    def test_a_value_counts_wherever_it_is_set(self, collection):
        """The default written again in group_vars, or a group's value in `all`, is the same value."""
        (collection / "gv" / "hacluster").write_text("heartbeat_deadtime: 15\n")
        before = self.key(collection)
        (collection / "gv" / "hacluster").write_text("samba_extra_packages: []\nheartbeat_deadtime: 15\n")
        assert self.key(collection) == before
        (collection / "gv" / "all.yml").write_text("samba_extra_packages: [smbclient]\n")
        (collection / "gv" / "hacluster").write_text("samba_extra_packages: [winbind]\n")
        moved = self.key(collection)
        assert moved != before
        (collection / "gv" / "all.yml").write_text("samba_extra_packages: [winbind]\n")
        (collection / "gv" / "hacluster").write_text("heartbeat_deadtime: 5\n")
        assert self.key(collection) == moved

    def test_only_the_roles_a_playbook_reaches_count(self, collection):
        """A role that the install playbook does not name, directly or through
        another role's install tasks, leaves its layers as they are."""
        before = self.key(collection)
        lxc = collection / "roles" / "lxc" / "tasks" / "install.yml"
        lxc.parent.mkdir(parents=True)
        lxc.write_text("name: lxc\n")
        assert self.key(collection) == before
        own = collection / "playbooks" / "install_lxc.yml"
        own.write_text("- hosts: all\n  roles: [hacluster.drbd.topo]\n")
        topo = collection / "roles" / "topo" / "tasks" / "install.yml"
        topo.parent.mkdir(parents=True)
        topo.write_text("include_role: {name: hacluster.drbd.lxc}\n")
        reached = [p.relative_to(collection).as_posix() for p in lab.layer_files(own)]
        assert reached == ["playbooks/install.yml", "roles/lxc/tasks/install.yml", "roles/topo/tasks/install.yml"]
        first = lab.layer_key("base1", own, ["hacluster"], None)
        lxc.write_text("name: [lxc, apparmor]\n")
        assert lab.layer_key("base1", own, ["hacluster"], None) != first
        assert self.key(collection) == before

    def test_an_extra_repository_gives_another_key(self, collection):
        plain = self.key(collection)
        pb = collection / "playbooks" / "install.yml"
        with_extra = lab.layer_key("base1", pb, ["hacluster", "primary_secondary"], collection / "gv", "abc")
        assert with_extra != plain
        assert lab.layer_key("base1", pb, ["hacluster", "primary_secondary"], collection / "gv", "abd") != with_extra

    def test_an_imported_playbook_counts_with_the_roles_it_names(self, collection):
        own = collection / "molecule" / "topo" / "install.yml"
        shared = collection / "molecule" / "shared" / "kernel.yml"
        shared.parent.mkdir(parents=True)
        own.parent.mkdir(parents=True)
        shared.write_text("- hosts: all\n  tasks: [{include_role: {name: hacluster.drbd.kern}}]\n")
        own.write_text("- name: Kernel first\n  ansible.builtin.import_playbook: ../shared/kernel.yml\n")
        kern = collection / "roles" / "kern" / "tasks" / "install.yml"
        kern.parent.mkdir(parents=True)
        kern.write_text("name: kexec-tools\n")
        reached = [p.relative_to(collection).as_posix() for p in lab.layer_files(own)]
        assert reached == ["molecule/shared/kernel.yml", "playbooks/install.yml", "roles/kern/tasks/install.yml"]
        first = lab.layer_key("base1", own, ["hacluster"], None)
        shared.write_text(shared.read_text() + "# another step\n")
        second = lab.layer_key("base1", own, ["hacluster"], None)
        assert second != first
        kern.write_text("name: [kexec-tools, linux-image-cloud-amd64]\n")
        assert lab.layer_key("base1", own, ["hacluster"], None) != second

    def test_the_collection_playbooks_imports_do_not_count(self, collection):
        """playbooks/install.yml imports validate.yml, which installs nothing: editing it keeps every layer."""
        before = self.key(collection)
        install = collection / "playbooks" / "install.yml"
        (collection / "playbooks" / "validate.yml").write_text("- hosts: all\n")
        install.write_text("- ansible.builtin.import_playbook: validate.yml\n" + install.read_text())
        assert "playbooks/validate.yml" not in [p.relative_to(collection).as_posix() for p in lab.layer_files(install)]
        with_import = self.key(collection)
        assert with_import != before  # install.yml itself changed
        (collection / "playbooks" / "validate.yml").write_text("- hosts: all\n  tasks: []\n")
        assert self.key(collection) == with_import

    def test_other_groups_or_base_image_give_another_key(self, collection):
        assert self.key(collection) != self.key(collection, groups=("iscsi_initiator",))
        assert self.key(collection) != self.key(collection, base="base2")

    def test_a_node_in_no_group_boots_from_the_base_image(self, collection, monkeypatch):
        built = []
        monkeypatch.setattr(lab, "CACHE", collection / "cache")
        monkeypatch.setattr(lab, "layer_ready", lambda key: False)
        monkeypatch.setattr(lab, "prune_layers", lambda keep: None)
        monkeypatch.setattr(lab.os, "utime", lambda path: None)
        monkeypatch.setattr(lab, "build_layers", lambda args, nodes, *rest: built.append(nodes))
        args = SimpleNamespace(layer_playbook=str(collection / "playbooks" / "install.yml"),
                               layer_group_vars=str(collection / "gv"), group=None, extra_repo=None,
                               node_group=["node1=hacluster,primary_secondary", "node2=hacluster,primary_secondary"])
        layers, report = lab.ensure_layers(args, ["node1", "node2", "client1"], Path("/cache/base1"), "tcg")
        assert sorted(layers) == ["node1", "node2"]
        assert built == [["node1", "node2"]]
        assert len(report["layers_built"]) == 1


class TestLayerPruning:
    """Layers are pruned least recently used first, beyond SPARE_LAYERS."""

    @staticmethod
    def cache(tmp_path, monkeypatch):
        monkeypatch.setattr(lab, "CACHE", tmp_path)
        (tmp_path / "images" / "base1").mkdir(parents=True)
        (tmp_path / "images" / "base1" / "manifest.json").write_text("{}")
        return tmp_path

    @staticmethod
    def use(tmp_path, key, clock):
        """A scenario's create: its layer is there (built if missing) and marked used, then the rest pruned."""
        d = tmp_path / "layers" / key
        d.mkdir(parents=True, exist_ok=True)
        (d / "manifest.json").write_text('{"base": "base1"}')
        os.utime(d / "manifest.json", (clock, clock))
        lab.prune_layers({key})

    def test_a_full_suite_keeps_every_scenarios_layers_from_run_to_run(self, tmp_path, monkeypatch):
        root = self.cache(tmp_path, monkeypatch) / "layers"
        suite = ["drbd", "gfs2", "iscsi-target", "iscsi-initiator", "primary-secondary"]
        clock = 1_000_000
        for key in suite * 3:  # three runs of the whole suite
            clock += 60
            self.use(tmp_path, key, clock)
        assert sorted(p.name for p in root.iterdir()) == sorted(suite)

    def test_beyond_the_spare_ones_the_least_recently_used_go(self, tmp_path, monkeypatch):
        root = self.cache(tmp_path, monkeypatch) / "layers"
        keys = ["layer%02d" % n for n in range(lab.SPARE_LAYERS + 3)]
        for clock, key in enumerate(keys, start=1_000_000):
            self.use(tmp_path, key, clock)
        # the last one in use, and the SPARE_LAYERS used before it
        assert sorted(p.name for p in root.iterdir()) == keys[-(lab.SPARE_LAYERS + 1):]

    def test_layers_of_a_base_image_that_is_gone_go_at_once(self, tmp_path, monkeypatch):
        root = self.cache(tmp_path, monkeypatch) / "layers"
        (root / "old").mkdir(parents=True)
        (root / "old" / "manifest.json").write_text('{"base": "base0"}')
        self.use(tmp_path, "new", 1_000_000)
        assert [p.name for p in root.iterdir()] == ["new"]


class TestNames:
    @pytest.mark.parametrize("name", ["", "Lab", "a" * 40, "../x", "a b"])
    def test_bad_lab_names_are_refused(self, name):
        with pytest.raises(lab.LabError):
            lab.lab_dir(name)

    def test_good_lab_name(self):
        assert lab.lab_dir("primary_secondary") == lab.RUN / "primary_secondary"

    def test_macs_are_distinct(self):
        macs = {lab.mac(net, vm) for net in range(4) for vm in range(1, 5)}
        assert len(macs) == 16


class TestFenceAgentArguments:
    def test_command_line(self):
        assert fence_lab.parse_args(["-o", "off", "-n", "node2"], io.StringIO("")) == ("off", "node2", 60.0)

    def test_long_options(self):
        assert fence_lab.parse_args(["--action=status", "--plug=node1", "--timeout=5"], io.StringIO("")) == (
            "status", "node1", 5.0)

    def test_stdin_as_pacemaker_passes_it(self):
        stdin = io.StringIO("# from the fencer\naction=reboot\nport=node2\nnodename=node2\n")
        assert fence_lab.parse_args([], stdin) == ("reboot", "node2", 60.0)

    def test_plug_wins_over_nodename(self):
        stdin = io.StringIO("action=off\nplug=node1\nnodename=node2\n")
        assert fence_lab.parse_args([], stdin)[1] == "node1"

    def test_unknown_argument(self):
        with pytest.raises(SystemExit):
            fence_lab.parse_args(["--frobnicate"], io.StringIO(""))

    def test_metadata_is_xml_with_every_action(self, capsys, monkeypatch):
        import xml.etree.ElementTree as ET  # pylint: disable=import-outside-toplevel

        monkeypatch.setattr(sys, "argv", ["fence_lab", "-o", "metadata"])
        assert fence_lab.main() == 0
        root = ET.fromstring(capsys.readouterr().out)
        assert {a.get("name") for a in root.iter("action")} >= {"on", "off", "reboot", "status", "list", "monitor"}


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2
                    or len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs this process may use")
def test_lab_command_leaves_the_cpu_pinning_it_inherited():
    """A lab.py started from a process pinned to one CPU (Mitogen's workers
    are) must not pass that pin on to its VMs: the command's own process runs
    on every CPU again once main() has parsed its arguments."""
    code = ("import os, sys; sys.path.insert(0, sys.argv[1]); import lab; "
            "os.sched_setaffinity(0, {0}); "
            "lab.main(['down', '--name', 'no-such-lab-affinity-test']); "
            "print(sorted(os.sched_getaffinity(0)))")
    proc = subprocess.run([sys.executable, "-c", code, str(LAB_DIR)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(list(range(os.cpu_count()))), proc.stdout


class TestKernelTokens:
    AVAILABLE = ["linux-image-6.1.0-47-amd64", "linux-image-6.1.0-56-amd64", "linux-image-6.1.0-56-cloud-amd64",
                 "linux-image-6.1.0-57-amd64", "linux-image-6.1.0-58-amd64", "linux-image-amd64",
                 "linux-image-6.1.0-9-amd64"]

    def test_the_previous_kernel_is_the_newest_older_abi(self):
        assert lab.previous_kernel("6.1.0-57", self.AVAILABLE) == "6.1.0-56"
        # Numeric order, not text: -9 is older than -47.
        assert lab.previous_kernel("6.1.0-47", self.AVAILABLE) == "6.1.0-9"

    def test_no_older_kernel_is_an_error_that_says_what_to_do(self):
        with pytest.raises(lab.LabError, match="apt-get update"):
            lab.previous_kernel("6.1.0-9", self.AVAILABLE)

    def test_tokens_in_a_list_become_abis_and_are_reported(self, tmp_path, monkeypatch):
        img = tmp_path / "img"
        img.mkdir()
        (img / "manifest.json").write_text('{"kernel": "6.1.0-57-amd64"}')
        listed = SimpleNamespace(stdout="\n".join(self.AVAILABLE))
        calls = []
        monkeypatch.setattr(lab, "run", lambda argv, **kw: calls.append(argv) or listed)
        packages = tmp_path / "list.txt"
        packages.write_text("# kernels\nlxc\nlinux-image-@kernel-previous-cloud-amd64\n"
                            "linux-headers-@kernel-base-cloud-amd64\n")
        names, kernels = lab.extra_packages(img, packages)
        assert names == ["lxc", "linux-image-6.1.0-56-cloud-amd64", "linux-headers-6.1.0-57-cloud-amd64"]
        assert kernels == {"base": "6.1.0-57", "previous": "6.1.0-56"}
        # The key, the build and the inventory each ask: the host's lists are read once.
        lab.extra_repo_image(img, packages)
        assert lab.extra_packages(img, packages) == (names, kernels)
        assert calls == [["apt-cache", "pkgnames", "linux-image-"]]

    def test_a_list_without_tokens_asks_nothing(self, tmp_path, monkeypatch):
        monkeypatch.setattr(lab, "run", lambda argv, **kw: pytest.fail("apt-cache was asked"))
        packages = tmp_path / "list.txt"
        packages.write_text("lxc\napparmor\n")
        assert lab.extra_packages(tmp_path, packages) == (["lxc", "apparmor"], {})

    def test_the_inventory_names_the_kernels(self):
        state = make_state()
        state["kernels"] = {"base": "6.1.0-57", "previous": "6.1.0-56"}
        inv_vars = lab.inventory(state)["all"]["vars"]
        assert inv_vars["lab_kernel_base"] == "6.1.0-57" and inv_vars["lab_kernel_previous"] == "6.1.0-56"
        assert "lab_kernel_base" not in lab.inventory(make_state())["all"]["vars"]


def test_a_connection_to_a_vm_that_went_away_ends_instead_of_hanging():
    """Every ssh to a lab VM, the lab's own and those that read the inventory (Ansible, Mitogen, testinfra), gives
    up on a connection whose VM no longer answers (rebooted or powered off under it): a test's probe over such a
    connection hung for 20 minutes."""
    state = make_state()
    inventory_args = lab.inventory(state)["all"]["vars"]["ansible_ssh_common_args"].split()
    for args in (inventory_args, lab.ssh_base(state, "node1")):
        options = dict(args[i + 1].split("=", 1) for i in range(len(args) - 1) if args[i] == "-o")
        assert int(options["ServerAliveInterval"]) * int(options["ServerAliveCountMax"]) <= 120
        assert options["StrictHostKeyChecking"] == "no"


def test_fence_log_keeps_the_power_actions_after_the_first_entries(tmp_path, monkeypatch, capsys):
    """`fence-log --since N --power`: what the tests and the bench count as
    somebody being fenced (list and status queries are not)."""
    monkeypatch.setattr(lab, "RUN", tmp_path)
    (tmp_path / "unit").mkdir()
    entries = ['{"requester": "node1", "request": "reboot node2"}', '{"requester": "node1", "request": "list"}',
               "", '{"requester": "node2", "request": "status node1"}', '{"requester": "node2", "request": "off node1"}',
               '{"requester": "node2", "request": "on node1"}']
    (tmp_path / "unit" / "fence.log").write_text("\n".join(entries) + "\n")
    lab.cmd_fence_log(SimpleNamespace(name="unit", since=0, power=False))
    assert len(capsys.readouterr().out.splitlines()) == 5
    lab.cmd_fence_log(SimpleNamespace(name="unit", since=1, power=True))
    assert capsys.readouterr().out.splitlines() == entries[4:]
    lab.cmd_fence_log(SimpleNamespace(name="unit", since=5, power=True))
    assert capsys.readouterr().out == ""
