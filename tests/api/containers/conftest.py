"""Fixtures for the container route tests: the one service fixture of tests/api/conftest.py
(`scow system service` as a subprocess on a temp root, vfs, the real runc) with busybox
imported as `bb:1`, and docker-py connected to it. Every container is removed afterwards,
nothing may stay mounted, and the service must not have logged a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.api.conftest import Service, remove_all, start_service
from tests.tools import require_runc

__all__ = ["Service"]


@pytest.fixture
def service(no_leaked_mounts: Path, busybox_tar: Path) -> Iterator[Service]:
    require_runc()
    svc = start_service(no_leaked_mounts, busybox_tar, "bb:1")
    try:
        yield svc
    finally:
        try:
            remove_all(svc)
        finally:
            svc.stop()
        log = svc.output()
        print(log)  # shown when the test failed
        assert "Traceback" not in log, "the service logged a traceback"


@pytest.fixture
def client(service: Service) -> Iterator[Any]:
    import docker  # the test extra's docker-py
    c = docker.DockerClient(base_url=service.url, version="1.41", timeout=60)
    try:
        yield c
    finally:
        c.close()
