"""owns: the data-moving scenarios of issue 7: 4 (layer apply and commit), 6 (pull, push, save,
load through a local registry), 7 (build) and 8 (a 120-layer image).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import data
from bench.context import BASE, NET, Bench
from bench.engines import REPO, Engine, start_registry, stop_process
from bench.measure import Row, clock, disk_write_seconds, gnu_tar_extract, sha256_seconds

APPLY_SCRIPT = """
import sys, time, os
from scow.archive.tarstream import LayerReader
from scow.archive.extract import apply_layer
os.makedirs(sys.argv[2])
with open(sys.argv[1], 'rb', buffering=0) as f:
    t0 = time.perf_counter()
    r = LayerReader(f)
    apply_layer(sys.argv[2], r.entries(), whiteouts='overlay')
    r.finish()
    print(time.perf_counter() - t0)
"""


def scow_apply_seconds(tar: Path, dest: Path) -> float:
    shutil.rmtree(dest, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run([sys.executable, "-c", APPLY_SCRIPT, str(tar), str(dest)], env=env,
                         capture_output=True, text=True, check=True).stdout
    shutil.rmtree(dest, ignore_errors=True)
    return float(out.strip())


def _gone(eng: Engine, *refs: str) -> None:
    eng.cmd("rmi", "-f", *refs, check=False)


def layer_apply(b: Bench) -> list[Row]:
    """Scenario 4a: one ~30,000-file layer of /usr/share: GNU tar, scow's apply, loads."""
    tar, n, size = data.usr_share_tar(b.data, b.sizes.share_files, b.sizes.share_mb)
    mb = tar.stat().st_size / 1e6
    runs = b.sizes.heavy_runs
    dest = b.tmp / "apply"
    gnu = [gnu_tar_extract(tar, dest) for _ in range(runs)]
    apply = Row(4, f"layer apply, {n} entries, {mb:.0f} MB (in-process apply_layer)", "s")
    apply.put("scow", [scow_apply_seconds(tar, dest) for _ in range(runs)])
    apply.put("GNU tar -xpf", gnu)
    apply.limit, apply.limit_what = apply.values["GNU tar -xpf"], "GNU tar -xpf"
    apply.note = "goal: within 1.25 × GNU tar"
    image = data.single_layer_image(b.data, tar, "bench/share:1")
    load = Row(4, f"load a 1-layer image of it ({mb:.0f} MB)", "s")
    for eng in b.all():
        samples = []
        for _ in range(runs):
            _gone(eng, "bench/share:1")
            samples.append(eng.timed("load", "-i", str(image)))
        load.put(eng.name, samples)
        _gone(eng, "bench/share:1")
    load.limit = round((apply.values["GNU tar -xpf"] or 0) + sha256_seconds(tar), 3)
    load.limit_what = "GNU tar -xpf + sha256"
    return [apply, load]


def commit(b: Bench) -> list[Row]:
    """Scenario 4b: commit a container that wrote big files and many small ones."""
    s = b.sizes
    big = s.commit_big_mb // 4
    script = (f"for k in 1 2 3 4; do dd if=/dev/zero of=/big$k bs=1M count={big} 2>/dev/null;"
              f" done; mkdir /small && cd /small && i=0; while [ $i -lt {s.commit_small} ]; "
              "do echo $i > f$i; i=$((i+1)); done")
    row = Row(4, f"commit: {s.commit_big_mb} MiB in 4 files + {s.commit_small} small files",
              "s")
    for eng in b.all():
        samples = []
        for i in range(min(2, s.heavy_runs)):    # 1 GiB each: two runs bound the time
            name = f"bench-commit-{i}"
            eng.cmd("run", "--name", name, *NET, BASE, "sh", "-c", script, timeout=1800)
            samples.append(eng.timed("commit", name, f"bench/committed:{i}"))
            eng.cmd("rm", "-f", name)
            _gone(eng, f"bench/committed:{i}")
        row.put(eng.name, samples)
    total_mb = s.commit_big_mb
    probe = b.tmp / "probe"
    probe.mkdir(exist_ok=True)
    row.limit = round(disk_write_seconds(probe, total_mb), 2)
    row.limit_what = f"write + fsync {total_mb} MiB once"
    return [row]


