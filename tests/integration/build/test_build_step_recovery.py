"""A build step's writable layer against other processes' recovery and against a kill -9:
a concurrent scow's recovery never takes a live step's layer, and a killed build leaves
nothing that the next command does not remove (its runc container included)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_tar
from tests.reliability.conftest import mounts_under, ok, scow

from scow.engine.builds.run import run_in_container
from scow.store.store import Store

SRC = str(Path(__file__).resolve().parents[3] / "src")


class _InstantRunc:
    """The process seam: a `runc run` that exits 0 at once (the step changes nothing)."""

    def __init__(self, root: str) -> None:
        self.root = root

    def argv(self, *args: str, log: str | None = None) -> list[str]:
        return ["true"]

    def deleted_if_caller_dies(self, cid: str) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


@contextlib.contextmanager
def _recovering_after_each_write(mine: Store, other: Store) -> Iterator[list[str]]:
    """After every write transaction `mine` commits, `other` (another process on the root,
    with its own owner token) runs its recovery: every moment between two of `mine`'s steps
    is a moment another scow may start."""
    real = mine.db.write
    seen: list[str] = []

    @contextlib.contextmanager
    def write(**kw: Any) -> Iterator[Any]:
        with real(**kw) as tx:
            yield tx
        other._recovered = False
        seen.extend(other.recover())

    mine.db.write = write  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        mine.db.write = real  # type: ignore[method-assign]


def test_concurrent_recovery_never_takes_a_live_steps_layer(engine: Any) -> None:
    import io
    import threading

    from scow.build.ports import RunSpec

    image = engine.images.import_image(io.BytesIO(make_tar({"etc/": None, "etc/a": b"a"})),
                                       reference="base:1")
    top = engine.store.images.get(image).top_layer
    other = Store(engine.root, driver_name=engine.store.driver.name)
    try:
        with _recovering_after_each_write(engine.store, other) as seen:
            spec = RunSpec(argv=("true",), env=(), user="", workdir="/", network="none",
                           epoch=None)
            outcome = run_in_container(engine.store, _InstantRunc(engine.root + "/runc"),
                                       threading.RLock(), top, spec, lambda b: None)
        assert outcome.exit_code == 0 and outcome.layer is not None
        assert not [line for line in seen if "container layer" in line], seen
    finally:
        other.close()


def _runc_ids(root: Path) -> list[str]:
    state = root / "runtime" / "runc"
    return sorted(os.listdir(state)) if state.is_dir() else []


def _wait_for(cond: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


def test_build_killed_mid_step_leaves_nothing_after_one_command(
        busybox_tar: Path, no_leaked_mounts: Path, tmp_path: Path) -> None:
    if shutil.which("runc") is None or os.geteuid() != 0:
        pytest.skip("runc (as root) is needed to run build steps")
    root = no_leaked_mounts / "root"
    ok(root, "import", str(busybox_tar), "busybox:base")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox:base\nRUN touch /started && sleep 60\n")
    env = dict(os.environ, PYTHONPATH=SRC, SCOW_STORAGE_DRIVER="overlay2")
    env.pop("SCOW_FAULTS", None)
    build = subprocess.Popen([sys.executable, "-m", "scow", "--root", str(root), "build",
                              "--no-cache", "-t", "x:1", str(ctx)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: _started(root), 60), "the RUN step did not start"
        os.kill(build.pid, signal.SIGKILL)
        build.wait(10)
        tar = tmp_path / "other.tar"
        tar.write_bytes(make_tar({"etc/": None, "etc/o": b"o"}))
        ok(root, "import", str(tar), "other:1")  # one ordinary command that writes
        proc = scow(root, "system", "check", "--quick")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "pending" not in proc.stdout, proc.stdout  # nothing was left for later
        assert mounts_under(root) == [] and _runc_ids(root) == []
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
        for cid in _runc_ids(root):  # the step container this test started, if still there
            subprocess.run(["runc", "--root", str(root / "runtime" / "runc"), "delete",
                            "--force", cid], check=False, capture_output=True)


def _started(root: Path) -> bool:
    """The step's container runs and has made its first change (/started in its upper)."""
    for cid in _runc_ids(root):
        state = subprocess.run(["runc", "--root", str(root / "runtime" / "runc"), "state", cid],
                               capture_output=True, text=True, check=False)
        if '"running"' in state.stdout:
            return any((d / "started").exists() for d in (root / "overlay2").glob("*/diff"))
    return False


def _volatile(mountinfo_line: str) -> bool:
    """Whether an overlay's super options have `volatile` (6.x kernels show fsync=volatile)."""
    options = mountinfo_line.split()[-1].split(",")
    return "volatile" in options or "fsync=volatile" in options


