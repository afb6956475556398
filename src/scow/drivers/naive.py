"""owns: diffs for drivers that cannot read a layer's own changes off the disk (moby's
NaiveDiffDriver, daemon/graphdriver/fsdiff.go): vfs and btrfs always, overlay2 when the kernel's
overlay cannot give a faithful native diff or when asked against a layer that is not the parent.

Each operation mounts the layer (and its parent) with the driver's own get/put, compares or
writes the trees with scow.archive, and puts them back whatever happens.

The whole-second problem: a diff's tar carries whole-second mtimes, and ChangesDirs (moby's and
scow.archive's alike) treats a whole-second mtime and a later one in the same second as equal.
So a file exported at T.4 (extracted as T.0 in the next layer) and rewritten at T.7 with the same
size would be missed by the next diff. moby sleeps until the next second after *every* naive
diff; scow sleeps only when it matters: when an exported file's mtime lies in the current second.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import BinaryIO, Protocol
else:
    from scow.typeshim import Protocol

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
            return changes_dirs(new, None)
        with mounted(driver, parent) as old:
            return changes_dirs(new, old)


def diff(driver: Mounter, id: str, parent: str | None, out: BinaryIO) -> None:
    """Write `id`'s changes over `parent` as an OCI layer (the whole tree for a base layer)."""
    from scow.archive.changes import changes_dirs, export_changes
    from scow.archive.writer import write_tree

    with mounted(driver, id) as new:
        if parent is None:
            write_tree(new, out, whiteouts=None)
            found = changes_dirs(new, None)
        else:
            with mounted(driver, parent) as old:
                found = changes_dirs(new, old)
            export_changes(new, found, out)
        settle(new, found)


def settle(root: str, found: list[Change]) -> None:
    """Sleep to the next whole second if a file just exported was modified in this second."""
    newest = 0
    for change in found:
        if change.kind != "D":
            with contextlib.suppress(OSError):
                newest = max(newest, os.lstat(os.path.join(root, change.path.lstrip("/")))
                             .st_mtime_ns)
    now = time.time_ns()
    if newest // 1_000_000_000 >= now // 1_000_000_000:
        time.sleep((1_000_000_000 - now % 1_000_000_000) / 1e9)


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
