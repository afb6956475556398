"""A lying registry (a small fake HTTP server on loopback): wrong bytes for a digest, wrong
sizes, malformed and oversized manifests. Nothing it serves is returned as good."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scow.errors import DigestMismatch, InvalidArgument, SizeMismatch, Unsupported
from scow.ids import digest_of
from scow.registry.client import RegistryClient
from scow.registry.manifest import DOCKER_MANIFEST, OCI_INDEX

pytestmark = pytest.mark.registry

GOOD = b"the real layer bytes" * 100
LIE = b"something else entirely" * 100
GOOD_DIGEST = digest_of(GOOD)
INDEX = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
    {"mediaType": DOCKER_MANIFEST, "digest": digest_of(b"{}"), "size": 999,
     "platform": {"os": "linux", "architecture": "amd64"}}]}).encode()

ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/v2/": (200, {}, b"{}"),
    f"/v2/lie/blobs/{GOOD_DIGEST}": (200, {}, LIE),
    f"/v2/lie/manifests/{GOOD_DIGEST}": (200, {"Content-Type": DOCKER_MANIFEST}, LIE),
    "/v2/lie/manifests/claimed": (200, {"Content-Type": DOCKER_MANIFEST,
                                        "Docker-Content-Digest": GOOD_DIGEST}, b"{}"),
    "/v2/lie/manifests/big": (200, {"Content-Type": DOCKER_MANIFEST},
                              b" " * (5 * 1024 * 1024)),
    "/v2/lie/manifests/junk": (200, {"Content-Type": DOCKER_MANIFEST}, b"{not json"),
    "/v2/lie/manifests/schema1": (200, {}, b'{"schemaVersion": 1}'),
    "/v2/lie/manifests/index": (200, {"Content-Type": OCI_INDEX}, INDEX),
    f"/v2/lie/manifests/{digest_of(b'{}')}": (200, {"Content-Type": DOCKER_MANIFEST}, b"{}"),
}


class Liar(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        status, headers, body = ROUTES.get(self.path.split("?")[0], (404, {}, b"{}"))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # TLS probes and clients that hang up on oversized bodies


@pytest.fixture
def liar() -> Iterator[RegistryClient]:
    server = QuietServer(("127.0.0.1", 0), Liar)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with RegistryClient(f"127.0.0.1:{server.server_address[1]}") as client:
            yield client
    finally:
        server.shutdown()
        server.server_close()


def test_blob_with_wrong_bytes_is_digest_mismatch(liar: RegistryClient) -> None:
    chunks: list[bytes] = []
    with pytest.raises(DigestMismatch, match="want"):
        with liar.open_blob("lie", GOOD_DIGEST) as reader:
            while chunk := reader.read(100):
                chunks.append(chunk)
    assert b"".join(chunks) == LIE  # streamed, but the end refused it
    with pytest.raises(DigestMismatch):
        liar.fetch_blob("lie", GOOD_DIGEST)


def test_blob_with_wrong_size_is_size_mismatch(liar: RegistryClient) -> None:
    with pytest.raises(SizeMismatch):
        liar.fetch_blob("lie", GOOD_DIGEST, size=len(GOOD))


def test_manifest_by_digest_with_wrong_bytes(liar: RegistryClient) -> None:
    with pytest.raises(DigestMismatch):
        liar.get_manifest("lie", GOOD_DIGEST)


def test_manifest_with_a_false_digest_header(liar: RegistryClient) -> None:
    with pytest.raises(DigestMismatch):
        liar.get_manifest("lie", "claimed")


@pytest.mark.parametrize(("tag", "error", "text"), [
    ("big", InvalidArgument, "exceeds the 4194304 byte limit"),
    ("junk", InvalidArgument, "not valid JSON"),
    ("schema1", Unsupported, "schema 1"),
])
def test_bad_manifests_are_one_line_errors(liar: RegistryClient, tag: str,
                                           error: type[Exception], text: str) -> None:
    with pytest.raises(error, match=text) as info:
        liar.resolve("lie", tag)
    assert "\n" not in str(info.value)


def test_index_entry_of_the_wrong_size(liar: RegistryClient) -> None:
    with pytest.raises(SizeMismatch, match="the index says 999"):
        liar.resolve("lie", "index")


def test_redirect_to_another_host_carries_no_credentials() -> None:
    """A blob GET answered with 307 to storage elsewhere: the registry gets Basic
    credentials, the storage host (another origin) never sees them."""
    from scow.registry.credentials import Credentials

    seen: dict[str, str | None] = {}

    class Storage(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            seen["storage"] = self.headers.get("Authorization")
            self.send_response(200)
            self.send_header("Content-Length", str(len(GOOD)))
            self.end_headers()
            self.wfile.write(GOOD)

    storage = QuietServer(("127.0.0.1", 0), Storage)

    class Guarded(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            auth = self.headers.get("Authorization")
            if not auth:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="guarded"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            seen["registry"] = auth
            self.send_response(307 if "/blobs/" in self.path else 200)
            self.send_header("Location", f"http://127.0.0.1:{storage.server_address[1]}/b")
            self.send_header("Content-Length", "0")
            self.end_headers()

    registry = QuietServer(("127.0.0.1", 0), Guarded)
    for server in (storage, registry):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with RegistryClient(f"127.0.0.1:{registry.server_address[1]}",
                            credentials=Credentials("u", "p")) as client:
            assert client.fetch_blob("repo", GOOD_DIGEST) == GOOD
    finally:
        for server in (storage, registry):
            server.shutdown()
            server.server_close()
    assert seen["registry"] and seen["registry"].startswith("Basic ")
    assert seen["storage"] is None
