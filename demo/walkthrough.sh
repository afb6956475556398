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

echo "== a base image: busybox from Debian's busybox-static (no registry to pull alpine from)"
"$here/make-busybox-rootfs.sh" "$work/busybox.tar"
step "$scow" import --change 'CMD ["/bin/sh"]' -m "busybox rootfs" "$work/busybox.tar" \
  busybox:latest

echo
echo "== the reference page's two Dockerfiles; \`apk add bash\` becomes a /bin/bash that runs"
echo "   busybox sh (there is no package registry to install bash from)"
cow="$work/cow-test"
mkdir -p "$cow"
cd "$cow"
printf '#!/bin/sh\necho "Hello world"\n' > hello.sh
cat > Dockerfile.base <<'EOF'
FROM busybox
RUN rm -f /bin/bash && printf '#!/bin/sh\nexec /bin/sh "$@"\n' > /bin/bash && chmod +x /bin/bash
EOF
printf 'FROM acme/my-base-image:1.0\nCOPY . /app\nRUN chmod +x /app/hello.sh\nCMD /app/hello.sh\n' \
  > Dockerfile
step cat hello.sh Dockerfile.base Dockerfile
step "$scow" build --tag acme/my-base-image:1.0 -f Dockerfile.base .
step "$scow" build --tag acme/my-final-image:1.0 -f Dockerfile .
echo
echo "== an unchanged rebuild: every step CACHED, the same image ID"
step "$scow" build --progress plain --tag acme/my-final-image:1.0 -f Dockerfile .

step "$scow" image ls
step "$scow" image history acme/my-base-image:1.0
step "$scow" image history acme/my-final-image:1.0
step "$scow" image inspect --format "{{json .RootFS.Layers}}" acme/my-base-image:1.0
step "$scow" image inspect --format "{{json .RootFS.Layers}}" acme/my-final-image:1.0
step "$scow" run --rm acme/my-final-image:1.0
step "$scow" info
echo
echo "== the store on disk: one folder per layer, not named by layer ID (S10)"
step ls "$SCOW_ROOT"
step ls "$SCOW_ROOT/$("$scow" info --format '{{.StorageDriver}}')"

echo
echo "== containers: five of them share the image's layers, each with a thin writable layer"
for i in 1 2 3 4 5; do
  step "$scow" run -dit --name "my_container_$i" acme/my-final-image:1.0 bash
done
step "$scow" ps --size --format "table {{.ID}}\t{{.Image}}\t{{.Names}}\t{{.Size}}"
step ls "$SCOW_ROOT/containers"
step du -sh "$SCOW_ROOT"/containers/*
echo
echo "== copy-on-write: three containers write a file; only their writable layers grow"
for i in 1 2 3; do
  step "$scow" exec "my_container_$i" sh -c 'printf hello > /out.txt'
done
step "$scow" ps --size --format "table {{.ID}}\t{{.Image}}\t{{.Names}}\t{{.Size}}"
echo
echo "== shared layers are shared on push and pull too (S11, S13): a registry on loopback"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$work/registry/data" "$port" > "$work/registry/config.yml"
docker-registry serve "$work/registry/config.yml" > "$work/registry/log" 2>&1 &
registry_pid=$!
trap 'kill "$registry_pid" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v2/')" \
    2>/dev/null && break
  sleep 0.1
done
reg="127.0.0.1:$port"
step "$scow" tag acme/my-base-image:1.0 "$reg/acme/my-base-image:1.0"
step "$scow" tag acme/my-final-image:1.0 "$reg/acme/my-final-image:1.0"
step "$scow" push "$reg/acme/my-base-image:1.0"
step "$scow" push "$reg/acme/my-final-image:1.0"
echo
echo "== a fresh store pulls them back: the final image's first two layers \"Already exists\""
fresh="$SCOW_ROOT-pulled"
rm -rf "$fresh"
step "$scow" --root "$fresh" pull "$reg/acme/my-base-image:1.0"
step "$scow" --root "$fresh" pull "$reg/acme/my-final-image:1.0"
step "$scow" --root "$fresh" image inspect --format "{{json .RootFS.Layers}}" \
  "$reg/acme/my-final-image:1.0"
step "$scow" --root "$fresh" run --rm "$reg/acme/my-final-image:1.0"
"$scow" --root "$fresh" rmi "$reg/acme/my-final-image:1.0" "$reg/acme/my-base-image:1.0" \
  > /dev/null
"$scow" --root "$fresh" system prune -af > /dev/null  # zfs: datasets go with their layers
rm -rf "$fresh"

echo
echo "== clean up"
step "$scow" rm -f my_container_1 my_container_2 my_container_3 my_container_4 my_container_5
