"""owns: diffs for drivers that cannot read a layer's own changes off the disk (moby's
NaiveDiffDriver, daemon/graphdriver/fsdiff.go): vfs and btrfs always, overlay2 when the kernel's
overlay cannot give a faithful native diff or when asked against a layer that is not the parent.

Each operation mounts the layer (and its parent) with the driver's own get/put, compares or
writes the trees with scow.archive, and puts them back whatever happens.

Unlike moby, `diff` does not sleep until the next whole second after writing: moby needs that
because its ChangesDirs treats a whole-second mtime and a later mtime in the same second as
equal; scow.archive.changes compares mtimes to the nanosecond, so a change made right after a
commit is still seen.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from scow.archive.changes import Change
    from scow.archive.tarstream import TarEntry


class Mounter(Protocol):
    def get(self, id: str) -> str: ...
    def put(self, id: str) -> None: ...


@contextlib.contextmanager
def mounted(driver: Mounter, id: str) -> Iterator[str]:
    """get(id) for the block, put(id) after it."""
    path = driver.get(id)
    try:
        yield path
    finally:
        driver.put(id)


def changes(driver: Mounter, id: str, parent: str | None) -> list[Change]:
    """ChangesDirs of `id`'s tree against `parent`'s (against nothing for a base layer)."""
    from scow.archive.changes import changes_dirs

    with mounted(driver, id) as new:
        if parent is None:
            with tempfile.TemporaryDirectory(prefix="scow-empty-") as empty:
                return changes_dirs(new, empty)
        with mounted(driver, parent) as old:
            return changes_dirs(new, old)


def diff(driver: Mounter, id: str, parent: str | None, out: BinaryIO) -> None:
    """Write `id`'s changes over `parent` as an OCI layer (the whole tree for a base layer)."""
    from scow.archive.changes import changes_dirs, export_changes
    from scow.archive.writer import write_tree

    with mounted(driver, id) as new:
        if parent is None:
            write_tree(new, out, whiteouts=None)
            return
        with mounted(driver, parent) as old:
            found = changes_dirs(new, old)
        export_changes(new, found, out)


def diff_size(driver: Mounter, id: str, parent: str | None) -> int:
    """Bytes of the files `id` adds or changes over `parent` (moby's ChangesSize)."""
    from scow.archive.changes import changes_size

    found = changes(driver, id, parent)
    with mounted(driver, id) as new:
        return changes_size(new, found)


def apply_diff(driver: Mounter, id: str, entries: Iterable[TarEntry]) -> int:
    """Extract an OCI layer into the mounted `id` (OCI whiteouts delete from the tree);
    returns the sum of entry sizes, the size docker records for naive drivers."""
    from scow.archive.extract import apply_layer

    with mounted(driver, id) as root:
        return apply_layer(root, entries, whiteouts="oci")
