"""owns: the store facade: opens the metadata database, the blob store, the driver and the
layer, image and reference stores on one root, and owns the order in which they are touched.

On-disk layout::

    <root>/scow.db                 SQLite (WAL): layers, leases, images, refs, rw_layers
    <root>/blobs/sha256/<hex>      image configs and manifests
    <root>/layerdb/                tar-split data of layers
    <root>/<driver>/               the storage driver's folders (overlay2, vfs)
    <root>/containers/<id>/        per-container folders
    <root>/locks/owner-<pid>-<r>   live processes' owner tokens (flocked while alive)
    <root>/tmp/                    staging; stale entries removed by the next writer
    <root>/cachemounts/            RUN --mount=type=cache folders (store/cache_mounts.py)
    <root>/buildcache/             parsed Dockerfiles (store/parsed_dockerfiles.py)

The modes of all of it (root 0710, scow.db 0600, ...) are store/modes.py's table.

Lock order for work that spans stores: layers before images before refs, each in its own short
SQLite write transaction; a multi-store change writes the dependent row last (an image after its
layers, a reference after its image), so a crash between steps leaves nothing visible that is
half made, only unreferenced pieces that `recover` (store/recovery.py) and `system check`
remove.
"""

from __future__ import annotations

import _thread  # threading's own primitives: threading costs ~1 ms of a cold start
import contextlib
import os
from collections.abc import Callable, Iterator
from functools import cached_property

from scow.drivers.base import Driver
from scow.osutil.locks import OwnerToken
from scow.store.containers import ContainerRecord, ContainerStore
from scow.store.db import Database
from scow.store.layers import LayerStore

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)

if TYPE_CHECKING:
    import tempfile

    from scow.blobs.store import BlobStore
    from scow.events.log import EventLog
    from scow.store.build_cache import BuildCacheStore
    from scow.store.cache_mounts import CacheMountStore
    from scow.store.images import ImageStore
    from scow.store.networks import NetworkStore
    from scow.store.parsed_dockerfiles import ParsedDockerfiles
    from scow.store.refs import ReferenceStore
    from scow.store.volumes import VolumeStore


_WIDER_THAN_ROOT_MODE = 0o7777 & ~0o710  # bits outside store/modes.py's ROOT_MODE: one stat,
# and modes.py (its table) loads only for a root that needs tightening


