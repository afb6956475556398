#!/usr/bin/env bash
# What 100 containers of the busybox image cost on disk, per driver, as docs/benchmarks.md
# reports it: overlay2 (a store on this disk: `du` of the driver folder), btrfs (a loopback
# btrfs: `df` used), zfs (a zfs-fuse pool on a file: the parent dataset's `used`). Each figure is
# the growth from the image alone to the image plus 100 created containers. Needs root,
# btrfs-progs and zfs-fuse; a zfs-fuse daemon is started only when none answers and only that
# one is stopped. Usage: demo/container-space.sh [COUNT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scow=${SCOW:-$here/../.venv/bin/scow}
count=${1:-100}
base=$(mktemp -d /tmp/scow-space.XXXXXX)
pool="scowspace$$"
daemon_pid=""
cleanup() {
  mountpoint -q "$base/btrfs" && umount "$base/btrfs"
  for _ in $(seq 50); do
    zpool list "$pool" >/dev/null 2>&1 || break
    zpool destroy -f "$pool" 2>/dev/null && break
    sleep 0.2
  done
  [ -z "$daemon_pid" ] || kill "$daemon_pid" 2>/dev/null || true
  rm -rf "$base"
}
trap cleanup EXIT
"$here/make-busybox-rootfs.sh" "$base/busybox.tar" >/dev/null

fill() {  # root driver: import busybox, print bytes before and after COUNT creates
  local root=$1 driver=$2 measure=$3 before after
  "$scow" --root "$root" -s "$driver" import "$base/busybox.tar" busybox:space >/dev/null
  before=$($measure)
  local start=$SECONDS
  for i in $(seq "$count"); do
    "$scow" --root "$root" -s "$driver" create busybox:space true >/dev/null
  done
  after=$($measure)
  printf '%-9s %4d containers in %3ds: %8d bytes in all, %6d bytes each\n' "$driver" "$count" \
    $((SECONDS - start)) $((after - before)) $(((after - before) / count))
  "$scow" --root "$root" -s "$driver" container prune -f >/dev/null
  "$scow" --root "$root" -s "$driver" system prune -af >/dev/null
}

overlay_used() { du -sxb "$base/ovl/overlay2" | cut -f1; }
fill "$base/ovl" overlay2 overlay_used

truncate -s 2G "$base/btrfs.img" && mkfs.btrfs -q "$base/btrfs.img" && mkdir "$base/btrfs"
mount -o loop "$base/btrfs.img" "$base/btrfs"
btrfs_used() { sync; btrfs filesystem sync "$base/btrfs"; df -B1 --output=used "$base/btrfs" | tail -1; }
fill "$base/btrfs/root" btrfs btrfs_used

if [ ! -e /dev/zfs ] && ! zpool list >/dev/null 2>&1; then
  zfs-fuse --pidfile "$base/zfs-fuse.pid" --no-kstat-mount --enable-xattr 2>/dev/null
  for _ in $(seq 100); do [ -s "$base/zfs-fuse.pid" ] && break; sleep 0.05; done
  daemon_pid=$(cat "$base/zfs-fuse.pid")
  for _ in $(seq 300); do zpool list >/dev/null 2>&1 && break; sleep 0.1; done
fi
truncate -s 2G "$base/pool.img"
zpool create -f -m "$base/zmnt" "$pool" "$base/pool.img"
zfs create "$pool/scow"
zfs_used() { sync; sleep 6; zfs get -Hp -o value used "$pool/scow"; }  # after a txg commit
fill "$base/zmnt/scow/root" zfs zfs_used
