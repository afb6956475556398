"""A real dockerd of our own (Debian's docker.io) as an oracle: its own data root, exec root
and socket under a temp folder, no iptables, no bridge; stopped by its pid. Tests that use it
are marked `docker` and skip where dockerd is not installed or cannot start."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.tools import require_root, skip_missing_tool


@pytest.fixture(scope="session")
def dockerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    binary = shutil.which("dockerd")
    require_root()
    if binary is None or shutil.which("docker") is None:
        skip_missing_tool("dockerd and docker (Debian's docker.io)")
    base = tmp_path_factory.mktemp("dockerd")
    sock = base / "docker.sock"
    log = open(base / "dockerd.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [binary, "--data-root", str(base / "data"), "--exec-root", str(base / "exec"),
         "--pidfile", str(base / "docker.pid"), "-H", f"unix://{sock}", "--iptables=false",
         "--bridge=none", "--storage-driver=overlay2"],
        stdout=log, stderr=log, start_new_session=True)
    env = dict(os.environ, DOCKER_HOST=f"unix://{sock}", DOCKER_BUILDKIT="0")
    try:
        _wait_ready(env, proc, base)
        yield env
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        subprocess.run(["umount", "-R", "-l", str(base / "data")], check=False,
                       capture_output=True)


def _wait_ready(env: dict[str, str], proc: subprocess.Popen[bytes], base: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            skip_missing_tool("a dockerd that can start here (it exited: "
                              f"{(base / 'dockerd.log').read_text()[-500:]})")
        if subprocess.run(["docker", "version"], env=env, capture_output=True).returncode == 0:
            return
        time.sleep(0.3)
    skip_missing_tool("a dockerd that can start here (not ready in 60 s)")
