#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
#
# cluster-glue "external" STONITH plugin for the hacluster.drbd lab, so that
# Heartbeat (R1 mode, stonith_host lines) fences through the lab's fencing
# channel with fence_lab. Part of the lab image, as
# /usr/lib/stonith/plugins/external/lab. Parameter: hostlist (node names);
# when empty, the lab's own list is used.
#
# Calling convention of external plugins: $1 is the action, $2 the node for
# on/off/reset; parameters arrive as environment variables named by
# getconfignames. Exit 0 means success.

lab_hosts() {
    if [ -n "$hostlist" ]; then
        echo "$hostlist" | tr -s ', ' '\n' | sed '/^$/d'
    else
        /usr/sbin/fence_lab -o list | tr -d ,
    fi
}

case "$1" in
gethosts)
    lab_hosts
    ;;
on)
    exec /usr/sbin/fence_lab -o on -n "$2"
    ;;
off)
    exec /usr/sbin/fence_lab -o off -n "$2"
    ;;
reset)
    exec /usr/sbin/fence_lab -o reboot -n "$2"
    ;;
status)
    /usr/sbin/fence_lab -o monitor >/dev/null
    ;;
getconfignames)
    echo hostlist
    ;;
getinfo-devid)
    echo "hacluster.drbd lab fencing"
    ;;
getinfo-devname)
    echo "hacluster.drbd lab fencing channel"
    ;;
getinfo-devdescr)
    echo "Powers lab VMs off and on through the lab's fencing daemon (fence_lab)."
    ;;
getinfo-devurl)
    echo "https://github.com/hacluster/drbd"
    ;;
getinfo-xml)
    cat <<XML
<parameters>
<parameter name="hostlist" unique="1" required="0">
<content type="string" />
<shortdesc lang="en">Nodes this device fences</shortdesc>
<longdesc lang="en">Space or comma separated lab VM names; empty: every VM of the lab.</longdesc>
</parameter>
</parameters>
XML
    ;;
*)
    exit 1
    ;;
esac
