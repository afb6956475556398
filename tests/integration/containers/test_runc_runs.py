"""How many runc processes each lifecycle command starts (issue 18), counted with strace:
`stop`, `kill` and `rm -f` signal the container's process themselves through a pidfd of the
pid its monitor recorded (runtime/signals.py), as containerd's shim does, instead of
`runc kill` (a Go process a signal); `inspect`, `ps` and the `rm` of a stopped container
start none; only what runc must do stays (a paused container is thawed by `runc resume`)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow, env, wait_for
from tests.tools import require_tool

pytestmark = [pytest.mark.root, pytest.mark.runc]

GLOBAL_FLAGS = ("--root", "--log", "--log-format")
IGNORE_TERM = ("sh", "-c", "trap '' TERM; trap 'exit 9' HUP; while :; do sleep 0.1; done")


def _runc_runs(scow: Scow, tmp_path: Path, *args: str) -> list[str]:
    """The runc subcommands that `scow args...` ran (its successful execve of runc)."""
    strace = require_tool("strace", package="strace")
    out = tmp_path / "execve.out"
    proc = subprocess.run([strace, "-f", "-qq", "-s", "300", "-e", "trace=execve", "-e",
                           "signal=none", "-o", str(out), *scow.argv(*args)],
                          capture_output=True, text=True, env=env(), timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    runs = []
    for line in out.read_text().splitlines():
        found = re.search(r'execve\("[^"]*/runc", \[(.*)\], .*\) = 0$', line)
        if found is None:
            continue
        words = re.findall(r'"((?:[^"\\]|\\.)*)"', found.group(1))[1:]
        while words and words[0] in GLOBAL_FLAGS:
            words = words[2:]
        runs.append(words[0])
    return runs


def test_stop_kill_and_rm_f_run_no_runc(one: Scow, tmp_path: Path) -> None:
    one("run", "-d", "--name", "term", "--network", "none", "bb:1", *IGNORE_TERM)
    assert _runc_runs(one, tmp_path, "stop", "-t", "0", "term") == []  # TERM, then KILL
    assert one.inspect("term")["State"]["ExitCode"] == 137
    one("start", "term")
    assert _runc_runs(one, tmp_path, "kill", "-s", "HUP", "term") == []
    assert one.out("wait", "term").strip() == "9"
    one("start", "term")
    assert _runc_runs(one, tmp_path, "inspect", "term") == []
    assert _runc_runs(one, tmp_path, "ps", "-a") == []
    assert _runc_runs(one, tmp_path, "rm", "-f", "term") == []
    assert one.out("ps", "-aq") == ""


def test_rm_of_a_stopped_container_runs_no_runc(one: Scow, tmp_path: Path) -> None:
    one("run", "--name", "done", "--network", "none", "bb:1", "true")
    assert _runc_runs(one, tmp_path, "rm", "done") == []


def test_stop_of_a_paused_container_thaws_it(one: Scow, tmp_path: Path) -> None:
    one("run", "-d", "--name", "paused", "--network", "none", "bb:1", "sh", "-c",
        "trap 'exit 3' TERM; while :; do sleep 0.1; done")
    one("pause", "paused")
    assert _runc_runs(one, tmp_path, "stop", "-t", "20", "paused") == ["resume"]
    assert one.inspect("paused")["State"]["ExitCode"] == 3  # its TERM, not the KILL


def test_kill_all_in_the_hosts_pid_namespace_is_runcs(one: Scow, tmp_path: Path) -> None:
    """Killing a process that is not its pid namespace's init does not kill the others:
    SIGKILL to every process is `runc kill --all` there, and none of them outlives the stop."""
    one("run", "-d", "--name", "hostpid", "--pid", "host", "--network", "none", "bb:1", "sh", "-c",
        "trap '' TERM; sleep 4321 & while :; do sleep 1; done")
    wait_for(lambda: _sleeping("4321"), what="the background sleep")
    assert _runc_runs(one, tmp_path, "stop", "-t", "0", "hostpid") == ["kill"]
    assert one.inspect("hostpid")["State"]["ExitCode"] == 137
    assert not _sleeping("4321")


def _sleeping(arg: str) -> bool:
    return subprocess.run(["pgrep", "-x", "-f", f"sleep {arg}"],
                          capture_output=True).returncode == 0
