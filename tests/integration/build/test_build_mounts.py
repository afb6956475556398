"""RUN --mount of every type on the real store (overlay2, real runc): cache folders kept
between builds (sharing, mode), bind from the context / a stage (read-only by default, rw
writes discarded), tmpfs, secrets (never in a layer, the config, history or the cache: every
file under the root is grepped), ssh sockets, and the mount points kept out of the layer;
RUN --network=host and --security=insecure only with their entitlement."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path
from typing import Any

import pytest

from scow.build.ports import Secret, SshSource
from scow.errors import Forbidden, NotFound, ScowError

pytestmark = pytest.mark.parametrize("engine", ["overlay2"], indirect=True)


def _top(engine: Any, image: str) -> dict[str, Any]:
    """path → LayerFile of the image's last layer."""
    return {f.path: f for f in engine.images.layers(image)[-1].files()}


def _read(engine: Any, image: str, path: str) -> bytes:
    from tests.integration.build.test_build_steps import _read as read

    return read(engine, image, path)


def test_cache_mount_kept_between_builds_and_out_of_the_layer(built: Any) -> None:
    engine, _, build = built
    text = ("FROM busybox:base\n"
            "RUN --mount=type=cache,target=/var/cache/thing,id=thing,mode=0700 "
            "n=$(cat /var/cache/thing/n 2>/dev/null || echo 0) && echo $((n + 1)) "
            "| tee /var/cache/thing/n > /seen && stat -c %a /var/cache/thing >> /seen\n")
    build(text, tags=("cm:1",))
    assert _read(engine, "cm:1", "/seen") == b"1\n700\n"
    build(text, tags=("cm:2",), no_cache=True)
    assert _read(engine, "cm:2", "/seen") == b"2\n700\n"  # the folder outlived the build
    top = _top(engine, "cm:2")
    assert "/seen" in top and not any(p.startswith("/var/cache") for p in top)
    [mount] = engine.store.cache_mounts.list()
    assert mount.id == "thing" and mount.size > 0 and not mount.in_use


def test_cache_mount_id_defaults_to_target_and_locked_sharing(built: Any) -> None:
    engine, _, build = built
    build("FROM busybox:base AS a\nRUN --mount=type=cache,target=/c,sharing=locked "
          "sleep 1; echo a >> /c/log; touch /done\n"
          "FROM busybox:base AS b\nRUN --mount=type=cache,target=/c,sharing=locked "
          "sleep 1; echo b >> /c/log; touch /done\n"
          "FROM busybox:base\nCOPY --from=a /done /a\nCOPY --from=b /done /b\n"
          "RUN --mount=type=cache,target=/c,sharing=private cat /c/log | sort > /log\n",
          tags=("cm:lock",))
    assert _read(engine, "cm:lock", "/log") == b"a\nb\n"
    assert [m.id for m in engine.store.cache_mounts.list()] == ["/c"]


def test_bind_from_context_readonly_and_rw_discarded(built: Any) -> None:
    engine, ctx, build = built
    (ctx / "src").mkdir()
    (ctx / "src" / "a.txt").write_text("from context\n")
    build("FROM busybox:base\n"
          "RUN --mount=type=bind,source=src,target=/mnt/src "
          "cat /mnt/src/a.txt > /out && (touch /mnt/src/x 2>/dev/null && echo rw || echo ro) "
          ">> /out\n"
          "RUN --mount=target=/work,source=src,rw echo changed > /work/a.txt && "
          "cat /work/a.txt >> /out\n", tags=("bind:1",))
    assert _read(engine, "bind:1", "/out") == b"from context\nro\nchanged\n"
    assert (ctx / "src" / "a.txt").read_text() == "from context\n"  # rw writes discarded
    for layer in engine.images.layers("bind:1")[1:]:
        assert not any(f.path.startswith(("/mnt", "/work")) for f in layer.files())


