"""A container run's own files are written atomically but not fsynced: the bundle's
config.json, restart-policy.json and the monitor's "created"/"running" states, which the next
start writes again or a dead run's repair replaces (a power loss ends every run). The
"exited" state, which keeps the exit code, stays durable."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from scow.runtime import restart
from scow.runtime.spec import write_bundle
from scow.runtime.state import ContainerState, read_state, write_state


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def counted(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counted)
    return calls


def test_a_runs_files_are_not_fsynced(tmp_path: Path, fsyncs: list[int]) -> None:
    write_bundle(str(tmp_path), {"ociVersion": "1.0.2", "process": {"args": ["true"]}})
    restart.write_policy(str(tmp_path), {"Name": "always"})
    write_state(str(tmp_path), ContainerState(status="running", pid=42), durable=False)
    assert fsyncs == []
    assert json.loads((tmp_path / "config.json").read_bytes())["process"]["args"] == ["true"]
    assert (tmp_path / "config.json").stat().st_mode & 0o777 == 0o600
    assert restart.read_policy(str(tmp_path))["Name"] == "always"
    st = read_state(str(tmp_path))
    assert st is not None and st.status == "running" and st.pid == 42


def test_the_exit_stays_durable(tmp_path: Path, fsyncs: list[int]) -> None:
    write_state(str(tmp_path), ContainerState(status="running", pid=42).exited(3))
    assert len(fsyncs) == 2  # the file, then its folder
