"""What an unchanged rebuild costs (issue 18: docker's classic builder answers it from a warm
daemon): every step a cache hit, the image the first build made given again. Its fsyncs do not
grow with the steps (a hit's lease and last-use time are not durable; the build's leases go in
one commit at its end), and with progress shown it loads neither the image analysis (the
findings were those of the build that made the image) nor the remote cache's or the ssh
agent's modules, nor the Dockerfile parser (its parse is the store's entry, and e2b's parser
imports dataclasses)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

from tests.integration.build.test_build_imports import SRC, WRAPPER
from tests.integration.containers.kit import Scow, env
from tests.tools import require_root, require_runc, require_tool

STEPS = 12  # layer steps: COPY and RUN
MAX_FSYNCS = 8  # the tag's durable commits and SQLite's own, whatever the number of steps
FORBIDDEN = ("scow.analyze", "scow.engine.builds.remote_cache", "scow.engine.builds.ssh_agent",
             # the parse comes from the store's entry: no Dockerfile parser, no dataclasses
             "e2b_dockerfile_utils.syntax", "scow.build.instruction_parsers", "dataclasses",
             "inspect")


def _context(ctx: Path) -> None:
    ctx.mkdir()
    lines = ["FROM bb:1"]
    for i in range(STEPS):
        if i % 2:
            (ctx / f"f{i}").write_text(f"file {i}\n")
            lines.append(f"COPY f{i} /app/f{i}")
        else:
            lines.append(f"RUN mkdir -p /app/d{i} && echo {i} > /app/d{i}/x")
        lines.append(f"ENV STEP{i}={i}")
    (ctx / "Dockerfile").write_text("\n".join(lines) + "\n")


def _built(tmp_path: Path, busybox_tar: Path) -> tuple[Scow, Path]:
    require_root()
    require_runc()
    scow = Scow(tmp_path / "root", "vfs")
    scow("import", str(busybox_tar), "bb:1")
    ctx = tmp_path / "ctx"
    _context(ctx)
    scow("build", "-q", "-t", "re:1", str(ctx))
    return scow, ctx


def test_unchanged_rebuild_syncs_do_not_grow_with_its_steps(tmp_path: Path,
                                                            busybox_tar: Path) -> None:
    strace = require_tool("strace", package="strace")
    scow, ctx = _built(tmp_path, busybox_tar)
    before = scow.out("image", "inspect", "--format", "{{.Id}}", "re:1").strip()
    out = tmp_path / "strace.out"
    proc = subprocess.run([strace, "-f", "-qq", "-o", str(out), "-e", "trace=fsync,fdatasync",
                           *scow.argv("build", "-q", "-t", "re:1", str(ctx))],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env=env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == before  # the same image: every step was a hit
    syncs = [line for line in out.read_text().splitlines() if "sync(" in line]
    assert len(syncs) <= MAX_FSYNCS, syncs


def test_unchanged_rebuild_loads_no_analysis(tmp_path: Path, busybox_tar: Path) -> None:
    scow, ctx = _built(tmp_path, busybox_tar)
    loaded = tmp_path / "loaded"
    argv = [sys.executable, "-I", "-S", "-c",
            WRAPPER.format(src=str(SRC), site=sysconfig.get_paths()["purelib"]), str(loaded),
            "--root", str(scow.root), "-s", scow.driver, "build", "--progress=plain",
            "-t", "re:1", str(ctx)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert "CACHED" in proc.stderr and "image analysis" not in proc.stderr
    modules = set(loaded.read_text().partition("\n--\n")[0].split())
    bad = sorted(m for m in modules for f in FORBIDDEN if m == f or m.startswith(f + "."))
    assert not bad, f"an unchanged rebuild loads {bad}"


def test_unchanged_rebuild_marks_its_hits_used_in_one_commit(built: Any) -> None:
    engine, ctx, build = built
    _context(ctx / "sub")
    text = (ctx / "sub" / "Dockerfile").read_text().replace("bb:1", "busybox:base")
    text = text.replace("COPY f", "COPY sub/f")
    first, _ = build(text)
    begins: list[str] = []
    engine.store.db.conn.set_trace_callback(
        lambda sql: begins.append(sql) if sql.startswith("BEGIN") else None)
    try:
        again, log = build(text)
    finally:
        engine.store.db.conn.set_trace_callback(None)
    assert again.image_id == first.image_id and again.reused and "CACHED" in log
    # a lease per hit, the hits' last use, the leases' release, the tag's
    assert len(begins) <= STEPS + 6, len(begins)
    used = engine.store.build_cache.records()[-STEPS:]
    assert len({r.last_used for r in used}) == STEPS  # each hit its own time, in step order
