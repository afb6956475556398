"""osutil/spawn.py: runc, netavark and unshare started without subprocess, as subprocess's
children: the given stdio, exit status (-N when killed by signal N), the signals Python
ignores (SIGPIPE, SIGXFSZ) back to their defaults, no other fd inherited; `run_captured`'s
input, output, deadline and death signal."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from scow.osutil.spawn import DEVNULL, SpawnTimeout, run_captured, spawn_wait


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


@pytest.mark.parametrize("die_with_parent", [False, True])
def test_run_captured_feeds_input_and_reads_both_streams(die_with_parent: bool) -> None:
    big = b"x" * (1 << 20)  # more than a pipe holds: input and output interleave
    code, out, err = run_captured(["sh", "-c", "cat; echo oops >&2; exit 4"], input=big,
                                  timeout=60, die_with_parent=die_with_parent)
    assert (code, out, err) == (4, big, b"oops\n")
    code, out, _ = run_captured(["cat", "/proc/self/status"], timeout=60,
                                die_with_parent=die_with_parent)
    status = dict(line.split(":\t", 1) for line in out.decode().splitlines() if ":\t" in line)
    assert code == 0 and not int(status["SigIgn"], 16) & (1 << (signal.SIGPIPE - 1))


def _children() -> set[int]:
    """This process's children, zombies included (every thread's)."""
    return {int(pid) for task in Path("/proc/self/task").iterdir()
            for pid in (task / "children").read_text().split()}


def test_run_captured_deadline_kills_and_reaps() -> None:
    before = _children()
    with pytest.raises(SpawnTimeout, match="sleep timed out after 0.3 s"):
        run_captured(["sleep", "30"], timeout=0.3)
    assert _children() <= before  # killed and waited for


def test_run_captured_death_signal_is_set_only_when_asked() -> None:
    def pdeathsig(die: bool) -> str:
        # the child's own /proc entry has no field for it: ask the kernel through python
        code, out, err = run_captured(
            [sys.executable, "-c", "import ctypes; c = ctypes.c_int(); ctypes.CDLL(None)"
             ".prctl(2, ctypes.byref(c), 0, 0, 0); print(c.value)"], timeout=60,
            die_with_parent=die)
        assert code == 0, err
        return out.decode().strip()

    assert (pdeathsig(False), pdeathsig(True)) == ("0", str(int(signal.SIGKILL)))


@pytest.mark.parametrize("die_with_parent", [False, True])
def test_run_captured_missing_binary_is_an_os_error(die_with_parent: bool) -> None:
    before = _children()
    with pytest.raises(FileNotFoundError, match="netavark"):
        run_captured(["/nonexistent/netavark"], timeout=5, die_with_parent=die_with_parent)
    assert _children() <= before  # the child that could not exec was reaped


@pytest.mark.parametrize("die_with_parent", [False, True])
def test_fds_this_process_inherited_are_not_passed_on(die_with_parent: bool,
                                                      tmp_path: Path) -> None:
    """subprocess's close_fds: an fd left inheritable (a socket-activation socket, a caller's
    lock held across `exec 9>lock`) does not reach netavark and its DNS server."""
    held = tmp_path / "held"
    held.mkdir()
    fd = os.open(held, os.O_RDONLY)
    os.set_inheritable(fd, True)
    # by target, not by number: the child's own opens reuse the numbers it closed
    targets = ["sh", "-c", "for f in /proc/$$/fd/*; do readlink $f; done; true"]
    try:
        code, out, _ = run_captured(targets, timeout=60, die_with_parent=die_with_parent)
        assert code == 0 and str(held) not in out.decode()
        listing = tmp_path / "fds"
        with open(listing, "wb") as f:
            assert spawn_wait(targets, stdout=f) == 0
        assert str(held) not in listing.read_text()
    finally:
        os.close(fd)


@pytest.mark.parametrize("die_with_parent", [False, True])
def test_the_deadline_covers_a_child_that_closed_its_pipes(die_with_parent: bool) -> None:
    before = _children()
    with pytest.raises(SpawnTimeout, match="timed out after 0.5 s"):
        run_captured(["sh", "-c", "exec >&- 2>&- <&-; sleep 30"], timeout=0.5,
                     die_with_parent=die_with_parent)
    assert _children() <= before


@pytest.mark.parametrize("die_with_parent", [False, True])
def test_input_the_child_does_not_read(die_with_parent: bool) -> None:
    code, out, _ = run_captured(["sh", "-c", "echo done"], input=b"x" * (4 << 20),
                                timeout=60, die_with_parent=die_with_parent)
    assert (code, out) == (0, b"done\n")


def test_the_forked_child_reports_any_failure_before_its_exec() -> None:
    with pytest.raises(OSError):
        run_captured(["sh", "-c", "echo \0"], timeout=5, die_with_parent=True)
    with pytest.raises(FileNotFoundError):
        run_captured(["no-such-program-here"], timeout=5, die_with_parent=True)
