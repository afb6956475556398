"""owns: a layer's diff on overlay2, read and written straight off its upper folder (diff/)
when that folder is the diff (`native`: the kernel's overlay keeps it a faithful record of
the layer's changes, Overlay2Driver.native_diff, and `parent` is the layer's direct parent),
else the naive diff of the two mounted trees (drivers/naive.py), as moby's overlay2 does.

Loaded by the diff operations (pull, load, commit, build, `diff`, `ps --size`), never by a
short command; Overlay2Driver's methods of the same names decide `native` and call these.
"""

from __future__ import annotations

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import BinaryIO, Protocol

    from scow.archive.changes import Change
    from scow.archive.tarstream import TarEntry
    class Overlay2Driver(Protocol):
        """What these need of the driver (overlay2.Overlay2Driver; not imported: it imports
        this module); naive.py's Mounter too."""

        def get(self, id: str) -> str: ...

        def put(self, id: str) -> None: ...

        def layer_path(self, id: str) -> str: ...

        def lower_dirs(self, id: str) -> list[str]: ...


def apply_diff(driver: Overlay2Driver, id: str, entries: Iterable[TarEntry], *,
               native: bool) -> int:
    """Extract a layer's entries into diff/ (native: overlay whiteouts as they are); the
    layer's size."""
    if not native:
        from scow.drivers import naive

        return naive.apply_diff(driver, id, entries)
    from scow.archive.extract import apply_layer
    from scow.osutil.treesize import dir_size

    diff = driver.layer_path(id)
    apply_layer(diff, entries, whiteouts="overlay")
    return dir_size(diff)


def diff(driver: Overlay2Driver, id: str, parent: str | None, out: BinaryIO, *,
         native: bool) -> None:
    if not native:
        from scow.drivers import naive

        naive.diff(driver, id, parent, out)
        return
    from scow.archive.writer import write_tree

    write_tree(driver.layer_path(id), out, whiteouts="overlay")


def diff_size(driver: Overlay2Driver, id: str, parent: str | None, *, native: bool) -> int:
    if not native:
        from scow.drivers import naive

        return naive.diff_size(driver, id, parent)
    from scow.osutil.treesize import dir_size

    return dir_size(driver.layer_path(id))


def changes(driver: Overlay2Driver, id: str, parent: str | None, *,
            native: bool) -> list[Change]:
    """What `docker diff` shows. Read straight off the upper folder when `parent` is the
    direct parent (moby always walks both merged trees: O(image) instead of O(changes)).
    An upper entry is A when the lower stack lacks it, else C (folders copied up to hold a
    change are C, as moby lists them); a whiteout is D; an opaque folder adds a D for each
    lower child it hides. A file copied up but left unchanged shows as C here where moby
    might not list it: the kernel copied it, so it is part of the layer anyway."""
    if not native:
        from scow.drivers import naive

        return naive.changes(driver, id, parent)
    from scow.drivers.overlay2_changes import upper_changes

    return upper_changes(driver.layer_path(id), driver.lower_dirs(id))
