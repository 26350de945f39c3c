# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""Seed 000's dual-primary cluster, checked from outside: Pacemaker runs DLM,
DRBD promoted on both nodes and GFS2 mounted on both; what one node writes the
other reads; ctdb's ping_pong takes POSIX locks on one node and on both; the
guest, whose disk image is on GFS2, runs where it prefers and is live-migrated
while it keeps counting; a power cut of the node that runs it under write load
ends in a fence, journal recovery on the survivor (which stays writable), the
guest restarted there, and the node rejoining Primary with GFS2 mounted. Check
mode changes nothing, and cluster.conf rendered for the same inventory
validates against cman's schema.

The tests run in file order; each starts from the state the previous one left."""

from __future__ import annotations

import os
import re
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from labfixtures import ETC_HASH, INVENTORY, PROJECT, check_mode_run, get_host, wait_for

testinfra_hosts = ["ansible://node1", "ansible://node2"]
NODES = ("node1", "node2")
SCENARIO = PROJECT / "molecule" / "dual_primary_gfs2"
MOUNT = "/srv/gfs0"
IMAGE = f"{MOUNT}/guest1.img"
GUEST = "p_vm_guest1"
CLONES = ("cl_dlm", "cl_drbd_r0", "cl_fs_gfs0")
# Promotion, DLM and GFS2 on emulated CPUs; the lab guest (tests/lab/guest.py),
# emulated twice over, writes its first line about a minute after its start
# on an idle node, and takes minutes on a busy one.
SETTLE_TIMEOUT = 420
GUEST_BOOT_TIMEOUT = 360
MIGRATE_TIMEOUT = 300


def other(node: str) -> str:
    return next(n for n in NODES if n != node)


def crm_mon(node) -> ET.Element:
    return ET.fromstring(node.check_output("crm_mon --output-as=xml"))


def placement(node) -> dict:
    """{'online': [...], clone id: {role: [nodes]}, 'guest': (role, [nodes])} as `node` sees it."""
    root = crm_mon(node)
    out = {"online": sorted(n.get("name") for n in root.iter("node") if n.get("online") == "true" and n.get("type"))}
    for clone in root.iter("clone"):
        roles: dict = {}
        for res in clone.findall("resource"):
            if res.get("active") == "true":
                roles.setdefault(res.get("role"), []).extend(n.get("name") for n in res.findall("node"))
        out[clone.get("id")] = {role: sorted(nodes) for role, nodes in roles.items()}
    guest = next((r for r in root.iter("resource") if r.get("id") == GUEST), None)
    out["guest"] = (guest.get("role"), sorted(n.get("name") for n in guest.findall("node"))) if guest is not None \
        else (None, [])
    return out


def settled(node) -> dict | None:
    """The placement when both nodes run DLM, DRBD promoted and GFS2, and the guest runs on one node."""
    state = placement(node)
    both = list(NODES)
    ok = (state["online"] == both and state["cl_dlm"].get("Started") == both
          and state["cl_drbd_r0"].get("Promoted", state["cl_drbd_r0"].get("Master")) == both
          and state["cl_fs_gfs0"].get("Started") == both
          and state["guest"][0] == "Started" and len(state["guest"][1]) == 1)
    return state if ok else None


def guest_node(state: dict) -> str:
    return state["guest"][1][0]


# The image's first sector, read past every cache, without its NUL padding.
READ_SECTOR = f"dd if={IMAGE} bs=512 count=1 iflag=direct status=none | tr -d '\\0'"


def guest_line(node) -> dict | None:
    """What the guest last wrote to the first sector of its image (read past every cache), or None."""
    text = node.check_output(READ_SECTOR)
    match = re.search(r"hacluster-lab-guest boot=(\S+) count=(\d+) uptime=([\d.]+)", text)
    return {"boot": match[1], "count": int(match[2]), "uptime": float(match[3])} if match else None


def guest_counting(node, since: dict | None = None) -> dict | None:
    """The guest's line once it has moved on from `since` (or once there is one)."""
    line = guest_line(node)
    if line is None or (since is not None and line["boot"] == since["boot"] and line["count"] <= since["count"]):
        return None
    return line


