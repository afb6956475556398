"""runc.spawn_wait: runc (and exec's runc) started by posix_spawn instead of subprocess, with
subprocess's child: the given stdio, exit status (-N when killed by signal N), the signals
Python ignores (SIGPIPE, SIGXFSZ) back to their defaults, no other fd inherited."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from scow.runtime.runc import DEVNULL, spawn_wait


def test_exit_status_and_stdio(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with open(out, "wb") as f:
        assert spawn_wait(["sh", "-c", "echo hi; exit 3"], stdout=f) == 3
    assert out.read_bytes() == b"hi\n"
    assert spawn_wait(["sh", "-c", "kill -9 $$"]) == -9
    assert spawn_wait(["cat"], stdin=DEVNULL) == 0  # EOF at once


def test_signals_python_ignores_are_defaults_in_the_child(tmp_path: Path) -> None:
    assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN  # Python's own
    out = tmp_path / "status"
    with open(out, "wb") as f:
        assert spawn_wait(["cat", "/proc/self/status"], stdout=f) == 0
    ignored = int(next(line for line in out.read_text().splitlines()
                       if line.startswith("SigIgn:")).split()[1], 16)
    assert not ignored & (1 << (signal.SIGPIPE - 1))
    assert not ignored & (1 << (signal.SIGXFSZ - 1))


def test_no_other_fd_is_inherited(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY)  # Python's fds are not inheritable
    try:
        out = tmp_path / "fds"
        with open(out, "wb") as f:
            assert spawn_wait(["ls", "/proc/self/fd"], stdout=f) == 0
        assert str(fd) not in out.read_text().split() or fd <= 3
    finally:
        os.close(fd)


def test_a_missing_binary_is_an_os_error() -> None:
    with pytest.raises(FileNotFoundError):
        spawn_wait(["/nonexistent/runc", "state", "x"])
