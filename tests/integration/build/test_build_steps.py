"""Build features on the real store (overlay2): multi-stage with COPY --from and --target,
parallel stages, refused COPY sources, reproducible builds, ADD of a local tar, heredocs."""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

from scow.errors import NotFound, ScowError, UnsafeArchive

pytestmark = pytest.mark.parametrize("engine", ["overlay2"], indirect=True)


def _read(engine: Any, image: str, path: str) -> bytes:
    """A file of an image's rootfs, read through the engine's own port."""
    from scow.engine.builds.service import StoreBuildEngine
    from scow.ids import chain_id

    port = StoreBuildEngine(engine.store, engine.images, lambda: engine.distribution,
                            engine.runtime)
    try:
        diffs = engine.images.inspect(image)["RootFS"]["Layers"]
        with port.open_rootfs(chain_id(diffs)) as root:
            return (Path(root) / path.lstrip("/")).read_bytes()
    finally:
        port.close()


MULTI = """FROM busybox:base AS builder
RUN mkdir /out && echo built > /out/artifact
FROM busybox:base AS other
RUN echo other > /other
FROM busybox:base
COPY --from=builder /out/artifact /artifact
CMD ["cat", "/artifact"]
"""


def test_multi_stage_copy_from_and_target(built: Any) -> None:
    engine, _, build = built
    final, log = build(MULTI, tags=("multi:1",))
    assert _read(engine, "multi:1", "/artifact") == b"built\n"
    assert "echo other" not in log  # a stage nothing needs is skipped
    assert len(final.image["rootfs"]["diff_ids"]) == 2
    builder, _ = build(MULTI, tags=("multi:builder",), target="builder")
    assert _read(engine, "multi:builder", "/out/artifact") == b"built\n"
    assert builder.image["config"].get("Cmd") != ["cat", "/artifact"]


def test_independent_stages_run_in_parallel(built: Any) -> None:
    engine, _, build = built
    text = ("FROM busybox:base AS a\nRUN sleep 3 && echo a > /a\n"
            "FROM busybox:base AS b\nRUN sleep 3 && echo b > /b\n"
            "FROM busybox:base\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n")
    started = time.monotonic()
    build(text, tags=("par:1",), no_cache=True)
    assert time.monotonic() - started < 5.5  # one after the other would take more than 6 s
    assert _read(engine, "par:1", "/a") + _read(engine, "par:1", "/b") == b"a\nb\n"


def test_a_failed_parallel_stage_stops_its_siblings_steps(built: Any) -> None:
    """The build fails with the first stage's error as soon as it fails: the sibling's RUN
    is killed (it held the build, and a caller's interrupt, until it ended: 30 s here)."""
    _, _, build = built
    text = ("FROM busybox:base AS a\nRUN sleep 1 && exit 3\n"
            "FROM busybox:base AS b\nRUN sleep 30\n"
            "FROM busybox:base\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n")
    started = time.monotonic()
    with pytest.raises(ScowError) as failed:
        build(text, no_cache=True)
    assert time.monotonic() - started < 15
    assert "exit code: 3" in str(failed.value)


@pytest.mark.parametrize("source", ["missing.txt", "../outside", "link-out"])
def test_copy_sources_outside_or_missing_are_refused(built: Any, source: str) -> None:
    engine, ctx, build = built
    (ctx / "link-out").symlink_to("/etc/passwd")
    before = {layer.chain_id for layer in engine.store.layers.all()}
    with pytest.raises(ScowError) as failed:
        build(f"FROM busybox:base\nCOPY {source} /x\n")
    message = str(failed.value)
    assert "\n" not in message and message.startswith("Dockerfile:2: ")
    if source == "missing.txt":
        assert isinstance(failed.value, NotFound) and "not found" in message
    else:
        assert "outside the build context" in message
    assert {layer.chain_id for layer in engine.store.layers.all()} == before


def test_source_date_epoch_builds_are_reproducible(built: Any) -> None:
    engine, ctx, build = built
    (ctx / "data.txt").write_text("data\n")
    text = ("FROM busybox:base\nWORKDIR /work/dir\nCOPY data.txt .\n"
            "RUN echo ran > /work/ran && touch /work/dir/data.txt\nENV A=b\n")
    first, _ = build(text, tags=("repro:1",), no_cache=True, epoch=1700000000)
    time.sleep(1.1)
    second, _ = build(text, tags=("repro:2",), no_cache=True, epoch=1700000000)
    assert first.image_id == second.image_id
    assert first.image["created"] == "2023-11-14T22:13:20Z"
    assert _read(engine, "repro:1", "/work/dir/data.txt") == b"data\n"


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o640, 1600000000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_add_local_tar_extracts(built: Any) -> None:
    engine, ctx, build = built
    (ctx / "files.tar.gz").write_bytes(_tar({"top.txt": b"top\n", "sub/inner.txt": b"in\n"}))
    build("FROM busybox:base\nADD files.tar.gz /opt/\nCOPY files.tar.gz /raw/\n",
          tags=("add:1",))
    assert _read(engine, "add:1", "/opt/top.txt") == b"top\n"
    assert _read(engine, "add:1", "/opt/sub/inner.txt") == b"in\n"
    assert _read(engine, "add:1", "/raw/files.tar.gz")[:2] == b"\x1f\x8b"  # COPY: as is


@pytest.mark.parametrize("member", ["../escape.txt", "dir/.wh.passwd"])
def test_add_of_a_hostile_tar_is_refused(built: Any, member: str) -> None:
    engine, ctx, build = built
    (ctx / "evil.tar.gz").write_bytes(_tar({member: b"x\n"}))
    with pytest.raises(UnsafeArchive):
        build("FROM busybox:base\nADD evil.tar.gz /opt/\n")
    assert not engine.store.db.query("SELECT * FROM leases")


def test_heredoc_run_and_copy_chown_chmod(built: Any) -> None:
    engine, ctx, build = built
    (ctx / "f.txt").write_text("f\n")
    text = ("# syntax=docker/dockerfile:1\nFROM busybox:base\n"
            "RUN <<EOF\necho one > /one\necho two >> /one\nEOF\n"
            "COPY --chown=nobody:nogroup --chmod=600 f.txt /f.txt\n"
            "RUN stat -c '%u:%g %a' /f.txt > /stat\n")
    build(text, tags=("heredoc:1",))
    assert _read(engine, "heredoc:1", "/one") == b"one\ntwo\n"
    assert _read(engine, "heredoc:1", "/stat") == b"65534:65534 600\n"


def test_run_sees_env_args_user_and_workdir(built: Any) -> None:
    engine, _, build = built
    text = ("FROM busybox:base\nARG GREETING=hi\nENV WHO=world\nWORKDIR /w\nUSER nobody\n"
            "RUN echo \"$GREETING $WHO $(id -u) $(pwd)\" > /tmp/out\n")
    build(text, tags=("env:1",), build_args={"GREETING": "hello"})
    assert _read(engine, "env:1", "/tmp/out") == b"hello world 65534 /w\n"
    image = engine.images.inspect("env:1")
    assert "GREETING=hello" not in image["Config"]["Env"]
