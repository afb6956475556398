"""Fixtures for the container tests: a store per test on each driver with the busybox image
`bb:1` imported, on the real runc (skipped where runc cannot run a container). Every
container a test made is removed with `rm -f` afterwards, then no mount may be left."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import DRIVERS, driver_available
from tests.integration.containers.kit import RUNC, Scow

_probe: dict[str, bool] = {}


def runc_works(tmp: Path, busybox_tar: Path) -> bool:
    if "ok" not in _probe:
        ok = os.geteuid() == 0 and os.access(RUNC, os.X_OK)
        if ok:
            scow = Scow(tmp / "probe", "vfs")
            scow("import", str(busybox_tar), "bb:1", check=False)
            proc = scow("run", "--rm", "bb:1", "true", check=False, timeout=60)
            ok = proc.returncode == 0
        _probe["ok"] = ok
    return _probe["ok"]


@pytest.fixture
def bb_scow(request: pytest.FixtureRequest, no_leaked_mounts: Path, busybox_tar: Path,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scow]:
    driver = getattr(request, "param", "vfs")
    if not driver_available(driver):
        pytest.skip(f"{driver} is not available here")
    if not runc_works(tmp_path_factory.mktemp("runc-probe"), busybox_tar):
        pytest.skip("runc cannot run a container here")
    scow = Scow(no_leaked_mounts / "root", driver)
    scow("import", str(busybox_tar), "bb:1")
    try:
        yield scow
    finally:
        scow.cleanup()


@pytest.fixture
def sc(request: pytest.FixtureRequest, bb_scow: Scow) -> Scow:
    """On overlay2 and on vfs."""
    return bb_scow


@pytest.fixture
def one(bb_scow: Scow) -> Scow:
    """On vfs only (for behaviour that does not depend on the driver)."""
    return bb_scow


@pytest.fixture
def user_image(bb_scow: Scow) -> str:
    """`bbu:1`: busybox with a user `app` (uid 1000, groups app and extra), made by commit."""
    bb_scow("run", "--name", "mkuser", "bb:1", "sh", "-c",
            "echo 'app:x:1000:1000:app:/home/app:/bin/sh' >> /etc/passwd && "
            "printf 'app:x:1000:\\nextra:x:2000:app\\n' >> /etc/group && mkdir -p /home/app")
    bb_scow("commit", "mkuser", "bbu:1")
    bb_scow("rm", "mkuser")
    return "bbu:1"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sc" in metafunc.fixturenames:
        metafunc.parametrize("bb_scow", DRIVERS, indirect=True, ids=DRIVERS)

