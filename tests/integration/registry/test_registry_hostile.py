"""A lying registry (a small fake HTTP server on loopback): wrong bytes for a digest, wrong
sizes, malformed and oversized manifests. Nothing it serves is returned as good."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scow.errors import (
    DigestMismatch,
    InvalidArgument,
    RegistryUnauthorized,
    RegistryUnavailable,
    SizeMismatch,
    Unsupported,
)
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


# -- slow registries: a total deadline for small answers ----------------------------------------
DRIP_BODY = json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST}).encode()
SLOW_BLOB = b"layer bytes " * 3


class Dripper(BaseHTTPRequestHandler):
    """Answers at one byte per `STEP` seconds: the body of /drip/*, the headers of
    /drip-headers/*, the token of /token, every blob."""

    protocol_version = "HTTP/1.1"
    STEP = 0.05
    bearer = False

    def log_message(self, *args: object) -> None:
        pass

    def _drip(self, data: bytes) -> None:
        import time

        for i in range(len(data)):
            self.wfile.write(data[i:i + 1])
            self.wfile.flush()
            time.sleep(self.STEP)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        if self.bearer and path != "/token" and not self.headers.get("Authorization"):
            realm = f"http://127.0.0.1:{self.server.server_address[1]}/token"
            self._send(401, b"{}", {"WWW-Authenticate": f'Bearer realm="{realm}"'})
        elif path == "/token":
            self._send(200, b'{"token": "' + b"t" * 400 + b'"}', drip=True)
        elif "/drip-headers/" in path:
            head = (f"HTTP/1.1 200 OK\r\nContent-Type: {DOCKER_MANIFEST}\r\n"
                    + "X-Slow: " + "s" * 400 + "\r\n"
                    + f"Content-Length: {len(DRIP_BODY)}\r\n\r\n").encode()
            self._drip(head)
            self.wfile.write(DRIP_BODY)
        elif "/slow/blobs/" in path:
            self._send(200, SLOW_BLOB, drip=True)
        elif "/drip/" in path or "/blobs/" in path:
            self._send(200, DRIP_BODY * 10, {"Content-Type": DOCKER_MANIFEST}, drip=True)
        else:
            self._send(200, b"{}")

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None, *,
              drip: bool = False) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self._drip(body) if drip else self.wfile.write(body)


@pytest.fixture
def dripper() -> Iterator[str]:
    server = QuietServer(("127.0.0.1", 0), Dripper)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        Dripper.bearer = False
        server.shutdown()
        server.server_close()


def _gives_up_in_time(call: Callable[[], object], text: str) -> None:
    import time

    started = time.monotonic()
    with pytest.raises(RegistryUnavailable, match=f"{text}: no complete answer within 1 s$"):
        call()
    assert time.monotonic() - started < 5


def test_a_dripping_manifest_is_given_up_on(dripper: str) -> None:
    with RegistryClient(dripper, deadline=1.0) as client:
        _gives_up_in_time(lambda: client.get_manifest("drip", "v1"), "get manifest drip:v1")
        _gives_up_in_time(lambda: client.get_manifest("drip-headers", "v1"),
                          "get manifest drip-headers:v1")


def test_a_dripping_config_is_given_up_on(dripper: str) -> None:
    digest = digest_of(DRIP_BODY * 10)
    with RegistryClient(dripper, deadline=1.0) as client:
        _gives_up_in_time(lambda: client.fetch_blob("repo", digest),
                          f"get blob {digest[7:19]} from repo")


def test_a_dripping_token_is_given_up_on(dripper: str) -> None:
    Dripper.bearer = True
    with RegistryClient(dripper, deadline=1.0) as client:
        _gives_up_in_time(lambda: client.list_tags("repo"), "list tags of repo")


def test_a_slow_blob_has_no_total_deadline(dripper: str) -> None:
    """Layers show their progress: a blob slower than the deadline still arrives whole."""
    with RegistryClient(dripper, deadline=0.5) as client:
        with client.open_blob("slow", digest_of(SLOW_BLOB)) as reader:
            assert b"".join(reader) == SLOW_BLOB  # ~ 2 s at 20 bytes/s


# -- token realms: whose credentials go where ----------------------------------------------------
class RealmRegistry(BaseHTTPRequestHandler):
    """A registry answering 401 with a bearer realm on REALM (another loopback server, or its
    own /token); records the Authorization each path saw."""

    protocol_version = "HTTP/1.1"
    REALM = ""
    seen: dict[str, str | None] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        auth = self.headers.get("Authorization")
        RealmRegistry.seen[f"{self.server.server_address[1]}{path}"] = auth
        if path == "/token":
            status, headers, body = 200, {}, b'{"token": "tok"}'
        elif auth != "Bearer tok":
            status, headers, body = 401, {"WWW-Authenticate": f'Bearer realm="{self.REALM}"'}, \
                b"{}"
        else:
            status, headers, body = 200, {}, b'{"name": "repo", "tags": ["v1"]}'
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def two_hosts() -> Iterator[tuple[int, int]]:
    servers = [QuietServer(("127.0.0.1", 0), RealmRegistry) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    RealmRegistry.seen = {}
    try:
        yield servers[0].server_address[1], servers[1].server_address[1]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def test_credentials_never_go_to_another_host_over_plain_http(two_hosts: tuple[int, int]
                                                              ) -> None:
    """Registry A names a realm on B (another port, plain http): A's password is not sent
    there; the pull ends in one line saying why."""
    from scow.registry.credentials import Credentials

    a, b = two_hosts
    for realm_host in (f"127.0.0.1:{b}", f"localhost:{a}"):
        RealmRegistry.REALM = f"http://{realm_host}/token"
        with RegistryClient(f"127.0.0.1:{a}", credentials=Credentials("u", "p")) as client:
            with pytest.raises(RegistryUnauthorized, match="refused to send the credentials "
                               f"of 127.0.0.1:{a} to http://{realm_host}") as info:
                client.list_tags("repo")
        assert "\n" not in str(info.value)
    assert f"{b}/token" not in RealmRegistry.seen
    assert all(auth is None for auth in RealmRegistry.seen.values())


def test_credentials_go_to_the_registrys_own_realm(two_hosts: tuple[int, int]) -> None:
    from scow.registry.credentials import Credentials

    a, b = two_hosts
    RealmRegistry.REALM = f"http://127.0.0.1:{a}/token"
    with RegistryClient(f"127.0.0.1:{a}", credentials=Credentials("u", "p")) as client:
        assert client.list_tags("repo") == ["v1"]
    assert (RealmRegistry.seen[f"{a}/token"] or "").startswith("Basic ")
    RealmRegistry.REALM = f"http://127.0.0.1:{b}/token"  # anonymous: nothing to leak
    with RegistryClient(f"127.0.0.1:{a}") as client:
        assert client.list_tags("repo") == ["v1"]
    assert RealmRegistry.seen[f"{b}/token"] is None


def test_an_https_registry_never_downgrades_its_credentials_to_http(tmp_path: Path) -> None:
    """Registry A on https names a realm on plain http (its own host and port, or another):
    no credentials go in clear text; over https to another port they do (set-up C)."""
    import ssl

    from tests.integration.conftest import make_cert

    from scow.registry.credentials import Credentials

    cert = make_cert(tmp_path)
    tls = QuietServer(("127.0.0.1", 0), RealmRegistry)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.cert, cert.key)
    tls.socket = context.wrap_socket(tls.socket, server_side=True)
    plain = QuietServer(("127.0.0.1", 0), RealmRegistry)
    for server in (tls, plain):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    RealmRegistry.seen = {}
    a, b = tls.server_address[1], plain.server_address[1]
    try:
        for realm in (f"http://127.0.0.1:{a}/token", f"http://127.0.0.1:{b}/token"):
            RealmRegistry.REALM = realm
            with RegistryClient(f"127.0.0.1:{a}", credentials=Credentials("u", "p"),
                                ca_file=str(cert.cert)) as client:
                with pytest.raises(RegistryUnauthorized, match="refused to send the "
                                   "credentials") as info:
                    client.list_tags("repo")
            assert "\n" not in str(info.value)
    finally:
        for server in (tls, plain):
            server.shutdown()
            server.server_close()
    assert all(auth is None for auth in RealmRegistry.seen.values())


def test_pull_from_a_dripping_registry_ends_in_one_line(dripper: str, tmp_path: Path) -> None:
    """Through the CLI, with the deadline from the environment."""
    import time

    from tests.reliability.conftest import scow

    started = time.monotonic()
    proc = scow(tmp_path / "root", "pull", f"{dripper}/drip:v1", timeout=30,
                env={"SCOW_REGISTRY_DEADLINE": "1"})
    assert time.monotonic() - started < 10
    assert proc.returncode != 0
    assert proc.stderr == "Error: get manifest drip:v1: no complete answer within 1 s\n", \
        proc.stderr


def test_a_registry_that_never_finishes_the_tls_handshake_is_given_up_on() -> None:
    """A port that accepts and then says nothing: the handshake (and the plain-http retry
    of a loopback host) counts against the deadline, not only the per-read timeout."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        with RegistryClient(f"127.0.0.1:{listener.getsockname()[1]}", deadline=1.0,
                            timeout=30) as client:
            _gives_up_in_time(lambda: client.get_manifest("mute", "v1"),
                              "get manifest mute:v1")
    finally:
        listener.close()


def test_tag_pages_that_link_back_end_in_one_line() -> None:
    """`Link: <same page>; rel="next"` forever was followed forever (pull --all-tags)."""

    class Looper(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            body = b'{"name": "loop", "tags": ["a"]}' if "/tags/" in self.path else b"{}"
            self.send_response(200)
            self.send_header("Link", f'<{self.path.split("?")[0]}?n=1>; rel="next"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = QuietServer(("127.0.0.1", 0), Looper)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with RegistryClient(f"127.0.0.1:{server.server_address[1]}") as client:
            with pytest.raises(InvalidArgument, match="pages never end") as info:
                client.list_tags("loop")
        assert "\n" not in str(info.value)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("realm", ["http://[::1", "http://127.0.0.1:99999/t", "file:///etc/passwd",
                                   "ftp://127.0.0.1/t"])
def test_a_realm_that_is_not_a_url_is_one_line(two_hosts: tuple[int, int], realm: str) -> None:
    """`http://[::1` was a ValueError from urlsplit: an internal error."""
    a, _ = two_hosts
    RealmRegistry.REALM = realm
    with RegistryClient(f"127.0.0.1:{a}") as client:
        with pytest.raises(RegistryUnavailable, match="realm: not a valid http") as info:
            client.list_tags("repo")
    assert "\n" not in str(info.value)


def test_a_dripping_ping_is_given_up_on() -> None:
    """`scow login` pings /v2/ alone: that answer has the deadline too."""

    class SlowPing(Dripper):
        def do_GET(self) -> None:  # noqa: N802
            self._send(200, b"{}" + b" " * 200, drip=True)

    server = QuietServer(("127.0.0.1", 0), SlowPing)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with RegistryClient(f"127.0.0.1:{server.server_address[1]}", deadline=1.0) as client:
            _gives_up_in_time(client.ping, f"ping 127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
