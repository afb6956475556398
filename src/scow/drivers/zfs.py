"""owns: the zfs storage driver: a dataset per layer, children and containers as clones of a
snapshot of their parent (moby's daemon/graphdriver/zfs), driven through the `zfs` command.

On disk (moby's layout)::

    <root>/zfs/                the driver's home, on a ZFS dataset: the *parent dataset* P
                               (the root's, or one mounted at <root>/zfs itself: then the
                               store's SQLite files stay off ZFS, see docs/design/drivers.md)
    <root>/zfs/graph/<id>/     the mountpoint of the dataset P/<id> (the layer's whole tree)
    P/<parent id>@<id>         the snapshot P/<id> was cloned from, marked for deferred destroy

A base layer is ``zfs create P/<id>``; any other layer or container is ``zfs snapshot
P/<parent>@<id>`` then ``zfs clone`` of it (O(1): every block is shared until written), and
the snapshot is at once marked for deferred destroy (``zfs destroy -d``, moby's
DestroyDeferDeletion), so destroying the clone destroys it too and a removal leaves no orphan.

Mounting differs from moby on purpose: moby sets ``mountpoint=legacy`` and mounts with mount(2)
and type ``zfs``, which exists only with the kernel module. Here each dataset's ``mountpoint``
property is its graph folder, so ZFS mounts it itself (kernel module and zfs-fuse alike) and it
stays mounted while it exists, as a btrfs subvolume stays reachable: get() returns the folder
(mounting it with ``zfs mount`` only if it is not mounted, e.g. after a reboot) and put() does
nothing. Nothing here unmounts but ``zfs destroy``.

Diffs and sizes are naive (scow.drivers.naive), as moby's are; layer sizes are the sum of what
a layer adds, as on the other drivers (ZFS's ``used``/``referenced`` count whole blocks and show
only in ``scow info``). The diff of a clone against its origin skips an entry without reading
its xattrs or link target when it is the same inode with the same ctime, mtime and size, and its
ctime lies in a whole second before the clone was made (so nothing touched it since; zfs-fuse
keeps whole-second times, where the btrfs shortcut alone could be fooled).
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, BinaryIO

from scow.drivers import naive
from scow.drivers.base import DriverInfo
from scow.drivers.folders import FolderDriver
from scow.errors import Conflict, DriverUnsupported, LayerNotFound, ScowError, from_oserror
from scow.osutil import faults, fs, zfs

if TYPE_CHECKING:
    from scow.archive.changes import Change


class ZfsDriver(FolderDriver):
    name = "zfs"

    def __init__(self, root: str) -> None:
        reason = zfs.unavailable_reason()
        if reason:
            raise DriverUnsupported(f"zfs is not available on this host: {reason}")
        self.home = os.path.join(root, self.name)
        self.layers_dir = os.path.join(self.home, "graph")
        try:
            os.makedirs(root, exist_ok=True)
            # the root on a dataset (moby's rule), or the home a dataset's mountpoint of its own
            where = self.home if os.path.isdir(self.home) else root
            dataset = zfs.dataset_of(where)
            if dataset is None:
                raise DriverUnsupported(f"zfs is not available under {where}: it is on "
                                        f"{fs.backing_filesystem(where)}, not on a ZFS dataset")
            os.makedirs(self.home, mode=0o710, exist_ok=True)
            os.makedirs(self.layers_dir, mode=0o710, exist_ok=True)
        except OSError as exc:
            raise from_oserror(f"create zfs home {self.home}", exc) from exc
        self.dataset = dataset

    def _name(self, id: str) -> str:
        return f"{self.dataset}/{os.path.basename(self._dir(id))}"

    # -- create / remove -----------------------------------------------------------------------
    def create(self, id: str, parent: str | None) -> None:
        path, name = self._dir(id), self._name(id)
        if zfs.exists(name):
            raise Conflict(f"create layer {id[:12]}: already exists")
        mountpoint = f"mountpoint={path}"
        if parent is None:
            zfs.run("zfs", "create", "-o", mountpoint, name)
            return
        self._existing(parent)
        snapshot = f"{self._name(parent)}@{id}"
        if zfs.exists(snapshot):  # left by an interrupted create: no clone holds it
            zfs.destroy(snapshot)
        zfs.run("zfs", "snapshot", snapshot)
        faults.point("zfs.create.after_snapshot")
        try:
            zfs.run("zfs", "clone", "-o", mountpoint, snapshot, name)
        except ScowError:
            with contextlib.suppress(ScowError):
                zfs.destroy(snapshot)
            raise
        faults.point("zfs.create.after_clone")
        zfs.run("zfs", "destroy", "-d", snapshot)  # goes with the clone

    def remove(self, id: str) -> None:
        """Idempotent: destroys the dataset, then its origin snapshot (already gone when it was
        marked for deferred destroy) or, with no dataset, a snapshot an interrupted create
        left; a layer that still has clones (a child layer or container) is refused by ZFS."""
        path, name = self._dir(id), self._name(id)
        if zfs.exists(name):
            origin = zfs.get(name, "origin")[0]
            zfs.destroy(name, "-r")
            leftovers = [origin] if origin not in ("", "-") else []
        else:
            leftovers = [s for s in zfs.snapshots(self.dataset) if s.endswith(f"@{id}")]
        for snapshot in leftovers:
            if zfs.exists(snapshot):
                zfs.destroy(snapshot, "-d")
        try:
            with contextlib.suppress(FileNotFoundError):
                os.rmdir(path)
        except OSError as exc:
            raise from_oserror(f"remove layer {id[:12]}", exc) from exc

    def exists(self, id: str) -> bool:
        return os.path.ismount(self._dir(id)) or zfs.exists(self._name(id))

    def list_ids(self) -> list[str]:
        """Layers with a dataset here (its mountpoint in graph/), and ids that only an
        interrupted create's snapshot (`<parent>@<id>` with no clone) still holds, so that
        `system check` finds those and remove(id) clears them."""
        out = zfs.run("zfs", "list", "-H", "-o", "name,mountpoint", "-t", "filesystem",
                      "-d", "1", "-r", self.dataset)
        found = set()
        for line in out.splitlines():
            name, _, mountpoint = line.partition("\t")
            tail = name.rsplit("/", 1)[-1]
            if name != self.dataset and mountpoint == os.path.join(self.layers_dir, tail):
                found.add(tail)
        mine = {f"{self.dataset}/{id}" for id in found}
        for snapshot in zfs.snapshots(self.dataset):
            origin, _, id = snapshot.partition("@")
            if origin in mine and id not in found and not zfs.exists(f"{self.dataset}/{id}"):
                found.add(id)
        return sorted(found)

    # -- mounts --------------------------------------------------------------------------------
    def _existing(self, id: str) -> str:
        """The layer's mounted folder: mounted by ZFS (``zfs mount``) if it is not."""
        path, name = self._dir(id), self._name(id)
        if os.path.ismount(path):
            return path
        if not zfs.exists(name):
            raise LayerNotFound(f"get layer {id[:12]}: no such layer in {self.name}")
        zfs.run("zfs", "mount", name)
        return path

    # -- diffs ---------------------------------------------------------------------------------
    def diff(self, id: str, parent: str | None, out: BinaryIO) -> None:
        if parent is None:
            naive.diff(self, id, None, out)
            return
        from scow.archive.changes import export_changes

        new = self._existing(id)
        found = self.changes(id, parent)
        export_changes(new, found, out)
        naive.settle(new, found)

    def changes(self, id: str, parent: str | None) -> list[Change]:
        if parent is None:
            return naive.changes(self, id, None)
        from scow.archive.changes import changes_dirs

        new, old = self._existing(id), self._existing(parent)
        origin, created = zfs.get(self._name(id), "origin", "creation")
        if origin != f"{self._name(parent)}@{id}":
            return changes_dirs(new, old)
        before = int(created)

        def unchanged(n: os.stat_result, o: os.stat_result) -> bool:
            return (n.st_ino == o.st_ino and n.st_ctime_ns == o.st_ctime_ns
                    and n.st_mtime_ns == o.st_mtime_ns and n.st_size == o.st_size
                    and n.st_ctime_ns // 1_000_000_000 < before)

        return changes_dirs(new, old, unchanged=unchanged)

    def diff_size(self, id: str, parent: str | None) -> int:
        from scow.archive.changes import changes_size

        return changes_size(self._existing(id), self.changes(id, parent))

    # -- reporting -----------------------------------------------------------------------------
    def metadata(self, id: str) -> dict[str, str]:
        return {"Dataset": self._name(id), "Mountpoint": self._existing(id)}

    def info(self) -> DriverInfo:
        return DriverInfo(self.name, "zfs", True, native_diff=False)

    def status(self) -> list[tuple[str, str]]:
        """docker info's zfs lines (moby's zfs Status): sizes in bytes, quota 0 as "no"."""
        pool = self.dataset.split("/", 1)[0]
        health = zfs.run("zpool", "list", "-H", "-o", "health", pool).strip()
        used, avail, quota, compression = zfs.get(self.dataset, "used", "available", "quota",
                                                  "compression")
        return [("Zpool", pool), ("Zpool Health", health), ("Parent Dataset", self.dataset),
                ("Space Used By Parent", used), ("Space Available", avail),
                ("Parent Quota", "no" if quota in ("0", "none", "-") else quota),
                ("Compression", compression)]

