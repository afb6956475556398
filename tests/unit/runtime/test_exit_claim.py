"""The exit claim between an attached `run` and the container's monitor: exactly one of them
does the exit work. The waiter holds the claim (a flock) until it is done; the monitor waits
for it, then finds the work done (the mark, or the folder gone) or does it itself."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from scow.runtime import exit_claim

HOLD = """
import sys, time
from scow.runtime import exit_claim
with exit_claim.claimed(sys.argv[1]):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    if sys.argv[3] == "done":
        exit_claim.mark_done(sys.argv[1])
"""


def _waiter(folder: Path, seconds: float, finish: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(Path(exit_claim.__file__).parents[2]))
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder), str(seconds), finish],
                            stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_no_waiter_leaves_the_work_to_the_monitor(tmp_path: Path) -> None:
    assert not exit_claim.done_by_waiter(str(tmp_path))


def test_the_monitor_waits_for_the_waiter_and_skips_what_it_did(tmp_path: Path) -> None:
    proc = _waiter(tmp_path, 0.5, "done")
    start = time.monotonic()
    assert exit_claim.done_by_waiter(str(tmp_path))
    assert time.monotonic() - start > 0.3  # it waited for the claim
    proc.communicate()
    assert not (tmp_path / exit_claim.DONE).exists()  # consumed: the next run's monitor works
    assert not exit_claim.done_by_waiter(str(tmp_path))


def test_a_killed_waiter_leaves_the_work_to_the_monitor(tmp_path: Path) -> None:
    proc = _waiter(tmp_path, 30, "done")
    result: list[bool] = []
    t = threading.Thread(target=lambda: result.append(exit_claim.done_by_waiter(str(tmp_path))))
    t.start()
    time.sleep(0.2)
    assert not result  # blocked on the live waiter
    proc.kill()
    proc.communicate()
    t.join(10)
    assert result == [False]


def test_a_removed_container_is_done(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    with exit_claim.claimed(str(folder)):
        pass
    (folder / exit_claim.LOCK).unlink()
    folder.rmdir()
    assert exit_claim.done_by_waiter(str(folder))


def test_a_start_forgets_a_mark_no_monitor_consumed(tmp_path: Path) -> None:
    exit_claim.mark_done(str(tmp_path))
    exit_claim.clear(str(tmp_path))
    with exit_claim.claimed(str(tmp_path)):
        pass
    assert not exit_claim.done_by_waiter(str(tmp_path))


def test_stop_takes_the_claim_only_when_free(tmp_path: Path) -> None:
    """`stop` takes the claim without waiting: not while an attached `run` holds it (it
    waits for that one's work instead); the monitor waits while stop holds it."""
    proc = _waiter(tmp_path, 0.5, "done")
    assert exit_claim.try_claim(str(tmp_path)) is None
    proc.communicate()
    assert exit_claim.done_by_waiter(str(tmp_path))
    fd = exit_claim.try_claim(str(tmp_path))
    assert fd is not None
    result: list[bool] = []
    t = threading.Thread(target=lambda: result.append(exit_claim.done_by_waiter(str(tmp_path))))
    t.start()
    time.sleep(0.2)
    assert not result  # the monitor waits for stop's work
    exit_claim.mark_done(str(tmp_path))
    exit_claim.release(fd)
    t.join(10)
    assert result == [True]
    assert exit_claim.try_claim(str(tmp_path / "gone")) is None  # removed meanwhile
