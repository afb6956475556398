#!/usr/bin/env bash
# Make a busybox root filesystem tar from Debian's busybox-static: the base image of the demo
# (there is no registry to pull alpine from). Usage: make-busybox-rootfs.sh OUT.tar
set -euo pipefail
out=${1:?usage: $0 OUT.tar}
busybox=$(command -v busybox) || { echo "busybox-static is not installed" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var,proc,sys,dev,home}
chmod 1777 "$dir/tmp"
cp "$busybox" "$dir/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
  > "$dir/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/etc/group"
touch -d '2024-01-01 00:00:00 UTC' "$dir" "$dir"/* "$dir"/etc/* 2>/dev/null || true
tar --numeric-owner --owner=0 --group=0 --sort=name --mtime='2024-01-01 00:00:00 UTC' \
  -C "$dir" -cf "$out" .
