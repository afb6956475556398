"""Pure rules of the transport: loopback detection (plain HTTP allowed), docker.io's host,
status -> error category, and that importing the registry package loads no urllib3/ssl."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scow.errors import (
    Forbidden,
    InvalidArgument,
    NotFound,
    ScowError,
    Unauthorized,
    Unavailable,
)
from scow.registry.transport import is_loopback, registry_host, status_error


@pytest.mark.parametrize(("host", "want"), [
    ("localhost", True), ("localhost:5000", True), ("127.0.0.1:5000", True),
    ("127.9.8.7", True), ("[::1]:5000", True), ("::1", True),
    ("10.0.0.1:5000", False), ("registry.example", False), ("localhost.example", False),
    ("[2001:db8::1]:5000", False),
])
def test_is_loopback(host: str, want: bool) -> None:
    assert is_loopback(host) is want


def test_docker_hub_host() -> None:
    assert registry_host("docker.io") == "registry-1.docker.io"
    assert registry_host("quay.io") == "quay.io"


@pytest.mark.parametrize(("status", "category"), [
    (401, Unauthorized), (403, Forbidden), (404, NotFound), (400, InvalidArgument),
    (500, Unavailable), (503, Unavailable), (429, Unavailable),
])
def test_status_error_categories(status: int, category: type[ScowError]) -> None:
    body = b'{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]}'
    err = status_error("get manifest a:b", status, body)
    assert isinstance(err, category)
    assert str(err) == "get manifest a:b: name unknown: repository name not known"


def test_importing_the_client_loads_no_http_stack() -> None:
    code = ("import sys, scow.registry.client, scow.registry.login, scow.format.progress; "
            "bad = [m for m in ('urllib3', 'ssl', 'http.client') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
