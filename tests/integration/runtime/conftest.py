"""Fixtures for running containers on the real runc (skipped only where runc itself cannot run
a minimal bundle: tests/tools.py probes it without scow's spec or monitor)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from runtime_kit import Factory, build_rootfs
from tests.tools import require_runc

from scow.runtime.runc import Runc


@pytest.fixture
def containers(tmp_path: object) -> Iterator[Factory]:
    runc = require_runc()
    base = str(tmp_path)
    rootfs = build_rootfs(os.path.join(base, "rootfs"))
    factory = Factory(base, rootfs, Runc(runc, os.path.join(base, "runc-state")))
    yield factory
    factory.cleanup()
