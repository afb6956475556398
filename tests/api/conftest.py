"""Fixtures of the Engine API tests: `scow system service` started as a subprocess on a temp
socket over a temp root (vfs), with the busybox rootfs imported as `base:1`; clients are the
real docker CLI (`service.docker(...)`), docker-py (`service.client()`), curl-free raw HTTP
(`service.request(...)`) and scow's own CLI on the same root (`service.scow(...)`). The
service is stopped by its pid."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.tools import require_tool

REPO = Path(__file__).resolve().parents[2]


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 60) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Service:
    def __init__(self, root: Path, sock: Path, idle: int = 0) -> None:
        self.root, self.sock = root, sock
        self.url = f"unix://{sock}"
        self.env = {**os.environ, "PYTHONPATH": str(REPO / "src"),
                    "DOCKER_HOST": f"unix://{sock}", "DOCKER_BUILDKIT": "0",
                    "DOCKER_CONFIG": str(root.parent / "docker-config")}
        self.log = open(root.parent / "service.log", "wb")  # noqa: SIM115 - closed in stop
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scow", "--root", str(root), "--storage-driver", "vfs",
             "system", "service", "--socket", f"unix://{sock}", "--time", str(idle)],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not self._accepts():  # listening, not only bound (the socket file exists first)
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the service did not start: {self.output()}")
            time.sleep(0.05)

    def _accepts(self) -> bool:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(self.sock))
            return True
        except (FileNotFoundError, ConnectionRefusedError):
            return False
        finally:
            probe.close()

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.root.parent / "service.log").read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 30 s, even when the wait was interrupted (a test's
        timeout): the service never outlives its test."""
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(30)
            self.log.close()

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = UnixHTTPConnection(str(self.sock))
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def docker(self, *args: str, check: bool = True, input: bytes | None = None
               ) -> subprocess.CompletedProcess[str]:
        docker = require_tool("docker")
        proc = subprocess.run([docker, *args], env=self.env, capture_output=True, text=True,
                              input=None if input is None else input.decode(), timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)}: {proc.stderr}{proc.stdout}")
        return proc

    def scow(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-m", "scow", "--root", str(self.root),
                               "--storage-driver", "vfs", *args], env=self.env,
                              capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"scow {' '.join(args)}: {proc.stderr}{proc.stdout}")
        return proc

    def client(self, **kw: Any) -> Any:
        import docker

        return docker.APIClient(base_url=f"unix://{self.sock}", version="auto", **kw)

    def owner_tokens(self) -> list[str]:
        """The owner tokens of the service process on the root."""
        folder = self.root / "locks"
        prefix = f"owner-{self.proc.pid}-"
        return [n for n in os.listdir(folder) if n.startswith(prefix)] if folder.exists() else []


def start_service(folder: Path, busybox_tar: Path, reference: str = "base:1") -> Service:
    """The service on `folder`/root with busybox imported as `reference` (through it)."""
    svc = Service(folder / "root", folder / "scow.sock")
    try:
        client = svc.client()
        repository, _, tag = reference.partition(":")
        with open(busybox_tar, "rb") as f:
            client.import_image_from_data(f.read(), repository=repository, tag=tag)
        client.close()
    except BaseException:
        svc.stop()
        raise
    return svc


def remove_all(svc: Service) -> None:
    """Remove every container on the service's root (scow's CLI: the service may be gone)."""
    ids = svc.scow("ps", "-aq", check=False).stdout.split()
    if ids:
        svc.scow("rm", "-f", *ids, check=False)


@pytest.fixture
def service(no_leaked_mounts: Path, busybox_tar: Path) -> Iterator[Service]:
    """The one service fixture of the API tests: `scow system service` on a temp root; the
    containers left are removed and nothing may stay mounted afterwards."""
    svc = start_service(no_leaked_mounts, busybox_tar)
    try:
        yield svc
    finally:
        try:
            remove_all(svc)
        finally:
            svc.stop()
