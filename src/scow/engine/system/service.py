"""owns: the system service: `info` facts, `system df` usage figures, `system prune` (stopped
containers, then unused volumes when asked, then dangling images — all unused ones with
`all` — in the order docker's daemon prunes them, so the images the removed containers used
become unused in the same run, then the build cache: the records no image shares, all with
`all`, as docker's) and `system check` (check.py)."""

from __future__ import annotations

import os

from scow import __version__
from scow.ids import chain_ids
from scow.store.cache_mounts import CacheMount
from scow.store.layers import Layer

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass, field

    from scow.engine.builds.gc import CacheUsage
    from scow.engine.containers import ContainerService
    from scow.engine.images import ImageService
    from scow.engine.settings import Settings
    from scow.engine.system.check import Report
    from scow.engine.volumes import VolumeService
    from scow.store.store import Store
else:
    from scow.typeshim import dataclass, field


@dataclass(frozen=True, slots=True)
class ImageUsage:
    id: str
    repo_tags: list[str]
    created: float
    size: int
    shared_size: int
    containers: int


@dataclass(frozen=True, slots=True)
class ContainerUsage:
    id: str
    name: str
    image: str
    size_rw: int
    running: bool
    status: str
    created: float


@dataclass(frozen=True, slots=True)
class VolumeUsage:
    name: str
    size: int
    links: int


@dataclass(frozen=True, slots=True)
class DiskUsage:
    layers_size: int
    images: list[ImageUsage]
    containers: list[ContainerUsage]
    volumes: list[VolumeUsage]
    logs_size: int
    build_cache: list[CacheMount] = field(default_factory=list)  # RUN --mount=type=cache


@dataclass
class PruneResult:
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)  # scow network
    images: list[dict[str, str]] = field(default_factory=list)  # {"Untagged"|"Deleted": ...}
    build_cache: list[str] = field(default_factory=list)  # record keys (engine/builds/gc.py)
    reclaimed: int = 0


class SystemService:
    """info, df, prune and check over the whole root; built by `Engine` with the store, the
    settings and the image, container and volume services."""

    def __init__(self, store: Store, settings: Settings, images: ImageService,
                 containers: ContainerService, volumes: VolumeService) -> None:
        self.store = store
        self.settings = settings
        self.images = images
        self.containers = containers
        self.volumes = volumes

    def prune(self, *, all: bool = False, volumes: bool = False) -> PruneResult:
        """docker system prune (see the module doc for the order)."""
        self.store.recover()
        result = PruneResult()
        result.containers, reclaimed = self.containers.prune()
        result.reclaimed += reclaimed
        result.networks = self.containers.networks.prune()  # docker: unused user networks
        if volumes:
            result.volumes, reclaimed = self.volumes.prune()
            result.reclaimed += reclaimed
        result.images, reclaimed = self.images.prune(all=all)
        result.reclaimed += reclaimed
        self._prune_build_cache(result, all=all)
        return result

    def _prune_build_cache(self, result: PruneResult, *, all: bool) -> None:
        from scow.engine.builds.gc import prune, prune_mounts

        report, mounts = prune(self.store, all=all), prune_mounts(self.store)
        result.build_cache = report.ids + mounts.ids
        result.reclaimed += report.reclaimed + mounts.reclaimed

    def check(self, *, repair: bool = False, quick: bool = False) -> Report:
        """scow system check [--repair] [--quick] (check.py has the exit rule)."""
        from scow.engine.system.check import check

        return check(self.store, self.containers, repair=repair, quick=quick)

    def info(self) -> list[tuple[str, str, int]]:
        """(key, value, indent) lines of the Server section of `scow info`."""
        driver = self.store.driver
        images = self.images.list_images(all=True)
        states = [s.state for s in self.containers.list_containers(all=True)]
        running, paused = states.count("running"), states.count("paused")
        lines: list[tuple[str, str, int]] = [
            ("Containers", str(len(states)), 1), ("Running", str(running), 2),
            ("Paused", str(paused), 2), ("Stopped", str(len(states) - running - paused), 2),
            ("Images", str(len(images)), 1),
            ("Server Version", f"scow {__version__}", 1),
            ("Storage Driver", driver.name, 1),
        ]
        lines += [(k, v, 2) for k, v in driver.status()]
        uname = os.uname()
        lines += [
            ("Logging Driver", "json-file", 1),
            ("Runtimes", self.settings.runtime, 1),
            ("Default Runtime", self.settings.runtime, 1),
            ("Kernel Version", uname.release, 1),
            ("Operating System", _os_name(), 1),
            ("OSType", "linux", 1),
            ("Architecture", os.uname().machine, 1),  # platform.machine(), without platform
            ("CPUs", str(os.cpu_count() or 1), 1),
            ("Total Memory", _memory(), 1),
            ("Docker Root Dir", self.store.root, 1),
        ]
        return lines

    def build_cache_usage(self) -> list[CacheUsage]:
        """The build cache's records for `system df` (engine/builds/gc.py), without the build
        service and its imports."""
        from scow.engine.builds.gc import usage

        return usage(self.store)

    def disk_usage(self) -> DiskUsage:
        """Image figures of `system df` (moby's ImageDiskUsage): shared layers counted once."""
        layers: dict[str, Layer] = {layer.chain_id: layer for layer in self.store.layers.all()}
        summaries = self.images.list_images(all=False)
        prefix_count: dict[str, int] = {}
        per_image: dict[str, list[str]] = {}
        for s in summaries:
            config = self.store.images.config(s.id)
            chains = [str(c) for c in chain_ids(config.diff_ids)]
            per_image[s.id] = chains
            for c in chains:
                prefix_count[c] = prefix_count.get(c, 0) + 1
        used: set[str] = set()
        images = []
        for s in summaries:
            chains = per_image[s.id]
            used.update(chains)
            shared = sum(layers[c].size for c in chains if prefix_count[c] > 1 and c in layers)
            using = self.images.containers_using(s.id)
            images.append(ImageUsage(s.id, s.repo_tags, s.created, s.size, shared, len(using)))
        total = sum(layers[c].size for c in used if c in layers)
        containers, logs = self._containers()
        return DiskUsage(total, images, containers, self._volumes(), logs,
                         self.store.cache_mounts.list())

    def _containers(self) -> tuple[list[ContainerUsage], int]:
        out, logs = [], 0
        svc = self.containers
        for s in svc.list_containers(all=True, size=True):
            out.append(ContainerUsage(s.id, s.name, s.image, s.size_rw or 0,
                                      s.state in ("running", "paused"), s.status, s.created))
            folder = svc.folder(s.id)
            for name in os.listdir(folder) if os.path.isdir(folder) else []:
                if name.startswith("container.log"):
                    logs += os.path.getsize(os.path.join(folder, name))
        return out, logs

    def _volumes(self) -> list[VolumeUsage]:
        users = self.volumes.users()
        volumes = self.volumes
        return [VolumeUsage(v.name, volumes.size(v.name), len(users.get(v.name, ())))
                for v in volumes.all()]


def _os_name() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "Linux"


def _memory() -> str:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return "unknown"
    return f"{pages / (1 << 30):.4g}GiB"
