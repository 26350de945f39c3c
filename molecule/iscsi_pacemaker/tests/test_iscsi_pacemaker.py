# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""Seed 003's cluster, checked from outside: Pacemaker runs the whole group
where DRBD is promoted, the initiator logs in through the cluster IP, the
seed's own test (a large write with a known md5 while the group moves back and
forth) passes, and a power cut of the active node under write load ends in a
fence, a take-over, the initiator's I/O resuming and the fenced node rejoining
unpromoted and resyncing. A re-run with the passive node in standby leaves
DRBD down there. Check mode changes nothing.

The tests run in file order; each starts from the state the previous one left."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from labfixtures import ETC_HASH, PROJECT, check_mode_run, get_host, playbook_run, wait_for

testinfra_hosts = ["ansible://node1", "ansible://node2"]
NODES = ("node1", "node2")
CLUSTER_IP = "192.168.101.100"
IQN = "iqn.2026-11.org.hacluster.lab:storage.vg-iscsi"
GROUP = "g_vg_iscsi"
CLONE = "cl_drbd_r0"
LUN = f"/dev/disk/by-path/ip-{CLUSTER_IP}:3260-iscsi-{IQN}-lun-1"
PAYLOAD_MIB = 48
# Seconds between the writer's 1 MiB writes: the write lasts >= 48 s.
WRITE_PAUSE = 1
# Moving the group: demote/promote DRBD and start LVM, LIO target, LU and IP
# on an emulated CPU (targetcli alone takes seconds per call there).
MOVE_TIMEOUT = 300


def crm_mon(node) -> ET.Element:
    return ET.fromstring(node.check_output("crm_mon --output-as=xml"))


def placement(node) -> dict:
    """{'online': [...], 'promoted': [...], 'unpromoted': [...], 'group': {rsc: (role, [nodes])}, 'fence': [...]}."""
    root = crm_mon(node)
    out = {"online": sorted(n.get("name") for n in root.iter("node") if n.get("online") == "true" and n.get("type"))}
    clone = next(c for c in root.iter("clone") if c.get("id") == CLONE)
    roles = [(r.get("role"), [n.get("name") for n in r.findall("node")]) for r in clone.findall("resource")]
    out["promoted"] = sorted(n for role, nodes in roles if role in ("Promoted", "Master") for n in nodes)
    out["unpromoted"] = sorted(n for role, nodes in roles if role in ("Unpromoted", "Slave") for n in nodes)
    group = next((g for g in root.iter("group") if g.get("id") == GROUP), None)
    out["group"] = {r.get("id"): (r.get("role"), [n.get("name") for n in r.findall("node")])
                    for r in (group.findall("resource") if group is not None else [])}
    out["fence"] = [n.get("name") for r in root.iter("resource") if r.get("id") == "fence_lab"
                    and r.get("role") == "Started" for n in r.findall("node")]
    return out


def serving_node(state: dict) -> str | None:
    """The node that runs every member of the group, with DRBD promoted there; None otherwise."""
    roles = [role for role, where in state["group"].values()]
    nodes = {tuple(where) for role, where in state["group"].values() if role == "Started"}
    if len(state["group"]) != 4 or len(nodes) != 1 or any(role != "Started" for role in roles):
        return None
    (where,) = nodes
    if len(where) != 1 or state["promoted"] != [where[0]]:
        return None
    return where[0]


def any_node():
    for name in NODES:
        host = get_host(name)
        if host.run("true").rc == 0:
            return host
    raise AssertionError("no target node answers")


def active() -> str | None:
    try:
        return serving_node(placement(any_node()))
    except Exception:  # noqa: BLE001 - a node in the middle of a transition may not answer
        return None


def proc_drbd(node) -> str:
    return node.file("/proc/drbd").content_string


def client():
    return get_host("client1")


def start_writer(name: str) -> None:
    """Write the payload to the LUN in the background on the client, 1 MiB
    direct write at a time with a pause after each, so the write lasts at
    least PAYLOAD_MIB * WRITE_PAUSE seconds however fast the machine is and
    the faults below land in the middle of it. The first failed write ends it
    with that write's exit status; /root/NAME.done counts the MiB written.
    Returns once the write is under way (and still running)."""
    c = client()
    script = f"""i=0
while [ $i -lt {PAYLOAD_MIB} ]; do
    dd if=/dev/shm/payload of={LUN} bs=1M count=1 skip=$i seek=$i oflag=direct status=none || exit $?
    i=$((i + 1)); echo $i > /root/$1.done; sleep {WRITE_PAUSE}
done
"""
    c.run_expect([0], f"cat > /root/writer.sh <<'EOF'\n{script}EOF")
    c.run_expect([0], f"rm -f /root/{name}.rc /root/{name}.done; "
                      f"nohup sh -c 'sh /root/writer.sh {name}; echo $? > /root/{name}.rc' >/root/{name}.log 2>&1 &")
    wait_for(lambda: written_mib(name) >= 2, 120, interval=1, what=f"the {name} write to get going")
    assert writer_done(name) is None, f"the {name} write finished before the fault"


