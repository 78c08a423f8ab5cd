#!/bin/sh
# Lays out the container image's whole file system in DIR around a static member-sync binary:
# what the Dockerfile copies onto the empty image, and what scripts/release runs under chroot
# (and builds an image from) to check it. One script for both, so they cannot drift.
#
#   rootfs.sh BINARY DIR
#
# Besides the binary: a name and home for user 65532 (nothing reads other account data), a
# /tmp for an XLSX report's scratch file, and /data for reports and state. COPY gives every
# file to root, so /data is writable by any user, as /tmp is: 65532 by default, or whatever
# user a platform picks (OpenShift, `docker run --user`). What member-sync creates in it is
# private to that user all the same (directories 0700, files 0600).
set -eu
binary=$1
root=$2
install -D -m 0755 "$binary" "$root/usr/local/bin/member-sync"
mkdir -p "$root/etc" "$root/tmp" "$root/data" "$root/home/member-sync"
echo 'member-sync:x:65532:65532:member-sync:/home/member-sync:/nonexistent' >"$root/etc/passwd"
echo 'member-sync:x:65532:' >"$root/etc/group"
chmod 1777 "$root/tmp" "$root/data"
