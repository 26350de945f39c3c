# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""Per-task wall-clock times, to find where a playbook run spends its time.

Enabled on demand (`make molecule PROFILE=1`, or ANSIBLE_CALLBACKS_ENABLED=task_times
with this folder in ANSIBLE_CALLBACK_PLUGINS). At the end of the run it prints the
slowest tasks and, when HACLUSTER_TASK_TIMES names a file, appends one JSON line per
run to it: {"playbook", "total_s", "tasks": [[seconds, name, hosts], ...]}.
A task's time runs from its start until the next task (or the end) starts, so it
includes every host's share and the strategy's own overhead.
"""

from __future__ import annotations

DOCUMENTATION = """
name: task_times
type: aggregate
short_description: wall-clock time per task, slowest first
description:
  - Prints the slowest tasks of a run and optionally appends them as JSON to a file.
options:
  top:
    description: How many tasks to print.
    type: int
    default: 25
    env:
      - name: HACLUSTER_TASK_TIMES_TOP
  output:
    description: File to append one JSON line per run to.
    type: str
    env:
      - name: HACLUSTER_TASK_TIMES
"""

import json
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._started = time.monotonic()
        self._current = None
        self._tasks = []
        self._playbook = ""

    def _close(self):
        if self._current:
            name, hosts, start = self._current
            self._tasks.append([round(time.monotonic() - start, 2), name, sorted(hosts)])
            self._current = None

    def v2_playbook_on_start(self, playbook):
        self._playbook = playbook._file_name

    def _open(self, task):
        self._close()
        # get_name() already carries the role's name.
        self._current = (task.get_name(), set(), time.monotonic())

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._open(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._open(task)

    def _host(self, result, *args, **kwargs):
        if self._current:
            self._current[1].add(result._host.get_name())

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_skipped = v2_runner_on_unreachable = _host

    def v2_playbook_on_stats(self, stats):
        self._close()
        total = round(time.monotonic() - self._started, 1)
        ranked = sorted(self._tasks, key=lambda t: -t[0])
        top = self.get_option("top")
        self._display.display(f"\nSlowest tasks ({total} s in all, {len(self._tasks)} tasks):")
        for seconds, name, hosts in ranked[:top]:
            self._display.display(f"{seconds:8.1f} s  {name}  [{','.join(hosts)}]")
        path = self.get_option("output")
        if path:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"playbook": self._playbook, "total_s": total, "tasks": ranked}) + "\n")