def guest_report() -> str:
    """What each node knows of the guest, for a failure message: Pacemaker's view with fail counts, libvirt's
    domain (CPU time and disk writes show whether it runs at all), QEMU's log and process."""
    parts = [get_host("node1").run("crm_mon --one-shot --inactive --failcounts").stdout]
    for name in NODES:
        out = get_host(name).run(
            "virsh list --all; virsh domstats guest1 --state --cpu-total --block 2>&1; "
            "tail -n 15 /var/log/libvirt/qemu/guest1.log; ps -o pid,etime,time,args -C qemu-system-x86_64; "
            f"{READ_SECTOR} | head -c 200")
        parts.append(f"--- {name} ---\n{out.stdout}{out.stderr}")
    return "\n".join(parts)


def wait_for_guest(predicate, timeout: float, interval: float, what: str) -> dict:
    """wait_for on the guest's line; a timeout says what the nodes know of the guest."""
    try:
        return wait_for(predicate, timeout, interval=interval, what=what)
    except AssertionError as err:
        raise AssertionError(f"{err}\n{guest_report()}") from None


def new_boot(node, old: dict) -> dict | None:
    """The guest's line once a guest with another boot id than `old`'s writes it."""
    line = guest_line(node)
    return line if line is not None and line["boot"] != old["boot"] else None


def proc_drbd(node) -> str:
    return node.check_output("cat /proc/drbd")


def test_dlm_drbd_on_both_and_gfs2_mounted_on_both():
    node1 = get_host("node1")
    state = wait_for(lambda: settled(node1), SETTLE_TIMEOUT, interval=5, what="the cluster to settle")
    assert state["guest"][1] == ["node1"], state
    for name in NODES:
        host = get_host(name)
        assert re.search(r" 0: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate", proc_drbd(host))
        mount = host.check_output(f"findmnt --noheadings --output FSTYPE,SOURCE --mountpoint {MOUNT}").split()
        assert mount == ["gfs2", "/dev/drbd0"], mount
        lockspace = host.check_output("dlm_tool ls")
        assert re.search(r"^name\s+gfs0$", lockspace, re.M), lockspace
        assert re.search(r"^members\s+1 2\s*$", lockspace, re.M), lockspace
        # Debian's own dlm.service stays off: Pacemaker's controld runs dlm_controld.
        assert host.run("systemctl is-enabled dlm.service").stdout.strip() == "disabled"
    sb = node1.check_output("tunegfs2 -l /dev/drbd0")
    assert re.search(r"^Lock table: gfslab:gfs0$", sb, re.M), sb
    journals = node1.check_output("gfs2_edit -p jindex /dev/drbd0 | grep -c 'journal[0-9]'")
    assert int(journals) == 2, journals


def test_a_file_written_on_one_node_is_read_the_same_on_the_other():
    writer, reader = get_host("node1"), get_host("node2")
    writer.run_expect([0], f"dd if=/dev/urandom of={MOUNT}/payload bs=1M count=8 conv=fsync status=none")
    want = writer.check_output(f"md5sum < {MOUNT}/payload")
    assert reader.check_output(f"md5sum < {MOUNT}/payload") == want
    # And back: the reader appends, the writer reads the new content.
    reader.run_expect([0], f"dd if=/dev/urandom bs=1M count=2 status=none >> {MOUNT}/payload && sync")
    want = reader.check_output(f"md5sum < {MOUNT}/payload")
    assert writer.check_output(f"md5sum < {MOUNT}/payload") == want
    assert writer.check_output(f"stat -c %s {MOUNT}/payload") == str(10 * 1024 * 1024)


PING_PONG = "/usr/local/bin/ping_pong"


