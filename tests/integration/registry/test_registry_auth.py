"""Auth flows against real registries: B (TLS + htpasswd basic) and C (TLS + bearer tokens)."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scow.errors import Forbidden, RegistryUnauthorized, Unauthorized, Unavailable
from scow.ids import digest_of
from scow.registry.client import RegistryClient
from scow.registry.credentials import Credentials, get_credentials
from scow.registry.login import login, logout

pytestmark = pytest.mark.registry

GOOD = Credentials("alice", "s3cret")
BAD = Credentials("alice", "wrong")


def _client(reg: Any, creds: Credentials | None) -> RegistryClient:
    return RegistryClient(reg.domain, credentials=creds, ca_file=reg.ca_file)


@pytest.mark.parametrize("setup", ["registry_basic", "registry_token"])
def test_push_pull_with_credentials(setup: str, request: pytest.FixtureRequest,
                                    push: Callable[..., Any]) -> None:
    reg = request.getfixturevalue(setup)
    with _client(reg, GOOD) as client:
        img = push(client, "team/app", "v1", layer_size=100_000)
        got = client.resolve("team/app", "v1")
        assert got.digest == img.digest
        with client.open_blob("team/app", got.manifest.layers[0].digest) as reader:
            assert b"".join(reader) == img.layer


@pytest.mark.parametrize("setup", ["registry_basic", "registry_token"])
def test_wrong_password_is_unauthorized_on_one_line(setup: str,
                                                    request: pytest.FixtureRequest) -> None:
    reg = request.getfixturevalue(setup)
    with _client(reg, BAD) as client, pytest.raises(Unauthorized) as info:
        client.list_tags("team/app")
    assert "\n" not in str(info.value) and str(info.value)


def test_basic_auth_without_credentials_is_unauthorized(registry_basic: Any) -> None:
    with _client(registry_basic, None) as client, pytest.raises(RegistryUnauthorized):
        client.head_blob("team/app", digest_of(b"x"))


def test_untrusted_certificate_is_unavailable(registry_basic: Any) -> None:
    with RegistryClient(registry_basic.domain, credentials=GOOD) as client:
        with pytest.raises(Unavailable, match="certificate verify failed"):
            client.ping()


def test_token_auth_anonymous_may_pull_not_push(registry_token: Any,
                                                push: Callable[..., Any]) -> None:
    with _client(registry_token, GOOD) as client:
        img = push(client, "team/pub", "v1")
    with _client(registry_token, None) as anon:
        assert anon.resolve("team/pub", "v1").digest == img.digest
        blob = b"anonymous bytes"
        with pytest.raises((Unauthorized, Forbidden)):
            anon.upload_blob("team/pub", lambda: io.BytesIO(blob), digest_of(blob), len(blob))


def test_token_cache_and_mount_scope(registry_token: Any) -> None:
    blob = os.urandom(5000)
    digest = digest_of(blob)
    with _client(registry_token, GOOD) as client:
        client.upload_blob("team/src", lambda: io.BytesIO(blob), digest, len(blob))
        client.head_blob("team/src", digest)
        assert client.mount_blob("team/dst", digest, "team/src") is True
        assert client.head_blob("team/dst", digest) == len(blob)
    fetches = registry_token.issuer.fetches
    assert ["repository:team/dst:pull,push", "repository:team/src:pull"] in fetches
    # one token per distinct scope set: upload (push src), head (pull src), mount, head (dst)
    assert len(fetches) == len({" ".join(sorted(f)) for f in fetches})


@pytest.mark.parametrize("setup", ["registry_basic", "registry_token"])
def test_login_stores_and_logout_removes(setup: str, request: pytest.FixtureRequest,
                                         docker_config: Path) -> None:
    reg = request.getfixturevalue(setup)
    docker_config.parent.mkdir()
    docker_config.write_text(json.dumps({"auths": {}, "HttpHeaders": {"X-Keep": "1"}}))
    with pytest.raises(RegistryUnauthorized):
        login(reg.domain, "alice", "wrong", ca_file=reg.ca_file)
    assert get_credentials(reg.domain) is None
    login(reg.domain, "alice", "s3cret", ca_file=reg.ca_file)
    assert get_credentials(reg.domain) == GOOD
    assert stat.S_IMODE(docker_config.stat().st_mode) == 0o600
    assert json.loads(docker_config.read_text())["HttpHeaders"] == {"X-Keep": "1"}
    assert logout(reg.domain) is True
    assert get_credentials(reg.domain) is None
    assert logout(reg.domain) is False
