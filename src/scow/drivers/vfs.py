"""owns: the vfs storage driver: every layer is a full copy of its parent, no mounts.

On disk (moby's layout)::

    <root>/vfs/dir/<id>/          the layer's whole tree (its parent's copy plus its changes)
    <root>/vfs/dir/.tmp-<id>/     a layer being created (renamed into place when complete)

Works on any filesystem; slow and large (S15), which is why Docker picks it last. Copies keep
every xattr, not only security.capability as Docker's vfs does. Diffs are naive
(scow.drivers.naive).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, BinaryIO

from scow.drivers import naive
from scow.drivers.base import DriverInfo, check_id
from scow.errors import Conflict, LayerNotFound, from_oserror
from scow.osutil import fs

if TYPE_CHECKING:
    from scow.archive.changes import Change
    from scow.archive.tarstream import TarEntry


class VfsDriver:
    name = "vfs"

    def __init__(self, root: str) -> None:
        self.home = os.path.join(root, self.name)
        self._dirs = os.path.join(self.home, "dir")
        try:
            os.makedirs(self._dirs, mode=0o710, exist_ok=True)
        except OSError as exc:
            raise from_oserror(f"create vfs home {self.home}", exc) from exc

    def _dir(self, id: str) -> str:
        return os.path.join(self._dirs, check_id(id))

    def _existing(self, id: str) -> str:
        path = self._dir(id)
        if not os.path.isdir(path):
            raise LayerNotFound(f"get layer {id[:12]}: no such layer in vfs")
        return path

    def create(self, id: str, parent: str | None) -> None:
        path = self._dir(id)
        if os.path.lexists(path):
            raise Conflict(f"create layer {id[:12]}: already exists")
        parent_dir = self._existing(parent) if parent is not None else None
        tmp = os.path.join(self._dirs, f".tmp-{id}")
        try:
            fs.remove_tree(tmp)
            if parent_dir is None:
                os.mkdir(tmp, 0o755)
            else:
                fs.copy_tree(parent_dir, tmp)
            os.rename(tmp, path)
        except OSError as exc:
            fs.remove_tree(tmp)
            raise from_oserror(f"create layer {id[:12]}", exc) from exc

    def create_rw(self, id: str, parent: str | None) -> None:
        self.create(id, parent)

    def remove(self, id: str) -> None:
        try:
            fs.remove_tree(self._dir(id))
        except OSError as exc:
            raise from_oserror(f"remove layer {id[:12]}", exc) from exc

    def exists(self, id: str) -> bool:
        return os.path.isdir(self._dir(id))

    def list_ids(self) -> list[str]:
        return sorted(n for n in os.listdir(self._dirs) if not n.startswith("."))

    def get(self, id: str) -> str:
        return self._existing(id)

    def put(self, id: str) -> None:
        pass

    def is_mounted(self, id: str) -> bool:
        return False

    def layer_path(self, id: str) -> str:
        return self._existing(id)

    def apply_diff(self, id: str, parent: str | None, entries: Iterable[TarEntry]) -> int:
        return naive.apply_diff(self, id, entries)

    def diff(self, id: str, parent: str | None, out: BinaryIO) -> None:
        naive.diff(self, id, parent, out)

    def changes(self, id: str, parent: str | None) -> list[Change]:
        return naive.changes(self, id, parent)

    def diff_size(self, id: str, parent: str | None) -> int:
        return naive.diff_size(self, id, parent)

    def metadata(self, id: str) -> dict[str, str]:
        self._existing(id)
        return {}  # docker inspect shows GraphDriver.Data null for vfs

    def info(self) -> DriverInfo:
        return DriverInfo(self.name, fs.backing_filesystem(self.home),
                          fs.supports_d_type(self.home), native_diff=False)

    def status(self) -> list[tuple[str, str]]:
        return []  # moby's vfs reports nothing

    def cleanup(self) -> None:
        pass