def test_bind_from_stage_changes_the_cache_key(built: Any) -> None:
    engine, _, build = built
    text = ("FROM busybox:base AS gen\nRUN echo {v} > /gen.txt\n"
            "FROM busybox:base\nRUN --mount=from=gen,source=/gen.txt,target=/in.txt "
            "cp /in.txt /got\n")
    build(text.format(v="one"), tags=("bs:1",))
    assert _read(engine, "bs:1", "/got") == b"one\n"
    build(text.format(v="two"), tags=("bs:2",))
    assert _read(engine, "bs:2", "/got") == b"two\n"


def test_tmpfs_mount(built: Any) -> None:
    engine, _, build = built
    build("FROM busybox:base\nRUN --mount=type=tmpfs,target=/scratch,size=1m "
          "grep ' /scratch ' /proc/mounts | cut -d' ' -f3 > /fs && echo x > /scratch/y\n",
          tags=("tm:1",))
    assert _read(engine, "tm:1", "/fs") == b"tmpfs\n"
    assert "/scratch" not in _top(engine, "tm:1")


SECRET = b"s3cr3t-" + os.urandom(8).hex().encode()


def test_secret_never_stored(built: Any, tmp_path: Path, monkeypatch: Any) -> None:
    engine, _, build = built
    src = tmp_path / "token"
    src.write_bytes(SECRET)
    monkeypatch.setenv("SCOW_TEST_TOKEN", SECRET.decode())
    secrets = (Secret("token", src=str(src)), Secret("envtok", env="SCOW_TEST_TOKEN"))
    build("FROM busybox:base\n"
          "RUN --mount=type=secret,id=token cat /run/secrets/token | wc -c > /len && "
          "stat -c %a /run/secrets/token >> /len\n"
          "RUN --mount=type=secret,id=envtok,env=TOK,required,target=/run/secrets/envtok "
          "test \"$TOK\" = \"$(cat /run/secrets/envtok)\" && echo ok > /ok\n"
          "RUN --mount=type=secret,id=envtok,env=TOK test -n \"$TOK\" && "
          "test ! -e /run/secrets/envtok && echo env-only > /env\n"
          "RUN --mount=type=secret,id=absent ls /run/secrets > /ls 2>&1 || true\n",
          tags=("sec:1",), secrets=secrets)
    assert _read(engine, "sec:1", "/len") == f"{len(SECRET)}\n400\n".encode()
    assert _read(engine, "sec:1", "/ok") == b"ok\n"
    assert _read(engine, "sec:1", "/env") == b"env-only\n"
    for layer in engine.images.layers("sec:1")[1:]:
        assert not any(f.path.startswith("/run/secrets") for f in layer.files())
    history = json.dumps(engine.images.history("sec:1"), default=str)
    assert "token" in history and SECRET.decode() not in history
    hits = [str(p) for p in Path(engine.store.root).rglob("*")
            if p.is_file() and not p.is_symlink() and SECRET in p.read_bytes()]
    assert hits == []


def test_required_secret_missing_fails(built: Any) -> None:
    _, _, build = built
    with pytest.raises(NotFound, match="secret nope: not found"):
        build("FROM busybox:base\nRUN --mount=type=secret,id=nope,required true\n")


def test_secret_cache_key_uses_the_id_only(built: Any, tmp_path: Path) -> None:
    engine, _, build = built
    src = tmp_path / "token"
    text = "FROM busybox:base\nRUN --mount=type=secret,id=t cat /run/secrets/t > /copy\n"
    src.write_text("first")
    build(text, tags=("sk:1",), secrets=(Secret("t", src=str(src)),))
    src.write_text("second")
    _, log = build(text, tags=("sk:2",), secrets=(Secret("t", src=str(src)),))
    assert "CACHED" in log  # BuildKit: a secret's value is not part of the key


def test_ssh_socket_forwarded(built: Any, tmp_path: Path) -> None:
    engine, _, build = built
    sock_path = tmp_path / "agent.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    try:
        build("FROM busybox:base\nRUN --mount=type=ssh "
              "test -S \"$SSH_AUTH_SOCK\" && echo $SSH_AUTH_SOCK > /sock\n",
              tags=("ssh:1",), ssh=(SshSource("default", str(sock_path)),))
    finally:
        server.close()
    assert _read(engine, "ssh:1", "/sock") == b"/run/buildkit/ssh_agent.0\n"
    with pytest.raises(NotFound, match="ssh agent"):
        build("FROM busybox:base\nRUN --mount=type=ssh,required=true true\n")


