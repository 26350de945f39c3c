# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""The heartbeat role rewrites ha_clustermsg in /etc/ha.d/shellfuncs so that a
cluster message reaches Heartbeat's FIFO in one write (resource-agents issue
#396). These tests apply the role's own expression to the function as Debian
ships it, the way ansible.builtin.replace does, and run the result in dash with
several senders at once against a real FIFO."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve()
ROLE_TASKS = HERE.parents[3] / "roles" / "heartbeat" / "tasks" / "main.yml"
TASK = "Make Heartbeat's shell cluster messages one write each"
UPSTREAM = HERE.parents[2] / "unit" / "fixtures" / "heartbeat" / "shellfuncs-ha_clustermsg.txt"

SENDERS = 3
MESSAGES_EACH = 60


def role_vars() -> dict:
    """The expression and its replacement, as the role's task has them."""
    tasks = yaml.safe_load(ROLE_TASKS.read_text(encoding="utf-8"))
    (task,) = [task for task in tasks if task.get("name") == TASK]
    assert task["ansible.builtin.replace"]["replace"] == "\\1{{ __heartbeat_atomic_writer }}"
    return task["vars"]


def rewritten(text: str) -> tuple[str, int]:
    """What ansible.builtin.replace makes of `text` (it uses re.MULTILINE)."""
    names = role_vars()
    return re.subn(names["__heartbeat_split_writer"],
                   "\\1" + names["__heartbeat_atomic_writer"], text, flags=re.MULTILINE)


def send_and_read(function: str, tmp_path: Path) -> tuple[int, list[str]]:
    """SENDERS dash processes each send MESSAGES_EACH three-line messages through
    `function` into one FIFO. Returns how many arrived as a whole frame
    (">>>", three name=value lines, "<<<") and the lines that did not fit one."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    script = tmp_path / "send.sh"
    script.write_text(
        f"HA_FIFO={fifo}\n{function}\n"
        'i=0\nwhile [ $i -lt "$2" ]; do\n  i=$((i + 1))\n'
        '  printf "t=resource\\nrsc_hold=foreign\\ninfo=sender-%s-%s\\n" "$1" "$i" | ha_clustermsg\ndone\n',
        encoding="utf-8")
    received: list[str] = []

    def reader():
        with open(fifo, encoding="utf-8") as stream:
            received.extend(stream.read().split("\n"))

    # Hold a writer end open ourselves so the reader sees EOF only at the end.
    thread = threading.Thread(target=reader)
    thread.start()
    keep = os.open(fifo, os.O_WRONLY)
    try:
        senders = [subprocess.Popen([shutil.which("dash") or "sh", str(script), str(n), str(MESSAGES_EACH)])
                   for n in range(SENDERS)]
        for sender in senders:
            assert sender.wait(timeout=120) == 0
    finally:
        os.close(keep)
        thread.join(timeout=30)
    whole, stray, i = 0, [], 0
    lines = [line for line in received if line]
    while i < len(lines):
        frame = lines[i:i + 5]
        if (len(frame) == 5 and frame[0] == ">>>" and frame[4] == "<<<"
                and all("=" in line and line not in (">>>", "<<<") for line in frame[1:4])):
            whole += 1
            i += 5
        else:
            stray.append(lines[i])
            i += 1
    return whole, stray


def test_the_expression_finds_the_function_debian_ships():
    text, count = rewritten(UPSTREAM.read_text(encoding="utf-8"))
    assert count == 1
    assert "| cat - >> $HA_FIFO" not in text
    assert text.splitlines()[1] == "\t" + role_vars()["__heartbeat_atomic_writer"]


def test_a_rewritten_file_is_left_as_it_is():
    once = rewritten(UPSTREAM.read_text(encoding="utf-8"))[0]
    twice, count = rewritten(once)
    assert (twice, count) == (once, 0)


def test_concurrent_messages_arrive_whole(tmp_path):
    function = rewritten(UPSTREAM.read_text(encoding="utf-8"))[0]
    whole, stray = send_and_read(function, tmp_path)
    assert stray == []
    assert whole == SENDERS * MESSAGES_EACH


@pytest.mark.parametrize("size", [4000])
def test_a_message_near_pipe_buf_is_kept_whole(size, tmp_path):
    """dd collects up to 4096 bytes; a long message is not cut short below that."""
    function = rewritten(UPSTREAM.read_text(encoding="utf-8"))[0]
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    body = "info=" + "x" * (size - 20)
    got: list[bytes] = []
    thread = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    thread.start()
    subprocess.run([shutil.which("dash") or "sh", "-c", f"HA_FIFO={fifo}\n{function}\nprintf '%s\\n' \"$1\" | ha_clustermsg",
                    "sh", body], check=True, timeout=60)
    thread.join(timeout=30)
    assert got == [f">>>\n{body}\n<<<\n".encode()]
