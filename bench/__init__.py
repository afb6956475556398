"""owns: scow's benchmarks side by side with Docker and Podman (issue 7), run as `python -m bench`.

It installs what it needs (apt: docker.io, podman), starts its own dockerd (private data root,
exec root, socket; no iptables, no bridge), a podman with runc on private roots, and
docker-registry on loopback, then runs every scenario for each engine on this machine in the
same run and writes bench/results/<time>.json, docs/benchmarks.json and docs/benchmarks.md.

Layout of a run (all under one temp dir, removed at the end):
    <tmp>/scow/            scow's store (SCOW_ROOT)
    <tmp>/docker/          dockerd --data-root, exec-root, pidfile, docker.sock
    <tmp>/podman/          podman --root, --runroot, containers.conf
    <tmp>/registry/        docker-registry storage and config
    <tmp>/data/            inputs (busybox rootfs tar, /usr/share tar, save archives)
"""
