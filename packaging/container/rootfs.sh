#!/bin/sh
# Lays out the container image's whole file system in DIR around a static member-sync binary:
# what the Dockerfile copies onto the empty image, and what scripts/release runs under chroot
# to check the image without a container engine. One script for both, so they cannot drift.
#
#   rootfs.sh BINARY DIR
#
# Besides the binary: a name and home for user 65532 (nothing reads other account data), a
# /tmp for an XLSX report's scratch file, and /data (reports, state) owned by that user.
set -eu
binary=$1
root=$2
install -D -m 0755 "$binary" "$root/usr/local/bin/member-sync"
mkdir -p "$root/etc" "$root/tmp" "$root/data" "$root/home/member-sync"
echo 'member-sync:x:65532:65532:member-sync:/home/member-sync:/nonexistent' >"$root/etc/passwd"
echo 'member-sync:x:65532:' >"$root/etc/group"
chmod 1777 "$root/tmp"
chmod 0700 "$root/data" "$root/home/member-sync"
chown 65532:65532 "$root/data" "$root/home/member-sync"
