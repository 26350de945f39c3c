# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""Fence agent for the hacluster.drbd test lab.

Every lab VM has a virtio-serial port wired to the lab's fencing daemon on the
host, like a BMC on a management network.  This agent asks that daemon to power
another VM off, on, or to report its power state.  The daemon stops the VM's
QEMU process for real, so a fence is a fence, decided by the cluster stack.

It speaks the fence-agent calling conventions that Pacemaker's fencer and
stonith_admin use: options on the command line (-o ACTION -n PLUG) or as
key=value lines on standard input (action=, plug= / port= / nodename=).
Exit codes: 0 success (status: powered on), 2 status: powered off, 1 failure.
"""

import fcntl
import os
import select
import sys
import time

PORT = "/dev/virtio-ports/org.hacluster.lab.fence"
LOCK = "/run/lock/fence_lab.lock"
TIMEOUT = 60

METADATA = """<?xml version="1.0" ?>
<resource-agent name="fence_lab" shortdesc="Fence agent for the hacluster.drbd test lab">
<longdesc>Powers lab VMs off and on through the lab's fencing channel (a virtio-serial port served by the lab on the host).</longdesc>
<vendor-url>https://github.com/hacluster/drbd</vendor-url>
<parameters>
  <parameter name="action" unique="0" required="1">
    <getopt mixed="-o, --action=[action]"/>
    <content type="string" default="reboot"/>
    <shortdesc lang="en">Fencing action</shortdesc>
  </parameter>
  <parameter name="plug" unique="0" required="1" obsoletes="port">
    <getopt mixed="-n, --plug=[name]"/>
    <content type="string"/>
    <shortdesc lang="en">Lab VM name to act on</shortdesc>
  </parameter>
  <parameter name="port" unique="0" required="0" deprecated="1">
    <getopt mixed="-n, --plug=[name]"/>
    <content type="string"/>
    <shortdesc lang="en">Lab VM name to act on</shortdesc>
  </parameter>
  <parameter name="timeout" unique="0" required="0">
    <getopt mixed="--timeout=[seconds]"/>
    <content type="second" default="60"/>
    <shortdesc lang="en">Seconds to wait for the lab to answer</shortdesc>
  </parameter>
</parameters>
<actions>
  <action name="on" automatic="0"/>
  <action name="off"/>
  <action name="reboot"/>
  <action name="status"/>
  <action name="list"/>
  <action name="monitor"/>
  <action name="metadata"/>
  <action name="validate-all"/>
</actions>
</resource-agent>
"""


def parse_args(argv, stdin):
    opts = {"action": "reboot", "timeout": str(TIMEOUT)}
    if not argv and not stdin.isatty():
        for line in stdin:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            opts[key.strip()] = value.strip()
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-o", "-n"):
            if i + 1 >= len(argv):
                raise SystemExit("fence_lab: %s needs a value" % arg)
            opts["action" if arg == "-o" else "plug"] = argv[i + 1]
            i += 2
            continue
        for prefix, key in (("--action=", "action"), ("--plug=", "plug"), ("--timeout=", "timeout")):
            if arg.startswith(prefix):
                opts[key] = arg[len(prefix):]
                break
        else:
            raise SystemExit("fence_lab: unknown argument %s" % arg)
        i += 1
    plug = opts.get("plug") or opts.get("port") or opts.get("nodename")
    return opts["action"], plug, float(opts["timeout"])


def ask(request, timeout):
    """Send one request line to the lab and return its one-line answer."""
    os.makedirs(os.path.dirname(LOCK), exist_ok=True)
    with open(LOCK, "w") as lock:
        # One conversation at a time: the port is a single byte stream.
        fcntl.flock(lock, fcntl.LOCK_EX)
        fd = os.open(PORT, os.O_RDWR | os.O_NOCTTY)
        try:
            os.write(fd, (request + "\n").encode())
            deadline = time.monotonic() + timeout
            buf = b""
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("no answer from the lab within %ds" % timeout)
                ready = select.select([fd], [], [], left)[0]
                if ready:
                    chunk = os.read(fd, 4096)
                    if not chunk:
                        time.sleep(0.1)
                    buf += chunk
        finally:
            os.close(fd)
    answer = buf.split(b"\n", 1)[0].decode(errors="replace").strip()
    status, detail = (answer.split(" ", 1) + [""])[:2]
    return status, detail


def main():
    try:
        action, plug, timeout = parse_args(sys.argv[1:], sys.stdin)
    except (SystemExit, ValueError) as exc:
        sys.stderr.write("%s\n" % exc)
        return 1
    if action == "metadata":
        sys.stdout.write(METADATA)
        return 0
    if action in ("list", "monitor", "validate-all"):
        plug = plug or "-"
    elif not plug:
        sys.stderr.write("fence_lab: action %s needs a plug (the VM name)\n" % action)
        return 1
    if not os.path.exists(PORT):
        sys.stderr.write("fence_lab: %s is missing: not a lab VM?\n" % PORT)
        return 1
    if action == "validate-all":
        return 0
    verb = "list" if action == "monitor" else action
    try:
        status, detail = ask("%s %s" % (verb, plug), timeout)
    except (OSError, RuntimeError) as exc:
        sys.stderr.write("fence_lab: %s\n" % exc)
        return 1
    if status != "OK":
        sys.stderr.write("fence_lab: %s %s: %s\n" % (action, plug, detail))
        return 1
    if action == "status":
        sys.stdout.write("Status: %s\n" % detail.upper())
        return 0 if detail == "on" else 2
    if action == "list":
        for name in detail.split(","):
            if name:
                sys.stdout.write("%s,\n" % name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
