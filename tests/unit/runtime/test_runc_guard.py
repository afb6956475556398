"""Runc.deleted_if_caller_dies: the guard force-deletes the container when its caller is killed,
and does nothing when the block ends (runc is a process seam: a recording script stands in)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[3] / "src")


def _fake_runc(tmp_path: Path) -> tuple[Path, Path]:
    calls = tmp_path / "calls"
    runc = tmp_path / "runc"
    runc.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    runc.chmod(0o755)
    return runc, calls


def _caller(runc: Path, tmp_path: Path, then: str) -> subprocess.Popen[bytes]:
    code = (f"import sys, time\nfrom scow.runtime.runc import Runc\n"
            f"with Runc({str(runc)!r}, {str(tmp_path / 'state')!r}).deleted_if_caller_dies('c1'):\n"
            f"    print('in', flush=True)\n    {then}\n")
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=SRC))


def _wait_for(path: Path, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return path.exists()


def test_killed_caller_has_the_container_deleted(tmp_path: Path) -> None:
    runc, calls = _fake_runc(tmp_path)
    proc = _caller(runc, tmp_path, "time.sleep(60)")
    assert proc.stdout is not None and proc.stdout.readline() == b"in\n"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert _wait_for(calls)
    assert calls.read_text() == f"--root {tmp_path / 'state'} delete --force c1\n"


def test_block_that_ends_deletes_nothing(tmp_path: Path) -> None:
    runc, calls = _fake_runc(tmp_path)
    proc = _caller(runc, tmp_path, "pass")
    proc.communicate(timeout=30)
    assert proc.returncode == 0
    time.sleep(0.2)
    assert not calls.exists()
