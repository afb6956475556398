"""The docker CLI (28.x first on PATH) against the container and exec routes: run attached
(attach → wait → start ordering), run -d, exec with piped stdin and its exit code, logs -f,
cp both ways."""

from __future__ import annotations

import os
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
from tests.api.containers.conftest import Service
from tests.tools import require_tool

pytestmark = pytest.mark.timeout(180)


def docker(service: Service, *args: str, stdin: bytes | None = None,
           timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    exe = require_tool("docker", package="docker CLI")
    env = dict(os.environ, DOCKER_HOST=service.url, DOCKER_CONFIG=str(service.root.parent))
    return subprocess.run([exe, *args], input=stdin, capture_output=True, env=env,
                          timeout=timeout, check=False)


def test_run_rm_prints_and_removes(service: Service) -> None:
    res = docker(service, "run", "--rm", "--network", "none", "bb:1", "echo", "hi")
    assert (res.returncode, res.stdout, res.stderr) == (0, b"hi\n", b"")
    res = docker(service, "run", "--rm", "--network", "none", "bb:1", "sh", "-c", "exit 5")
    assert res.returncode == 5
    assert docker(service, "ps", "-aq").stdout == b""


def test_run_detached_exec_logs_follow(service: Service) -> None:
    res = docker(service, "run", "-d", "--network", "none", "--name", "d1", "bb:1", "sh", "-c",
                 "echo started; sleep 2; echo done")
    assert res.returncode == 0, res.stderr
    res = docker(service, "exec", "d1", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (res.returncode, res.stdout, res.stderr) == (3, b"out\n", b"err\n")
    res = docker(service, "exec", "-i", "d1", "sh", stdin=b"echo from-stdin\nexit 2\n")
    assert (res.returncode, res.stdout) == (2, b"from-stdin\n")
    started = time.monotonic()
    res = docker(service, "logs", "-f", "d1")  # follows until the container exits
    assert res.stdout == b"started\ndone\n"
    assert time.monotonic() - started > 0.5
    assert docker(service, "wait", "d1").stdout == b"0\n"
    assert docker(service, "rm", "d1").returncode == 0


def test_cp_both_ways(service: Service, tmp_path: Path) -> None:
    assert docker(service, "create", "--network", "none", "--name", "c1", "bb:1",
                  "true").returncode == 0
    src = tmp_path / "h.txt"
    src.write_text("hello\n")
    res = docker(service, "cp", str(src), "c1:/tmp/")
    assert res.returncode == 0, res.stderr
    res = docker(service, "cp", "c1:/tmp/h.txt", str(tmp_path / "back.txt"))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "back.txt").read_text() == "hello\n"
    assert b"A /tmp/h.txt" in docker(service, "diff", "c1").stdout
    res = docker(service, "export", "-o", str(tmp_path / "c1.tar"), "c1")
    assert res.returncode == 0, res.stderr
    with tarfile.open(tmp_path / "c1.tar") as tar:
        assert "tmp/h.txt" in tar.getnames()
    res = docker(service, "inspect", "nosuch")
    assert res.returncode == 1


def test_debian_cli_20_10_reads_errors_and_runs(service: Service) -> None:
    """Debian's docker.io CLI 20.10 decodes an error body only when Content-Type is exactly
    application/json (no charset)."""
    exe = require_tool("docker-20.10", package="docker.io", also=("/usr/bin/docker",))
    env = dict(os.environ, DOCKER_HOST=service.url, DOCKER_CONFIG=str(service.root.parent))

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([exe, *args], capture_output=True, env=env, timeout=60,
                              check=False)

    res = run("create", "--network", "none", "--name", "x", "bb:1", "true")
    assert res.returncode != 0
    assert b"Invalid container name" in res.stderr and b'{"message"' not in res.stderr
    res = run("run", "--rm", "--network", "none", "bb:1", "echo", "hi")
    assert (res.returncode, res.stdout) == (0, b"hi\n")
