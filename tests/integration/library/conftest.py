"""Fixtures for the library tests: an Engine on a temp root (vfs) with busybox imported as
`bb:1`, on the real runc (skipped only where runc cannot run a minimal bundle)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.tools import require_runc

from scow import Engine


@pytest.fixture
def bb_engine(no_leaked_mounts: Path, busybox_tar: Path) -> Iterator[Engine]:
    require_runc()
    engine = Engine(root=str(no_leaked_mounts / "root"), storage_driver="vfs")
    try:
        with open(busybox_tar, "rb") as f:
            engine.images.import_image(f, reference="bb:1")
        yield engine
    finally:
        for c in engine.containers.list(all=True):
            c.remove(force=True)
        engine.close()