def ping_pong(hosts, seconds: int = 8) -> list[float]:
    """ctdb's ping_pong on `hosts` at once (3 locks: one more than the nodes, its rule), each for `seconds`;
    returns the last locks/sec figure each printed."""
    for host in hosts:
        host.run_expect([0], f"rm -f /root/ping_pong.out; (timeout {seconds} {PING_PONG} -rw {MOUNT}/pp.dat 3 "
                             "> /root/ping_pong.out 2>&1 &)")
    time.sleep(seconds + 2)
    rates = []
    for host in hosts:
        out = host.check_output("tr '\\r' '\\n' < /root/ping_pong.out")
        found = re.findall(r"^\s*(\d+) locks/sec", out, re.M)
        assert found, out
        # -rw checks that every increment the other node made is seen: no "data increment" complaints.
        assert "data increment" not in out or re.search(r"data increment = [12]\b", out), out
        rates.append(float(found[-1]))
    return rates


def test_ping_pong_takes_cluster_wide_locks_on_one_node_and_on_both():
    one = ping_pong([get_host("node1")])
    assert one[0] > 0, one
    both = ping_pong([get_host("node1"), get_host("node2")])
    assert all(rate > 0 for rate in both), both


def test_the_guest_runs_from_gfs2_on_its_preferred_node_only():
    node1, node2 = get_host("node1"), get_host("node2")
    line = wait_for_guest(lambda: guest_counting(node2), GUEST_BOOT_TIMEOUT, interval=5,
                          what="the guest to write its counter")
    assert line["count"] >= 1
    # The same definition on both nodes, outside libvirt's own directory; libvirt knows the guest only where
    # Pacemaker started it (a transient domain: nothing for libvirtd to autostart or start twice).
    config = "/etc/hacluster/domains/guest1.xml"
    assert node1.check_output(f"md5sum < {config}") == node2.check_output(f"md5sum < {config}")
    assert node1.check_output("virsh list --all --name").split() == ["guest1"]
    assert node2.check_output("virsh list --all --name").split() == []
    info = node1.check_output("virsh dominfo guest1")
    assert re.search(r"^State:\s+running$", info, re.M) and re.search(r"^Persistent:\s+no$", info, re.M), info
    assert re.search(r"^Autostart:\s+disable$", info, re.M), info
    assert IMAGE in node1.check_output("virsh domblklist guest1")


def test_the_lab_and_the_guest_resource_are_what_the_scenario_asks_for():
    """molecule.yml's lab_cpus reaches the VMs (lab.py up --cpus), and the guest's agent_params reach its
    VirtualDomain resource: with the autoset_utilization_* parameters false the agent writes no utilization attributes
    (it would, every 30 s, with the defaults)."""
    import yaml  # pylint: disable=import-outside-toplevel  # ships with ansible-core

    scenario = yaml.safe_load((SCENARIO / "molecule.yml").read_text())
    cpus = scenario["platforms"][0]["lab_cpus"]
    for name in NODES:
        assert int(get_host(name).check_output("nproc")) == cpus, name
    guest = scenario["provisioner"]["inventory"]["group_vars"]["hacluster"]["dual_primary_gfs2_vms"][0]
    wanted = guest["agent_params"]
    interval_ms = int(guest["operations"]["monitor"]["interval"].rstrip("s")) * 1000
    node1 = get_host("node1")
    # Past a recurring monitor of the running guest that succeeded (the CIB's status section records it), which
    # is what would add them.
    monitored = (f"//lrm_resource[@id='{GUEST}']/lrm_rsc_op[@operation='monitor'][@interval='{interval_ms}']"
                 "[@rc-code='0']")
    wait_for(lambda: node1.run(f"cibadmin --query --xpath \"{monitored}\"").rc == 0, SETTLE_TIMEOUT, interval=3,
             what="a monitor of the running guest")
    primitive = ET.fromstring(node1.check_output(f"cibadmin --query --xpath \"//primitive[@id='{GUEST}']\""))
    params = {nv.get("name"): nv.get("value") for nv in primitive.findall("instance_attributes/nvpair")}
    for key, value in wanted.items():
        assert params.get(key) == str(value).lower(), (key, params)
    assert primitive.findall("utilization/nvpair") == [], ET.tostring(primitive, encoding="unicode")


