"""owns: `scow.Engine`, the public library API: one store on one root, and the services that
work on it (images now; containers, build, distribution and system as they arrive).

    from scow import Engine
    with Engine(root="/tmp/scow", storage_driver="vfs") as engine:
        image_id = engine.images.import_image(open("rootfs.tar", "rb"), reference="base:1")
        print(engine.images.history("base:1"))
"""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING

from scow.engine.images import ImageService
from scow.engine.settings import Settings
from scow.store.store import Store

if TYPE_CHECKING:
    from scow.engine.build import BuildService
    from scow.engine.containers import ContainerService
    from scow.engine.distribution import DistributionService
    from scow.engine.system import SystemService
    from scow.engine.volumes import VolumeService
    from scow.store.containers import ContainerRecord


class Engine:
    def __init__(self, root: str | None = None, storage_driver: str | None = None,
                 runtime: str | None = None) -> None:
        self.settings = Settings.resolve(root, storage_driver, runtime)
        self.store = Store(self.settings.root, driver_name=self.settings.storage_driver)
        self.store.container_reaper = lambda record: self.containers.reap(record)
        self.store.mount_releaser = lambda record: release_stopped_mount(self, record)
        self.store.step_reaper = lambda step_id: self.containers.runc.delete(step_id, force=True)

    @property
    def root(self) -> str:
        """The store's root folder (`--root`, `SCOW_ROOT`, or the default)."""
        return self.store.root

    @cached_property
    def images(self) -> ImageService:
        """The image service: import, list, history, inspect, tag, remove, prune."""
        return ImageService(self.store, lambda image_id: self.containers.using_image(image_id))

    @cached_property
    def containers(self) -> ContainerService:
        """The container service: create, list, inspect, diff, remove containers."""
        from scow.engine.containers import ContainerService

        return ContainerService(self)

    @cached_property
    def volumes(self) -> VolumeService:
        """The volume service: create, list, inspect and remove named volumes."""
        from scow.engine.volumes import VolumeService

        return VolumeService(self.store)

    @cached_property
    def distribution(self) -> DistributionService:
        """Moving images: pull, push, login, save and load."""
        from scow.engine.distribution import DistributionService

        return DistributionService(self.store, self.settings)

    @cached_property
    def build(self) -> BuildService:
        """The build service: build a Dockerfile into an image."""
        from scow.engine.build import BuildService

        return BuildService(self)

    @cached_property
    def system(self) -> SystemService:
        """The system service: info and disk usage of the store."""
        from scow.engine.system import SystemService

        return SystemService(self)

    def close(self) -> None:
        """Close the store (the engine is unusable afterwards); `with Engine() as e:` does it."""
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def release_stopped_mount(engine: Engine, record: ContainerRecord) -> None:
    """Store recovery: unmount the rootfs of a container that is neither running nor paused
    (its start was killed between mounting and running it)."""
    from scow.engine.system_check import release_stopped_mount as release

    release(engine, record)
