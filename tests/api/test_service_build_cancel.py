"""POST /build is cancelled when its client closes the connection, as dockerd cancels a build
whose client went away: the RUN step running then is stopped (its runc container deleted), the
build rolls back (no image, no tag, no layer of its own), and `system check` finds nothing."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest
from tests.api.conftest import Service
from tests.api.test_service_images import context_tar
from tests.tools import require_runc

pytestmark = pytest.mark.timeout(240)


def _step_containers(root: Path) -> list[str]:
    proc = subprocess.run(["runc", "--root", str(root / "runtime" / "runc"), "list", "-q"],
                          capture_output=True, text=True)
    return proc.stdout.split()


def _wait(what: str, ready: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not ready():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"waited {seconds:g}s for {what}"
        time.sleep(0.1)


def test_build_cancelled_when_the_client_closes(service: Service) -> None:
    require_runc()
    body = context_tar("FROM base:1\nRUN touch /made && sleep 30\n")
    head = (f"POST /build?t=cancelled:1 HTTP/1.1\r\nHost: localhost\r\n"
            f"Content-Type: application/x-tar\r\nContent-Length: {len(body)}\r\n\r\n")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(service.sock))
        sock.sendall(head.encode() + body)
        _wait("the RUN step's container", lambda: _step_containers(service.root), 60)
    finally:
        sock.close()
    closed = time.monotonic()
    _wait("the RUN step to stop", lambda: not _step_containers(service.root), 15)
    # the build rolled back: no image, and once its operation ended nothing left behind
    _wait("the build to end", lambda: not service.owner_tokens(), 15)
    assert time.monotonic() - closed < 20  # well before `sleep 30` could have ended
    assert service.scow("images", "-q", "cancelled:1").stdout == ""
    check = service.scow("system", "check", check=False)
    assert check.returncode == 0 and "pending" not in check.stdout, check.stdout
    assert "Traceback" not in service.output()
    # the service still builds
    status, _, out = service.request("POST", "/build?t=after:1", context_tar(
        "FROM base:1\nRUN true\n"), {"Content-Type": "application/x-tar"})
    assert status == 200 and b"Successfully tagged after:1" in out