def test_live_migration_keeps_the_guest_running():
    admin = get_host("node1")
    before = wait_for_guest(lambda: guest_counting(admin), GUEST_BOOT_TIMEOUT, interval=5, what="the guest to count")
    migrations = migrate_to_count(admin)
    admin.run_expect([0], f"crm_resource --move --resource {GUEST} --node node2")
    try:
        wait_for(lambda: placement(admin)["guest"] == ("Started", ["node2"]), MIGRATE_TIMEOUT, interval=3,
                 what="the guest to run on node2")
    finally:
        admin.run_expect([0], f"crm_resource --clear --resource {GUEST}")
    node2 = get_host("node2")
    assert node2.check_output("virsh domstate guest1") == "running"
    assert admin.check_output("virsh list --all --name").split() == []
    # Migrated, not restarted: Pacemaker ran migrate_to on node1 (and the guest's boot id stays, below).
    assert migrate_to_count(admin) == migrations + 1
    after = wait_for_guest(lambda: guest_counting(node2, before), 60, interval=2, what="the guest to count on node2")
    assert after["boot"] == before["boot"], (before, after)
    assert after["count"] > before["count"] and after["uptime"] > before["uptime"], (before, after)
    # With the move cleared the guest stays on node2 (resource-stickiness above its preference) and counts on.
    state = wait_for(lambda: settled(admin), MIGRATE_TIMEOUT, interval=3, what="the cluster to settle")
    assert guest_node(state) == "node2", state
    later = wait_for_guest(lambda: guest_counting(node2, after), 60, interval=2, what="the guest to count on node2")
    assert later["boot"] == before["boot"], (before, later)


def migrate_to_count(host) -> int:
    """How many migrate_to operations of the guest succeeded on `host` (its pacemaker.log)."""
    return int(host.check_output(f"grep -c 'Result of migrate_to operation for {GUEST} on .*: ok' "
                                 "/var/log/pacemaker/pacemaker.log || true"))


RECOVERED = "journalctl -k -b --no-pager -o cat | grep -c 'gfs0.*: recover jid [0-9]* result success' || true"


def start_load(host) -> None:
    """Write 1 MiB files to GFS2 in a loop, counting the writes done, until /root/load.stop exists. The count
    is replaced by a rename, never rewritten in place: a reader sees the old number or the new one, not an
    empty file."""
    host.run_expect([0], "rm -f /root/load.stop /root/load.count; (nohup sh -c 'n=0; "
                         "while [ ! -e /root/load.stop ]; do "
                         f"dd if=/dev/urandom of={MOUNT}/load-$(hostname) bs=64k count=16 conv=fsync status=none "
                         "|| exit 1; n=$((n + 1)); echo $n > /root/load.count.new; "
                         "mv -f /root/load.count.new /root/load.count; done' >/dev/null 2>&1 &)")


def load_count(host) -> int:
    return int(host.check_output("cat /root/load.count 2>/dev/null || echo 0"))


