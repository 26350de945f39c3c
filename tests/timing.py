# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""Seconds per step of `make test`, printed as a table and kept as JSON.

    timing.py reset                       start a new record (the total counts from here)
    timing.py step NAME -- CMD ...        run CMD, record its seconds under NAME, pass its exit code on
    timing.py molecule SCENARIO ...       `molecule test` of each scenario, every action's seconds
                                          recorded as SCENARIO.ACTION
    timing.py report                      print the table, write tests/output/make-test-times.json

The JSON is {"total_s": N, "steps": {"name": seconds, ...}, "failed": [names]}.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "output"
RECORD = OUT / "make-test-steps.jsonl"
RESULT = OUT / "make-test-times.json"


def record(name: str, seconds: float, rc: int) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with RECORD.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"name": name, "seconds": round(seconds, 1), "rc": rc, "end": time.time()}) + "\n")


def timed(name: str, argv: list[str]) -> int:
    started = time.monotonic()
    rc = subprocess.call(argv)
    record(name, time.monotonic() - started, rc)
    return rc


ACTION = re.compile(r"\[(?P<scenario>[\w.-]+) > (?P<action>\w+)\] (?P<what>Executing|Executed)")
COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def molecule(scenarios: list[str]) -> int:
    """`molecule test` per scenario; each action's seconds are read off the
    moment Molecule logs its start and end (create also runs prepare in
    Molecule 26's create sequence: the two are timed apart)."""
    failed = 0
    for scenario in scenarios:
        print(f"=== molecule test -s {scenario}", flush=True)
        started = time.monotonic()
        proc = subprocess.Popen(["molecule", "test", "-s", scenario], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1,
                                env=dict(os.environ, PYTHONUNBUFFERED="1"))
        opened: dict[str, float] = {}
        seen: set[str] = set()
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            match = ACTION.search(COLOUR.sub("", line))
            if not match or match["scenario"] != scenario:
                continue
            action = match["action"]
            if match["what"] == "Executing":
                opened[action] = time.monotonic()
            elif action in opened:
                # The sequence's first destroy clears what an interrupted run left.
                name = "cleanup" if action == "destroy" and action not in seen else action
                seen.add(action)
                ok = "Failed" not in line
                record(f"{scenario}.{name}", time.monotonic() - opened.pop(action), 0 if ok else 1)
        rc = proc.wait()
        record(scenario, time.monotonic() - started, rc)
        failed += rc != 0
    return 1 if failed else 0


def report() -> int:
    rows = []
    if RECORD.exists():
        rows = [json.loads(line) for line in RECORD.read_text().splitlines() if line.strip()]
    begin = float((OUT / "make-test-start").read_text()) if (OUT / "make-test-start").exists() else None
    total = (time.time() - begin) if begin else sum(r["seconds"] for r in rows if "." not in r["name"])
    steps = {r["name"]: r["seconds"] for r in rows}
    failed = [r["name"] for r in rows if r["rc"] != 0]
    RESULT.write_text(json.dumps({"total_s": round(total, 1), "steps": steps, "failed": failed}, indent=2) + "\n")
    width = max([len(n) for n in steps] + [10])
    print(f"\n{'step':<{width}}  {'seconds':>8}")
    for r in rows:
        indent = "  " if "." in r["name"] else ""
        mark = "  FAILED" if r["rc"] != 0 else ""
        print(f"{indent + r['name']:<{width}}  {r['seconds']:8.1f}{mark}")
    print(f"{'total':<{width}}  {total:8.1f}   ({total / 60:.1f} min)")
    print(f"(written to {RESULT.relative_to(ROOT)})")
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "reset":
        OUT.mkdir(parents=True, exist_ok=True)
        RECORD.unlink(missing_ok=True)
        (OUT / "make-test-start").write_text(str(time.time()))
        return 0
    if cmd == "step":
        name, rest = args[0], args[1:]
        if rest[:1] == ["--"]:
            rest = rest[1:]
        return timed(name, rest)
    if cmd == "molecule":
        return molecule(args)
    if cmd == "report":
        return report()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
