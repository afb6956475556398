"""What `create`/`run` flags make of the process: env, -e, --env-file, -w, -u (from the
image's /etc/passwd and /etc/group), --entrypoint, volumes and bind mounts, log rotation and
the `logs` flags."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.integration.containers.kit import Scow, wait_for


def test_env_flags(one: Scow, tmp_path: Path) -> None:
    env_file = tmp_path / "env.list"
    env_file.write_text("# a comment\nFROM_FILE=yes\nOVERRIDE=file\n\n")
    out = one.out("run", "--rm", "--env-file", str(env_file), "-e", "OVERRIDE=flag",
                  "-e", "SPACED=a b", "bb:1", "env")
    env = dict(line.split("=", 1) for line in out.splitlines())
    assert env["FROM_FILE"] == "yes" and env["OVERRIDE"] == "flag" and env["SPACED"] == "a b"
    assert env["PATH"].startswith("/usr/local/sbin") and env["HOSTNAME"]
    assert env["HOME"] == "/root"


def test_workdir_created_and_used(one: Scow) -> None:
    assert one.out("run", "--rm", "-w", "/new/dir", "bb:1", "pwd") == "/new/dir\n"


def test_user_from_passwd(one: Scow, user_image: str) -> None:
    out = one.out("run", "--rm", "-u", "app", user_image, "sh", "-c", "id; echo $HOME")
    assert "uid=1000(app) gid=1000(app)" in out and "2000(extra)" in out
    assert out.endswith("/home/app\n")
    assert one.out("run", "--rm", "-u", "1234:5678", user_image, "sh", "-c",
                   "id -u; id -g") == "1234\n5678\n"
    proc = one("run", "--rm", "-u", "nobody-here", user_image, "true", check=False)
    assert proc.returncode == 125 and "nobody-here" in proc.stderr


def test_entrypoint(one: Scow) -> None:
    assert one.out("run", "--rm", "--entrypoint", "echo", "bb:1", "a", "b") == "a b\n"
    doc = one.inspect(one.out("create", "--entrypoint", "/bin/sh", "bb:1", "-c", "true")
                      .strip())
    assert doc["Path"] == "/bin/sh" and doc["Args"] == ["-c", "true"]
    assert doc["Config"]["Entrypoint"] == ["/bin/sh"]


def test_named_volume_filled_from_image_and_survives_rm(sc: Scow) -> None:
    sc("run", "--name", "v1", "-v", "data:/etc", "bb:1", "sh", "-c",
       "echo kept > /etc/mine")
    volume = sc.root / "volumes" / "data" / "_data"
    assert (volume / "passwd").read_text().startswith("root:")  # copied from the image
    assert (volume / "mine").read_text() == "kept\n"
    sc("rm", "v1")
    assert (volume / "mine").exists()
    out = sc.out("run", "--rm", "-v", "data:/data:ro", "bb:1", "sh", "-c",
                 "cat /data/mine; touch /data/x 2>/dev/null || echo read-only")
    assert out == "kept\nread-only\n"
    assert sc.out("diff", sc.out("create", "-v", "data:/etc", "bb:1", "true").strip()) == ""


def test_bind_mount(one: Scow, tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    (host / "in.txt").write_text("from host")
    one("run", "--rm", "-v", f"{host}:/mnt/h", "bb:1", "sh", "-c",
        "cat /mnt/h/in.txt > /mnt/h/out.txt")
    assert (host / "out.txt").read_text() == "from host"
    one("run", "--rm", "--mount", f"type=bind,source={host},target=/b,readonly", "bb:1",
        "sh", "-c", "test -f /b/in.txt && ! touch /b/y 2>/dev/null")
    assert not (host / "y").exists()


def test_anonymous_volume_removed_with_rm_v(one: Scow) -> None:
    cid = one.out("create", "-v", "/anon", "bb:1", "true").strip()
    one("start", "-a", cid)
    name = one.inspect(cid)["Mounts"][0]["Name"]
    assert len(name) == 64 and name in one.out("volume", "ls", "-q")
    one("rm", "-v", cid)
    assert name not in one.out("volume", "ls", "-q")


def test_log_rotation(one: Scow) -> None:
    one("run", "--name", "chatty", "--log-opt", "max-size=1k", "--log-opt", "max-file=3",
        "bb:1", "sh", "-c", "for i in $(seq 1 200); do echo line-$i; done")
    folder = one.root / "containers" / one.full_id("chatty")
    logs = sorted(p.name for p in folder.iterdir() if p.name.startswith("container.log"))
    assert logs == ["container.log", "container.log.1", "container.log.2"]
    for name in logs:
        assert (folder / name).stat().st_size <= 1024 + 200
        for line in (folder / name).read_text().splitlines():
            assert set(json.loads(line)) == {"log", "stream", "time"}
    shown = one.out("logs", "chatty").splitlines()
    assert shown[-1] == "line-200" and len(shown) < 200
    assert shown == [f"line-{i}" for i in range(201 - len(shown), 201)]


def test_logs_flags(one: Scow) -> None:
    one("run", "--name", "talker", "bb:1", "sh", "-c",
        "echo out-1; echo err-1 >&2; echo out-2")
    proc = one("logs", "talker")
    assert proc.stdout == "out-1\nout-2\n" and proc.stderr == "err-1\n"
    tail = one("logs", "--tail", "1", "talker")  # the last of three lines of two pipes
    assert (tail.stdout + tail.stderr).count("\n") == 1
    one("run", "--name", "counter", "bb:1", "seq", "1", "5")
    assert one.out("logs", "--tail", "2", "counter") == "4\n5\n"
    assert one.out("logs", "-n", "0", "counter") == ""
    stamped = one.out("logs", "-t", "talker").splitlines()
    assert stamped[0].endswith(" out-1") and stamped[0][:4].isdigit() and "T" in stamped[0]
    assert one.out("logs", "--since", "1h", "talker") == "out-1\nout-2\n"
    assert one.out("logs", "--since", str(int(time.time()) + 3600), "talker") == ""


def test_logs_follow(one: Scow) -> None:
    import subprocess

    from tests.integration.containers.kit import env

    one("run", "-d", "--name", "ticker", "bb:1", "sh", "-c",
        "for i in 1 2 3; do echo tick-$i; sleep 0.3; done")
    proc = subprocess.run(one.argv("logs", "-f", "ticker"), capture_output=True, text=True,
                          env=env(), timeout=30)
    assert proc.stdout == "tick-1\ntick-2\ntick-3\n"
    wait_for(lambda: one.status("ticker") == "exited")
