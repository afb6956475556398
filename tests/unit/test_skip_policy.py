"""The skip policy of tests/conftest.py: a skip whose reason is not a missing tool, kernel
feature or privilege fails the run (also under xdist, where the skips reach the controller as
reports), and the approved skips and xfails do not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

ALLOWED = '''
import pytest
from tests.tools import require_tool, skip_missing_kernel_feature

def test_tool() -> None:
    require_tool("no-such-tool-for-scow-tests")

def test_feature() -> None:
    skip_missing_kernel_feature("time travel")

@pytest.mark.skipif(True, reason="missing tool: a marked one")
def test_marked() -> None:
    pass

@pytest.mark.xfail(reason="a dependency's known limit", strict=True)
def test_xfail() -> None:
    raise AssertionError

def test_passes() -> None:
    pass
'''

FORBIDDEN = '''
import pytest

def test_scow_broke() -> None:
    pytest.skip("runc cannot run a container here")

@pytest.mark.skipif(True, reason="flaky")
def test_marked() -> None:
    pass
'''


def run_pytest(folder: Path, body: str, *args: str) -> subprocess.CompletedProcess[str]:
    (folder / "test_sample.py").write_text(body)
    env = dict(os.environ, PYTHONPATH=f"{REPO}{os.pathsep}{REPO / 'src'}")
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
         "-c", os.devnull, "--rootdir", str(folder), *args, str(folder / "test_sample.py")],
        capture_output=True, text=True, cwd=folder, env=env, timeout=120)


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_skip_that_is_not_a_missing_tool_fails_the_run(tmp_path: Path,
                                                          xdist: tuple[str, ...]) -> None:
    proc = run_pytest(tmp_path, FORBIDDEN, *xdist)
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, proc.stdout + proc.stderr
    assert "skips not allowed" in proc.stdout
    assert "test_scow_broke: runc cannot run a container here" in proc.stdout
    assert "test_marked: flaky" in proc.stdout


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_missing_tools_kernel_features_and_xfails_pass(tmp_path: Path,
                                                       xdist: tuple[str, ...]) -> None:
    proc = run_pytest(tmp_path, ALLOWED, *xdist)
    assert proc.returncode == pytest.ExitCode.OK, proc.stdout + proc.stderr
    assert "skips not allowed" not in proc.stdout
    assert "1 passed, 3 skipped, 1 xfailed" in proc.stdout


def test_a_runc_that_cannot_run_the_minimal_bundle_is_a_missing_tool(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import tools

    fake = tmp_path / "runc"
    fake.write_text("#!/bin/sh\necho 'runc run failed: no cgroups here' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(pytest.skip.Exception) as skipped:
        tools.require_runc()
    reason = str(skipped.value)
    assert reason.startswith(tools.SKIP_PREFIXES), reason
    if os.geteuid() == 0:  # as root the probe ran the fake runc
        assert "no cgroups here" in reason and str(fake) in tools._runc
