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


@pytest.mark.parametrize(("base", "realm", "sent"), [
    ("https://reg.example", "https://auth.example/token", True),
    ("http://reg.example:5000", "https://auth.example/token", True),
    ("http://reg.example:5000", "http://reg.example:5000/token", True),
    ("http://reg.example", "http://reg.example:80/token", True),
    ("http://reg.example:5000", "http://reg.example:5001/token", False),
    ("http://reg.example:5000", "http://auth.example:5000/token", False),
    ("https://reg.example", "http://reg.example/token", False),
    ("https://reg.example:443", "http://reg.example:443/token", False),
    ("https://reg.example", "ftp://reg.example/token", False),
])
def test_which_realms_see_credentials(base: str, realm: str, sent: bool) -> None:
    from scow.registry.transport import realm_may_see_credentials

    assert realm_may_see_credentials(base, realm) is sent


@pytest.mark.parametrize(("value", "seconds"), [("", 60.0), ("2.5", 2.5), ("0.1", 0.1)])
def test_deadline_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str,
                                       seconds: float) -> None:
    from scow.registry.deadline import default_deadline

    monkeypatch.setenv("SCOW_REGISTRY_DEADLINE", value)
    assert default_deadline() == seconds


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan", "inf"])
def test_a_bad_deadline_is_one_line(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from scow.errors import InvalidArgument
    from scow.registry.deadline import default_deadline

    monkeypatch.setenv("SCOW_REGISTRY_DEADLINE", value)
    with pytest.raises(InvalidArgument, match="SCOW_REGISTRY_DEADLINE"):
        default_deadline()


@pytest.mark.parametrize("ref", ["http://[::1", "http://h:99999/x", "ftp://h/", "file:///etc/passwd",
                                 "http://exa mple/", "http://h/a\r\nX-Injected: 1", "http://h/\x00",
                                 "javascript:alert(1)", "http:///nohost"])
def test_hostile_urls_are_one_line(ref: str) -> None:
    from scow.registry.transport import resolve_url

    with pytest.raises(Unavailable, match="^get token: realm: not a valid http") as info:
        resolve_url("https://reg.example", ref, "get token: realm")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("ref", "url"), [
    ("/v2/x/tags/list?n=1", "https://reg.example/v2/x/tags/list?n=1"),
    ("https://auth.example/token", "https://auth.example/token"),
    ("//cdn.example/b", "https://cdn.example/b"),
])
def test_urls_resolve_against_the_base(ref: str, url: str) -> None:
    from scow.registry.transport import resolve_url

    assert resolve_url("https://reg.example/v2/", ref, "x") == url
