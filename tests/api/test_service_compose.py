"""Debian's docker-compose 1.29 against `scow system service`: a project of two services
on a user network that talk by name (one built from a Dockerfile), a named volume, a port
published on 127.0.0.1, a healthcheck and a restart policy; `up -d`, `ps`, `logs`, `exec`,
`down -v` leave no container, network, volume, mount, network namespace or iptables rule."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from tests.api.conftest import Service, remove_all, start_service
from tests.api.test_service_lifecycle import check_clean
from tests.integration.containers.test_network import _marks, host_network_state
from tests.tools import require_runc, require_tool

pytestmark = pytest.mark.timeout(300)

COMPOSE = """\
version: "3.7"
services:
  web:
    image: base:1
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html &&
              httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1:{port}:80"]
    networks: [back]
    restart: unless-stopped
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://localhost/"]
      interval: 1s
      timeout: 2s
      retries: 3
  client:
    build: ./client
    command: ["sh", "-c", "until wget -q -O- http://web/ > /data/got; do sleep 0.2; done;
              echo fetched; sleep 1000"]
    volumes: ["data:/data"]
    networks: [back]
    depends_on: [web]
networks:
  back: {{}}
volumes:
  data: {{}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Compose:
    def __init__(self, service: Service, project: Path) -> None:
        self.exe = require_tool("docker-compose", package="docker-compose")
        self.service, self.project = service, project

    def __call__(self, *args: str) -> str:
        proc = subprocess.run([self.exe, "-p", "tp", *args], cwd=self.project,
                              env=self.service.env, capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, f"docker-compose {' '.join(args)}: {proc.stderr}"
        return proc.stdout


def _health(service: Service, name: str) -> str:
    doc = json.loads(service.docker("inspect", name).stdout)[0]
    return str((doc["State"].get("Health") or {}).get("Status"))


def _project(folder: Path, port: int) -> Path:
    project = folder / "proj"
    (project / "client").mkdir(parents=True)
    (project / "docker-compose.yml").write_text(COMPOSE.format(port=port))
    (project / "client" / "Dockerfile").write_text("FROM base:1\nRUN echo built > /built\n")
    return project


def test_compose_project_up_and_down(no_leaked_mounts: Path, busybox_tar: Path) -> None:
    require_runc()
    for tool in ("iptables-save", "ip", "docker-compose"):
        require_tool(tool)
    require_tool("netavark", package="netavark", also=("/usr/lib/podman/netavark",))
    octet = random.randrange(100, 250)
    root = no_leaked_mounts / "root"
    root.mkdir()
    (root / "scow.toml").write_text(
        f'default-address-pools = [{{base = "10.{octet}.0.0/16", size = 24}}]\n')
    before = host_network_state({f"10.{octet}."})
    svc = start_service(no_leaked_mounts, busybox_tar)
    port = _free_port()
    compose = Compose(svc, _project(no_leaked_mounts, port))
    marks = {f"10.{octet}."}
    try:
        compose("up", "-d", "--build")
        marks = _marks_of(svc, octet)
        deadline = time.monotonic() + 30
        while _health(svc, "tp_web_1") != "healthy":
            assert time.monotonic() < deadline, _health(svc, "tp_web_1")
            time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert r.read() == b"hello-from-web\n"
        rows = [ln.split()[0] for ln in compose("ps").splitlines()[2:]  # compose wraps long
                if ln.startswith("tp_")]  # cells onto lines of their own
        assert sorted(rows) == ["tp_client_1", "tp_web_1"]
        deadline = time.monotonic() + 30
        while "fetched" not in compose("logs", "client"):
            assert time.monotonic() < deadline
            time.sleep(0.3)
        assert compose("exec", "-T", "client", "cat", "/data/got", "/built") == \
            "hello-from-web\nbuilt\n"
        policy = json.loads(svc.docker("inspect", "tp_web_1").stdout)[0]["HostConfig"]
        assert policy["RestartPolicy"]["Name"] == "unless-stopped"
        compose("down", "-v")
        assert svc.docker("ps", "-aq").stdout == ""
        assert svc.docker("volume", "ls", "-q").stdout == ""
        assert svc.docker("network", "ls", "--format", "{{.Name}}").stdout.split() == \
            ["bridge", "host", "none"]
        check_clean(svc)
    finally:
        remove_all(svc)
        svc.stop()
    netns = root / "network" / "netns"
    assert not netns.exists() or not os.listdir(netns)
    assert host_network_state(marks) == before


def _marks_of(svc: Service, octet: int) -> set[str]:
    class _Out:  # what _marks needs of a Scow: out(...)
        def out(self, *args: str) -> str:
            return svc.scow(*args).stdout

    return _marks(_Out(), f"10.{octet}.")  # type: ignore[arg-type]
