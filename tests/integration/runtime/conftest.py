"""Fixtures for running containers on the real runc (skipped where runc cannot run one)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from runtime_kit import RUNC, Factory, build_rootfs, runc_usable

from scow.runtime.runc import Runc


@pytest.fixture
def containers(tmp_path_factory: pytest.TempPathFactory, tmp_path: object) -> Iterator[Factory]:
    if not runc_usable(str(tmp_path_factory.getbasetemp())):
        pytest.skip("runc cannot run a container here")
    base = str(tmp_path)
    rootfs = build_rootfs(os.path.join(base, "rootfs"))
    factory = Factory(base, rootfs, Runc(RUNC, os.path.join(base, "runc-state")))
    yield factory
    factory.cleanup()
