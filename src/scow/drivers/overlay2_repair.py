"""owns: rebuilding what a power loss may take of an overlay2 container layer's own records.

A container's init and writable layers are made by `Overlay2Driver.create_rw` without a sync
of their records (moby writes them the same way), so after a power loss a layer may have::

    <id>/link            missing, or empty (ext4's delayed allocation: the name is on disk,
                         the bytes are not)
    l/<link>             missing (its symlink was not yet on disk)
    <id>/lower           missing, empty, or naming a parent's link that was rebuilt
    <id>/diff/, work/    missing (a file system that orders no metadata)

Each is rebuilt from what is durable: the parent's cache ID, which the layer store keeps in
its rows (an image layer's records are synced; an init layer is repaired before the writable
layer over it). A link file that still names a link ID keeps it (the children's lower files
name it); otherwise a new ID is drawn. A repair runs under a flock of the layer's folder, so
two processes mounting the same container make one link. Rewrites go through a temp file
and a rename, unsynced: a repair lost to a second power loss is made again by the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os

from scow.drivers.overlay2 import ID_LENGTH, LINK_DIR  # loaded: only its driver calls here
from scow.osutil.atomic import atomic_write

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from scow.drivers.overlay2 import Overlay2Driver


def lost(driver: Overlay2Driver, id: str, parent: str | None) -> list[str]:
    """The records of layer `id` (on `parent`) that are not whole: any of "diff", "work",
    "link" (the file or its l/ symlink), "lower"; [] for a whole layer (a few reads)."""
    path = os.path.join(driver.home, id)
    out = [name for name in ("diff", "work") if (name == "diff" or parent is not None)
           and not os.path.isdir(os.path.join(path, name))]
    if not _link_ok(driver, id):
        out.append("link")
    try:
        want = driver._stack_on(parent) if parent is not None else None
    except OSError:  # the parent's link is lost too: this lower changes with its repair
        return [*out, "lower"]
    if driver._read(id, "lower") != want:
        out.append("lower")
    return out


def _link_ok(driver: Overlay2Driver, id: str) -> bool:
    lid = driver._read(id, "link")
    if not lid or not _is_link_id(lid):
        return False
    try:
        return os.readlink(os.path.join(driver.home, LINK_DIR, lid)) == f"../{id}/diff"
    except OSError:
        return False


def _is_link_id(lid: str) -> bool:
    return len(lid) == ID_LENGTH and lid.isalnum() and lid.isupper()


def repair(driver: Overlay2Driver, id: str, parent: str | None) -> list[str]:
    """Rebuild what `lost` finds, under the folder's flock; returns what was rebuilt."""
    if not lost(driver, id, parent):
        return []
    path = os.path.join(driver.home, id)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        found = lost(driver, id, parent)  # again: another process may have repaired it
        for name, mode in (("diff", 0o755), ("work", 0o700)):
            if name in found:
                os.mkdir(os.path.join(path, name), mode)
        if "link" in found:
            _relink(driver, id, path)
        if "lower" in found:  # a relinked layer's own lower is unchanged (it names the parent)
            _rewrite_lower(driver, path, parent)
    finally:
        os.close(fd)
    return found


def _relink(driver: Overlay2Driver, id: str, path: str) -> None:
    """The l/ symlink of the ID the link file still names; else the link file names the
    l/ symlink that still points at diff/ (found by a scan of l/: only here); else a new
    ID. Keeping the ID keeps the children's lower files valid."""
    target, lid = f"../{id}/diff", driver._read(id, "link")
    if lid and _is_link_id(lid):
        link = os.path.join(driver.home, LINK_DIR, lid)
        with contextlib.suppress(FileExistsError):
            os.symlink(target, link)
        if os.readlink(link) == target:
            return
    survivor = _link_to(driver, target)
    if survivor:
        atomic_write(os.path.join(path, "link"), survivor.encode(), 0o644, durable=False)
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(path, "link"))
    driver._new_link(id, path, lambda p, data: atomic_write(p, data, 0o644, durable=False))


def _link_to(driver: Overlay2Driver, target: str) -> str | None:
    """The name in l/ of a symlink to `target`, if one is there."""
    with os.scandir(os.path.join(driver.home, LINK_DIR)) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.is_symlink() and os.readlink(entry.path) == target:
                    return entry.name
    return None


def _rewrite_lower(driver: Overlay2Driver, path: str, parent: str | None) -> None:
    lower = os.path.join(path, "lower")
    if parent is None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lower)
        return
    atomic_write(lower, driver._stack_on(parent).encode(), 0o644, durable=False)
