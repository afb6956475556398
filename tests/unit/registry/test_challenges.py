"""WWW-Authenticate parsing and the token cache (the token server is a fake callable)."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from scow.errors import RegistryUnauthorized
from scow.registry.auth import (
    Authenticator,
    Challenge,
    error_text,
    parse_challenges,
    pull_scope,
    push_scope,
)
from scow.registry.credentials import Credentials


@pytest.mark.parametrize(("header", "want"), [
    ('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
     'scope="repository:library/busybox:pull"',
     [Challenge("bearer", {"realm": "https://auth.docker.io/token",
                           "service": "registry.docker.io",
                           "scope": "repository:library/busybox:pull"})]),
    ('Basic realm="Registry Realm"', [Challenge("basic", {"realm": "Registry Realm"})]),
    ('Basic realm="a\\"b", Bearer realm="https://x/t", error="insufficient_scope"',
     [Challenge("basic", {"realm": 'a"b'}),
      Challenge("bearer", {"realm": "https://x/t", "error": "insufficient_scope"})]),
    ("Bearer realm=https://x/t,service=reg", [Challenge("bearer", {"realm": "https://x/t",
                                                                   "service": "reg"})]),
    ('BEARER  realm = "r" ,  scope="a b"', [Challenge("bearer", {"realm": "r",
                                                                  "scope": "a b"})]),
    ("", []),
])
def test_parse_challenges(header: str, want: list[Challenge]) -> None:
    assert parse_challenges(header) == want


class FakeTokenServer:
    def __init__(self, answers: list[tuple[int, dict[str, object]]]) -> None:
        self.answers = answers
        self.calls: list[tuple[dict[str, list[str]], dict[str, str]]] = []

    def __call__(self, url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        self.calls.append((parse_qs(urlsplit(url).query), headers))
        status, doc = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return status, json.dumps(doc).encode()


def test_bearer_token_per_scope_with_basic_credentials() -> None:
    server = FakeTokenServer([(200, {"token": "t1"}), (200, {"access_token": "t2"})])
    auth = Authenticator("reg", Credentials("bob", "pw"), server)
    assert auth.set_challenge('Bearer realm="https://auth/token",service="reg"')
    assert auth.header([pull_scope("a")]) == "Bearer t1"
    assert auth.header([pull_scope("a")]) == "Bearer t1"  # cached
    mount = [push_scope("dst"), pull_scope("src")]
    assert auth.header(mount) == "Bearer t2"
    assert len(server.calls) == 2
    query, headers = server.calls[1]
    assert query["scope"] == mount and query["service"] == ["reg"]
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"bob:pw").decode()


def test_expired_token_is_fetched_again() -> None:
    server = FakeTokenServer([(200, {"token": "short", "expires_in": 1}),
                              (200, {"token": "fresh"})])
    now = [100.0]
    auth = Authenticator("reg", None, server, clock=lambda: now[0])
    auth.set_challenge('Bearer realm="https://auth/token"')
    assert auth.header(["s"]) == "Bearer short"
    now[0] += 0.4
    assert auth.header(["s"]) == "Bearer short"
    now[0] += 0.2  # renewed half-way through a short lifetime
    assert auth.header(["s"]) == "Bearer fresh"


def test_refused_credentials_are_one_line_unauthorized() -> None:
    server = FakeTokenServer([(401, {"details": "incorrect username or password"})])
    auth = Authenticator("reg", Credentials("bob", "bad"), server)
    auth.set_challenge('Bearer realm="https://auth/token"')
    with pytest.raises(RegistryUnauthorized, match="incorrect username or password"):
        auth.header(["s"])


def test_token_response_without_token() -> None:
    auth = Authenticator("reg", None, FakeTokenServer([(200, {"nothing": 1})]))
    auth.set_challenge('Bearer realm="https://auth/token"')
    with pytest.raises(RegistryUnauthorized, match="no token"):
        auth.header(["s"])


def test_basic_challenge_needs_credentials() -> None:
    auth = Authenticator("reg", None, FakeTokenServer([(200, {})]))
    assert not auth.set_challenge('Basic realm="r"')
    assert auth.header(["s"]) is None
    auth = Authenticator("reg", Credentials("u", "p"), FakeTokenServer([(200, {})]))
    assert auth.set_challenge('Basic realm="r"')
    assert auth.header(["s"]) == "Basic " + base64.b64encode(b"u:p").decode()


def test_error_text_of_registry_errors() -> None:
    body = json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
    assert error_text(body.encode()) == "manifest unknown: manifest unknown"
    assert error_text(b"<html>\nBad gateway</html>") == "<html>"
    assert error_text(b"") == ""
