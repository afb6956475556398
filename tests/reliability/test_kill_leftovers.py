"""What a killed command leaves beside its rows, and that the next writer removes it: the runc
scratch files of a `scow exec` killed mid-exec (its process.json holds the exec's Env, so
maybe a secret), and the anonymous volumes of a `create` killed between making them and
publishing the container."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.reliability.conftest import SRC, assert_clean, ok, runc_containers, scow
from tests.tools import require_overlay, require_runc

SECRET = "s3cr3t-" + "7f" * 8


def _files_holding(root: Path, needle: str) -> list[str]:
    """Files of the store's staging and runc folders whose content holds `needle`."""
    found = []
    for folder in (root / "tmp", root / "runtime"):
        for dirpath, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(dirpath, name)
                try:
                    with open(path, "rb") as f:
                        if needle.encode() in f.read(1 << 20):
                            found.append(path)
                except OSError:
                    continue
    return found


@pytest.fixture
def running(busybox_tar: Path, no_leaked_mounts: Path) -> Iterator[Path]:
    """A root with busybox as `bb` and a container `up` running `sleep 300` (removed after,
    with `next`, whatever the test did)."""
    require_runc()
    require_overlay()
    root = no_leaked_mounts / "root"
    ok(root, "import", "-c", 'CMD ["sh"]', str(busybox_tar), "bb", driver="overlay2")
    try:
        ok(root, "run", "-d", "--name", "up", "bb", "sleep", "300", driver="overlay2")
        yield root
    finally:
        scow(root, "rm", "-f", "up", "next", driver="overlay2")


def test_finished_exec_leaves_no_scratch_file(running: Path) -> None:
    out = ok(running, "exec", "-e", f"TOKEN={SECRET}", "up", "sh", "-c", "echo $TOKEN",
             driver="overlay2")
    assert out.strip() == SECRET
    assert _files_holding(running, SECRET) == []


def test_exec_holds_an_owner_token_only_while_it_runs(running: Path) -> None:
    """The exec's files are owned by a token of the call, not of the process: a long-lived
    Engine (the API service's) holds no token between its operations, so recovery elsewhere
    still finds the root quiet."""
    from scow import Engine

    engine = Engine(root=str(running), storage_driver="overlay2")
    try:
        assert engine.containers.exec("up", ["true"]) == 0
        mine = [n for n in os.listdir(running / "locks") if n.startswith(f"owner-{os.getpid()}-")]
        assert mine == []
        assert os.listdir(running / "tmp") == []
    finally:
        engine.close()


