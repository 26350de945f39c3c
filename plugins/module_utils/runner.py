# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one command runner of this collection's modules.

Every module runs its tools through here: argv lists only (nothing through a
shell), the C locale forced (tool messages are matched and shown to users),
the first line a failed tool printed in the error, secrets masked in every
message, command line and output it returns, and the commands run kept for
the result (``commands_run``).
"""

from __future__ import annotations

import os
import re
import shlex

from ansible_collections.hacluster.drbd.plugins.module_utils.blockdev import first_line

C_LOCALE = {"LC_ALL": "C", "LANG": "C"}
MASK = "********"
# Tools that echo their command line print secrets given as options (drbdsetup's --shared-secret).
_SECRET_OPTION_RE = re.compile(r"(--shared-secret[= ]|shared-secret\s+)(\"[^\"]*\"|\S+)")


class CommandRunner(object):
    def __init__(self, module, secrets=()):
        self.module = module
        self.secrets = []
        self.ran = []
        self.add_secrets(*secrets)

    def add_secrets(self, *secrets):
        for secret in secrets:
            if secret and secret not in self.secrets:
                self.secrets.append(secret)
                # Ansible's own output filter as well, for anything the module returns.
                self.module.no_log_values.add(secret)

    def mask(self, text):
        if not text:
            return text
        text = _SECRET_OPTION_RE.sub(lambda m: m.group(1) + MASK, text)
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def run(self, argv, data=None, check=False, hint=None, env=None):
        """Run one command; returns (rc, stdout, stderr). With check, a non-zero exit ends the module.
        env: variables the command gets besides the C locale (shown before it in commands_run)."""
        if isinstance(argv, (str, bytes)) or not isinstance(argv, (list, tuple)):
            raise TypeError("the command runner takes an argv list, not %r" % (argv,))
        argv = [str(arg) for arg in argv]
        env = dict((str(key), str(value)) for key, value in (env or {}).items())
        shown = "".join("%s=%s " % (key, shlex.quote(value)) for key, value in sorted(env.items()))
        self.ran.append(self.mask(shown + shlex.join(argv)))
        environ = dict(C_LOCALE)
        environ.update(env)
        rc, out, err = self.module.run_command(argv, environ_update=environ, data=data)
        if check and rc != 0:
            self.fail(argv, rc, out, err, hint=hint)
        return rc, out, err

    def failure(self, argv, rc, out, err, hint=None):
        """The message and result keys of a failed command, secrets masked."""
        msg = "%s failed (rc=%d): %s" % (os.path.basename(str(argv[0])), rc, first_line(err, out))
        if hint:
            msg = "%s. %s" % (msg, hint)
        return self.mask(msg), {"cmd": self.mask(shlex.join([str(a) for a in argv])), "rc": rc,
                                "stdout": self.mask(out), "stderr": self.mask(err), "commands_run": list(self.ran)}

    def fail(self, argv, rc, out, err, hint=None, **extra):
        msg, result = self.failure(argv, rc, out, err, hint=hint)
        result.update(extra)
        self.module.fail_json(msg=msg, **result)


def runner_for(module, secrets=()):
    """The module's one runner (made on first use)."""
    runner = getattr(module, "_hacluster_runner", None)
    if runner is None:
        runner = CommandRunner(module)
        module._hacluster_runner = runner
    runner.add_secrets(*secrets)
    return runner
