"""A bounded loop of kill -9 at random moments of real `scow` processes (import, rmi, create,
run, rm, commit, build, prune), then the next command works, `system check` is clean once
that command rolled the dead one back, and the image finished before the loop survives.

The second loop kills builds of many sleeping RUN steps mid-step (with `run --rm`, import,
commit and `rmi -f` among them); after every round one ordinary command runs, `system check`
exits 0 (leftovers the next write recovers are *pending*, not failures), after a killed build
nothing is mounted under the root, and at the end, once everything is removed and
`system prune -af` ran, the driver folder holds only `l/` (empty) and nothing is mounted.

Rounds: SCOW_RANDOM_KILLS (12) and SCOW_BUILD_KILLS (8) here; `python -m bench.stress` runs
30 of each (docs/reliability.md)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.reliability.conftest import (
    FIGURES,
    SRC,
    assert_clean,
    mounts_under,
    ok,
    runc_containers,
    scow,
)

ROUNDS = int(os.environ.get("SCOW_RANDOM_KILLS", "12"))
BUILD_ROUNDS = int(os.environ.get("SCOW_BUILD_KILLS", "8"))
STEPS = 6


def _start(root: Path, *args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=SRC, SCOW_STORAGE_DRIVER="overlay2")
    return subprocess.Popen([sys.executable, "-m", "scow", "--root", str(root), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def test_random_kills(busybox_tar: Path, small_tar: Path, no_leaked_mounts: Path) -> None:
    root = no_leaked_mounts / "root"
    ok(root, "import", "-c", 'CMD ["sh"]', str(busybox_tar), "bb")
    keep = ok(root, "image", "inspect", "-f", "{{.Id}}", "bb").strip()
    ok(root, "run", "--name", "base", "bb", "sh", "-c", "echo x > /x")
    rng = random.Random(int(os.environ.get("SCOW_RANDOM_SEED", "6")))
    context = no_leaked_mounts / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM bb\nRUN echo built > /built\nCOPY Dockerfile /df\n")
    ops = [("build", "-q", "--no-cache", "-t", "rb:1", str(context)), ("rmi", "rb:1"),
           ("import", str(small_tar), "r:1"), ("rmi", "-f", "r:1"),
           ("create", "--name", "rc", "bb"), ("rm", "-f", "rc"),
           ("run", "--name", "rr", "bb", "true"), ("rm", "-f", "rr"),
           ("commit", "base", "rc:1"), ("rmi", "rc:1"), ("image", "prune", "-f")]
    killed = 0
    for _ in range(ROUNDS):
        op = rng.choice(ops)
        proc = _start(root, *op)
        time.sleep(rng.uniform(0.01, 0.25))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
        _, err = proc.communicate()
        assert b"Traceback" not in err
        again = scow(root, *op)  # the next command: rolls the dead one back and works
        assert "Traceback" not in again.stderr and "internal error" not in again.stderr, \
            again.stderr
        check = scow(root, "system", "check", "--quick")
        if check.returncode != 0 and "stale-mount" in check.stdout:
            # a killed `run` whose container monitor was still alive when the next command
            # recovered: no dead owner's row is left to start a recovery, so the mount waits
            # for the next one or for `system check --repair` (store/recovery.py)
            FIGURES["mounts released by a later repair"] += 1
            scow(root, "system", "check", "--repair")
            check = scow(root, "system", "check", "--quick")
        assert check.returncode == 0, f"after {op} killed: {check.stdout}{again.stderr}"
        FIGURES["system checks clean"] += 1
    FIGURES["random kills"] += killed
    scow(root, "rm", "-f", "rc", "rr", "base")
    assert ok(root, "image", "inspect", "-f", "{{.Id}}", "bb").strip() == keep
    assert_clean(root, quick=False)
    assert killed >= ROUNDS // 10  # most rounds kill; a fast command may finish first


def _sleepy_context(parent: Path) -> Path:
    """A Dockerfile of STEPS RUN steps that each sleep, so a kill lands inside a step."""
    context = parent / "sleepy"
    context.mkdir()
    steps = "".join(f"RUN sleep 0.3 && echo {i} > /step{i}\n" for i in range(STEPS))
    (context / "Dockerfile").write_text(f"FROM bb\n{steps}COPY Dockerfile /df\n")
    return context


def _kill_at_random(root: Path, op: tuple[str, ...], rng: random.Random, longest: float) -> bool:
    proc = _start(root, *op)
    time.sleep(rng.uniform(min(0.3, longest / 2), longest))
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate()
    assert b"Traceback" not in err, err
    return killed


def test_random_kills_mid_build_step(busybox_tar: Path, small_tar: Path,
                                     no_leaked_mounts: Path) -> None:
    root = no_leaked_mounts / "root"
    ok(root, "import", "-c", 'CMD ["sh"]', str(busybox_tar), "bb")
    keep = ok(root, "image", "inspect", "-f", "{{.Id}}", "bb").strip()
    ok(root, "run", "--name", "base", "bb", "sh", "-c", "echo x > /x")
    rng = random.Random(int(os.environ.get("SCOW_RANDOM_SEED", "11")))
    build = ("build", "-q", "--no-cache", "-t", "sleepy:1", str(_sleepy_context(no_leaked_mounts)))
    others = [("run", "--rm", "bb", "sh", "-c", "sleep 0.5; echo y > /y"),
              ("import", str(small_tar), "r:1"), ("commit", "base", "rc:1"), ("rmi", "-f", "r:1")]
    killed = builds = 0
    for n in range(BUILD_ROUNDS):
        op = build if n % 2 == 0 else rng.choice(others)  # every other round a build
        hit = _kill_at_random(root, op, rng, 2.5 if op is build else 0.6)
        killed += hit
        builds += hit and op is build
        after = scow(root, "tag", "bb", "after-kill")  # one ordinary command
        assert after.returncode == 0, f"after {op[0]} killed: {after.stderr}"
        check = scow(root, "system", "check", "--quick")
        assert check.returncode == 0, f"after {op[0]} killed: {check.stdout}{check.stderr}"
        if op is build:  # a killed `run` leaves its container running under its monitor
            assert mounts_under(root) == [], f"after a build killed: {check.stdout}"
            assert runc_containers(root) == [], "a killed build's step still runs"
        FIGURES["system checks clean"] += 1
    FIGURES["random kills"] += killed
    FIGURES["builds killed"] += builds
    assert builds >= BUILD_ROUNDS // 4  # most builds are killed: six steps of 0.3 s at least
    ok(root, "build", "-q", "--no-cache", "-t", "sleepy:1", build[-1])  # builds still work
    assert ok(root, "image", "inspect", "-f", "{{.Id}}", "bb").strip() == keep
    assert_clean(root, quick=False)
    _remove_everything(root)


def _remove_everything(root: Path) -> None:
    """rm -f every container, rmi -f every top-level image, system prune -af: nothing may be
    left."""
    containers = ok(root, "ps", "-aq").split()
    if containers:
        ok(root, "rm", "-f", *containers)
    images = list(dict.fromkeys(ok(root, "images", "-q").split()))  # top-level: a parent
    if images:  # with a child listed after it is a conflict even with -f (as Docker's)
        ok(root, "rmi", "-f", *images)
    ok(root, "system", "prune", "-af")
    home = root / "overlay2"
    assert sorted(os.listdir(home)) == ["l"] and os.listdir(home / "l") == []
    assert mounts_under(root) == []
    assert_clean(root)


def test_killed_build_takes_its_running_step_down(busybox_tar: Path,
                                                  no_leaked_mounts: Path) -> None:
    """kill -9 of `scow build` mid RUN step: the step's container dies with it (before any
    other scow command runs), as BuildKit cancels the steps of a client that went away."""
    root = no_leaked_mounts / "root"
    ok(root, "import", str(busybox_tar), "bb")
    context = no_leaked_mounts / "long"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM bb\nRUN sleep 60\n")
    proc = _start(root, "build", "-q", "--no-cache", str(context))
    try:
        deadline = time.monotonic() + 30
        while not runc_containers(root) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert runc_containers(root), "the step never started"
        time.sleep(0.3)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
    deadline = time.monotonic() + 10
    while runc_containers(root) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = runc_containers(root)
    for cid in left:  # the step this test started, if it outlived the build
        subprocess.run(["runc", "--root", str(root / "runtime" / "runc"), "delete", "--force",
                        cid], capture_output=True)
    ok(root, "import", str(busybox_tar), "again")  # one ordinary command: recovery
    assert left == [], "the killed build's step was still running"
    assert mounts_under(root) == []
    assert_clean(root)


def test_import_killed_while_writing_its_tar_split(small_tar: Path, tmp_path: Path) -> None:
    """A kill inside the tar-split's atomic write leaves layerdb/.tmp-<name>-<pid>-<rand>
    beside an incomplete row (found by the build-kill loop): the next writer's recovery drops
    it with the row, and `system check` never counts it as an orphan meanwhile."""
    root = tmp_path / "root"
    proc = scow(root, "import", str(small_tar), "k:1", faults="layers.register.after_apply")
    assert proc.returncode != 0
    (cache_id,) = [n for n in os.listdir(root / "overlay2") if n != "l"]
    temp = root / "layerdb" / f".tmp-{cache_id}.tar-split.gz-999999-0a1b2c3d"
    temp.write_bytes(b"half a tar-split")  # what the kill inside atomic_write leaves
    temp.chmod(0o600)  # as atomic_write makes it (a wider file is a loose-mode finding)
    assert scow(root, "system", "check", "--quick").returncode == 0  # pending, not an orphan
    ok(root, "import", str(small_tar), "k:3")  # the next writer
    assert not temp.exists()
    assert_clean(root)
