"""The service as a process on a shared root: each write operation's owner token is released
when it ends (a failed request leaves nothing that only the service's exit would roll back),
a scow CLI process works on the same root at the same time, the idle timeout, SIGTERM
finishing the request in flight, and the systemd units."""

from __future__ import annotations

import io
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from tests.api.conftest import REPO, Service
from tests.api.test_service_images import context_tar
from tests.tools import require_tool


def check_clean(service: Service) -> None:
    out = service.scow("system", "check", "--quick").stdout
    assert out.startswith("No problems found"), out
    assert service.owner_tokens() == []


def test_failed_requests_leave_nothing_behind(service: Service) -> None:
    service.request("POST", "/images/base:1/tag?repo=keep&tag=1")  # a write that succeeds
    check_clean(service)
    status, _, body = service.request("POST", "/images/create?fromSrc=-&repo=broken:1",
                                      body=b"\x1f\x8b\x08\x00garbage" * 100)
    assert status == 400, body
    client = service.client()
    try:
        events = list(client.build(fileobj=io.BytesIO(context_tar(
            "FROM base:1\nRUN echo x > /y\nRUN exit 3\n")), custom_context=True, decode=True))
        assert "error" in events[-1]
    finally:
        client.close()
    _cut_load(service)
    check_clean(service)
    assert service.scow("system", "check").returncode == 0
    assert "broken" not in service.scow("images").stdout


