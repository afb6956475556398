"""owns: the command-latency scenarios of issue 7: 1 (the walkthrough), 2 (run/create latency,
ps and images on a populated store), 3 (100 containers on overlay2 and vfs) and 5 (ps --size
and system df with containers that wrote files).
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from bench import data
from bench.context import BASE, NET, Bench
from bench.engines import Engine
from bench.measure import Row, clock, disk_used, repeat

ENGINES = ("scow", "docker", "podman")


def _rm_all(eng: Engine) -> None:
    ids = eng.out("ps", "-aq").split()
    if ids:
        eng.cmd("rm", "-f", *ids, timeout=600)


def walkthrough(b: Bench) -> list[Row]:
    """Scenario 1: import, 5 × run -dit, 3 × exec, ps --size (builds: scenario 7)."""
    steps = {k: Row(1, w, "s") for k, w in (
        ("total", "walkthrough end to end (import, 5 × run -dit, 3 × exec, ps --size)"),
        ("import", "walkthrough: import busybox rootfs"),
        ("run", "walkthrough: run -dit (each)"),
        ("exec", "walkthrough: exec (each)"),
        ("ps", "walkthrough: ps --size (5 running)"))}
    steps["total"].note = "the two builds are measured on their own in scenario 7"
    tar = str(data.busybox_tar(b.data))
    for eng in b.all():
        got: dict[str, list[float]] = {k: [] for k in steps}
        for i in range(b.sizes.heavy_runs):
            tag = f"walk/base:{i}"
            t_imp = eng.timed("import", "--change", 'CMD ["/bin/sh"]', tar, tag)
            ids, t_run = [], []
            for _ in range(5):
                dt, cid = eng.timed_out("run", "-dit", *NET, tag, "sh")
                t_run.append(dt)
                ids.append(cid)
            t_exec = [eng.timed("exec", ids[k], "true") for k in range(3)]
            t_ps = eng.timed("ps", "--size")
            got["import"].append(t_imp)
            got["run"].extend(t_run)
            got["exec"].extend(t_exec)
            got["ps"].append(t_ps)
            got["total"].append(t_imp + sum(t_run) + sum(t_exec) + t_ps)
            eng.cmd("rm", "-f", *ids, timeout=300)
            eng.cmd("rmi", tag)
        for k, row in steps.items():
            row.put(eng.name, got[k])
    return list(steps.values())


def _tiny_image_tar(path: Path, i: int) -> None:
    with tarfile.open(path, "w") as tf:
        body = f"image {i}\n".encode()
        ti = tarfile.TarInfo(f"image-{i}")
        ti.size, ti.mtime = len(body), 1704067200
        tf.addfile(ti, io.BytesIO(body))


def populate(b: Bench) -> None:
    """50 images and 100 exited containers that each wrote `files_each` files."""
    s = b.sizes
    script = f"mkdir /d && cd /d && i=0; while [ $i -lt {s.files_each} ]; do " \
             "echo $i > f$i; i=$((i+1)); done"
    for eng in b.all():
        for i in range(s.images - 1):
            p = b.data / f"tiny-image-{i}.tar"
            if not p.exists():
                _tiny_image_tar(p, i)
            eng.cmd("import", str(p), f"bench/img{i}:1")
        for _ in range(s.containers):
            eng.cmd("run", *NET, BASE, "sh", "-c", script)


def latency(b: Bench) -> list[Row]:
    """Scenario 2 (run, create latency on an empty-ish store) before populating it."""
    run = Row(2, "run --rm IMAGE true", "ms")
    create = Row(2, "create IMAGE (container ready, not started)", "ms")
    for eng in b.all():
        eng.cmd("run", "--rm", *NET, BASE, "true")           # warm the caches
        run.put(eng.name, repeat(lambda e=eng: e.timed("run", "--rm", *NET, BASE, "true"),
                                 b.sizes.runs))
        samples = []
        for _ in range(b.sizes.runs):
            t0 = clock(lambda e=eng: e.out("create", *NET, BASE, "true"))
            samples.append(t0)
        create.put(eng.name, samples)
        _rm_all(eng)
    return [run, create]


def listing(b: Bench) -> list[Row]:
    """Scenarios 2 and 5 on the populated store."""
    s = b.sizes
    populate(b)
    rows = [Row(2, f"ps -a with {s.containers} containers, {s.images} images", "ms"),
            Row(2, f"images with {s.images} images", "ms"),
            Row(5, f"ps -a --size, {s.containers} containers × {s.files_each} files", "ms"),
            Row(5, "system df", "ms")]
    rows[0].note = "goal: scow ps under 100 ms"
    args = (("ps", "-a"), ("images",), ("ps", "-a", "--size"), ("system", "df"))
    for eng in b.all():
        for row, a in zip(rows, args, strict=True):
            eng.cmd(*a)
            row.put(eng.name, repeat(lambda e=eng, a=a: e.timed(*a), s.runs))
    return rows


def many_containers(b: Bench) -> list[Row]:
    """Scenario 3: create N containers from one image on overlay2 and on vfs."""
    n = b.sizes.containers
    rows = []
    for driver in ("overlay2", "vfs"):
        t = Row(3, f"create {n} containers, {driver}", "s")
        d = Row(3, f"disk used by {n} containers, {driver}", "MB")
        for eng in b.all(driver):
            _rm_all(eng)
            before = disk_used(eng.root)
            os.sync()  # each engine's loop starts from a quiet disk, not the last one's writeback
            t.put(eng.name, [clock(lambda e=eng: [e.out("create", *NET, BASE, "true")
                                                    for _ in range(n)])])
            d.put(eng.name, [disk_used(eng.root) - before])
            _rm_all(eng)
        d.note = "busybox image (2 MB): vfs copies it per container, overlay2 shares it (S15)"
        rows += [t, d]
    return rows
