"""Probe folders a killed scow left behind are removed by the next probe, never a live one's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from scow.osutil.fs import scratch_dir


def test_stale_scratch_of_a_dead_process_is_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".probe-{dead.pid}-abc"
    (stale / "merged").mkdir(parents=True)
    live = tmp_path / f".probe-{os.getppid()}-xyz"
    live.mkdir()
    with scratch_dir(str(tmp_path), ".probe-") as folder:
        assert os.path.isdir(folder) and os.path.basename(folder).startswith(
            f".probe-{os.getpid()}-")
        assert not stale.exists() and live.exists()
    assert sorted(os.listdir(tmp_path)) == [live.name]
