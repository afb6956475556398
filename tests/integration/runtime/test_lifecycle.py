"""Detached containers under their monitor: survival, stop, exit command, a killed monitor."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from runtime_kit import Factory

from scow.runtime.monitor import MonitorOptions, monitor_running, refresh, remove, stop, wait
from scow.runtime.state import ZERO_TIME

pytestmark = pytest.mark.runc

_STARTER = """
import json, sys
from scow.runtime.monitor import start_container
from scow.runtime.runc import Runc
cdir, cid, path, root = sys.argv[1:5]
s = start_container(cdir, cid, Runc(path, root))
print(json.dumps({"pid": s.pid}))
"""


def _start_from_subprocess(containers: Factory, *cmd: str) -> tuple[str, str, int]:
    ctr = containers.create(*cmd)
    env = dict(os.environ, PYTHONPATH=os.path.abspath("src"))
    proc = subprocess.run([sys.executable, "-c", _STARTER, ctr.dir, ctr.id,
                           containers.runc.path, containers.runc.root],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    return ctr.id, ctr.dir, json.loads(proc.stdout)["pid"]


def _until(cond: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_detached_container_outlives_its_starter_then_stops(containers: Factory) -> None:
    cid, cdir, pid = _start_from_subprocess(containers, "sleep", "30")
    state = refresh(cdir, cid, containers.runc)
    assert state is not None and state.status == "running" and state.pid == pid
    assert containers.runc.state(cid)["status"] == "running"  # type: ignore[index]
    os.kill(pid, 0)
    began = time.monotonic()
    state = stop(cdir, cid, containers.runc, timeout=1)  # sleep as PID 1 ignores SIGTERM
    assert 1 <= time.monotonic() - began < 10
    assert state.status == "exited" and state.exit_code == 137
    assert state.finished_at != ZERO_TIME and state.finished_at >= state.started_at
    assert _until(lambda: not monitor_running(cdir))
    assert containers.runc.state(cid) is None  # the monitor deleted it from runc


def test_stop_with_a_handled_sigterm_exits_quickly(containers: Factory) -> None:
    ctr = containers.create("sh", "-c", "trap 'exit 5' TERM; while true; do sleep 0.1; done")
    containers.start(ctr)
    time.sleep(0.3)  # let sh install its trap
    state = stop(ctr.dir, ctr.id, containers.runc, timeout=10)
    assert state.exit_code == 5


def test_exit_command_runs_when_the_container_exits(containers: Factory, tmp_path: object) -> None:
    marker = os.path.join(str(tmp_path), "cleaned")
    ctr = containers.create("sh", "-c", "exit 2")
    argv = (sys.executable, "-c", f"open({marker!r}, 'w').write('done')")
    containers.start(ctr, MonitorOptions(exit_command=argv))
    assert wait(ctr.dir, ctr.id, containers.runc, 10).exit_code == 2
    assert _until(lambda: os.path.exists(marker))


def test_killed_monitor_leaves_an_exited_deletable_container(containers: Factory) -> None:
    ctr = containers.create("sleep", "30")
    started = containers.start(ctr)
    state = refresh(ctr.dir, ctr.id, containers.runc)
    assert state is not None and state.running
    os.kill(state.shim_pid, signal.SIGKILL)
    assert _until(lambda: not monitor_running(ctr.dir))
    state = refresh(ctr.dir, ctr.id, containers.runc)
    assert state is not None and state.status == "exited" and state.exit_code == 137
    assert "monitor died" in state.error
    assert _until(lambda: not os.path.exists(f"/proc/{started.pid}"))
    remove(ctr.dir, ctr.id, containers.runc)
    assert containers.runc.state(ctr.id) is None


def test_pause_and_resume(containers: Factory) -> None:
    ctr = containers.create("sleep", "30")
    containers.start(ctr)
    containers.runc.pause(ctr.id)
    assert containers.runc.state(ctr.id)["status"] == "paused"  # type: ignore[index]
    containers.runc.resume(ctr.id)
    assert containers.runc.state(ctr.id)["status"] == "running"  # type: ignore[index]
    assert containers.started_pid(ctr) in containers.runc.ps(ctr.id)
    containers.runc.pause(ctr.id)
    state = stop(ctr.dir, ctr.id, containers.runc, timeout=0.5)
    assert state.status == "exited" and state.exit_code == 137
