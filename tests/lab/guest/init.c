/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright: Contributors to the hacluster.drbd collection
 *
 * The lab guest's whole user space: PID 1 of a tiny kernel's initramfs.
 * Once a second it writes one line - its boot id, a counter and its uptime -
 * padded to 512 bytes, to the first sector of its disk (/dev/vda), straight
 * to the device (O_DIRECT|O_DSYNC), and every 30 lines to the console. A
 * live migration keeps the boot id and the counter going; a restart gives a
 * new boot id and starts at 1. One process, no shell: under software
 * emulation twice over every fork and exec costs the guest seconds.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static char sector[512] __attribute__((aligned(4096)));

static void read_first_word(const char *path, char *out, size_t size)
{
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, out, size - 1);
    if (fd >= 0)
        close(fd);
    out[n > 0 ? n : 0] = '\0';
    out[strcspn(out, " \n")] = '\0';
}

int main(void)
{
    char boot[64], uptime[32], line[256];
    struct stat st;
    unsigned long count;
    int disk, console;

    mkdir("/proc", 0755);
    mkdir("/dev", 0755);
    mount("proc", "/proc", "proc", 0, NULL);
    mount("dev", "/dev", "devtmpfs", 0, NULL);
    console = open("/dev/console", O_WRONLY | O_NOCTTY);
    while (stat("/dev/vda", &st) != 0)
        sleep(1);
    read_first_word("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
    disk = open("/dev/vda", O_WRONLY | O_DIRECT | O_DSYNC);
    if (disk < 0) {
        dprintf(console, "hacluster-lab-guest: cannot open /dev/vda\n");
        for (;;)
            pause();
    }
    for (count = 1;; count++) {
        int len;

        read_first_word("/proc/uptime", uptime, sizeof(uptime));
        len = snprintf(line, sizeof(line), "hacluster-lab-guest boot=%s count=%lu uptime=%s", boot, count, uptime);
        memset(sector, ' ', sizeof(sector) - 1);
        memcpy(sector, line, (size_t)len);
        sector[sizeof(sector) - 1] = '\n';
        if (pwrite(disk, sector, sizeof(sector), 0) != (ssize_t)sizeof(sector))
            dprintf(console, "hacluster-lab-guest: write failed\n");
        if (count % 30 == 1 && console >= 0)
            dprintf(console, "%s\n", line);
        sleep(1);
    }
}
