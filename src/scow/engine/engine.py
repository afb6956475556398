"""owns: `scow.Engine`, the public library API and the composition root: one store on one
root, and one service per noun, each built here with the collaborators it names (the store,
the settings, the other services it uses, the runtime factory); no service imports `Engine`.

    from scow import Engine
    with Engine(root="/tmp/scow", storage_driver="vfs") as engine:
        image_id = engine.images.import_image(open("rootfs.tar", "rb"), reference="base:1")
        print(engine.images.history("base:1"))

Services are made on first use (`scow ps` pays only for the containers service), each once
even when threads race for it. Thread-safety: one Engine may be used from many threads at
once, and several Engines may share one root (in one process or many): every write goes
through the store (SQLite `BEGIN IMMEDIATE` on a connection per thread, flocks for driver
work), and services hold no mutable state of their own beyond these caches.
"""

from __future__ import annotations

import _thread  # threading's own primitives: threading costs ~1 ms of a cold start
import os
from collections.abc import Callable, Iterator
from types import TracebackType

from scow.engine.settings import Settings
from scow.store.store import Store

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, TypeVar
else:
    from scow.typeshim import TypeVar

if TYPE_CHECKING:
    from scow.engine.builds import BuildService
    from scow.engine.containers import ContainerService
    from scow.engine.distribution import DistributionService
    from scow.engine.images import ImageService
    from scow.engine.networks import NetworkService
    from scow.engine.system import SystemService
    from scow.engine.volumes import VolumeService
    from scow.runtime.runc import Runc

T = TypeVar("T")


class Engine:
    """scow's engine on one root: `images`, `containers`, `volumes`, `builds` (also
    `build`), `distribution` and `system`, the services the CLI and the API are thin over."""

    def __init__(self, root: str | None = None, storage_driver: str | None = None,
                 runtime: str | None = None, *, share_db: Engine | None = None) -> None:
        """`share_db`: an Engine on the same root whose metadata database (its open, warm
        connections) this one uses and does not close (the Engine API's operations)."""
        self.settings = Settings.resolve(root, storage_driver, runtime)
        db = None
        if share_db is not None and share_db.root == os.path.abspath(self.settings.root):
            other: Store = share_db.store
            db = other.db
        self.store: Store = Store(self.settings.root,
                                  driver_name=self.settings.storage_driver, db=db)
        self._lock = _thread.RLock()
        self._services: dict[str, Any] = {}
        self._runc: Runc | None = None
        self.store.container_reaper = lambda record: self.containers.reap(record)
        self.store.mount_releaser = lambda record: self.containers.release_stopped_mount(record)
        self.store.step_reaper = lambda step_id: self.runtime().delete(step_id, force=True)

    @property
    def root(self) -> str:
        """The store's root folder (`--root`, `SCOW_ROOT`, or the default)."""
        return self.store.root

    def runtime(self) -> Runc:
        """The OCI runtime (runc, or the one named in the settings), made on first use."""
        with self._lock:
            if self._runc is None:
                from scow.runtime.runc import Runc  # start-up laziness: ps never runs runc

                root = os.path.join(self.store.root, "runtime", "runc")
                os.makedirs(os.path.dirname(root), mode=0o700, exist_ok=True)
                os.makedirs(root, mode=0o700, exist_ok=True)
                # an exec's process.json (its Env) is a staging entry under an owner token
                # of the call: a kill -9 mid-exec leaves it to the next writer's recovery
                self._runc = Runc(self.settings.runtime, root, staging=self.store.owned_tmp_path)
            return self._runc

    def _service(self, name: str, make: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._services:
                self._services[name] = make()
            service: T = self._services[name]
            return service

    @property
    def images(self) -> ImageService:
        """The image service: import, list, history, inspect, tag, remove, prune, and docker-
        py's images.get/list/pull/push/build/load/save; `layers` reads layers in place.
        Made (and its modules loaded) on first use: `rm` never does."""
        from scow.engine.images import ImageService

        return self._service("images", lambda: ImageService(
            self.store, lambda image_id: self.containers.using_image(image_id),
            distribution=lambda: self.distribution, builds=lambda: self.builds))

    @property
    def containers(self) -> ContainerService:
        """The container service: create, list, inspect, diff, remove containers."""
        from scow.engine.containers import ContainerService

        return self._service("containers", lambda: ContainerService(
            self.store, lambda: self.images, lambda: self.volumes, self.settings, self.runtime,
            networks=lambda: self.networks))

    @property
    def volumes(self) -> VolumeService:
        """The volume service: create, list, inspect and remove named volumes."""
        from scow.engine.volumes import VolumeService

        return self._service("volumes", lambda: VolumeService(self.store))

    @property
    def networks(self) -> NetworkService:
        """The network service: docker's network commands and the default bridge."""
        from scow.engine.networks import NetworkService

        return self._service("networks", lambda: NetworkService(
            self.store, lambda: self.containers))

    @property
    def distribution(self) -> DistributionService:
        """Moving images: pull, push, login, save and load."""
        from scow.engine.distribution import DistributionService

        return self._service("distribution", lambda: DistributionService(
            self.store, self.settings, self.images))

    @property
    def builds(self) -> BuildService:
        """The build service: build a Dockerfile into an image (`engine.images.build` streams it
        docker-py's way); also `engine.build`."""
        from scow.engine.builds import BuildService

        return self._service("builds", lambda: BuildService(
            self.store, self.images, lambda: self.distribution, self.runtime))

    build = builds  # the name the CLI used first

    @property
    def system(self) -> SystemService:
        """The system service: info and disk usage of the store."""
        from scow.engine.system import SystemService

        return self._service("system", lambda: SystemService(
            self.store, self.settings, self.images, self.containers, self.volumes))

    def events(self, since: Any = None, until: Any = None, filters: dict[str, Any] | None = None,
               follow: bool = False, stop: Callable[[], bool] | None = None
               ) -> Iterator[dict[str, Any]]:
        """docker's events of this root, oldest first, as docker-py's `client.events(
        decode=True)` yields them: `since`/`until` as docker's (RFC 3339, unix seconds, a
        duration back from now like "10m", or a datetime), `filters` docker's (type, event,
        container, image, volume, network, label, scope). Past events only, unless `follow`:
        then it blocks for new ones (written by any process on the root) until `until` passes
        or `stop()` is true."""
        from scow.engine.events import read_events

        return read_events(self.store, since=since, until=until, filters=filters,
                           follow=follow, stop=stop)

    def names_container(self, name: str) -> bool:
        """Whether `name` (a name, an ID or an ID prefix) is a container's, asked of the store
        alone: `inspect NAME` tries containers first, as docker, without building the container
        service for an image's name (start-up)."""
        return self.store.containers.find(name) is not None

    def close(self) -> None:
        """Close the store (the engine is unusable afterwards); `with Engine() as e:` does it."""
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
