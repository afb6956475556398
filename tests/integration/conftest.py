"""A real registry (Debian's docker-registry, distribution 2.8) on loopback, in three set-ups:
A plain HTTP without auth, B TLS + htpasswd (bcrypt) basic auth, C TLS + bearer tokens from a
small RS256 token issuer (x5c header, signed with the openssl CLI). Each registry gets a temp
config and storage root and a free port, and is stopped by its pid."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.tools import require_tool, skip_missing_tool

REGISTRY_BIN = shutil.which("docker-registry")
USER, PASSWORD = "alice", "s3cret"
SERVICE, ISSUER = "scow-test-registry", "scow-test-issuer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"registry exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


@dataclass
class Cert:
    cert: Path
    key: Path

    def der(self) -> bytes:
        return ssl.PEM_cert_to_DER_cert(self.cert.read_text())


def make_cert(folder: Path) -> Cert:
    require_tool("openssl")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True)
    return Cert(cert, key)


@dataclass
class Registry:
    domain: str  # 127.0.0.1:<port>
    root: Path
    proc: subprocess.Popen[bytes]
    ca_file: str | None = None
    issuer: TokenIssuer | None = None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_registry(folder: Path, *, cert: Cert | None = None,
                   auth: dict[str, object] | None = None) -> Registry:
    if REGISTRY_BIN is None:
        skip_missing_tool("docker-registry")
    port = free_port()
    http: dict[str, object] = {"addr": f"127.0.0.1:{port}", "secret": uuid.uuid4().hex}
    if cert is not None:
        http["tls"] = {"certificate": str(cert.cert), "key": str(cert.key)}
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(folder / "storage")},
                    "delete": {"enabled": True}},
        "http": http,
    }
    if auth:
        config["auth"] = auth
    path = folder / "config.yml"
    path.write_text(json.dumps(config))  # JSON is YAML
    log = open(folder / "registry.log", "wb")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen([REGISTRY_BIN, "serve", str(path)], stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL)
    log.close()
    try:
        wait_port(port, proc)
    except RuntimeError:
        proc.kill()
        proc.wait()
        raise
    return Registry(f"127.0.0.1:{port}", folder, proc, str(cert.cert) if cert else None)


# -- token issuer (set-up C) --------------------------------------------------------------------
def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up


@dataclass
class TokenIssuer:
    cert: Cert
    port: int = 0
    fetches: list[list[str]] = field(default_factory=list)  # scopes of each token request
    server: ThreadingHTTPServer | None = None

    @property
    def realm(self) -> str:
        return f"https://127.0.0.1:{self.port}/token"

    def sign(self, account: str, scopes: list[str], authed: bool) -> str:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            granted = [a for a in actions.split(",") if authed or a == "pull"]
            access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256",
                  "x5c": [base64.b64encode(self.cert.der()).decode()]}
        claims = {"iss": ISSUER, "sub": account, "aud": SERVICE, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
        signing_input = f"{_b64url(json.dumps(header).encode())}." \
                        f"{_b64url(json.dumps(claims).encode())}"
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(self.cert.key)],
                             input=signing_input.encode(), capture_output=True, check=True).stdout
        return f"{signing_input}.{_b64url(sig)}"

    def start(self) -> None:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                query = parse_qs(urlsplit(self.path).query)
                scopes = query.get("scope", [])
                issuer.fetches.append(scopes)
                authed = False
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                    if (user, pw) != (USER, PASSWORD):
                        self._answer(401, {"details": "incorrect username or password"})
                        return
                    authed = True
                token = issuer.sign(USER if authed else "", scopes, authed)
                self._answer(200, {"token": token, "expires_in": 300})

            def _answer(self, status: int, doc: dict[str, object]) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = _QuietServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.cert.cert), str(self.cert.key))
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        self.port = int(server.server_address[1])
        self.server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


# -- fixtures -----------------------------------------------------------------------------------
@pytest.fixture
def registry_plain(tmp_path: Path) -> Iterator[Registry]:
    """Set-up A: plain HTTP, no auth."""
    reg = start_registry(tmp_path)
    yield reg
    reg.stop()


@pytest.fixture
def registry_basic(tmp_path: Path) -> Iterator[Registry]:
    """Set-up B: TLS with a self-signed certificate + htpasswd (bcrypt) basic auth."""
    htpasswd = require_tool("htpasswd", package="apache2-utils")
    cert = make_cert(tmp_path)
    users = tmp_path / "htpasswd"
    out = subprocess.run([htpasswd, "-Bbn", USER, PASSWORD], capture_output=True, check=True)
    users.write_bytes(out.stdout)
    reg = start_registry(tmp_path, cert=cert,
                         auth={"htpasswd": {"realm": "scow-test", "path": str(users)}})
    yield reg
    reg.stop()


@pytest.fixture
def registry_token(tmp_path: Path) -> Iterator[Registry]:
    """Set-up C: TLS + bearer tokens (anonymous users may pull only)."""
    cert = make_cert(tmp_path)
    issuer = TokenIssuer(cert)
    issuer.start()
    auth = {"token": {"realm": issuer.realm, "service": SERVICE, "issuer": ISSUER,
                      "rootcertbundle": str(cert.cert)}}
    try:
        reg = start_registry(tmp_path, cert=cert, auth=auth)
    except BaseException:
        issuer.stop()
        raise
    reg.issuer = issuer
    yield reg
    reg.stop()
    issuer.stop()


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "docker-config"
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    return folder / "config.json"


# -- content ------------------------------------------------------------------------------------
@dataclass
class PushedImage:
    repo: str
    tag: str
    layer: bytes
    config: bytes
    manifest: bytes
    digest: str


def push_image(client: object, repo: str, tag: str, *, arch: str = "amd64", variant: str = "",
               layer_size: int = 4096) -> PushedImage:
    """Push one random layer, a config and a Docker v2 schema 2 manifest."""
    import io

    from scow.ids import digest_of
    from scow.registry.client import RegistryClient
    from scow.registry.manifest import (
        DOCKER_CONFIG,
        DOCKER_LAYER,
        DOCKER_MANIFEST,
        Manifest,
        descriptor_of,
        serialize_manifest,
    )

    assert isinstance(client, RegistryClient)
    layer = os.urandom(layer_size)
    config_doc: dict[str, object] = {
        "architecture": arch, "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [digest_of(layer)]}}
    if variant:
        config_doc["variant"] = variant
    config = json.dumps(config_doc).encode()
    for blob in (layer, config):
        client.upload_blob(repo, lambda b=blob: io.BytesIO(b), digest_of(blob), len(blob))
    manifest = serialize_manifest(Manifest(DOCKER_MANIFEST, descriptor_of(config, DOCKER_CONFIG),
                                           (descriptor_of(layer, DOCKER_LAYER),)))
    digest = client.put_manifest(repo, tag, manifest, DOCKER_MANIFEST)
    return PushedImage(repo, tag, layer, config, manifest, digest)


@pytest.fixture
def push() -> object:
    """push(client, repo, tag, arch=, variant=, layer_size=) -> PushedImage"""
    return push_image
