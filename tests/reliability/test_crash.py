"""Crash safety, step by step: every fault point a command passes is, in turn, a kill -9 of that
command at that moment (SCOW_FAULTS=<point> makes the process SIGKILL itself there). After
each kill the next command works, `system check` is clean once the next writer has rolled the
dead command's work back, and the image that had finished before survives byte for byte."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.reliability.conftest import (
    FIGURES,
    assert_clean,
    assert_pool_holds_only_parent,
    current_driver,
    ok,
    scow,
)

Steps = list[tuple[str, ...]]


@dataclass
class Op:
    name: str
    action: tuple[str, ...]
    setup: Steps = field(default_factory=list)  # before each attempt
    undo: Steps = field(default_factory=list)  # after each attempt (errors ignored)
    # after the killed attempt: the command a user would run next (None: the action again)
    redo_ok: tuple[int, ...] = (0,)  # exit codes the re-run may end with


def _ops(tar: Path, tmp: Path) -> list[Op]:
    saved = str(tmp / "saved.tar")
    context = tmp / "context"
    context.mkdir(exist_ok=True)
    (context / "Dockerfile").write_text("FROM bb\nRUN echo built > /built\nCOPY Dockerfile /df\n"
                                        "ENV X=1\n")
    staged = tmp / "staged"  # a builder stage copied into scratch: its layer is cache-only
    staged.mkdir(exist_ok=True)
    (staged / "Dockerfile").write_text("FROM bb AS b\nRUN echo b > /b\nFROM scratch\n"
                                       "COPY --from=b /b /b\n")
    return [
        Op("build", ("build", "-q", "--no-cache", "-t", "bd:1", str(context)),
           undo=[("rmi", "bd:1")]),
        Op("import", ("import", str(tar), "imp:1"), undo=[("rmi", "imp:1")]),
        Op("rmi", ("rmi", "victim:1"), setup=[("import", str(tar), "victim:1")],
           redo_ok=(0, 1)),
        Op("create", ("create", "--name", "c1", "bb"), undo=[("rm", "-f", "c1")],
           redo_ok=(0, 1)),
        Op("run", ("run", "--name", "r1", "bb", "true"), undo=[("rm", "-f", "r1")],
           redo_ok=(0, 1, 125)),
        Op("rm", ("rm", "c2"), setup=[("create", "--name", "c2", "bb")], redo_ok=(0, 1)),
        Op("commit", ("commit", "cw", "cm:1"),
           setup=[("run", "--name", "cw", "bb", "sh", "-c", "echo x > /x")],
           undo=[("rm", "-f", "cw"), ("rmi", "cm:1")]),
        Op("load", ("load", "-i", saved),
           setup=[("import", str(tar), "ld:1"), ("save", "-o", saved, "ld:1"), ("rmi", "ld:1")],
           undo=[("rmi", "ld:1")]),
        Op("builder-prune", ("builder", "prune", "-a", "-f"),
           setup=[("build", "-q", "-t", "st:1", str(staged)), ("rmi", "st:1")]),
        Op("prune", ("system", "prune", "-f"),
           setup=[("import", str(tar)), ("import", str(tar), "pr:1"),
                  ("create", "--name", "c3", "pr:1", "x")],
           undo=[("rmi", "pr:1")]),
    ]


def _points(root: Path, op: Op, tmp: Path) -> list[str]:
    log = tmp / f"points-{op.name}"
    _steps(root, op.setup, strict=True)
    proc = scow(root, *op.action, env={"SCOW_FAULTS_LOG": str(log)})
    assert proc.returncode == 0, proc.stderr
    _steps(root, op.undo)
    names = log.read_text().split() if log.exists() else []
    return list(dict.fromkeys(names))


def _steps(root: Path, steps: Steps, *, strict: bool = False) -> None:
    for step in steps:
        proc = scow(root, *step)
        if strict:
            assert proc.returncode == 0, f"{step}: {proc.stderr}"


def _one_kill(root: Path, op: Op, point: str) -> None:
    _steps(root, op.setup, strict=True)
    proc = scow(root, *op.action, faults=point)
    assert proc.returncode == -signal.SIGKILL, f"{point} not reached: {proc.stderr}"
    FIGURES["kills at fault points"] += 1
    again = scow(root, *op.action)
    assert again.returncode in op.redo_ok, f"after a kill at {point}: {again.stderr}"
    assert "Traceback" not in again.stderr
    _steps(root, op.undo)
    _steps(root, [("rm", "-f", "c1", "c2", "c3", "r1", "cw")])
    assert_clean(root)  # after rm: a `run`'s monitor may still be unmounting its exited rootfs


@pytest.fixture
def based(tmp_path: Path, busybox_tar: Path, store_root: Path) -> Path:
    root = store_root
    ok(root, "import", "-c", "CMD [\"sh\"]", str(busybox_tar), "bb")
    return root


@pytest.mark.parametrize("name", ["import", "rmi", "create", "run", "rm", "commit", "load",
                                  "prune", "build", "builder-prune"])
def test_kill_at_every_fault_point(name: str, based: Path, small_tar: Path,
                                   tmp_path: Path) -> None:
    op = next(o for o in _ops(small_tar, tmp_path) if o.name == name)
    before = ok(based, "image", "inspect", "-f", "{{.Id}}", "bb").strip()
    points = _points(based, op, tmp_path)
    assert points, f"{name} passes no fault point"
    for point in points:
        _one_kill(based, op, point)
    assert ok(based, "image", "inspect", "-f", "{{.Id}}", "bb").strip() == before
    assert_clean(based, quick=False)  # bb's content re-hashes to its DiffID
    if current_driver() == "zfs":
        assert_pool_holds_only_parent(based)


def test_commit_tags_its_image_in_the_creating_transaction(based: Path) -> None:
    """A commit killed right after its image row is written has tagged it too: a prune of
    dangling images run at that moment (it removes untagged images nothing uses) finds the
    new image named, not dangling, and keeps it."""
    ok(based, "create", "--name", "cw", "bb", "true")
    proc = scow(based, "commit", "cw", "cm:1", faults="containers.commit.after_image")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    ok(based, "image", "prune", "-f")
    made = ok(based, "image", "inspect", "-f", "{{.Id}}", "cm:1").strip()  # tagged, kept
    assert made != ok(based, "image", "inspect", "-f", "{{.Id}}", "bb").strip()
    ok(based, "rm", "cw")
    ok(based, "rmi", "cm:1")
    assert_clean(based)


def test_kill_during_pull(registry_plain: object, based: Path, small_tar: Path,
                          tmp_path: Path) -> None:
    ref = f"{registry_plain.domain}/rel/small:1"  # type: ignore[attr-defined]
    ok(based, "import", str(small_tar), ref)
    ok(based, "push", ref)
    ok(based, "rmi", ref)
    op = Op("pull", ("pull", ref), undo=[("rmi", ref)])
    points = _points(based, op, tmp_path)
    assert "layers.register.after_apply" in points
    for point in points:
        _one_kill(based, op, point)


def test_faults_are_off_unless_named() -> None:
    from scow.osutil import faults

    assert os.environ.get("SCOW_FAULTS") is None
    faults.point("layers.register.after_apply")  # nothing happens


def test_raise_action_rolls_back(tmp_path: Path, small_tar: Path) -> None:
    root = tmp_path / "root"
    proc = scow(root, "import", str(small_tar), "x:1", driver="vfs",
                faults="layers.register.after_apply=raise")
    assert proc.returncode != 0 and "injected fault" in proc.stderr
    assert os.listdir(root / "vfs" / "dir") == []
    assert_clean(root, "vfs")


