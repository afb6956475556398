"""top, stats, update and rename through the service on a running container, with docker-py
and the docker CLI (28.x first on PATH): the call shapes and answers dockerd gives
(issue 16's review: they were wired with the library's call shapes)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.api.containers.conftest import Service
from tests.api.containers.test_containers_docker_cli import docker

pytestmark = pytest.mark.timeout(180)

STATS_KEYS = ("read", "preread", "cpu_stats", "precpu_stats", "memory_stats", "pids_stats",
              "blkio_stats", "networks")


def test_docker_py_top_stats_update_rename(client: Any) -> None:
    c = client.containers.run("bb:1", ["sleep", "60"], network_mode="none", detach=True,
                              name="adm1")
    top = client.api.top(c.id, ps_args="-ef")
    assert top["Titles"][-1] == "CMD" and any("sleep" in p[-1] for p in top["Processes"])
    one = c.stats(stream=False)
    assert all(k in one for k in STATS_KEYS) and one["name"] == "/adm1"
    assert one["cpu_stats"]["cpu_usage"]["total_usage"] > 0
    assert one["precpu_stats"]["system_cpu_usage"] > 0  # two readings a second apart
    assert one["memory_stats"]["usage"] > 0 and one["pids_stats"]["current"] == 1
    shot = client.api.stats(c.id, stream=False, one_shot=True)
    assert shot["preread"] == "0001-01-01T00:00:00Z"
    stream = client.api.stats(c.id, decode=True)
    first, second = next(stream), next(stream)
    assert second["precpu_stats"] == first["cpu_stats"] and second["preread"] == first["read"]
    stream.close()
    assert c.update(mem_limit="64m", restart_policy={"Name": "on-failure",
                                                     "MaximumRetryCount": 2}) \
        == {"Warnings": []}
    host = client.api.inspect_container(c.id)["HostConfig"]
    assert host["Memory"] == 64 << 20 and host["RestartPolicy"]["Name"] == "on-failure"
    c.rename("adm2")
    assert client.api.inspect_container(c.id)["Name"] == "/adm2"
    c.remove(force=True)


def test_docker_cli_top_stats_update_rename(service: Service) -> None:
    res = docker(service, "run", "-d", "--network", "none", "--name", "adm3", "bb:1",
                 "sleep", "60")
    assert res.returncode == 0, res.stderr
    res = docker(service, "top", "adm3")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split(b"\n")[0].split()[0] == b"UID" and b"sleep 60" in res.stdout
    res = docker(service, "top", "adm3", "-o", "pid,comm")
    assert res.returncode == 0 and b"COMMAND" in res.stdout, res.stderr
    res = docker(service, "stats", "--no-stream", "--format", "{{json .}}", "adm3")
    assert res.returncode == 0, res.stderr
    row = json.loads(res.stdout)
    assert row["Name"] == "adm3" and row["PIDs"] == "1" and row["MemUsage"] != "0B / 0B"
    res = docker(service, "update", "--memory", "64m", "--memory-swap", "128m",
                 "--cpu-shares", "512", "adm3")
    assert (res.returncode, res.stdout) == (0, b"adm3\n"), res.stderr
    res = docker(service, "update", "--restart", "always", "adm3")
    assert res.returncode == 0, res.stderr
    res = docker(service, "inspect", "-f",
                 "{{.HostConfig.Memory}} {{.HostConfig.CpuShares}} "
                 "{{.HostConfig.RestartPolicy.Name}}", "adm3")
    assert res.stdout == f"{64 << 20} 512 always\n".encode(), res.stderr
    res = docker(service, "rename", "adm3", "adm4")
    assert res.returncode == 0, res.stderr
    assert docker(service, "ps", "--format", "{{.Names}}").stdout == b"adm4\n"
    assert docker(service, "rm", "-f", "adm4").returncode == 0
