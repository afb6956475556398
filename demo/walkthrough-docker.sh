#!/usr/bin/env bash
# The reference page's storage walkthrough ("About storage drivers") run verbatim with the
# docker CLI against whatever DOCKER_HOST names (the oracle test runs it against the service
# and against a dockerd and compares), or without DOCKER_HOST (make demo-docker) against a
# `scow system service` it starts on a store of its own (SCOW_ROOT, default
# /tmp/scow-demo-docker, emptied first).
# The base image is busybox from Debian's busybox-static (no registry to pull alpine from);
# `apk add bash` becomes a /bin/bash that runs busybox sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
docker=${DOCKER:-docker}
export DOCKER_BUILDKIT=0  # the classic builder's output (scow serves POST /build)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${DOCKER_HOST:-}" ]; then  # make demo-docker: a service of our own on its own store
  scow=${SCOW:-$here/../.venv/bin/scow}
  export SCOW_ROOT=${SCOW_ROOT:-/tmp/scow-demo-docker}
  rm -rf "$SCOW_ROOT"
  "$scow" system service --socket "unix://$work/scow.sock" --time 0 > "$work/service.log" 2>&1 &
  service_pid=$!
  trap 'kill "$service_pid"; wait "$service_pid"; rm -rf "$work"' EXIT
  for _ in $(seq 100); do [ -S "$work/scow.sock" ] && break; sleep 0.1; done
  export DOCKER_HOST="unix://$work/scow.sock"
fi

step() { printf '\n$ %s\n' "$*"; "$@"; }

"$here/make-busybox-rootfs.sh" "$work/busybox.tar" >/dev/null
step "$docker" import --change 'CMD ["/bin/sh"]' -m "busybox rootfs" "$work/busybox.tar" \
  busybox:latest
cow="$work/cow-test"
mkdir -p "$cow"
cd "$cow"
printf '#!/bin/sh\necho "Hello world"\n' > hello.sh
cat > Dockerfile.base <<'DOCKERFILE'
FROM busybox
RUN rm -f /bin/bash && printf '#!/bin/sh\nexec /bin/sh "$@"\n' > /bin/bash && chmod +x /bin/bash
DOCKERFILE
printf 'FROM acme/my-base-image:1.0\nCOPY . /app\nRUN chmod +x /app/hello.sh\nCMD /app/hello.sh\n' \
  > Dockerfile
step "$docker" build --tag acme/my-base-image:1.0 -f Dockerfile.base .
step "$docker" build --tag acme/my-final-image:1.0 -f Dockerfile .
step "$docker" image ls
step "$docker" image history acme/my-base-image:1.0
step "$docker" image history acme/my-final-image:1.0
step "$docker" image inspect --format "{{json .RootFS.Layers}}" acme/my-base-image:1.0
step "$docker" image inspect --format "{{json .RootFS.Layers}}" acme/my-final-image:1.0
step "$docker" run --rm acme/my-final-image:1.0
for i in 1 2 3 4 5; do
  step "$docker" run -dit --name "my_container_$i" acme/my-final-image:1.0 bash
done
step "$docker" ps --size --format "table {{.ID}}\t{{.Image}}\t{{.Names}}\t{{.Size}}"
for i in 1 2 3; do
  step "$docker" exec "my_container_$i" sh -c 'printf hello > /out.txt'
done
step "$docker" ps --size --format "table {{.ID}}\t{{.Image}}\t{{.Names}}\t{{.Size}}"
step "$docker" rm -f my_container_1 my_container_2 my_container_3 my_container_4 my_container_5
step "$docker" rmi acme/my-final-image:1.0 acme/my-base-image:1.0 busybox:latest
