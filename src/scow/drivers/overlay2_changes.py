"""owns: reading a layer's changes (A/C/D) off an overlay upper folder and its lower stack,
without mounting anything (overlay2's fast `docker diff`).
"""

from __future__ import annotations

import errno
import os
import stat

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)

if TYPE_CHECKING:
    from scow.archive.changes import Change, ChangeKind

OPAQUE = "trusted.overlay.opaque"


def is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def is_opaque(path: str) -> bool:
    try:
        return os.getxattr(path, OPAQUE, follow_symlinks=False) == b"y"
    except OSError as exc:
        if exc.errno in (errno.ENODATA, errno.ENOTSUP, errno.ENOENT):
            return False
        raise


def in_lowers(lowers: list[str], rel: str) -> bool:
    """Whether `rel` is visible in the overlay of `lowers` (uppermost first): the first layer
    holding it decides, a whiteout or a file on the way hides it, an opaque folder on the way
    hides everything further down."""
    parts = rel.split("/")
    for layer in lowers:
        path, sealed = layer, False
        for i, part in enumerate(parts):
            path = os.path.join(path, part)
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                break
            if is_whiteout(st):
                return False
            if i == len(parts) - 1:
                return True
            if not stat.S_ISDIR(st.st_mode):
                return False
            if is_opaque(path):
                sealed = True
        if sealed:
            return False
    return False


def lower_names(lowers: list[str], rel: str) -> set[str]:
    """Names visible in folder `rel` of the overlay of `lowers`."""
    names: set[str] = set()
    for layer in lowers:
        folder = os.path.join(layer, rel)
        try:
            names.update(os.listdir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        if is_opaque(folder):
            break
    return {n for n in names if in_lowers(lowers, f"{rel}/{n}" if rel else n)}


def upper_changes(upper: str, lowers: list[str]) -> list[Change]:
    """The changes an overlay upper folder makes over `lowers`, sorted by path, parents first."""
    from scow.archive.changes import Change

    found: list[tuple[str, ChangeKind]] = []

    def walk(rel_dir: str, see_lowers: bool) -> None:
        with os.scandir(os.path.join(upper, rel_dir)) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            st = entry.stat(follow_symlinks=False)
            if is_whiteout(st):
                found.append((rel, "D"))
                continue
            existed = see_lowers and in_lowers(lowers, rel)
            found.append((rel, "C") if existed else (rel, "A"))
            if not stat.S_ISDIR(st.st_mode):
                continue
            opaque = is_opaque(entry.path)
            if opaque and existed:
                mine = set(os.listdir(entry.path))
                found.extend((f"{rel}/{n}", "D") for n in lower_names(lowers, rel) - mine)
            walk(rel, see_lowers and existed and not opaque)

    walk("", True)
    found.sort(key=lambda c: [os.fsencode(p) for p in c[0].split("/")])
    return [Change("/" + rel, kind) for rel, kind in found]
