# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""ansible-playbook runs forked from one Python that has imported Ansible once.

The validation suite runs ansible-playbook several hundred times; most of each
run's CPU time is Python importing ansible-core, Jinja2 and PyYAML before the
first task. A server process imports them once; every run is a child forked
from it, which starts with those modules loaded and otherwise behaves as a
fresh `ansible-playbook` process: own arguments, own stdout and stderr (files),
its exit status, killed after its time-out. The environment is the server's,
fixed when it starts, since Ansible reads its configuration at import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# The server: one request per line on stdin ({"args", "stdout", "stderr",
# "timeout"}), one answer per line on the pipe named by its argument
# ({"rc"}). Its own stdout and stderr are /dev/null, so a child's only output
# is the files it is given.
SERVER = r"""
import json, os, signal, sys
import ansible.cli.playbook  # the import every run would repeat
import ansible.executor.playbook_executor, ansible.playbook, ansible.template, ansible.vars.manager  # noqa: F401
answers = os.fdopen(int(sys.argv[1]), "w")
for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1  # what the child exits with if it fails before ansible-playbook ends
        try:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(int(req["timeout"]))
            # Not the request pipe: a child that reads its input gets end of file.
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)
            for fd, path in ((1, req["stdout"]), (2, req["stderr"])):
                out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(out, fd)
                os.close(out)
            sys.argv = ["ansible-playbook", *req["args"]]
            try:
                ansible.cli.playbook.main(sys.argv)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001  # the same as an uncaught error in a fresh process
            import traceback
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)  # never back into the server's loop
    _, status = os.waitpid(pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    answers.write(json.dumps({"rc": rc}) + "\n")
    answers.flush()
"""


class PlaybookForker:
    """Runs ansible-playbook in children of one server process (see the module docstring)."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.answers = None

    def _start(self) -> None:
        read, write = os.pipe()
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with  # lives as long as the forker
            [sys.executable, "-c", SERVER, str(write)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=self.env, text=True, pass_fds=(write,),
        )
        os.close(write)
        self.answers = os.fdopen(read, "r")

    def run(self, args: list[str], timeout: float) -> tuple[int, str]:
        """Exit status and output (stdout, then stderr) of `ansible-playbook ARGS`."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        with tempfile.TemporaryDirectory(prefix="forked-playbook-") as tmp:
            out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
            self.proc.stdin.write(json.dumps({"args": args, "stdout": str(out), "stderr": str(err),
                                              "timeout": max(1, int(timeout))}) + "\n")
            self.proc.stdin.flush()
            line = self.answers.readline()
            if not line:
                raise RuntimeError("the ansible-playbook fork server died")
            rc = json.loads(line)["rc"]
            text = (out.read_text(errors="replace") if out.exists() else "") + \
                (err.read_text(errors="replace") if err.exists() else "")
        if rc < 0:  # killed (its time-out is SIGALRM): never a refusal of bad input
            raise RuntimeError(f"ansible-playbook {' '.join(args)} was killed by signal {-rc}"
                               f" (time-out {timeout:.0f} s)\n{text}")
        return rc, text

    def close(self) -> None:
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
            self.answers.close()
            self.proc = None
