"""Fixtures for the container tests: a store per test on each driver with the busybox image
`bb:1` imported, on the real runc (skipped only where runc itself cannot run a minimal
bundle: tests/tools.py probes it without scow, so a broken `scow run` fails). Every
container a test made is removed with `rm -f` afterwards, then no mount may be left."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import DRIVERS, require_driver
from tests.integration.containers.kit import Scow
from tests.tools import require_runc


@pytest.fixture
def bb_scow(request: pytest.FixtureRequest, no_leaked_mounts: Path,
            busybox_tar: Path) -> Iterator[Scow]:
    driver = getattr(request, "param", "vfs")
    require_driver(driver)
    require_runc()
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