def _sha_limit(archive: Path) -> float:
    return round(sha256_seconds(archive), 3)


def distribution(b: Bench) -> list[Row]:
    """Scenario 6: save, load, push and pull of a 5-layer image through a local registry."""
    s = b.sizes
    archive, raw = data.big_image(b.data, s.big_layer_mb, s.big_layers, "bench/big:1")
    mb = raw / 1e6
    rows = {k: Row(6, f"{k} {s.big_layers}-layer image, {mb:.0f} MB", "s")
            for k in ("load", "save", "push", "pull")}
    for eng in b.all():
        rows["load"].put(eng.name, [clock(lambda e=eng: (_gone(e, "bench/big:1"),
                                                        e.cmd("load", "-i", str(archive))))
                                    for _ in range(s.heavy_runs)])
        out = b.tmp / f"saved-{eng.name}.tar"
        saves = []
        for _ in range(s.heavy_runs):  # podman refuses to write over an archive
            out.unlink(missing_ok=True)
            saves.append(eng.timed("save", "-o", str(out), "bench/big:1"))
        rows["save"].put(eng.name, saves)
        out.unlink(missing_ok=True)
        rows["push"].put(eng.name, _push(b, eng))
    rows["push"].put("skopeo", _skopeo_push(b, archive))
    pull_reg, host = start_registry(b.tmp, "pull")
    try:
        docker = b.engine("docker")
        docker.cmd("tag", "bench/big:1", f"{host}/bench/big:1")
        docker.cmd("push", f"{host}/bench/big:1")
        _gone(docker, f"{host}/bench/big:1")
        for eng in b.all():
            rows["pull"].put(eng.name, _pull(b, eng, f"{host}/bench/big:1"))
        rows["pull"].put("skopeo", [clock(lambda: _skopeo_pull(b, host))
                                    for _ in range(s.heavy_runs)])
    finally:
        stop_process(pull_reg)
    rows["pull"].note = "skopeo copies to a dir: (no layer apply); registry content from docker"
    rows["push"].note = "goal: within 10% of docker; each run pushes to an empty registry"
    for r in rows.values():
        r.limit, r.limit_what = _sha_limit(archive), "sha256 of the uncompressed bytes"
    return list(rows.values())


def _tls(eng: Engine) -> tuple[str, ...]:
    return ("--tls-verify=false",) if eng.name == "podman" else ()


def _push(b: Bench, eng: Engine) -> list[float]:
    samples = []
    for _ in range(b.sizes.heavy_runs):
        reg, host = start_registry(b.tmp, f"push-{eng.name}")
        try:
            ref = f"{host}/bench/big:1"
            eng.cmd("tag", "bench/big:1", ref)
            samples.append(eng.timed("push", *_tls(eng), ref))
            eng.cmd("rmi", ref)
        finally:
            stop_process(reg)
    return samples


def _pull(b: Bench, eng: Engine, ref: str) -> list[float]:
    """Pulls into a store that no longer has the image: removed by ID, with every name
    (pushes leave RepoDigests of their registries behind, which keep an image alive)."""
    samples = []
    image_id = eng.out("image", "inspect", "-f", "{{.Id}}", "bench/big:1").strip()
    for _ in range(b.sizes.heavy_runs):
        _gone(eng, ref, image_id)
        eng.cmd("image", "prune", "-f", check=False)
        samples.append(eng.timed("pull", *_tls(eng), ref))
    _gone(eng, ref, image_id)
    return samples


def _skopeo_push(b: Bench, archive: Path) -> list[float]:
    samples = []
    for _ in range(b.sizes.heavy_runs):
        reg, host = start_registry(b.tmp, "push-skopeo")
        try:
            t0 = time.perf_counter()
            subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false",
                            f"docker-archive:{archive}", f"docker://{host}/bench/big:1"],
                           check=True)
            samples.append(time.perf_counter() - t0)
        finally:
            stop_process(reg)
    return samples