def _cut_load(service: Service) -> None:
    """A load whose client goes away mid-body."""
    archive = service.request("GET", "/images/base:1/get")[2]
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(service.sock))
        s.sendall(b"POST /images/load?quiet=1 HTTP/1.1\r\nHost: x\r\nContent-Type: "
                  b"application/x-tar\r\nContent-Length: %d\r\n\r\n" % len(archive))
        s.sendall(archive[:len(archive) // 2])
        time.sleep(0.5)
    deadline = time.monotonic() + 10
    while service.owner_tokens() and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_cli_process_and_the_service_on_one_root(service: Service) -> None:
    errors: list[str] = []

    def cli_side() -> None:
        for i in range(5):
            proc = service.scow("tag", "base:1", f"cli:{i}", check=False)
            if proc.returncode:
                errors.append(proc.stderr)

    worker = threading.Thread(target=cli_side)
    worker.start()
    for i in range(5):
        service.docker("tag", "base:1", f"api:{i}")
    worker.join()
    assert errors == []
    tags = service.docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    assert {f"cli:{i}" for i in range(5)} | {f"api:{i}" for i in range(5)} <= set(tags)
    assert service.scow("system", "check").returncode == 0


def test_idle_timeout_and_time_zero(tmp_path: Path) -> None:
    svc = Service(tmp_path / "root", tmp_path / "s.sock", idle=1)
    try:
        assert svc.request("GET", "/_ping")[0] == 200
        svc.proc.wait(10)
        assert svc.proc.returncode == 0 and not svc.sock.exists()
    finally:
        svc.stop()
    forever = Service(tmp_path / "root", tmp_path / "t.sock", idle=0)
    try:
        time.sleep(1.5)
        assert forever.proc.poll() is None
    finally:
        forever.stop()
    assert forever.proc.returncode == 0


def test_idle_after_an_exec(tmp_path: Path, busybox_tar: Path) -> None:
    """A hijacked connection (exec start) is forgotten once closed: the service goes idle
    after it (aiohttp counted it among its connections for ever)."""
    svc = Service(tmp_path / "root", tmp_path / "s.sock", idle=2)
    try:
        svc.scow("import", str(busybox_tar), "base:1")
        cid = svc.scow("run", "-d", "--network", "none", "base:1", "sleep", "60").stdout.strip()
        try:
            assert svc.docker("exec", cid, "echo", "hi").stdout.strip() == "hi"
            svc.proc.wait(15)
            assert svc.proc.returncode == 0
        finally:
            svc.scow("rm", "-f", cid, check=False)
    finally:
        svc.stop()


def test_sigterm_finishes_the_request_in_flight(service: Service) -> None:
    archive = service.request("GET", "/images/base:1/get")[2]
    service.request("DELETE", "/images/base:1")
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(service.sock))
        s.sendall(b"POST /images/load?quiet=1 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                  b"Connection: close\r\n\r\n" % len(archive))
        s.sendall(archive[:len(archive) // 2])
        time.sleep(0.5)
        service.proc.send_signal(signal.SIGTERM)
        time.sleep(1)
        assert service.proc.poll() is None  # still finishing the load
        s.sendall(archive[len(archive) // 2:])
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ") and b"Loaded image: base:1" in answer
    assert service.proc.wait(20) == 0
    assert service.scow("images", "--format", "{{.Repository}}:{{.Tag}}").stdout == "base:1\n"


def test_sigterm_does_not_wait_for_a_container_wait(service: Service) -> None:
    """A `wait` on a running container lasts as long as the container: the stop ends it at
    once, as dockerd's does (the service stayed up 185 s, the drain's and the server's
    deadlines one after the other)."""
    require_tool("runc")
    cid = service.docker("run", "-d", "--network", "none", "base:1", "sleep", "1000").stdout
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(service.sock))
        s.sendall(b"POST /containers/%s/wait HTTP/1.1\r\nHost: x\r\n\r\n" % cid.strip().encode())
        assert s.recv(100).startswith(b"HTTP/1.1 200 ")  # headers first, the code at the exit
        started = time.monotonic()
        service.proc.send_signal(signal.SIGTERM)
        assert service.proc.wait(20) == 0 and time.monotonic() - started < 10
    assert service.scow("ps", "-q").stdout.strip() == cid.strip()[:12]  # the container runs on


def test_an_events_stream_ends_with_its_client_or_the_service(tmp_path: Path) -> None:
    svc = Service(tmp_path / "root", tmp_path / "s.sock", idle=1)
    try:
        with socket.socket(socket.AF_UNIX) as s:  # a client that follows, then goes
            s.connect(str(svc.sock))
            s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 200 ")
            time.sleep(1.5)
            assert svc.proc.poll() is None  # not idle while the stream is open
        svc.proc.wait(10)  # idle once it is gone
    finally:
        svc.stop()
    svc = Service(tmp_path / "root", tmp_path / "t.sock", idle=0)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(svc.sock))
            s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 200 ")
            started = time.monotonic()
            svc.proc.send_signal(signal.SIGTERM)
            assert svc.proc.wait(10) == 0 and time.monotonic() - started < 5
    finally:
        svc.stop()


def test_systemd_units_verify(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze", package="systemd")
    units = REPO / "contrib" / "systemd"
    names = ("scow.socket", "scow.service", "scow-restart.service")
    for name in names:
        shutil.copy(units / name, tmp_path / name)
    scow = tmp_path / "scow"  # the unit's ExecStart must exist for verify
    scow.write_text("#!/bin/sh\n")
    scow.chmod(0o755)
    for name in names[1:]:
        service = (tmp_path / name).read_text()
        (tmp_path / name).write_text(service.replace("/usr/local/bin/scow", str(scow)))
    proc = subprocess.run([analyze, "verify", *(str(tmp_path / n) for n in names)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "scow" not in proc.stderr or "warning" not in proc.stderr.lower(), proc.stderr


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def test_a_save_to_a_client_that_stops_reading(service: Service) -> None:
    """The save waits for the client instead of buffering the tar in memory, and its
    operation ends (token released) once the client goes."""
    import os as _os
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("big.bin")
        info.size = 96 << 20
        tar.addfile(info, io.BytesIO(_os.urandom(info.size)))
    status, _, body = service.request("POST", "/images/create?fromSrc=-&repo=big&tag=1",
                                      body=buf.getvalue())
    assert status == 200, body
    del buf
    before = _rss_kb(service.proc.pid)
    with socket.socket(socket.AF_UNIX) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(str(service.sock))
        s.sendall(b"GET /images/big:1/get HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(20).startswith(b"HTTP/1.1 200")
        time.sleep(3)
        grown = _rss_kb(service.proc.pid) - before
    assert grown < 48 << 10, f"the service grew by {grown} kB for an unread save"
    deadline = time.monotonic() + 10
    while service.owner_tokens() and time.monotonic() < deadline:
        time.sleep(0.1)
    check_clean(service)