def written_mib(name: str) -> int:
    out = client().run(f"cat /root/{name}.done")
    return int(out.stdout.strip()) if out.rc == 0 and out.stdout.strip() else 0


def writer_done(name: str) -> int | None:
    out = client().run(f"cat /root/{name}.rc")
    return int(out.stdout.strip()) if out.rc == 0 and out.stdout.strip() else None


def new_payload() -> str:
    """Fresh random payload on the client; returns its md5."""
    c = client()
    c.run_expect([0], f"dd if=/dev/urandom of=/dev/shm/payload bs=1M count={PAYLOAD_MIB} status=none")
    return c.check_output("md5sum < /dev/shm/payload").split()[0]


def writer_succeeded(name: str) -> None:
    """Wait for the background write to end and require exit status 0."""
    rc = wait_for(lambda: writer_done(name) is not None and [writer_done(name)], MOVE_TIMEOUT, interval=3,
                  what=f"the {name} write to finish")
    assert rc == [0], client().check_output(f"cat /root/{name}.log")


def lun_md5() -> str:
    return client().check_output(
        f"dd if={LUN} bs=1M count={PAYLOAD_MIB} iflag=direct status=none | md5sum").split()[0]


def test_cluster_is_formed_with_fencing():
    state = placement(get_host("node1"))
    assert state["online"] == ["node1", "node2"], state
    assert len(state["fence"]) == 1, state
    node1 = get_host("node1")
    props = node1.check_output("crm_attribute --type crm_config --name stonith-enabled --query --quiet")
    assert props.strip() == "true"
    # The authkey is the same on both nodes, never readable by others.
    keys = {get_host(n).check_output("md5sum < /etc/corosync/authkey") for n in NODES}
    assert len(keys) == 1
    assert get_host("node2").file("/etc/corosync/authkey").mode == 0o400


def test_only_what_the_nodes_run_is_installed():
    """Installed without recommendations: the scenario's fencing needs no
    fence-agents (pacemaker recommends it, with cloud SDKs), and no resource
    agent of the group needs the Google API client (resource-agents recommends it)."""
    for name in NODES:
        host = get_host(name)
        for needed in ("pacemaker", "pacemaker-cli-utils", "resource-agents", "targetcli-fb", "lvm2"):
            assert host.package(needed).is_installed, (name, needed)
        for unwanted in ("fence-agents", "python3-googleapi"):
            assert not host.package(unwanted).is_installed, (name, unwanted)


def test_everything_runs_where_drbd_is_promoted():
    where = wait_for(active, MOVE_TIMEOUT, interval=3, what="the group to run where DRBD is promoted")
    other = next(n for n in NODES if n != where)
    state = placement(get_host(where))
    assert state["unpromoted"] == [other], state
    assert re.search(r" 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate", proc_drbd(get_host(where)))
    node = get_host(where)
    assert CLUSTER_IP in node.check_output("ip -br addr")
    assert node.run(f"test -d /sys/kernel/config/target/iscsi/{IQN}").rc == 0
    assert node.check_output("lvs --noheadings -o lv_active vg_iscsi/lun1").strip() == "active"
    idle = get_host(other)
    assert CLUSTER_IP not in idle.check_output("ip -br addr")
    assert idle.run(f"test -d /sys/kernel/config/target/iscsi/{IQN}").rc != 0
    # drbd.service stays off: ocf:linbit:drbd brings the resource up.
    assert not idle.service("drbd").is_enabled


def test_initiator_sees_the_lun_through_the_cluster_ip():
    c = client()
    sessions = c.check_output("iscsiadm -m session")
    assert f"{CLUSTER_IP}:3260" in sessions and IQN in sessions, sessions
    assert c.file(LUN).exists
    size = int(c.check_output(f"blockdev --getsize64 {LUN}"))
    assert size == 128 * 1024 * 1024
    assert c.file("/etc/iscsi/initiatorname.iscsi").contains("InitiatorName=iqn.2026-11.org.hacluster.lab:client1")


def move(to: str) -> None:
    node = get_host(to)
    node.run_expect([0], f"crm_resource --move --resource {GROUP} --node {to}")
    try:
        wait_for(lambda: active() == to, MOVE_TIMEOUT, interval=3, what=f"the group to run on {to}")
    finally:
        node.run_expect([0], f"crm_resource --clear --resource {GROUP}")


def failed_operations(node) -> list[dict]:
    """The operations Pacemaker records as failed (crm_mon's <failures>)."""
    return [dict(f.attrib) for f in crm_mon(node).iter("failure")]


