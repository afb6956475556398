#!/usr/bin/env bash
# The reference page's storage walkthrough ("About storage drivers"), with scow in place of
# docker, on a store of its own (SCOW_ROOT, default /tmp/scow-demo, emptied first).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scow=${SCOW:-$here/../.venv/bin/scow}
export SCOW_ROOT=${SCOW_ROOT:-/tmp/scow-demo}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

"$scow" system prune -af >/dev/null 2>&1 || true
rm -rf "$SCOW_ROOT"

echo "== a base image: busybox from Debian's busybox-static (no registry to pull from here)"
"$here/make-busybox-rootfs.sh" "$work/busybox.tar"
step "$scow" import --change 'CMD ["/bin/sh"]' -m "busybox rootfs" "$work/busybox.tar" \
  acme/my-base-image:1.0

step "$scow" image ls
step "$scow" image history acme/my-base-image:1.0
step "$scow" image inspect --format "{{json .RootFS.Layers}}" acme/my-base-image:1.0
step "$scow" info
echo
echo "== the store on disk: one folder per layer, not named by layer ID (S10)"
step ls "$SCOW_ROOT"
step ls "$SCOW_ROOT/$("$scow" info --format '{{.StorageDriver}}')"