def test_power_cut_under_write_load_is_fenced_recovered_and_rejoined(lab):
    node1 = get_host("node1")
    state = wait_for(lambda: settled(node1), SETTLE_TIMEOUT, interval=3, what="the cluster to settle")
    victim = guest_node(state)
    survivor = other(victim)
    alive = get_host(survivor)
    before = wait_for_guest(lambda: guest_counting(alive), 60, interval=2, what="the guest to count")
    fences_before = len(lab.fence_log())
    recovered = int(alive.check_output(RECOVERED))
    start_load(alive)
    start_load(get_host(victim))
    wait_for(lambda: load_count(alive) >= 2, 120, interval=2, what="the write load to run")
    lab.fault("poweroff", victim)
    try:
        # The survivor fences the victim through fence_lab; DLM and GFS2 wait for that, then the survivor
        # replays the victim's journal and goes on writing.
        wait_for(lambda: [e for e in lab.fence_log()[fences_before:] if e.get("requester") == survivor
                          and e.get("request", "").split()[-1:] == [victim] and e.get("reply", "").startswith("OK")],
                 SETTLE_TIMEOUT, interval=3, what=f"{survivor} to fence {victim}")
        history = alive.check_output(f"stonith_admin --history {victim}")
        assert "successful" in history.lower(), history
        written = load_count(alive)
        wait_for(lambda: load_count(alive) >= written + 3, SETTLE_TIMEOUT, interval=3,
                 what=f"GFS2 on {survivor} to take writes again")
        # GFS2 on the survivor replayed the victim's journal ("recover jid N result success" in its kernel log).
        assert int(alive.check_output(RECOVERED)) > recovered, alive.check_output(
            "journalctl -k -b --no-pager -o cat | grep gfs2 | tail -20")
        alive.run_expect([0], f"dd if=/dev/urandom of={MOUNT}/after-crash bs=1M count=2 conv=fsync status=none")
        crash_md5 = alive.check_output(f"md5sum < {MOUNT}/after-crash")
        # Pacemaker starts the guest again on the survivor (its boot is checked below, once the victim is back:
        # both take minutes on emulated nodes and run at the same time).
        wait_for(lambda: placement(alive)["guest"] == ("Started", [survivor]), SETTLE_TIMEOUT, interval=3,
                 what=f"the guest to be restarted on {survivor}")
    finally:
        alive.run("touch /root/load.stop")
    # The fence power-cycled the victim: it boots, Pacemaker starts at boot, DRBD resyncs what the survivor wrote
    # alone and both nodes are Primary with GFS2 mounted again; the guest stays on the survivor.
    lab.wait(victim)
    back = get_host(victim)
    state = wait_for(lambda: settled(alive), SETTLE_TIMEOUT, interval=5, what=f"{victim} to rejoin")
    assert re.search(r" 0: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate", proc_drbd(back))
    assert back.check_output(f"md5sum < {MOUNT}/after-crash") == crash_md5
    assert state["guest"] == ("Started", [survivor]), state
    # A restart, not the old guest: a new boot id, counting.
    restarted = wait_for_guest(lambda: new_boot(alive, before), GUEST_BOOT_TIMEOUT, interval=5,
                               what="the restarted guest to count")
    assert restarted["count"] >= 1
    wait_for(lambda: "drbd-fence-by-handler" not in alive.check_output("cibadmin --query --scope constraints"),
             120, interval=3, what="the DRBD fencing constraint to be lifted")


def test_check_mode_on_a_converged_cluster_changes_nothing():
    hosts = [get_host(n) for n in NODES]
    wait_for(lambda: settled(hosts[0]), SETTLE_TIMEOUT, interval=3, what="the cluster to settle")
    before = [h.check_output(ETC_HASH) for h in hosts]
    check_mode_run(SCENARIO / "converge.yml", list(NODES))
    assert [h.check_output(ETC_HASH) for h in hosts] == before


def test_cluster_conf_for_the_same_inventory_validates_against_cmans_schema(tmp_path):
    from lxml import etree

    conf = tmp_path / "cluster.conf"
    proc = subprocess.run(["ansible-playbook", "-i", str(INVENTORY), str(SCENARIO / "render_cman.yml"),
                           "-e", f"render_cman_dest={conf}"],
                          capture_output=True, text=True, timeout=600, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    schemas = Path(os.environ.get("HACLUSTER_SHARED_SCHEMAS", Path(PROJECT).resolve().parent / "shared" / "schemas"))
    schema = etree.RelaxNG(etree.parse(str(schemas / "cluster.rng")))
    doc = etree.parse(str(conf))
    assert schema.validate(doc), schema.error_log
    root = doc.getroot()
    assert root.get("name") == "gfslab"
    assert sorted(n.get("name") for n in root.iter("clusternode")) == list(NODES)
    assert [v.get("name") for v in root.iter("vm")] == ["guest1"]
