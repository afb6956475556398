"""demo/walkthrough.py, the reference page's walkthrough against `scow.Engine` alone, runs to
its end on a temp root (it checks the page's claims itself and exits non-zero on the first
that fails), and leaves no mount and no second store behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.tools import require_runc, require_tool

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.slow
@pytest.mark.runc
@pytest.mark.registry
def test_the_walkthrough_runs_against_the_library(no_leaked_mounts: Path) -> None:
    require_runc()
    require_tool("busybox", package="busybox-static")
    require_tool("docker-registry", package="docker-registry")
    root = no_leaked_mounts / "root"
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    proc = subprocess.run([sys.executable, str(REPO / "demo/walkthrough.py"), "--root",
                           str(root)], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    out = proc.stdout
    assert out.rstrip().endswith("every claim of the page held")
    assert out.count("Hello world\n") == 2  # run --rm here, and from the pulled store
    assert out.count(": Already exists") == 2
    assert not (no_leaked_mounts / "root-pulled").exists()
    assert os.listdir(root / "containers") == []
