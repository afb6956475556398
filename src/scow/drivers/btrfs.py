"""owns: the btrfs storage driver: a subvolume per layer, children and containers as writable
snapshots of their parent (moby's daemon/graphdriver/btrfs).

On disk (Docker's layout)::

    <root>/btrfs/subvolumes/<id>/    the layer's whole tree: a subvolume (a base layer) or a
                                     snapshot of its parent's subvolume (every other layer)

A snapshot is O(1) and shares every block with its parent until one is written, so a layer
costs only what it changes, as on overlay2, yet nothing is ever mounted: get() returns the
subvolume's path and put() does nothing. No quotas (Docker sets qgroups only for
``--storage-opt size``, which scow does not offer).

Diffs are naive (scow.drivers.naive), with one btrfs shortcut (btrfs_changes): a snapshot keeps
its parent's inode numbers and ctimes, so an entry whose (inode, ctime, mtime, size) match on
both sides is unchanged without reading its xattrs or link target.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, BinaryIO

from scow.drivers import naive
from scow.drivers.folders import FolderDriver
from scow.errors import Conflict, DriverUnsupported, from_oserror
from scow.osutil import btrfs, fs

if TYPE_CHECKING:
    from scow.archive.changes import Change


class BtrfsDriver(FolderDriver):
    name = "btrfs"

    def __init__(self, root: str) -> None:
        self.home = os.path.join(root, self.name)
        self.layers_dir = os.path.join(self.home, "subvolumes")
        try:
            os.makedirs(root, exist_ok=True)
            backing = fs.backing_filesystem(root)
            if backing != "btrfs":
                raise DriverUnsupported(f"btrfs needs a btrfs filesystem: {root} is on {backing}")
            os.makedirs(self.home, mode=0o710, exist_ok=True)
            os.makedirs(self.layers_dir, mode=0o710, exist_ok=True)
        except OSError as exc:
            raise from_oserror(f"create btrfs home {self.home}", exc) from exc

    # -- create / remove -----------------------------------------------------------------------
    def create(self, id: str, parent: str | None) -> None:
        path = self._dir(id)
        if os.path.lexists(path):
            raise Conflict(f"create layer {id[:12]}: already exists")
        source = self._existing(parent) if parent is not None else None
        try:
            if source is None:
                btrfs.create_subvolume(path)
                os.chmod(path, 0o755)
            else:
                btrfs.snapshot(source, path)
        except OSError as exc:
            raise from_oserror(f"create layer {id[:12]}", exc) from exc

    def remove(self, id: str) -> None:
        """Idempotent: destroys the subvolume and any nested in it (a container may have made
        some); a plain folder left by an interrupted create is removed as a tree."""
        path = self._dir(id)
        try:
            if btrfs.is_subvolume(path):
                btrfs.destroy_subvolume(path)
            with contextlib.suppress(FileNotFoundError):
                fs.remove_tree(path)
        except OSError as exc:
            raise from_oserror(f"remove layer {id[:12]}", exc) from exc

    # -- diffs ---------------------------------------------------------------------------------
    def diff(self, id: str, parent: str | None, out: BinaryIO) -> None:
        if parent is None:
            naive.diff(self, id, None, out)
            return
        from scow.archive.changes import export_changes

        new = self._existing(id)
        found = self.changes(id, parent)
        export_changes(new, found, out)
        naive.settle(new, found)  # moby sleeps after every naive diff

    def changes(self, id: str, parent: str | None) -> list[Change]:
        if parent is None:
            return naive.changes(self, id, None)
        from scow.drivers.btrfs_changes import snapshot_changes

        return snapshot_changes(self._existing(id), self._existing(parent))

    def diff_size(self, id: str, parent: str | None) -> int:
        from scow.archive.changes import changes_size

        return changes_size(self._existing(id), self.changes(id, parent))

    # -- reporting -----------------------------------------------------------------------------
    def status(self) -> list[tuple[str, str]]:
        return [("Backing Filesystem", fs.backing_filesystem(self.home))]
