"""The builder loop end to end against the in-memory engine (layers as file trees)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from fake_engine import FakeEngine, Node

from scow.build.builder import build
from scow.build.context import BuildContext
from scow.build.ports import BuildOptions
from scow.build.progress import PlainProgress, TtyProgress
from scow.errors import BuildStepFailed, DockerfileError, NotFound, ScowError

BASE = "# syntax=docker/dockerfile:1\nFROM alpine\nRUN mkdir -p /opt && echo bash > /opt/bash\n"
FINAL = ("# syntax=docker/dockerfile:1\nFROM acme/my-base-image:1.0\nCOPY . /app\n"
         "RUN chmod +x /app/hello.sh\nCMD /app/hello.sh\n")


@pytest.fixture
def engine() -> FakeEngine:
    e = FakeEngine()
    e.add_image("alpine", {"bin": Node("dir", mode=0o755), "bin/sh": Node("file", b"sh", 0o755)},
                {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                 "Cmd": ["/bin/sh"]})
    return e


def _build(engine: FakeEngine, ctx: Path, dockerfile: str, **kw: object) -> tuple[object, str]:
    (ctx / "Dockerfile").write_text(dockerfile)
    out = io.StringIO()
    with BuildContext.from_dir(str(ctx)) as context:
        result = build(engine, context, BuildOptions(**kw), PlainProgress(out))  # type: ignore
    return result, out.getvalue()


def test_walkthrough_two_dockerfiles(engine: FakeEngine, tmp_path: Path) -> None:
    (tmp_path / "hello.sh").write_text('#!/usr/bin/env bash\necho "Hello world"\n')
    base, _ = _build(engine, tmp_path, BASE, tags=("acme/my-base-image:1.0",), epoch=0)
    engine.images["acme/my-base-image:1.0"] = engine.get_image("alpine").__class__(
        base.image_id, base.image)  # type: ignore[attr-defined]
    final, log = _build(engine, tmp_path, FINAL, tags=("acme/my-final-image:1.0",), epoch=0)
    image = final.image  # type: ignore[attr-defined]
    history = [(h["created_by"], h.get("empty_layer", False)) for h in image["history"]]
    assert history[-4:] == [
        ("RUN /bin/sh -c mkdir -p /opt && echo bash > /opt/bash # buildkit", False),
        ("COPY . /app # buildkit", False),
        ("RUN /bin/sh -c chmod +x /app/hello.sh # buildkit", False),
        ('CMD ["/bin/sh" "-c" "/app/hello.sh"]', True)]
    assert all(h["comment"] == "buildkit.dockerfile.v0" for h in image["history"][1:])
    assert image["config"]["Cmd"] == ["/bin/sh", "-c", "/app/hello.sh"]
    assert image["rootfs"]["diff_ids"][:2] == base.image["rootfs"]["diff_ids"]  # type: ignore
    assert len(image["rootfs"]["diff_ids"]) == 4
    assert sum(not h.get("empty_layer") for h in image["history"]) == 4
    fs = engine.image_rootfs(final.image_id)  # type: ignore[attr-defined]
    assert fs["app/hello.sh"].mode & 0o111 and b"Hello world" in fs["app/hello.sh"].data
    assert "#2 [2/3] COPY . /app\n#2 DONE" in log and "#1 [1/3] FROM docker.io/acme/my-base" in log
    assert engine.tags["acme/my-final-image:1.0"] == final.image_id  # type: ignore


def test_cache_reuses_steps_and_ignores_mtime(engine: FakeEngine, tmp_path: Path) -> None:
    df = "FROM alpine\nCOPY a.txt /a.txt\nRUN echo built > /b\n"
    (tmp_path / "a.txt").write_text("one")
    first, _ = _build(engine, tmp_path, df, epoch=5)
    os.utime(tmp_path / "a.txt", (1, 1))
    second, log = _build(engine, tmp_path, df, epoch=5)
    assert log.count("CACHED") == 2 and second.image_id == first.image_id  # type: ignore
    (tmp_path / "a.txt").write_text("two")
    third, log = _build(engine, tmp_path, df, epoch=5)
    assert "CACHED" not in log and third.image_id != first.image_id  # type: ignore
    _, log = _build(engine, tmp_path, df, epoch=5, no_cache=True)
    assert "CACHED" not in log


def test_metadata_instructions_evolve_config(engine: FakeEngine, tmp_path: Path) -> None:
    df = ("FROM alpine\nARG V=1\nENV A=$V B=\"x y\"\nLABEL k=v\nEXPOSE 80 53/udp\n"
          "VOLUME /data\nUSER 1000\nWORKDIR app\nSTOPSIGNAL SIGINT\nSHELL [\"/bin/bash\", \"-c\"]\n"
          "HEALTHCHECK --interval=30s CMD true\nONBUILD RUN echo hi\nENTRYPOINT echo\n"
          "MAINTAINER me\n")
    result, _ = _build(engine, tmp_path, df)
    image = result.image  # type: ignore[attr-defined]
    cfg = image["config"]
    assert "A=1" in cfg["Env"] and "B=x y" in cfg["Env"]
    assert cfg["Labels"] == {"k": "v"} and cfg["User"] == "1000" and cfg["WorkingDir"] == "/app"
    assert set(cfg["ExposedPorts"]) == {"80/tcp", "53/udp"} and cfg["Volumes"] == {"/data": {}}
    assert cfg["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 30_000_000_000}
    assert cfg["OnBuild"] == ["RUN echo hi"] and cfg["Entrypoint"] == ["/bin/bash", "-c", "echo"]
    assert cfg["Cmd"] is None and image["author"] == "me"
    created = [h["created_by"] for h in image["history"][1:]]
    assert created[:5] == ["ARG V=1", "ENV A=1 B=x y", "LABEL k=v",
                           "EXPOSE map[53/udp:{} 80/tcp:{}]", "VOLUME [/data]"]
    assert "WORKDIR /app" in created and "USER 1000" in created


def test_onbuild_triggers_run_in_child(engine: FakeEngine, tmp_path: Path) -> None:
    parent, _ = _build(engine, tmp_path, "FROM alpine\nONBUILD RUN echo child > /marker\n")
    engine.images["parent"] = engine.get_image("alpine").__class__(
        parent.image_id, parent.image)  # type: ignore[attr-defined]
    child, _ = _build(engine, tmp_path, "FROM parent\nRUN true\n")
    assert "marker" in engine.image_rootfs(child.image_id)  # type: ignore[attr-defined]
    assert child.image["config"]["OnBuild"] is None  # type: ignore[attr-defined]


def test_multistage_target_skips_and_copy_from(engine: FakeEngine, tmp_path: Path) -> None:
    df = ("FROM alpine AS build\nRUN echo artifact > /out\n"
          "FROM alpine AS unused\nRUN exit 9\n"
          "FROM scratch\nCOPY --from=build /out /copied\n")
    result, log = _build(engine, tmp_path, df)
    assert result.built_stages == (0, 2)  # type: ignore[attr-defined]
    assert engine.image_rootfs(result.image_id)["copied"].data == b"artifact\n"  # type: ignore
    assert "[build 2/2] RUN echo artifact > /out" in log
    only, _ = _build(engine, tmp_path, df, target="build")
    assert "out" in engine.image_rootfs(only.image_id)  # type: ignore[attr-defined]


def test_build_args_reach_run_and_history(engine: FakeEngine, tmp_path: Path) -> None:
    df = "ARG BASE=alpine\nFROM $BASE\nARG X=1\nRUN env\n"
    result, log = _build(engine, tmp_path, df, build_args={"X": "2", "HTTP_PROXY": "p"})
    runs = [h["created_by"] for h in result.image["history"]]  # type: ignore[attr-defined]
    assert "RUN |1 X=2 /bin/sh -c env # buildkit" in runs
    assert "X=2" in engine.runs[-1].env and "HTTP_PROXY=p" in engine.runs[-1].env
    assert not any(e.startswith("X=") for e in result.image["config"]["Env"])  # type: ignore


def test_failing_run_names_command_and_exit_code(engine: FakeEngine, tmp_path: Path) -> None:
    with pytest.raises(BuildStepFailed) as err:
        _build(engine, tmp_path, "FROM alpine\nRUN echo before && exit 3\n")
    assert str(err.value) == ('Dockerfile:2: process "/bin/sh -c echo before && exit 3" did not '
                              'complete successfully: exit code: 3')


def test_copy_refusals(engine: FakeEngine, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (tmp_path / "secret").write_text("s")
    os.symlink("../secret", ctx / "link")
    for df, kind in (("COPY ../secret /x", ScowError), ("COPY link /x", ScowError),
                     ("COPY missing /x", NotFound)):
        with pytest.raises(kind) as err:
            _build(engine, ctx, f"FROM alpine\n{df}\n")
        assert str(err.value).startswith("Dockerfile:2: ")


def test_add_url_offline_and_local_tar(engine: FakeEngine, tmp_path: Path) -> None:
    import tarfile

    with tarfile.open(tmp_path / "t.tar.gz", "w:gz") as tar:
        (tmp_path / "inner.txt").write_text("inside")
        tar.add(tmp_path / "inner.txt", "inner.txt")
    result, _ = _build(engine, tmp_path, "FROM alpine\nADD t.tar.gz /x/\n")
    assert engine.image_rootfs(result.image_id)["x/inner.txt"].data == b"inside"  # type: ignore
    with pytest.raises(ScowError, match="network is unreachable"):
        _build(engine, tmp_path, "FROM alpine\nADD https://example.com/f.txt /f\n")


def test_heredoc_copy_and_run(engine: FakeEngine, tmp_path: Path) -> None:
    df = ("FROM alpine\nENV WHO=me\nCOPY <<EOF /greet\nhello $WHO\nEOF\n"
          "RUN <<EOT\necho x > /y\nEOT\n")
    result, _ = _build(engine, tmp_path, df)
    fs = engine.image_rootfs(result.image_id)  # type: ignore[attr-defined]
    assert fs["greet"].data == b"hello me\n" and fs["y"].data == b"x\n"


def test_reproducible_with_epoch(engine: FakeEngine, tmp_path: Path) -> None:
    a, _ = _build(engine, tmp_path, "FROM alpine\nRUN echo a > /a\n", epoch=1700000000)
    b, _ = _build(engine, tmp_path, "FROM alpine\nRUN echo a > /a\n", epoch=1700000000,
                  no_cache=True)
    assert a.image_id == b.image_id  # type: ignore[attr-defined]
    assert json.loads(engine.configs[a.image_id])["created"] == "2023-11-14T22:13:20Z"  # type: ignore


def test_malformed_dockerfile_one_line(engine: FakeEngine, tmp_path: Path) -> None:
    with pytest.raises(DockerfileError, match=r"^Dockerfile:3: unknown instruction: FOOBAR$"):
        _build(engine, tmp_path, "FROM alpine\nRUN true\nFOOBAR x\n")


def test_tty_progress_renders_buildkit_block() -> None:
    out = io.StringIO()
    progress = TtyProgress(out)
    with progress.vertex("[2/3] COPY . /app") as v:
        v.done(cached=True)
    progress.finish(6.0)
    screen = out.getvalue()
    assert "[+] Building 6.0s (1/1) FINISHED" in screen and "=> CACHED [2/3] COPY . /app" in screen