class Store:
    def __init__(self, root: str, *, driver_name: str | None = None,
                 db: Database | None = None) -> None:
        """`db`: an open Database of this root to share (the Engine API's operations share
        the service's: its connections are warm); this Store then does not close it."""
        self.root = os.path.abspath(root)
        os.makedirs(self.root, mode=0o710, exist_ok=True)  # see store/modes.py
        self.driver_name = driver_name
        self._own_db = db is None
        self.db = db if db is not None else Database(os.path.join(self.root, "scow.db"))
        if self.db.upgraded_from:  # a root of an older scow: its first write is this upgrade
            from scow.store import modes

            modes.tighten(self.root)
        self.owner = OwnerToken(os.path.join(self.root, "locks"))
        self.containers = ContainerStore(self.db, self.owner)
        self._recovered = False
        self._containers_dir_made = False
        self._recover_lock = _thread.allocate_lock()  # threads of one Engine: recovery runs once
        # set by the engine: stops a container whose create or rm was interrupted
        self.container_reaper: Callable[[ContainerRecord], None] | None = None
        # set by the engine: releases the rootfs mount of a container that is not running
        self.mount_releaser: Callable[[ContainerRecord], None] | None = None
        # set by the engine: deletes the runc container of a build step (by its step ID)
        # whose scow died, before its held writable layer is removed
        self.step_reaper: Callable[[str], None] | None = None

    # the blob, image and reference stores are made (their modules loaded) on first use:
    # `exec`, `stop`, `start`, `rm` and a container's `inspect` never use them
    @cached_property
    def blobs(self) -> BlobStore:
        from scow.blobs.store import BlobStore

        return BlobStore(self.root)

    @cached_property
    def images(self) -> ImageStore:
        from scow.store.images import ImageStore

        return ImageStore(self.db, self.blobs)

    @cached_property
    def refs(self) -> ReferenceStore:
        from scow.store.refs import ReferenceStore

        return ReferenceStore(self.db)

    @cached_property
    def events(self) -> EventLog:
        """The root's event log (<root>/events/, scow/events/log.py): every change is
        appended there by the engine and by container monitors."""
        from scow.events.log import EventLog  # start-up laziness: `ps` writes no event

        return EventLog(self.root)

    @cached_property
    def driver(self) -> Driver:
        from scow.drivers.select import open_driver

        return open_driver(self.root, self.driver_name)

    @cached_property
    def layers(self) -> LayerStore:
        return LayerStore(self.root, self.db, lambda: self.driver, self.owner)

    @cached_property
    def volumes(self) -> VolumeStore:
        from scow.store.volumes import VolumeStore

        return VolumeStore(self.db)

    @cached_property
    def networks(self) -> NetworkStore:
        from scow.store.networks import NetworkStore

        return NetworkStore(self.db, self.owner)

    @cached_property
    def build_cache(self) -> BuildCacheStore:
        from scow.store.build_cache import BuildCacheStore

        return BuildCacheStore(self.db)

    @cached_property
    def cache_mounts(self) -> CacheMountStore:
        """RUN --mount=type=cache folders (store/cache_mounts.py)."""
        from scow.store.cache_mounts import CacheMountStore

        return CacheMountStore(self.root)

    @cached_property
    def parsed_dockerfiles(self) -> ParsedDockerfiles:
        """Parsed Dockerfiles kept between builds (store/parsed_dockerfiles.py)."""
        from scow.store.parsed_dockerfiles import ParsedDockerfiles

        return ParsedDockerfiles(self.root)

    @property
    def tmp(self) -> str:
        path = os.path.join(self.root, "tmp")
        os.makedirs(path, mode=0o700, exist_ok=True)
        return path

    def containers_dir(self) -> str:
        """`<root>/containers`, made on the first call (once per process: `ps` asks once per
        container, and each makedirs is two stats)."""
        path = os.path.join(self.root, "containers")
        if not self._containers_dir_made:
            os.makedirs(path, mode=0o710, exist_ok=True)
            self._containers_dir_made = True
        return path

    def recover(self, *, full: bool = False) -> list[str]:
        """Once per process, before its first write: roll back what dead processes left
        (store/recovery.py; `full`: every step, even when no dead owner's work is found)."""
        with self._recover_lock:
            if self._recovered and not full:
                return []
            self._recovered = True
            if os.stat(self.root).st_mode & _WIDER_THAN_ROOT_MODE:
                from scow.store import modes  # a root made by an older scow: 0711, 0644 scow.db

                modes.tighten(self.root)
            from scow.store import recovery  # commands that write no store never load it

            return recovery.recover(self, full=full)

    def tmp_path(self, suffix: str) -> str:
        """A staging path in <root>/tmp owned by this process (removed if it dies)."""
        return os.path.join(self.tmp, f"{self.owner.name}.{suffix}")

    @contextlib.contextmanager
    def owned_tmp_path(self, suffix: str) -> Iterator[str]:
        """A staging path in <root>/tmp named after an owner token of its own, held for the
        block: if this process dies inside it, the next writer's recovery removes the path
        (and the paths it prefixes, such as `<path>.json`). Not this process's token: a
        long-lived process (the API service) holds none between its operations, and one
        taken here would stay for its life. The caller removes the files; the token goes
        when the block ends."""
        token = OwnerToken(self.owner.folder)
        try:
            yield os.path.join(self.tmp, f"{token.name}.{suffix}")
        finally:
            token.release()

    def temp_folder(self, prefix: str) -> tempfile.TemporaryDirectory[str]:
        """A temporary folder in <root>/tmp named after this process's owner token, so that
        another process's recovery leaves it alone while this one lives (and takes it if
        this one dies); removed when the `with` ends."""
        import tempfile  # not on the short commands' path

        return tempfile.TemporaryDirectory(dir=self.tmp, prefix=f"{self.owner.name}.{prefix}")

    def close(self) -> None:
        self.owner.release()
        if self._own_db:
            self.db.close()

