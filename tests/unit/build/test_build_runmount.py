"""The RUN --mount grammar (BuildKit's commands_runmount.go: keys, defaults, error texts) and
the --secret / --ssh / --allow values of `scow build`."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from scow.build.flags import FlagError
from scow.build.ports import Secret, SshSource
from scow.build.runmount import parse_mount, ram_in_bytes
from scow.build.sources import parse_allow, parse_secret, parse_ssh
from scow.errors import InvalidArgument


def test_defaults_per_type() -> None:
    bind = parse_mount("target=/x")
    assert (bind.type, bind.readonly, bind.source) == ("bind", True, "")
    cache = parse_mount("type=cache,target=/root/.cache")
    assert (cache.readonly, cache.sharing, cache.mode, cache.id) == (False, "", None, "")
    assert parse_mount("type=tmpfs,target=/t,size=64m").size == 64 << 20
    secret = parse_mount("type=secret,id=npm")
    assert secret.readonly and secret.secret_target() == "/run/secrets/npm"
    assert parse_mount("type=secret,target=/etc/token").secret_id == "token"
    assert parse_mount("type=secret,id=t,env=TOKEN").secret_target() == ""
    assert parse_mount("type=ssh").target == ""


def test_keys_and_aliases() -> None:
    m = parse_mount("type=cache,dst=/c,id=pip,sharing=LOCKED,mode=0700,uid=1000,gid=50,"
                    "from=base,src=/seed,ro")
    assert (m.target, m.id, m.sharing, m.mode, m.uid, m.gid, m.from_, m.source,
            m.readonly) == ("/c", "pip", "locked", 0o700, 1000, 50, "base", "/seed", True)
    assert not parse_mount("target=/x,rw").readonly
    assert not parse_mount("target=/x,readonly=false").readonly
    assert parse_mount('type=secret,"id=a,b",required').id == "a,b"  # CSV quoting
    assert parse_mount("type=ssh,required=true").required


@pytest.mark.parametrize(("value", "error"), [
    ("type=volume,target=/x", "unsupported mount type 'volume'"),
    ("type=cache,target=/x,sharing=all", "unsupported sharing value 'all'"),
    ("target=/x,mode=0644", "mode not allowed for 'bind' type mounts"),
    ("type=tmpfs,target=/x,uid=1", "uid not allowed for 'tmpfs' type mounts"),
    ("target=/x,size=1m", "unexpected key 'size' for mount type 'bind'"),
    ("target=/x,required", "unexpected key 'required' for mount type 'bind'"),
    ("target=/x,bogus=1", "unexpected key 'bogus' in 'bogus=1'"),
    ("target=/x,bogus", "invalid field 'bogus' must be a key=value pair"),
    ("target=/x,ro=maybe", "invalid value for ro: maybe"),
    ("type=cache,target=/x,mode=9", "invalid value 9 for mode"),
    ("type=secret,from=x,id=a", "secret mount should not have a from"),
    ("type=secret", "invalid secret mount. one of source, target required"),
    ("type=secret,id=a,source=b", "both source and id can't be set"),
    ("target=/x,sharing=locked", "invalid cache sharing set for bind mount"),
    ("target=/x,from=$STAGE", "'from' doesn't support variable expansion"),
    ("type=cache", "target is required"),
])
def test_errors(value: str, error: str) -> None:
    with pytest.raises(FlagError, match=error.replace("(", r"\(").replace(".", r"\.")):
        parse_mount(value)


def test_ram_in_bytes() -> None:
    assert [ram_in_bytes(v) for v in ("1024", "1k", "1kb", "2M", "1g", "1.5k")] == \
        [1024, 1024, 1024, 2 << 20, 1 << 30, 1536]


def test_secret_flag(tmp_path: Path, monkeypatch: Any) -> None:
    f = tmp_path / "npmrc"
    f.write_text("x")
    assert parse_secret(f"id=npm,src={f}") == Secret("npm", src=str(f))
    assert parse_secret(f"id=npm,source={f},type=file") == Secret("npm", src=str(f))
    assert parse_secret("id=tok,env=GH") == Secret("tok", env="GH")
    monkeypatch.setenv("TOKEN", "v")
    assert parse_secret("id=TOKEN") == Secret("TOKEN", env="TOKEN")
    monkeypatch.delenv("TOKEN")
    for bad, error in (("src=/x", "id is required"), ("id=TOKEN", "give src="),
                       (f"id=a,src={tmp_path}/none", "not a file"),
                       ("id=a,type=ftp,src=/x", "unsupported type"),
                       ("id=a,colour=red", "unexpected field")):
        with pytest.raises(InvalidArgument, match=error):
            parse_secret(bad)


def test_ssh_flag(tmp_path: Path, monkeypatch: Any) -> None:
    sock = tmp_path / "agent.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    try:
        assert parse_ssh(f"default={sock}").path == str(sock)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        assert parse_ssh("default").path == ""
        key, other = tmp_path / "id_ed25519", tmp_path / "id_rsa"
        key.write_text("key")
        other.write_text("key")
        assert parse_ssh(f"default={key}") == SshSource("default", "", keys=(str(key),))
        assert parse_ssh(f"gh={key},{other}").keys == (str(key), str(other))
        for bad, want in ((f"gh={key},{tmp_path}/none", "none: No such file"),
                          (f"gh={key},{sock}", "agent.sock: not a key file"),
                          (f"gh={tmp_path}", "not a key file or an agent socket"),
                          (f"gh={key},", "an empty path")):
            with pytest.raises(InvalidArgument, match=want):
                parse_ssh(bad)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(key))
        with pytest.raises(InvalidArgument, match="SSH_AUTH_SOCK .*: not a socket"):
            parse_ssh("default")
        monkeypatch.delenv("SSH_AUTH_SOCK")
        with pytest.raises(InvalidArgument, match="SSH_AUTH_SOCK is not set"):
            parse_ssh("default")
    finally:
        server.close()


def test_allow() -> None:
    assert parse_allow(["network.host"]) == ("network.host",)
    with pytest.raises(InvalidArgument, match="invalid entitlement"):
        parse_allow(["device"])
