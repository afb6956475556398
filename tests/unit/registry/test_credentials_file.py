"""docker's config.json: reading `auths`, writing atomically with 0600, credential helpers (a
fake docker-credential-<name> program on PATH: the process seam)."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from scow.errors import InvalidArgument
from scow.registry.credentials import (
    DOCKER_HUB_KEY,
    Credentials,
    get_credentials,
    hostname_of,
    remove_credentials,
    server_key,
    store_credentials,
)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "dc"))
    return tmp_path / "dc" / "config.json"


def _auth(user: str, pw: str) -> str:
    return base64.b64encode(f"{user}:{pw}".encode()).decode()


def test_keys_and_hostnames() -> None:
    assert server_key("docker.io") == DOCKER_HUB_KEY
    assert server_key("registry-1.docker.io") == DOCKER_HUB_KEY
    assert server_key("127.0.0.1:5000") == "127.0.0.1:5000"
    assert hostname_of("https://reg.example:5000/v1/") == "reg.example:5000"


def test_missing_file_means_no_credentials(config: Path) -> None:
    assert get_credentials("docker.io") is None


def test_reads_auths_under_any_spelling(config: Path) -> None:
    config.parent.mkdir()
    config.write_text(json.dumps({"auths": {
        "https://index.docker.io/v1/": {"auth": _auth("hub", "pw:with:colons")},
        "http://reg.example:5000": {"auth": _auth("me", "x")}}}))
    assert get_credentials("docker.io") == Credentials("hub", "pw:with:colons")
    assert get_credentials("reg.example:5000") == Credentials("me", "x")
    assert get_credentials("other.example") is None


@pytest.mark.parametrize("doc", [
    "not json", "[]", json.dumps({"auths": {"r": {"auth": "!!!"}}}),
    json.dumps({"auths": {"r": {"auth": base64.b64encode(b"nocolon").decode()}}}),
])
def test_malformed_config_is_invalid_argument(config: Path, doc: str) -> None:
    config.parent.mkdir()
    config.write_text(doc)
    with pytest.raises(InvalidArgument):
        get_credentials("r")


def test_store_keeps_other_keys_and_is_private(config: Path) -> None:
    config.parent.mkdir()
    config.write_text(json.dumps({"auths": {"a": {"auth": _auth("a", "a")}},
                                  "psFormat": "{{.ID}}"}))
    store_credentials("docker.io", Credentials("u", "p"))
    doc = json.loads(config.read_text())
    assert doc["psFormat"] == "{{.ID}}"
    assert doc["auths"][DOCKER_HUB_KEY] == {"auth": _auth("u", "p")}
    assert doc["auths"]["a"] == {"auth": _auth("a", "a")}
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert [p.name for p in config.parent.iterdir()] == ["config.json"]  # no temp left


def test_store_creates_private_folder(config: Path) -> None:
    store_credentials("r:1", Credentials("u", "p"))
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert remove_credentials("r:1") is True
    assert remove_credentials("r:1") is False
    assert json.loads(config.read_text())["auths"] == {}


def test_repr_hides_the_password() -> None:
    assert "secret" not in repr(Credentials("u", "secret"))


@pytest.fixture
def helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """docker-credential-fake: a tiny helper keeping its store in a JSON file."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    store = tmp_path / "helper-store.json"
    store.write_text("{}")
    script = bindir / "docker-credential-fake"
    script.write_text(f"""#!/usr/bin/env python3
import json, sys
store = json.load(open({str(store)!r}))
verb, data = sys.argv[1], sys.stdin.read()
if verb == "get":
    if data not in store:
        print("credentials not found in native keychain"); sys.exit(1)
    print(json.dumps({{"ServerURL": data, "Username": store[data][0], "Secret": store[data][1]}}))
elif verb == "store":
    rec = json.loads(data); store[rec["ServerURL"]] = [rec["Username"], rec["Secret"]]
elif verb == "erase":
    if data not in store:
        print("credentials not found in native keychain"); sys.exit(1)
    del store[data]
json.dump(store, open({str(store)!r}, "w"))
""")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return store


@pytest.mark.parametrize("key", ["credsStore", "credHelpers"])
def test_credential_helper_round_trip(config: Path, helper: Path, key: str) -> None:
    config.parent.mkdir()
    value: object = "fake" if key == "credsStore" else {"reg.example": "fake"}
    config.write_text(json.dumps({key: value}))
    assert get_credentials("reg.example") is None
    store_credentials("reg.example", Credentials("u", "from-helper"))
    assert json.loads(helper.read_text()) == {"reg.example": ["u", "from-helper"]}
    assert "from-helper" not in config.read_text()
    assert get_credentials("reg.example") == Credentials("u", "from-helper")
    assert remove_credentials("reg.example") is True
    assert get_credentials("reg.example") is None


def test_missing_helper_falls_back_to_auths(config: Path) -> None:
    config.parent.mkdir()
    config.write_text(json.dumps({"credsStore": "not-installed-anywhere",
                                  "auths": {"r": {"auth": _auth("u", "p")}}}))
    assert get_credentials("r") == Credentials("u", "p")
