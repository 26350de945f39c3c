# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""Timelines of a fail-over from the cluster manager's own logs, for `make bench`.

Pure functions over log text: each returns steps (an operation on a node with its
start and end) and point events (token lost, node lost, ...), in seconds since
the epoch of the node that wrote the log. `summary()` splits a fail-over window
into the time some agent or helper was working and the time none was (the
cluster manager's own handling: detection, scheduling, messages, waits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

# "Nov 30 10:15:15.709 node2 ..." (pacemaker.log, journalctl -o short-precise)
STAMP = re.compile(r"^(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?) (?P<host>\S+) (?P<rest>.*)$")


@dataclass
class Step:
    node: str
    what: str
    start: float
    end: float | None = None  # None: a point event, or an operation that never finished in the log
    fencing: bool = False  # a node being fenced (Pacemaker's fencer, Heartbeat's STONITH reset)


def stamp(text: str, year: int) -> float:
    """Epoch seconds of a syslog-style time stamp (the nodes log in UTC)."""
    fmt = "%Y %b %d %H:%M:%S.%f" if "." in text else "%Y %b %d %H:%M:%S"
    return datetime.strptime(f"{year} {' '.join(text.split())}", fmt).replace(tzinfo=timezone.utc).timestamp()


def lines_with_time(text: str, year: int):
    for line in text.splitlines():
        match = STAMP.match(line)
        if match:
            yield stamp(match["ts"], year), match["host"], match["rest"]


INITIATING = re.compile(r"Initiating (?P<op>\w+) operation (?P<key>\S+) (?:locally )?on (?P<node>\S+) \| action (?P<n>\d+)")
CONFIRMED = re.compile(r"Transition \d+ action (?P<n>\d+) \((?P<key>\S+) on (?P<node>\S+)\) confirmed: (?P<result>[^|]*)")
CANCELLED = re.compile(r"Cancellation of \S+ on (?P<node>\S+) confirmed \(action (?P<n>\d+)\)")
FENCE_ASKED = re.compile(r"wants to fence \((?P<action>\w+)\) (?P<node>\S+)")
FENCE_DONE = re.compile(r"Operation '(?P<action>\w+)' targeting (?P<node>\S+) by \S+ for \S+: (?P<result>\S+)")
NODE_LOST = re.compile(r"pacemaker-controld.*Node (?P<node>\S+) state is now lost")


def pacemaker_steps(text: str, year: int) -> list[Step]:
    """Every action the DC ran in `text` (its pacemaker.log), from "Initiating" to "confirmed", with fencing and
    the loss of a node. Steps keep Pacemaker's action keys without the trailing "_0" (p_lvm_vg_iscsi_start,
    p_drbd_r0_pre_notify_promote, p_ip_vg_iscsi_monitor_20000); probes are "<resource> probe", cancelled
    monitors "cancel <key>"."""
    steps: list[Step] = []
    pending: dict[tuple[str, str], Step] = {}
    fencing: dict[str, Step] = {}
    for when, host, rest in lines_with_time(text, year):
        if match := INITIATING.search(rest):
            key = match["key"]
            if match["op"] == "cancel":
                what = f"cancel {key}"
            elif key.endswith("_monitor_0"):
                what = f"{key[:-len('_monitor_0')]} probe"
            else:
                what = re.sub(r"_0$", "", key)
            step = Step(match["node"], what, when)
            pending[(match["n"], match["node"])] = step
            steps.append(step)
        elif match := CONFIRMED.search(rest):
            step = pending.pop((match["n"], match["node"]), None)
            if step is not None:
                step.end = when
                result = match["result"].strip()
                if result not in ("ok", "not running", "promoted"):
                    step.what += f" ({result})"
        elif match := CANCELLED.search(rest):
            step = pending.pop((match["n"], match["node"]), None)
            if step is not None:
                step.end = when
        elif match := FENCE_ASKED.search(rest):
            step = Step(match["node"], f"fence ({match['action']}, asked on {host})", when, fencing=True)
            fencing[match["node"]] = step
            steps.append(step)
        elif match := FENCE_DONE.search(rest):
            step = fencing.pop(match["node"], None)
            if step is not None:
                step.end = when
        elif match := NODE_LOST.search(rest):
            steps.append(Step(match["node"], f"seen lost by {host}", when))
    return steps


# Heartbeat (R1, haresources): ResourceManager logs when it runs each script, not when the script returns; a
# step therefore ends at the node's next ResourceManager line (or the hand-over's end), so the status check
# ResourceManager runs before each start is counted in the step before it.
HB_RUNNING = re.compile(r"^ResourceManager\S*: info: Running (?P<cmd>.+?)\s+(?P<op>start|stop)$")
HB_SOURCES = re.compile(r"^(?:heartbeat|ResourceManager|mach_down|ip-request-resp)\S*: ")
# What ends a running script: ResourceManager going on, or the hand-over being reported done (other Heartbeat
# lines, such as a peer declared dead, come from other processes while the script still runs).
HB_STEP_OVER = re.compile(r"^(?:ResourceManager|mach_down)\S*: "
                          r"|^heartbeat: .*(?:relinquished|release completed|acquisition completed)")
HB_EVENTS = [
    (re.compile(r"Heartbeat shutdown in progress"), "Heartbeat shutting down"),
    (re.compile(r"(\S+) wants to go standby"), "{0} asks to go standby"),
    (re.compile(r"All HA resources relinquished|all HA resource release completed"), "all resources released"),
    (re.compile(r"standby: acquire \[\w+\] resources from (\S+)"), "take-over begins"),
    (re.compile(r"Received shutdown notice from '(\S+)'"), "shutdown notice from {0}"),
    (re.compile(r"node (\S+): is dead"), "{0} declared dead"),
    (re.compile(r"Taking over resource group"), "take-over begins"),
    (re.compile(r"mach_down takeover complete\."), "take-over complete"),
    (re.compile(r"Local Resource acquisition completed"), "local resources acquired"),
]
HB_RESET = re.compile(r"Resetting node (?P<node>\S+) with")
HB_RESET_DONE = re.compile(r"node (?P<node>\S+) now reset")


def heartbeat_steps(text: str, year: int) -> list[Step]:
    """Heartbeat's resource scripts, STONITH resets and hand-over events in `text` (one node's journal, -o
    short-precise). Script steps are named like "Filesystem stop", "smbd start"."""
    steps: list[Step] = []
    running: Step | None = None
    resets: dict[str, Step] = {}
    for when, host, rest in lines_with_time(text, year):
        rest = re.sub(r"^(\S+?)\[\d+\]: (?:\[\d+\]: )?", r"\1: ", rest)
        if not HB_SOURCES.match(rest):
            continue
        if running is not None and HB_STEP_OVER.match(rest):
            running.end = when
            running = None
        if match := HB_RUNNING.search(rest):
            script = match["cmd"].split()[0].rsplit("/", 1)[-1]
            running = Step(host, f"{script} {match['op']}", when)
            steps.append(running)
        elif match := HB_RESET.search(rest):
            resets[match["node"]] = Step(match["node"], f"STONITH reset (by {host})", when, fencing=True)
            steps.append(resets[match["node"]])
        elif match := HB_RESET_DONE.search(rest):
            step = resets.pop(match["node"], None)
            if step is not None:
                step.end = when
        else:
            for pattern, label in HB_EVENTS:
                if event := pattern.search(rest):
                    steps.append(Step(host, label.format(*event.groups()), when))
                    break
    return steps


def summary(steps: list[Step], start: float, end: float) -> dict[str, float]:
    """Seconds of the window [start, end]: `window_s`, `agents_s` (some step was running), `cluster_s` (none
    was: the cluster manager's own handling)."""
    spans = sorted((max(s.start, start), min(s.end, end)) for s in steps if s.end is not None
                   and s.end > start and s.start < end)
    busy, cur_start, cur_end = 0.0, None, None
    for a, b in spans:
        if cur_end is None or a > cur_end:
            if cur_end is not None:
                busy += cur_end - cur_start
            cur_start, cur_end = a, b
        else:
            cur_end = max(cur_end, b)
    if cur_end is not None:
        busy += cur_end - cur_start
    window = end - start
    return {"window_s": round(window, 1), "agents_s": round(busy, 1), "cluster_s": round(window - busy, 1)}


def render(steps: list[Step], start: float, end: float | None = None) -> list[str]:
    """One line per step inside the window: start and end in seconds from `start`, duration, node, what."""
    out = []
    for step in sorted(steps, key=lambda s: s.start):
        if step.start < start - 1 or (end is not None and step.start > end):
            continue
        if step.end is None:
            out.append(f"{step.start - start:+7.1f}                  {step.node:<8} {step.what}")
        else:
            out.append(f"{step.start - start:+7.1f} {step.end - start:+7.1f} {step.end - step.start:6.1f}s  "
                       f"{step.node:<8} {step.what}")
    return out
