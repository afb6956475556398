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

The modes of all of it (root 0710, scow.db 0600, ...) are store/modes.py's table.

Lock order for work that spans stores: layers before images before refs, each in its own short
SQLite write transaction; a multi-store change writes the dependent row last (an image after its
layers, a reference after its image), so a crash between steps leaves nothing visible that is
half made, only unreferenced pieces that `recover` and `system check` remove.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable
from functools import cached_property

from scow.blobs.store import BlobStore
from scow.drivers.base import Driver
from scow.errors import ScowError
from scow.osutil.locks import OwnerToken
from scow.store import modes
from scow.store.containers import ContainerRecord, ContainerStore
from scow.store.db import Database
from scow.store.images import ImageStore
from scow.store.layers import LayerStore
from scow.store.refs import ReferenceStore


class Store:
    def __init__(self, root: str, *, driver_name: str | None = None) -> None:
        self.root = os.path.abspath(root)
        os.makedirs(self.root, mode=0o710, exist_ok=True)  # see store/modes.py
        self.driver_name = driver_name
        self.db = Database(os.path.join(self.root, "scow.db"))
        self.owner = OwnerToken(os.path.join(self.root, "locks"))
        self.blobs = BlobStore(self.root)
        self.images = ImageStore(self.db, self.blobs)
        self.refs = ReferenceStore(self.db)
        self.containers = ContainerStore(self.db, self.owner)
        self._recovered = False
        # set by the engine: stops a container whose create or rm was interrupted
        self.container_reaper: Callable[[ContainerRecord], None] | None = None
        # set by the engine: releases the rootfs mount of a container that is not running
        self.mount_releaser: Callable[[ContainerRecord], None] | None = None

    @cached_property
    def driver(self) -> Driver:
        from scow.drivers.select import open_driver

        return open_driver(self.root, self.driver_name)

    @cached_property
    def layers(self) -> LayerStore:
        return LayerStore(self.root, self.db, lambda: self.driver, self.owner)

    @property
    def tmp(self) -> str:
        path = os.path.join(self.root, "tmp")
        os.makedirs(path, mode=0o700, exist_ok=True)
        return path

    def containers_dir(self) -> str:
        path = os.path.join(self.root, "containers")
        os.makedirs(path, mode=0o710, exist_ok=True)
        return path

    def recover(self) -> list[str]:
        """Once per process, before its first write: roll back what dead processes left."""
        if self._recovered:
            return []
        self._recovered = True
        modes.tighten_if_old(self.root)  # a root made by an older scow: 0711, 0644 scow.db
        done = self._recover_containers()
        done += self.layers.recover()
        done += self._recover_unreferenced()
        self.owner.reap_dead()
        self._clean_tmp()
        return done

    def _recover_unreferenced(self) -> list[str]:
        """What an interrupted rmi, image create or start leaves between its steps: ready
        layers that nothing references; and, when no other scow runs, config blobs of no image
        and rootfs mounts of containers that are not running."""
        from scow.store.check import is_quiet, unused_ready_layers

        done = []
        for chain in unused_ready_layers(self):
            done += [f"layer {c[7:19]} (unreferenced)" for c in self.layers.release(chain)]
        since = time.time()  # blobs written from now on belong to processes that start later
        if not is_quiet(self):
            return done
        for record in self.containers.all():
            mounted = record.doc.get("Mounted") or (
                record.mount_id and self.driver.is_mounted(record.mount_id))
            if mounted and self.mount_releaser is not None:
                try:
                    self.mount_releaser(record)
                except ScowError as exc:
                    done.append(f"container {record.id[:12]}: could not unmount: {exc}")
        used = {r[0] for r in self.db.query("SELECT id FROM images")}
        for digest in list(self.blobs.walk()):
            if digest not in used and _mtime(self.blobs.path(digest)) < since:
                self.blobs.delete(digest)
                done.append(f"blob {digest[7:19]} (no image)")
        return done

    def _recover_containers(self) -> list[str]:
        """Containers whose create or rm was interrupted: drop their layers, folder and row;
        then container layers whose container row is gone."""
        done = []
        for record in self.containers.stale():
            try:
                if self.container_reaper is not None:
                    self.container_reaper(record)
                for row in self.db.query("SELECT mount_id FROM rw_layers WHERE "
                                         "owner_container = ?", (record.id,)):
                    self.layers.remove_rw(row[0], force=True)
            except ScowError as exc:
                done.append(f"container {record.id[:12]}: could not roll back: {exc}")
                continue
            shutil.rmtree(os.path.join(self.root, "containers", record.id), ignore_errors=True)
            self.containers.delete(record.id)
            done.append(f"container {record.id[:12]} ({record.state})")
        orphans = self.db.query("SELECT mount_id FROM rw_layers WHERE state = 'ready' AND "
                                "owner_container NOT IN (SELECT id FROM containers)")
        for row in orphans:
            try:
                self.layers.remove_rw(row[0], force=True)
                done.append(f"container layer {row[0][:12]} (no container)")
            except ScowError as exc:
                done.append(f"container layer {row[0][:12]}: could not remove: {exc}")
        return done

    def _clean_tmp(self) -> None:
        folder = os.path.join(self.root, "tmp")
        with contextlib.suppress(FileNotFoundError):
            for name in os.listdir(folder):
                owner = name.split(".", 1)[0]
                if owner.startswith("owner-") and self.owner.is_alive(owner):
                    continue
                path = os.path.join(folder, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)

    def tmp_path(self, suffix: str) -> str:
        """A staging path in <root>/tmp owned by this process (removed if it dies)."""
        return os.path.join(self.tmp, f"{self.owner.name}.{suffix}")

    def close(self) -> None:
        self.owner.release()
        self.db.close()


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return float("inf")
