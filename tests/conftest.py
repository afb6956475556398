"""Shared fixtures: a busybox root filesystem tar (from Debian's busybox-static), engines on a
temp root per test for every driver this kernel has, and a check that nothing stays mounted.

The skip policy: a test may skip only through tests/tools.py (a missing tool, kernel feature
or privilege: reasons starting with one of its SKIP_PREFIXES). Any other skip is recorded
here from the test reports (on the xdist controller, reports come from the workers) and
turns the run's exit status into a failure, listing the offending tests. xfail stays allowed.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from tests.tools import SKIP_PREFIXES, require_overlay, require_tool
from tests.watchdog import Watchdog

REPO = Path(__file__).resolve().parents[1]
DRIVERS = ("overlay2", "vfs")


def _mounts_under(prefix: str) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    return [p for p in points if p == prefix or p.startswith(prefix.rstrip("/") + "/")]


@pytest.fixture
def no_leaked_mounts(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    leaked = _mounts_under(str(tmp_path))
    for point in sorted(leaked, reverse=True):
        subprocess.run(["umount", "-l", point], check=False)
    assert not leaked, f"mounts left behind: {leaked}"


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("busybox", package="busybox-static")
    out = tmp_path_factory.mktemp("busybox") / "busybox.tar"
    subprocess.run([str(REPO / "demo" / "make-busybox-rootfs.sh"), str(out)], check=True)
    return out


def make_tar(files: Mapping[str, bytes | str | None], *, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """A small tar (a layer, an image archive): bytes → regular file, str → symlink target,
    None → directory."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), 0o644
                tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def require_driver(name: str) -> None:
    """Skip unless this machine can use the driver `name`: overlay2 needs root and a kernel
    that mounts an overlay (probed without scow); vfs works everywhere."""
    if name == "overlay2":
        require_overlay()


@pytest.fixture(params=DRIVERS)
def engine(request: pytest.FixtureRequest, no_leaked_mounts: Path) -> Iterator[object]:
    from scow import Engine

    require_driver(request.param)
    eng = Engine(root=str(no_leaked_mounts / "root"), storage_driver=request.param)
    try:
        yield eng
    finally:
        eng.close()


@pytest.fixture
def vfs_engine(no_leaked_mounts: Path) -> Iterator[object]:
    from scow import Engine

    eng = Engine(root=str(no_leaked_mounts / "root"), storage_driver="vfs")
    try:
        yield eng
    finally:
        eng.close()


# -- the skip policy ---------------------------------------------------------------------------

_BAD_SKIPS: list[tuple[str, str]] = []
WORKER = "PYTEST_XDIST_WORKER" in os.environ  # set by xdist in its workers only


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


def _record(report: pytest.TestReport | pytest.CollectReport) -> None:
    if WORKER or not report.skipped or hasattr(report, "wasxfail"):
        return  # an xdist worker (its controller judges), not a skip, or an xfail
    reason = _skip_reason(report)
    if not reason.startswith(SKIP_PREFIXES):
        _BAD_SKIPS.append((report.nodeid, reason))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _record(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _record(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _BAD_SKIPS and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _BAD_SKIPS:
        return
    terminalreporter.section("skips not allowed", red=True)
    allowed = ", ".join(repr(p.strip()) for p in SKIP_PREFIXES)
    terminalreporter.line(f"the run fails: {len(_BAD_SKIPS)} test(s) skipped for a reason not "
                          f"starting with {allowed} (skip through tests/tools.py)", red=True)
    for nodeid, reason in _BAD_SKIPS:
        terminalreporter.line(f"{nodeid}: {reason}")


_STDERR: list[int] = []  # a copy of the run's real fd 2, made before any test captures it


def pytest_configure(config: pytest.Config) -> None:
    _STDERR.append(os.dup(2))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[object]:
    """Every item runs under tests/watchdog.py's last-resort deadline."""
    dog = Watchdog(item.nodeid, _STDERR[0])
    try:
        return (yield)
    finally:
        dog.disarm()