def test_large_write_survives_moving_the_group_back_and_forth(lab):
    want = new_payload()
    first = active()
    assert first, "the group is not running"
    other = next(n for n in NODES if n != first)
    fences_before = len(lab.fence_log())
    start_writer("moves")
    move(other)
    move(first)
    writer_succeeded("moves")
    assert lun_md5() == want
    # The data is on both nodes.
    assert re.search(r"ds:UpToDate/UpToDate", proc_drbd(get_host(first)))
    # A planned move is done by the agents alone: no operation failed or
    # timed out on the way and nobody was fenced (a group that only got
    # here because a node was shot would pass the checks above).
    assert lab.power_actions(fences_before) == [], lab.fence_log()[fences_before:]
    assert failed_operations(get_host(first)) == []


def wait_rejoined(node: str, serving: str) -> None:
    """Wait until `node` runs DRBD unpromoted under Pacemaker (as `serving`
    sees it) and is Connected Secondary/Primary, UpToDate on both sides."""
    wait_for(lambda: placement(get_host(serving))["unpromoted"] == [node], MOVE_TIMEOUT, interval=3,
             what=f"{node} to rejoin unpromoted")
    wait_for(lambda: re.search(r" 0: cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate", proc_drbd(get_host(node))),
             MOVE_TIMEOUT, interval=3, what=f"{node} to resync")


def test_power_cut_under_write_load_is_fenced_taken_over_and_resynced(lab):
    want = new_payload()
    victim = active()
    assert victim, "the group is not running"
    survivor = next(n for n in NODES if n != victim)
    fences_before = len(lab.fence_log())
    start_writer("crash")
    lab.fault("poweroff", victim)
    wait_for(lambda: active() == survivor, MOVE_TIMEOUT, interval=3, what=f"{survivor} to take over")
    # The survivor's Pacemaker fenced the victim through fence_lab before promoting DRBD.
    fences = [e for e in lab.fence_log()[fences_before:] if e.get("requester") == survivor
              and e.get("request", "").split()[-1:] == [victim] and e.get("reply", "").startswith("OK")]
    assert fences, lab.fence_log()[fences_before:]
    history = get_host(survivor).check_output(f"stonith_admin --history {victim}")
    assert "successful" in history or "Successful" in history, history
    writer_succeeded("crash")
    assert lun_md5() == want

    # The fence power-cycled the victim: it boots, Pacemaker starts at boot,
    # DRBD comes up unpromoted and resyncs what the survivor wrote alone; the
    # group stays where it is (stickiness), and the fencing constraint DRBD's
    # handler placed is lifted after the resync.
    lab.wait(victim)
    back = get_host(victim)
    wait_rejoined(victim, survivor)
    assert "resync" in back.check_output("journalctl -k -b --no-pager | grep -i 'resync' || true").lower()
    assert active() == survivor
    wait_for(lambda: "drbd-fence-by-handler" not in get_host(survivor).check_output("cibadmin --query --scope constraints"),
             120, interval=3, what="the DRBD fencing constraint to be lifted")
    assert lun_md5() == want


def drbd_down(node) -> bool:
    """The resource (minor 0) is not configured in the kernel."""
    return not re.search(r"^ *0: cs:(?!Unconfigured)", proc_drbd(node), re.M)


def test_rerun_with_the_passive_node_in_standby_leaves_drbd_down_there():
    """Maintenance: the passive node goes into standby (Pacemaker stops DRBD
    there) and the playbook runs again on every host. It must change nothing,
    leave DRBD down on the standby node and the group where it runs; after
    standby is lifted the node rejoins unpromoted and catches up."""
    serving = active()
    assert serving, "the group is not running"
    passive = next(n for n in NODES if n != serving)
    admin = get_host(serving)
    admin.run_expect([0], f"crm_attribute --node {passive} --name standby --update on")
    try:
        wait_for(lambda: drbd_down(get_host(passive)), MOVE_TIMEOUT, interval=3,
                 what=f"Pacemaker to stop DRBD on {passive}")
        # Also the scenario's idempotence proof: every host, zero changes.
        playbook_run(PROJECT / "molecule" / "iscsi_pacemaker" / "converge.yml", [*NODES, "client1"])
        assert drbd_down(get_host(passive)), proc_drbd(get_host(passive))
        assert active() == serving
    finally:
        admin.run_expect([0], f"crm_attribute --node {passive} --name standby --delete")
    wait_rejoined(passive, serving)
    assert active() == serving


def test_check_mode_on_a_converged_cluster_changes_nothing():
    hosts = [get_host(n) for n in (*NODES, "client1")]
    before = [h.check_output(ETC_HASH) for h in hosts]
    where = active()
    check_mode_run(PROJECT / "molecule" / "iscsi_pacemaker" / "converge.yml", [*NODES, "client1"])
    assert [h.check_output(ETC_HASH) for h in hosts] == before
    assert active() == where
