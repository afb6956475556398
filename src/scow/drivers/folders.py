"""owns: what the drivers whose layers are whole folders share (vfs, btrfs): a folder per layer
under one parent folder, nothing ever mounted (get returns the folder, put does nothing), and
moby's naive diffs (scow.drivers.naive). Each driver makes and removes its folders its own way
(a full copy; a btrfs snapshot) and may diff faster.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from scow.drivers import naive
from scow.drivers.base import DriverInfo, check_id
from scow.errors import LayerNotFound
from scow.osutil import fs

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import BinaryIO

if TYPE_CHECKING:
    from scow.archive.changes import Change
    from scow.archive.tarstream import TarEntry


class FolderDriver:
    name: str
    home: str
    layers_dir: str  # the folder holding one folder per layer

    def _dir(self, id: str) -> str:
        return os.path.join(self.layers_dir, check_id(id))

    def _existing(self, id: str) -> str:
        path = self._dir(id)
        if not os.path.isdir(path):
            raise LayerNotFound(f"get layer {id[:12]}: no such layer in {self.name}")
        return path

    def create(self, id: str, parent: str | None) -> None:
        raise NotImplementedError

    def create_rw(self, id: str, parent: str | None, durable: bool = True) -> None:
        self.create(id, parent)

    def repair(self, id: str, parent: str | None, *, dry_run: bool = False) -> list[str]:
        """Nothing to rebuild: the layer is its folder (drivers/base.py)."""
        self._existing(id)
        return []

    def exists(self, id: str) -> bool:
        return os.path.isdir(self._dir(id))

    def list_ids(self) -> list[str]:
        return sorted(n for n in os.listdir(self.layers_dir) if not n.startswith("."))

    def get(self, id: str) -> str:
        return self._existing(id)

    def put(self, id: str) -> None:
        pass

    def is_mounted(self, id: str) -> bool:
        return False

    def layer_path(self, id: str) -> str:
        return self._existing(id)

    def folders(self, id: str) -> tuple[str, list[str]]:
        return self._existing(id), []

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
        return {}  # moby's vfs and btrfs give no GraphDriver.Data: inspect shows null

    def info(self) -> DriverInfo:
        return DriverInfo(self.name, fs.backing_filesystem(self.home),
                          fs.supports_d_type(self.home), native_diff=False)

    def status(self) -> list[tuple[str, str]]:
        return []

    def cleanup(self) -> None:
        pass
