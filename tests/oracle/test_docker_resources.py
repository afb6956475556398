"""scow's HostConfig of the resource and runtime flags against a real dockerd's: the same
`create` flags give the same fields (names, values, defaults)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker
FIELDS = ("IpcMode", "PidMode", "UTSMode", "ShmSize", "CpuShares", "Memory", "NanoCpus",
          "CgroupParent", "BlkioWeight", "CpuPeriod", "CpuQuota", "CpusetCpus", "CpusetMems",
          "Devices", "MemoryReservation", "MemorySwap", "MemorySwappiness", "OomKillDisable",
          "PidsLimit", "Ulimits", "Init", "Tmpfs", "Sysctls", "CpuCount", "OomScoreAdj",
          "DeviceCgroupRules", "BlkioWeightDevice")
FLAGS = [
    [],
    ["-m", "64m", "--memory-reservation", "32m", "--cpus", "0.5", "-c", "512",
     "--pids-limit", "20", "--oom-kill-disable"],
    ["-m", "64m", "--memory-swap", "-1", "--cpu-period", "50000", "--cpu-quota", "20000",
     "--cpuset-cpus", "0", "--cpuset-mems", "0", "--pids-limit", "-1"],
    ["--ulimit", "nofile=100:200", "--ulimit", "nproc=50", "--init", "--tmpfs",
     "/run:size=1m", "--tmpfs", "/x", "--sysctl", "net.ipv4.ip_forward=1", "--shm-size", "8m",
     "--device", "/dev/null:/dev/n:r", "--ipc", "shareable", "--uts", "host", "--pid", "host"],
]


def docker(env: dict[str, str], *args: str) -> str:
    return subprocess.run(["docker", *args], env=env, capture_output=True, text=True,
                          check=True).stdout


def scow(root: Path, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "scow", "--root", str(root), "-s", "vfs",
                           *args], env=dict(os.environ), capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def both(dockerd: dict[str, str], busybox_tar: Path,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    root = tmp_path_factory.mktemp("scow-oracle") / "root"
    docker(dockerd, "import", str(busybox_tar), "oracle/res:1")
    scow(root, "import", str(busybox_tar), "oracle/res:1")
    yield dockerd, root
    docker(dockerd, "rm", "-f", *docker(dockerd, "ps", "-aq").split())
    docker(dockerd, "rmi", "-f", "oracle/res:1")
    scow(root, "rm", "-f", *scow(root, "ps", "-aq").split())


@pytest.mark.parametrize("flags", FLAGS, ids=["defaults", "limits", "quota", "runtime"])
def test_host_config_as_docker(both: tuple[dict[str, str], Path], flags: list[str]) -> None:
    env, root = both
    fmt = "{{json .HostConfig}}"
    ours = json.loads(scow(root, "inspect", "-f", fmt,
                           scow(root, "create", *flags, "oracle/res:1", "true").strip()))
    theirs = json.loads(docker(env, "inspect", "-f", fmt,
                               docker(env, "create", *flags, "oracle/res:1", "true").strip()))
    assert {k: ours.get(k, "-") for k in FIELDS} == {k: theirs.get(k, "-") for k in FIELDS}
