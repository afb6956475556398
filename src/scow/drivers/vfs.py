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

from scow.drivers.folders import FolderDriver
from scow.errors import Conflict, from_oserror
from scow.osutil import fs


class VfsDriver(FolderDriver):
    name = "vfs"

    def __init__(self, root: str) -> None:
        self.home = os.path.join(root, self.name)
        self.layers_dir = os.path.join(self.home, "dir")
        try:
            os.makedirs(self.home, mode=0o710, exist_ok=True)
            os.makedirs(self.layers_dir, mode=0o710, exist_ok=True)
        except OSError as exc:
            raise from_oserror(f"create vfs home {self.home}", exc) from exc

    def create(self, id: str, parent: str | None) -> None:
        path = self._dir(id)
        if os.path.lexists(path):
            raise Conflict(f"create layer {id[:12]}: already exists")
        parent_dir = self._existing(parent) if parent is not None else None
        tmp = os.path.join(self.layers_dir, f".tmp-{id}")
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

    def remove(self, id: str) -> None:
        try:
            fs.remove_tree(self._dir(id))
        except OSError as exc:
            raise from_oserror(f"remove layer {id[:12]}", exc) from exc