def _skopeo_pull(b: Bench, host: str) -> None:
    dest = b.tmp / "skopeo-pull"
    shutil.rmtree(dest, ignore_errors=True)
    subprocess.run(["skopeo", "copy", "-q", "--src-tls-verify=false",
                    f"docker://{host}/bench/big:1", f"dir:{dest}"], check=True)
    shutil.rmtree(dest, ignore_errors=True)


def many_layers(b: Bench) -> list[Row]:
    """Scenario 8: load a 120-layer image, then mount and run it."""
    n = b.sizes.many_layers
    archive = data.many_layer_image(b.data, n, f"bench/layers{n}:1")
    load = Row(8, f"load a {n}-layer image", "s")
    run = Row(8, f"run --rm on {n} layers (mount + start + remove)", "ms")
    for eng in b.all():
        _gone(eng, f"bench/layers{n}:1")
        load.put(eng.name, [eng.timed("load", "-i", str(archive))])
        try:
            eng.cmd("run", "--rm", *NET, f"bench/layers{n}:1", "cat", f"/layers/{n - 1:03d}")
            run.put(eng.name, [eng.timed("run", "--rm", *NET, f"bench/layers{n}:1", "true")
                               for _ in range(b.sizes.runs)])
        except Exception as exc:  # noqa: BLE001 - a failure is a result here
            run.note += f"{eng.name} failed: {str(exc)[:160]}; "
    return [load, run]


DOCKERFILE_STEPS = 20


def dockerfile(ctx: Path) -> None:
    ctx.mkdir(parents=True, exist_ok=True)
    lines = [f"FROM {BASE}"]
    for i in range(1, DOCKERFILE_STEPS):
        if i % 4 == 1:
            (ctx / f"f{i}").write_text(f"file {i}\n" * 1000)
            lines.append(f"COPY f{i} /app/f{i}")
        elif i % 4 == 2:
            lines.append(f"ENV STEP{i}={i}")
        else:
            lines.append(f"RUN mkdir -p /app/d{i} && echo {i} > /app/d{i}/x")
    (ctx / "Dockerfile").write_text("\n".join(lines) + "\n")


def build(b: Bench) -> list[Row]:
    """Scenario 7: a 20-step Dockerfile, cold (--no-cache) and unchanged rebuild."""
    ctx = b.tmp / "buildctx"
    dockerfile(ctx)
    cold = Row(7, f"build {DOCKERFILE_STEPS}-step Dockerfile, cold", "s")
    warm = Row(7, f"build {DOCKERFILE_STEPS}-step Dockerfile, unchanged rebuild", "s")
    has_build = '"build":' in (REPO / "src/scow/cli/main.py").read_text()
    for eng in b.all():
        if eng.name == "scow" and not has_build:
            cold.note = warm.note = "scow: `scow build` is not on main yet"
            continue
        extra = ("--pull=never", "--network", "none") if eng.name == "podman" else ()
        c, w = [], []
        for i in range(b.sizes.heavy_runs):
            tag = f"bench/built:{i}"
            _gone(eng, tag)
            if eng.name == "docker":      # podman's `builder prune -a` removes every image
                eng.cmd("builder", "prune", "-af", check=False)
            eng.cmd("image", "prune", "-f", check=False)
            c.append(eng.timed("build", *extra, "--no-cache", "-t", tag, str(ctx)))
            w.append(eng.timed("build", *extra, "-t", tag, str(ctx)))
            _gone(eng, tag)
            eng.cmd("image", "prune", "-f", check=False)
        cold.put(eng.name, c)
        warm.put(eng.name, w)
    return [cold, warm]


def machine_limits(b: Bench) -> dict[str, float]:
    probe = b.tmp / "probe"
    probe.mkdir(exist_ok=True)
    blob = probe / "blob"
    blob.write_bytes(os.urandom(256 << 20))
    sha = 256 / sha256_seconds(blob)
    blob.unlink()
    disk = 512 / disk_write_seconds(probe, 512)
    return {"sha256_MB_per_s": round(sha * 1.048576, 1),
            "disk_write_fsync_MB_per_s": round(disk * 1.048576, 1)}
