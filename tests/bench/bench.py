# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""`make bench`: measure the lab and print the figures.

Figures are printed, never asserted: they depend on the machine.
    image_cold_s      building the base image and offline repository from scratch
                      (from the cache manifest, or measured now with BENCH_COLD=1)
    image_warm_s      reusing the cached image
    up_N_vms_s        `lab.py up` until every VM answers on ssh, for N = 2 and 3
    down_N_vms_s      tearing that lab down
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAB = [sys.executable, str(ROOT / "tests" / "lab" / "lab.py")]


def timed(args: list[str], env: dict | None = None) -> tuple[float, dict]:
    start = time.monotonic()
    proc = subprocess.run(LAB + args, capture_output=True, text=True, env=env, check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"lab.py {' '.join(args)} failed:\n{proc.stderr}")
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError:
        out = {}
    return round(seconds, 1), out


def main() -> int:
    figures: dict[str, object] = {}
    if os.environ.get("BENCH_COLD") == "1":
        with tempfile.TemporaryDirectory(prefix="lab-bench-cache-") as cache:
            env = dict(os.environ, HACLUSTER_LAB_CACHE=cache)
            figures["image_cold_s"] = timed(["image"], env)[0]
            figures["image_cold_source"] = "measured now"
    seconds, manifest = timed(["image"])
    figures["image_warm_s"] = seconds
    figures.setdefault("image_cold_s", manifest.get("build_seconds"))
    figures.setdefault("image_cold_source", f"cache manifest, built {manifest.get('built')}")
    figures["image_key"] = manifest.get("key")
    figures["repo_packages"] = manifest.get("repo_packages")
    for count in (2, 3):
        name = f"bench{count}"
        try:
            figures[f"up_{count}_vms_s"], up = timed(["up", "--name", name, "--vms", str(count)])
            figures[f"ssh_ready_{count}_vms_per_vm_s"] = up.get("per_vm")
            figures["accel"] = up.get("accel")
        finally:
            figures[f"down_{count}_vms_s"] = timed(["down", "--name", name])[0]
    width = max(len(k) for k in figures)
    print("lab figures")
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
    print("BENCH " + json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
