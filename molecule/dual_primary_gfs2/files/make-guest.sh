#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
#
# The lab's guest, made on a node from what the node has: its own Debian
# kernel (uncompressed), an initrd of busybox and the virtio block driver whose init writes
# one line (its boot id, a counter and its uptime) to the first sector of its
# disk every second, and a blank disk image. A live migration keeps the boot
# id and the counter going; a restart gives a new boot id and starts at 1.
set -eu
out=/var/lib/hacluster-lab-guest
kver=$(uname -r)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/bin" "$work/proc" "$work/dev" "$work/lib/modules"
cp /bin/busybox "$work/bin/busybox"
# The block driver and what it needs, in load order; built-in ones are skipped.
: > "$work/lib/modules/order"
modprobe -S "$kver" --show-depends -a virtio_pci virtio_blk | while read -r kind path rest; do
    [ "$kind" = insmod ] || continue
    name=$(basename "$path")
    case "$name" in
        *.ko.xz) xz -dc "$path" > "$work/lib/modules/${name%.xz}"; name=${name%.xz} ;;
        *.ko) cp "$path" "$work/lib/modules/$name" ;;
        *) echo "unexpected module file $path" >&2; exit 1 ;;
    esac
    grep -qx "$name" "$work/lib/modules/order" || echo "$name" >> "$work/lib/modules/order"
done
cat > "$work/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
for m in $(cat /lib/modules/order); do insmod "/lib/modules/$m"; done
while [ ! -b /dev/vda ]; do sleep 1; done
boot=$(cat /proc/sys/kernel/random/boot_id)
n=0
while :; do
    n=$((n + 1))
    line="hacluster-lab-guest boot=$boot count=$n uptime=$(cut -d' ' -f1 /proc/uptime)"
    printf '%-511s\n' "$line" | dd of=/dev/vda bs=512 count=1 conv=notrunc,fsync 2>/dev/null
    [ $((n % 30)) -eq 1 ] && echo "$line"
    sleep 1
done
INIT
chmod 0755 "$work/init"
(cd "$work" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 > "$out/initrd.gz.new"
mv "$out/initrd.gz.new" "$out/initrd.gz"
# The kernel uncompressed: QEMU boots an ELF vmlinux through its PVH entry
# point, which spares the guest unpacking itself under software emulation
# (about 70 of 170 s of a boot in a lab node). Debian's vmlinuz is xz inside.
python3 - "/boot/vmlinuz-$kver" "$out/vmlinux" <<'PY'
import lzma
import sys

data = open(sys.argv[1], "rb").read()
start = data.find(b"\xfd7zXZ\x00")
if start < 0:
    sys.exit("no xz stream in " + sys.argv[1])
elf = lzma.LZMADecompressor().decompress(data[start:])
if not elf.startswith(b"\x7fELF"):
    sys.exit("the xz stream in %s is not an ELF kernel" % sys.argv[1])
with open(sys.argv[2], "wb") as handle:
    handle.write(elf)
PY
dd if=/dev/zero of="$out/guest1.img" bs=1M count=4 2>/dev/null