class _MountSeeingRunc(_InstantRunc):
    """The process seam again: records the mount options of the step's rootfs while it runs."""

    def __init__(self, root: str, seen: list[str]) -> None:
        super().__init__(root)
        self.seen = seen
        self.root = os.path.dirname(root)  # the engine's root: its own mounts only

    def argv(self, *args: str, log: str | None = None) -> list[str]:
        with open("/proc/self/mountinfo") as f:
            self.seen += [line for line in f if line.split()[4].startswith(self.root)
                          and " overlay " in line]
        return ["true"]


@pytest.mark.parametrize("engine", ["overlay2"], indirect=True)
def test_step_layers_are_volatile_and_not_fsynced(engine: Any, busybox_tar: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A RUN step's throw-away init and writable layers: mounted with overlay's `volatile`
    (no sync of the upper file system at unmount) and created without fsyncs; a container's
    layers keep both."""
    import io
    import threading

    from scow.build.ports import RunSpec

    image = engine.images.import_image(io.BytesIO(make_tar({"etc/": None, "etc/a": b"a"})),
                                       reference="base:1")
    top = engine.store.images.get(image).top_layer
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    held = engine.store.layers.create_held_rw(top, "build-x")
    assert synced == [], "a build step's layers were fsynced"
    engine.store.layers.remove_rw(held.mount_id, force=True, durable=False)
    seen: list[str] = []
    spec = RunSpec(argv=("true",), env=(), user="", workdir="/", network="none", epoch=None)
    outcome = run_in_container(engine.store, _MountSeeingRunc(engine.root + "/runc", seen),
                               threading.RLock(), top, spec, lambda b: None)
    assert outcome.exit_code == 0
    assert seen and all(_volatile(line) for line in seen), seen
    rw = engine.store.layers.create_rw(top, "c" * 64)
    try:
        assert synced, "a container's layers must stay durable"
        path = engine.store.driver.get(rw.mount_id)
        try:
            with open("/proc/self/mountinfo") as f:
                mine = [line for line in f if line.split()[4] == path]
            assert mine and not _volatile(mine[0]), mine
        finally:
            engine.store.driver.put(rw.mount_id)
    finally:
        engine.store.layers.remove_rw(rw.mount_id)


class _BundleReadingRunc(_InstantRunc):
    """The process seam: keeps each step's config.json as runc would read it."""

    def __init__(self, root: str, specs: list[dict[str, Any]]) -> None:
        super().__init__(root)
        self.specs = specs

    def argv(self, *args: str, log: str | None = None) -> list[str]:
        import json

        bundle = args[args.index("--bundle") + 1]
        with open(os.path.join(bundle, "config.json")) as f:
            self.specs.append(json.load(f))
        return ["true"]


def test_steps_translate_the_seccomp_profile_once(engine: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every RUN step gets docker's default filter; the profile is translated by the first."""
    import io
    import threading

    from scow.build.ports import RunSpec
    from scow.engine.builds import run as run_module
    from scow.runtime import spec as spec_module

    image = engine.images.import_image(io.BytesIO(make_tar({"etc/": None, "etc/a": b"a"})),
                                       reference="base:1")
    top = engine.store.images.get(image).top_layer
    calls: list[str] = []
    real = spec_module.seccomp_section
    monkeypatch.setattr(spec_module, "seccomp_section",
                        lambda p, caps: (calls.append(p), real(p, caps))[1])
    monkeypatch.setattr(run_module, "_SECCOMP", {}, raising=False)
    specs: list[dict[str, Any]] = []
    step = RunSpec(argv=("true",), env=(), user="", workdir="/", network="none", epoch=None)
    for _ in range(3):
        run_in_container(engine.store, _BundleReadingRunc(engine.root + "/runc", specs),
                         threading.RLock(), top, step, lambda b: None)
    assert len(specs) == 3
    first = specs[0]["linux"]["seccomp"]
    assert first["syscalls"] and all(s["linux"]["seccomp"] == first for s in specs)
    assert calls.count("") == 1, calls


@pytest.mark.parametrize("engine", ["overlay2"], indirect=True)
def test_a_steps_layer_is_mounted_read_only_for_the_next_step(engine: Any) -> None:
    """COPY and --mount from a stage read a fresh layer's rootfs: the overlay is read-only
    (a writable one syncs the upper file system at unmount) though no child exists yet."""
    import io
    import threading

    from scow.build.ports import RunSpec

    image = engine.images.import_image(io.BytesIO(make_tar({"etc/": None, "etc/a": b"a"})),
                                       reference="base:1")
    top = engine.store.images.get(image).top_layer
    step = RunSpec(argv=("true",), env=(), user="", workdir="/", network="none", epoch=None)
    outcome = run_in_container(engine.store, _InstantRunc(engine.root + "/runc"),
                               threading.RLock(), top, step, lambda b: None)
    assert outcome.layer is not None
    path = engine.store.driver.get(outcome.layer.cache_id)
    try:
        with open("/proc/self/mountinfo") as f:
            mine = [line for line in f if line.split()[4] == path]
        assert mine and "upperdir=" not in mine[0], mine  # lowers only: a read-only overlay
    finally:
        engine.store.driver.put(outcome.layer.cache_id)
