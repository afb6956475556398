"""A download whose connection drops mid-blob resumes with Range (through a loopback TCP
proxy in front of the real registry that cuts the connection once)."""

from __future__ import annotations

import io
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from scow.errors import RegistryUnavailable
from scow.ids import digest_of
from scow.registry.client import RegistryClient

pytestmark = pytest.mark.registry


class CuttingProxy:
    """Relays 127.0.0.1:<port> to the registry; the first `cuts` connections that carry more
    than `cut_after` bytes towards the client are closed right there."""

    def __init__(self, upstream_port: int, cut_after: int, cuts: int = 1) -> None:
        self.upstream_port = upstream_port
        self.cut_after = cut_after
        self.cuts_left = cuts
        self.requests: list[bytes] = []
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            up = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._up, args=(conn, up), daemon=True).start()
            threading.Thread(target=self._down, args=(up, conn), daemon=True).start()

    def _up(self, src: socket.socket, dst: socket.socket) -> None:
        with src, dst:
            while data := _recv(src):
                with self._lock:
                    self.requests.append(data)
                dst.sendall(data)

    def _down(self, src: socket.socket, dst: socket.socket) -> None:
        sent = 0
        with src, dst:
            while data := _recv(src):
                with self._lock:
                    cut = self.cuts_left > 0 and sent + len(data) > self.cut_after
                    if cut:
                        self.cuts_left -= 1
                if cut:
                    dst.sendall(data[: max(self.cut_after - sent, 0)])
                    dst.shutdown(socket.SHUT_RDWR)
                    return
                dst.sendall(data)
                sent += len(data)


def _recv(s: socket.socket) -> bytes:
    try:
        return s.recv(65536)
    except OSError:
        return b""


@pytest.fixture
def blob_in_registry(registry_plain: Any) -> tuple[Any, bytes]:
    blob = os.urandom(4 * 1024 * 1024)
    with RegistryClient(registry_plain.domain) as client:
        client.upload_blob("big/blob", lambda: io.BytesIO(blob), digest_of(blob), len(blob))
    return registry_plain, blob


@pytest.fixture
def proxy_factory(blob_in_registry: tuple[Any, bytes]) -> Iterator[Any]:
    made: list[CuttingProxy] = []
    port = int(blob_in_registry[0].domain.rsplit(":", 1)[1])

    def make(cut_after: int, cuts: int) -> CuttingProxy:
        made.append(CuttingProxy(port, cut_after, cuts))
        return made[-1]

    yield make
    for p in made:
        p.close()


def test_dropped_download_resumes_with_range(blob_in_registry: tuple[Any, bytes],
                                             proxy_factory: Any) -> None:
    _, blob = blob_in_registry
    proxy = proxy_factory(cut_after=1_500_000, cuts=1)
    with RegistryClient(f"127.0.0.1:{proxy.port}") as client:
        with client.open_blob("big/blob", digest_of(blob), len(blob)) as reader:
            got = b"".join(reader)
            assert reader.attempts == 2
    assert got == blob
    assert proxy.cuts_left == 0
    assert any(b"Range: bytes=" in r for r in proxy.requests)


def test_download_gives_up_after_five_attempts(blob_in_registry: tuple[Any, bytes],
                                               proxy_factory: Any) -> None:
    _, blob = blob_in_registry
    proxy = proxy_factory(cut_after=300_000, cuts=100)
    with RegistryClient(f"127.0.0.1:{proxy.port}") as client:
        with pytest.raises(RegistryUnavailable, match="after 5 attempts"):
            with client.open_blob("big/blob", digest_of(blob), len(blob)) as reader:
                while reader.read():
                    pass