def test_killed_exec_scratch_files_go_with_the_next_writer(running: Path) -> None:
    env = dict(os.environ, PYTHONPATH=SRC, SCOW_STORAGE_DRIVER="overlay2")
    proc = subprocess.Popen([sys.executable, "-m", "scow", "--root", str(running), "exec",
                             "-e", f"TOKEN={SECRET}", "up", "sleep", "30"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 30
        while not _files_holding(running, SECRET) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _files_holding(running, SECRET), "the exec wrote no process.json"
    finally:
        proc.send_signal(signal.SIGKILL)  # as a kill -9 mid-exec (its runc exec runs on)
        proc.wait()
    ok(running, "create", "--name", "next", "bb", driver="overlay2")  # the next writer
    assert _files_holding(running, SECRET) == []
    ok(running, "rm", "-f", "up", "next", driver="overlay2")
    assert_clean(running, "overlay2")


def test_killed_create_takes_its_anonymous_volumes_along(busybox_tar: Path,
                                                         no_leaked_mounts: Path,
                                                         tmp_path: Path) -> None:
    """A create of two anonymous volumes (one filled from the image's /etc) killed at every
    fault point it passes from its first volume on: the next writer rolls the container back
    with its volumes (rows and folders), while a named volume made before stays."""
    require_overlay()
    root = no_leaked_mounts / "root"
    ok(root, "import", "-c", 'CMD ["sh"]', str(busybox_tar), "bb", driver="overlay2")
    ok(root, "volume", "create", "keep", driver="overlay2")
    create = ("create", "--name", "c1", "-v", "/data", "-v", "/etc", "-v", "keep:/k", "bb")
    log = tmp_path / "points"
    proc = scow(root, *create, driver="overlay2", env={"SCOW_FAULTS_LOG": str(log)})
    assert proc.returncode == 0, proc.stderr
    ok(root, "rm", "-v", "c1", driver="overlay2")
    points = list(dict.fromkeys(log.read_text().split()))
    points = points[points.index("containers.create.after_volume"):]
    assert "containers.create.after_volumes" in points
    for point in points:
        killed = scow(root, *create, driver="overlay2", faults=point)
        assert killed.returncode == -signal.SIGKILL, f"{point} not reached: {killed.stderr}"
        ok(root, "create", "--name", "next", "bb", driver="overlay2")  # the next writer
        left = ok(root, "volume", "ls", "-q", driver="overlay2").split()
        assert left == ["keep"], f"after a kill at {point}"
        assert os.listdir(root / "volumes") == ["keep"], point
        ok(root, "rm", "next", driver="overlay2")
        assert ok(root, "ps", "-aq", driver="overlay2") == ""
        assert_clean(root, "overlay2")


def test_failed_create_removes_its_anonymous_volumes(busybox_tar: Path,
                                                      no_leaked_mounts: Path) -> None:
    require_overlay()
    root = no_leaked_mounts / "root"
    ok(root, "import", "-c", 'CMD ["sh"]', str(busybox_tar), "bb", driver="overlay2")
    proc = scow(root, "create", "-v", "/data", "-v", "/etc", "bb", driver="overlay2",
                faults="containers.create.after_volumes=raise")
    assert proc.returncode != 0 and "injected fault" in proc.stderr
    assert ok(root, "volume", "ls", "-q", driver="overlay2") == ""
    assert os.listdir(root / "volumes") == []
    assert_clean(root, "overlay2")


def test_check_repairs_runc_scratch_files_of_dead_processes(tmp_path: Path) -> None:
    """An exec's process.json left in runc's folder by a scow before the scratch files went
    under the owner tokens (or a killed monitor's runc log): `system check` reports those of
    dead pids, `--repair` removes them, a live pid's stay."""
    root = tmp_path / "root"
    ok(root, "images", driver="vfs")
    folder = root / "runtime" / "runc"
    folder.parent.mkdir(mode=0o700)
    folder.mkdir(mode=0o700)
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = [f"exec-{gone.pid}-0123456789ab.json", f"exec-{gone.pid}-0123456789ab.log",
            f"runc-log-{gone.pid}-ba9876543210"]
    live = [f"exec-{os.getpid()}-0123456789ab.json", "state-of-a-container"]
    for name in dead + live:
        (folder / name).write_text(f'{{"env": ["TOKEN={SECRET}"]}}')
    check = scow(root, "system", "check", "--quick", driver="vfs")
    assert check.returncode == 1 and check.stdout.count("stale-scratch") == 3, check.stdout
    ok(root, "system", "check", "--quick", "--repair", driver="vfs")
    assert sorted(os.listdir(folder)) == sorted(live)
    assert_clean(root, "vfs")


def test_interrupted_build_stops_its_run_step(busybox_tar: Path, no_leaked_mounts: Path,
                                              tmp_path: Path) -> None:
    """`scow build` interrupted (SIGINT, as `kill -INT` sends it to scow alone) mid `RUN`:
    it exits 130, and the step's runc container is gone with it (a killed `runc run` leaves
    its container running), nothing left for `system check`."""
    require_runc()
    require_overlay()
    root = no_leaked_mounts / "root"
    ok(root, "import", "-c", 'CMD ["sh"]', str(busybox_tar), "bb", driver="overlay2")
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM bb\nRUN sleep 30\n")
    env = dict(os.environ, PYTHONPATH=SRC, SCOW_STORAGE_DRIVER="overlay2")
    proc = subprocess.Popen([sys.executable, "-m", "scow", "--root", str(root), "build",
                             "-t", "int:1", str(context)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 30
        while not runc_containers(root) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert runc_containers(root), "the RUN step did not start"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert runc_containers(root) == []
    assert ok(root, "images", "-q", "int:1", driver="overlay2") == ""
    assert_clean(root, "overlay2")
