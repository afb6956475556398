"""runtime/cgroups.py on recorded cgroup v1 and v2 folders (tests/fixtures/cgroups): the same
`Sample` from both versions, docker's memory (usage minus inactive file cache) and limit
(the host's memory when the cgroup has none lower), block I/O, PIDs, net I/O without lo."""

from __future__ import annotations

from pathlib import Path

import pytest

from scow.engine.containers.stats import cpu_percent
from scow.runtime import cgroups

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "cgroups"
MiB = 1 << 20
HOST = 8 << 30


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_same_sample_from_v1_and_v2(version: str) -> None:
    mount = FIX / (version if version == "v1" else "v2/sys")
    dirs = cgroups.cgroup_dirs(42, str(mount), str(FIX / f"{version}proc"))
    if version == "v1":
        assert dirs["memory"] == str(mount / "memory" / "scow" / "c1")
        assert set(dirs) == {"memory", "cpuacct", "blkio", "pids"}
    else:
        assert dirs == {"": str(mount / "scow" / "c1")}
    sample = cgroups.read_sample(dirs, HOST)
    limit = 256 * MiB if version == "v1" else HOST  # v2's memory.max says "max"
    assert sample == cgroups.Sample(cpu_ns=2_500_000_000, memory=80 * MiB, memory_limit=limit,
                                    block_read=12288, block_write=MiB, pids=7)


def test_limit_above_host_memory_shows_host_memory() -> None:
    dirs = cgroups.cgroup_dirs(42, str(FIX / "v1"), str(FIX / "v1proc"))
    assert cgroups.read_sample(dirs, 128 * MiB).memory_limit == 128 * MiB


def test_missing_controllers_read_as_zero(tmp_path: Path) -> None:
    sample = cgroups.read_sample({"memory": str(tmp_path / "gone")}, HOST)
    assert sample == cgroups.Sample(0, 0, HOST, 0, 0, 0)


def test_net_io_leaves_out_lo() -> None:
    assert cgroups.net_io(42, str(FIX / "proc")) == (2516 + 1000, 796 + 204)


def test_host_counters_of_this_machine() -> None:
    assert cgroups.host_cpu_ns() > 0 and cgroups.host_memory() > 0


def test_cpu_percent_is_docker_formula() -> None:
    before = cgroups.Sample(1_000_000_000, 0, 1, 0, 0, 0)
    after = before._replace(cpu_ns=1_500_000_000)
    import os

    cpus = os.cpu_count() or 1
    # half a second of CPU over 2 s of host CPU time (all CPUs together)
    got = cpu_percent(after, 4_000_000_000, ("c", before, 2_000_000_000))
    assert got == pytest.approx(0.5 / 2.0 * cpus * 100)
    assert cpu_percent(after, 4_000_000_000, None) == 0.0
