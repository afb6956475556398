#!/usr/bin/env bash
# The reference page's walkthrough (demo/walkthrough.sh) on the zfs driver: a ZFS pool on a
# sparse file served by zfs-fuse (or the kernel module where /dev/zfs exists), a dataset for
# the store, the walkthrough on it (zfs is chosen because the root is on a ZFS dataset), then a
# full prune that must leave `zfs list -r` with only the parent dataset. A zfs-fuse daemon is
# started only when none answers, and only that one is stopped afterwards, by its pid; the pool
# is always destroyed. Needs root and `apt-get install zfs-fuse`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scow=${SCOW:-$here/../.venv/bin/scow}
if ! command -v zpool >/dev/null || ! command -v zfs >/dev/null; then
  echo "walkthrough-zfs: skipped: the zfs commands are missing (apt-get install zfs-fuse)" >&2
  exit 0
fi
base=$(mktemp -d /tmp/scow-zfs-demo.XXXXXX)
pool="scowdemo$$"
daemon_pid=""
root=""
cleanup() {
  if [ -n "$root" ] && [ -d "$root" ]; then  # a failed walkthrough leaves its containers
    ids=$("$scow" --root "$root" ps -aq 2>/dev/null || true)
    [ -z "$ids" ] || "$scow" --root "$root" rm -f $ids >/dev/null 2>&1 || true
  fi
  for _ in $(seq 50); do  # zfs-fuse is "busy" for a moment after use
    zpool list "$pool" >/dev/null 2>&1 || break
    zpool destroy -f "$pool" 2>/dev/null && break
    sleep 0.2
  done
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$base"
}
trap cleanup EXIT

if [ ! -e /dev/zfs ] && ! zpool list >/dev/null 2>&1; then
  echo "== no ZFS answers here: starting zfs-fuse (stopped again at the end)"
  zfs-fuse --pidfile "$base/zfs-fuse.pid" --no-kstat-mount --enable-xattr 2>/dev/null
  for _ in $(seq 100); do [ -s "$base/zfs-fuse.pid" ] && break; sleep 0.05; done
  daemon_pid=$(cat "$base/zfs-fuse.pid")
  for _ in $(seq 300); do zpool list >/dev/null 2>&1 && break; sleep 0.1; done
fi
truncate -s 2G "$base/pool.img"
zpool create -f -m "$base/mnt" "$pool" "$base/pool.img"
zfs create "$pool/scow"
parent="$pool/scow"
root="$base/mnt/scow/root"

SCOW_ROOT="$root" bash "$here/walkthrough.sh"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
echo
echo "== zfs: every layer a dataset, every child a clone of its parent's snapshot"
printf '\n\033[1m$ scow info | sed -n "/Storage Driver:/,/Compression:/p"\033[0m\n'
"$scow" --root "$root" info | sed -n '/Storage Driver:/,/Compression:/p'
step zfs list -r -o name,used,refer,origin "$parent"
echo
echo "== a full prune leaves only the parent dataset"
step "$scow" --root "$root" system prune -af
step "$scow" --root "$root" system check
step zfs list -r -t all -o name "$parent"
left=$(zfs list -H -r -t all -o name "$parent")
if [ "$left" != "$parent" ]; then
  echo "walkthrough-zfs: FAILED: the prune left datasets or snapshots:" >&2
  echo "$left" >&2
  exit 1
fi
echo "walkthrough-zfs: ok"