@pytest.mark.parametrize(("flag", "entitlement"), [("--network=host", "network.host"),
                                                   ("--security=insecure",
                                                    "security.insecure")])
def test_entitlements(built: Any, flag: str, entitlement: str) -> None:
    engine, _, build = built
    text = f"FROM busybox:base\nRUN {flag} cat /proc/self/status | grep CapEff > /caps\n"
    with pytest.raises(Forbidden, match=f"{entitlement} is not allowed"):
        build(text)
    build(text, tags=("ent:1",), allow=(entitlement,))
    build("FROM busybox:base\nRUN cat /proc/self/status | grep CapEff > /caps\n",
          tags=("ent:0",))
    caps, plain = (int(_read(engine, t, "/caps").split()[1], 16) for t in ("ent:1", "ent:0"))
    assert (caps > plain) == (entitlement == "security.insecure")


def test_network_none(built: Any) -> None:
    engine, _, build = built
    build("FROM busybox:base\nRUN --network=none ls /sys/class/net > /nets\n",
          tags=("nn:1",))
    assert _read(engine, "nn:1", "/nets") == b"lo\n"


def test_bad_mounts_are_one_line_errors(built: Any) -> None:
    _, _, build = built
    for line, want in (("--mount=type=bogus,target=/x", "unsupported mount type"),
                       ("--mount=type=cache,target=/x,sharing=everyone",
                        "unsupported sharing value"),
                       ("--mount=type=bind,target=/x,mode=0755", "mode not allowed"),
                       ("--mount=type=bind,source=missing,target=/x", "not found")):
        with pytest.raises(ScowError) as failed:
            build(f"FROM busybox:base\nRUN {line} true\n")
        assert want in str(failed.value) and "\n" not in str(failed.value)


def test_secret_env_never_on_disk_during_the_step(built: Any, tmp_path: Path,
                                                  monkeypatch: Any) -> None:
    """While the step runs (its bundle is staged under the root), nothing under the root
    holds the value of an ``env=`` secret: the spec with it is on /dev/shm."""
    import threading
    import time

    engine, _, build = built
    value = b"envsecret-" + os.urandom(8).hex().encode()
    monkeypatch.setenv("SCOW_TEST_ENV_SECRET", value.decode())
    seen: list[str] = []
    stop = threading.Event()
    scans = [0]

    def scan() -> None:
        while not stop.is_set():
            for top, _, files in os.walk(engine.store.root):  # folders come and go
                for name in files:
                    path = Path(top) / name
                    try:  # regular files only: runc's exec.fifo would block a read
                        if stat.S_ISREG(os.lstat(path).st_mode) and value in path.read_bytes():
                            seen.append(str(path))
                    except OSError:
                        pass
            scans[0] += 1
            time.sleep(0.1)

    scanner = threading.Thread(target=scan, daemon=True)
    scanner.start()
    try:
        build("FROM busybox:base\nRUN --mount=type=secret,id=s,env=S "
              "test -n \"$S\" && sleep 3 && echo done > /done\n", tags=("se:1",),
              secrets=(Secret("s", env="SCOW_TEST_ENV_SECRET"),))
    finally:
        stop.set()
        scanner.join()
    assert _read(engine, "se:1", "/done") == b"done\n"
    assert scans[0] >= 2 and seen == []


def test_bind_from_context_hides_dockerignored_files(built: Any) -> None:
    engine, ctx, build = built
    (ctx / "src").mkdir()
    (ctx / "src" / "keep.txt").write_text("keep\n")
    (ctx / "src" / "secret.env").write_text("hidden\n")
    (ctx / ".dockerignore").write_text("src/*.env\n")
    build("FROM busybox:base\nRUN --mount=source=src,target=/s ls /s > /ls\n",
          tags=("ign:1",))
    assert _read(engine, "ign:1", "/ls") == b"keep.txt\n"
    with pytest.raises(NotFound):
        build("FROM busybox:base\nRUN --mount=source=src/secret.env,target=/e cat /e\n")
