"""Fixtures for the Engine API tests: the container routes served from a subprocess on a
temp unix socket (a store per test on vfs with busybox imported as `bb:1`, the real runc),
and docker-py connected to it. Every container is removed (through the library) afterwards
and nothing may stay mounted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import REPO
from tests.tools import require_runc

_SERVE = """
import sys
from aiohttp import web
from scow.engine import Engine
from scow.api.app import make_app
web.run_app(make_app(Engine(root=sys.argv[1], storage_driver="vfs")), path=sys.argv[2],
            print=None, handle_signals=True)
"""


class Service:
    """The API served on `socket` from `root`; `url` for DOCKER_HOST."""

    def __init__(self, root: Path, socket: Path) -> None:
        self.root, self.socket = root, socket
        self.url = f"unix://{socket}"
        env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
        self.log = socket.with_suffix(".log")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-c", _SERVE, str(root),
                                          str(socket)], env=env, stderr=log)
        deadline = time.monotonic() + 30
        while not socket.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API service did not start: {self.stderr()}")
            time.sleep(0.05)

    def stderr(self) -> str:
        self.stop()
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def service(no_leaked_mounts: Path, busybox_tar: Path) -> Iterator[Service]:
    from scow import Engine

    require_runc()
    root = no_leaked_mounts / "root"
    with Engine(root=str(root), storage_driver="vfs") as eng:
        with open(busybox_tar, "rb") as f:
            eng.images.import_image(f, reference="bb:1")
    svc = Service(root, no_leaked_mounts / "api.sock")
    try:
        yield svc
    finally:
        svc.stop()
        log = svc.log.read_text(errors="replace")
        print(log)  # shown when the test failed
        assert "Traceback" not in log, "the service logged a traceback"
        with Engine(root=str(root), storage_driver="vfs") as eng:
            for c in eng.containers.list(all=True):
                eng.containers.remove(c.id, force=True)


@pytest.fixture
def client(service: Service) -> Iterator[Any]:
    import docker  # the test extra's docker-py
    c = docker.DockerClient(base_url=service.url, version="1.41", timeout=60)
    try:
        yield c
    finally:
        c.close()
