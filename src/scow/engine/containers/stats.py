"""owns: `stats` of the container service (a mixin on base.py's collaborators): the resource
usage of containers as docker's stats shows it, from their cgroups (runtime/cgroups.py) read
twice an interval apart: CPU % is the container's CPU time over the host's in that interval,
times the online CPUs (docker's calculateCPUPercentUnix)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from scow.engine.containers.base import ContainerBase

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from scow.typeshim import NamedTuple

if TYPE_CHECKING:  # the module is loaded by `stats` only: `ps` must not pay for it
    from scow.runtime import cgroups


class ContainerStats(NamedTuple):
    """One container's usage; zeros for a container that is not running."""

    id: str
    name: str
    cpu_percent: float
    memory: int
    memory_limit: int
    memory_percent: float
    net_rx: int
    net_tx: int
    block_read: int
    block_write: int
    pids: int


class ContainerStatistics(ContainerBase):
    def stats(self, names: list[str] | None = None, *, all: bool = False,
              interval: float = 1.0) -> list[ContainerStats]:
        """docker stats --no-stream: the usage of `names` (running containers by default,
        every one with `all`), over `interval` seconds."""
        return next(self.stream_stats(names, all=all, interval=interval))

    def stream_stats(self, names: list[str] | None = None, *, all: bool = False,
                     interval: float = 1.0) -> Iterator[list[ContainerStats]]:
        """docker stats: a reading every `interval` seconds, each against the previous one;
        without names the containers are listed again each time (new ones appear)."""
        targets = [self.records.get(n).id for n in names] if names else None
        before = self._samples(targets, all)
        while True:
            time.sleep(interval)
            after = self._samples(targets, all)
            yield [_usage(rid, after[rid][0], after[rid], before.get(rid)) for rid in after]
            before = after

    def stats_reading(self, name: str) -> tuple[str, tuple[str, cgroups.Sample | None, int]]:
        """(container ID, (name, one reading of its cgroups or None when it is not running,
        the host's CPU ns then)): the raw reading the Engine API's stats document is made of
        (two readings an interval apart give CPU %: `cpu_percent`)."""
        container_id = self.records.get(name).id
        return container_id, self._samples([container_id], False)[container_id]

    def _samples(self, targets: list[str] | None, all: bool
                 ) -> dict[str, tuple[str, cgroups.Sample | None, int]]:
        """container ID → (name, its sample or None when not running, host CPU ns)."""
        from scow.runtime import cgroups

        host_cpu, memory = cgroups.host_cpu_ns(), cgroups.host_memory()
        records = [self.records.get(t) for t in targets] if targets is not None \
            else self.records.all()
        out: dict[str, tuple[str, cgroups.Sample | None, int]] = {}
        for record in records:
            state, _, _ = self.status_of(record)
            if targets is None and not all and state not in ("running", "paused"):
                continue
            st = self.state(record) if state in ("running", "paused") else None
            out[record.id] = (record.name, _sample(st.pid, memory) if st else None, host_cpu)
        return out


def _sample(pid: int, host_memory: int) -> cgroups.Sample | None:
    from scow.runtime import cgroups

    try:
        sample = cgroups.read_sample(cgroups.cgroup_dirs(pid), host_memory)
        rx, tx = cgroups.net_io(pid)
    except (FileNotFoundError, ProcessLookupError):
        return None  # it exited between the listing and the reading
    return sample._replace(net_rx=rx, net_tx=tx)


def _usage(container_id: str, name: str, now: tuple[str, cgroups.Sample | None, int],
           then: tuple[str, cgroups.Sample | None, int] | None) -> ContainerStats:
    _, sample, host_cpu = now
    if sample is None:
        return ContainerStats(container_id, name, 0.0, 0, 0, 0.0, 0, 0, 0, 0, 0)
    return ContainerStats(container_id, name, cpu_percent(sample, host_cpu, then),
                          sample.memory, sample.memory_limit,
                          sample.memory * 100.0 / sample.memory_limit
                          if sample.memory_limit else 0.0,
                          sample.net_rx, sample.net_tx, sample.block_read, sample.block_write,
                          sample.pids)


def cpu_percent(sample: cgroups.Sample, host_cpu: int,
                then: tuple[str, cgroups.Sample | None, int] | None) -> float:
    """docker's CPU %: container CPU delta / host CPU delta × online CPUs × 100."""
    if then is None or then[1] is None:
        return 0.0
    cpu_delta = sample.cpu_ns - then[1].cpu_ns
    host_delta = host_cpu - then[2]
    if cpu_delta <= 0 or host_delta <= 0:
        return 0.0
    return cpu_delta / host_delta * (os.cpu_count() or 1) * 100.0
