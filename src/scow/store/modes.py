"""owns: the modes of the store's own files and folders under the root: the table of the
widest mode each may have, `tighten` that narrows what is wider, and `loose` that reports it.

The reference is docker's /var/lib/docker (moby's setupDaemonRoot, the overlay2, vfs and btrfs
drivers, the local volume driver, the json-file logger): a non-root user may traverse nothing
under the root (0710 root:root) and reads nothing; secrets (a container's ``Config.Env`` in
``scow.db`` and in its ``config.json``, its logs) are 0600/0640 besides. Modes and layout::

    <root>/                        0710
    <root>/scow.db{,-wal,-shm}     0600   (-wal/-shm take the db file's mode in SQLite)
    <root>/events/                 0700   files 0600   (the event log, scow/events/log.py)
    <root>/blobs/, blobs/sha256/   0700   files 0600   (docker's image/: 0700, 0600)
    <root>/layerdb/                0700   files 0600
    <root>/locks/                  0700   files 0600
    <root>/tmp/                    0700   (docker's tmp/)
    <root>/cachemounts/, */        0700   (RUN --mount=type=cache; data/ keeps the mount's mode)
    <root>/buildcache/             0700   files 0600   (parsed Dockerfiles)
    <root>/runtime/, runtime/runc/ 0700   (runc's state inside: runc's own modes)
    <root>/containers/             0710
    <root>/containers/<id>/        0710   config.json, state.json, shim.* 0600,
                                          container.log* 0640 (docker's json-file),
                                          attach.sock 0600; hosts, hostname, resolv.conf and
                                          container.pid 0644 (bind-mounted into the container)
    <root>/volumes/, volumes/<n>/  0701   (docker's local volume driver)
    <root>/overlay2/               0710   l/ 0700, .mountcount/ 0700 (files 0600)
    <root>/overlay2/<id>/          0710   work/, merged/ 0700; committed 0600; link, lower 0644
    <root>/vfs/, vfs/dir/          0710
    <root>/btrfs/, btrfs/subvolumes/ 0710

What a container sees keeps its own modes: a layer's ``diff/`` and a vfs/btrfs layer folder,
a volume's ``_data`` and what is in ``tmp/`` are the image's (or the container's) files, and
they are not in the table. Entries the table does not name are left alone.

New files and folders are born with these modes where they are made (each maker names its mode:
the drivers and the blob store sit below this package, so the table here is the one they are
tested against). A root made by an older scow (0711 root, 0644 db, 0755 folders) is tightened
once, on the first write of a process (`Store.recover`: one stat of the root, this module
loaded only when it is wider than ROOT_MODE): the root's own mode is narrowed last,
so a root at 0710 or narrower has been through a whole `tighten`. `system check` reports each
wider mode as ``loose-mode`` and ``--repair`` narrows it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator

from scow.errors import from_oserror
from scow.store.db import DB_MODE  # db.py's own: it makes the files and loads no table

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from scow.typeshim import NamedTuple

ROOT_MODE = 0o710

# (path under the root with "*" globs per name, "d" folder | "f" file or socket, widest mode)
_TABLE: tuple[tuple[str, str, int], ...] = (
    ("", "d", ROOT_MODE),
    ("scow.db", "f", DB_MODE), ("scow.db-wal", "f", DB_MODE), ("scow.db-shm", "f", DB_MODE),
    ("scow.db-journal", "f", DB_MODE),
    ("events", "d", 0o700), ("events/*", "f", 0o600),
    ("blobs", "d", 0o700), ("blobs/sha256", "d", 0o700), ("blobs/sha256/*", "f", 0o600),
    ("layerdb", "d", 0o700), ("layerdb/*", "f", 0o600),
    ("locks", "d", 0o700), ("locks/*", "f", 0o600),
    ("tmp", "d", 0o700),
    ("cachemounts", "d", 0o700), ("cachemounts/*", "d", 0o700),
    ("buildcache", "d", 0o700), ("buildcache/*", "f", 0o600),
    ("runtime", "d", 0o700), ("runtime/runc", "d", 0o700),
    ("containers", "d", 0o710), ("containers/*", "d", 0o710),
    ("containers/*/hosts", "f", 0o644), ("containers/*/hostname", "f", 0o644),
    ("containers/*/resolv.conf", "f", 0o644), ("containers/*/container.pid", "f", 0o644),
    ("containers/*/container.log*", "f", 0o640),
    ("containers/*/*", "f", 0o600),
    ("volumes", "d", 0o701), ("volumes/*", "d", 0o701),
    ("overlay2", "d", 0o710), ("overlay2/l", "d", 0o700),
    ("overlay2/.mountcount", "d", 0o700), ("overlay2/.mountcount/*", "f", 0o600),
    ("overlay2/.native-diff", "f", 0o644),
    ("overlay2/*", "d", 0o710),
    ("overlay2/*/work", "d", 0o700), ("overlay2/*/merged", "d", 0o700),
    ("overlay2/*/committed", "f", 0o600),
    ("overlay2/*/link", "f", 0o644), ("overlay2/*/lower", "f", 0o644),
    ("vfs", "d", 0o710), ("vfs/dir", "d", 0o710),
    ("btrfs", "d", 0o710), ("btrfs/subvolumes", "d", 0o710),
)


class Loose(NamedTuple):
    """One entry under the root whose mode is wider than the table allows."""

    path: str  # absolute
    name: str  # relative to the root ("." for the root itself)
    mode: int
    widest: int

    def text(self) -> str:
        return f"{self.name} is mode {self.mode:04o}, wider than {self.widest:04o}"


def widest(name: str, is_dir: bool) -> int | None:
    """The widest mode the table allows for `name` (relative to the root, "" for the root),
    or None when the table leaves it alone. The first matching row wins."""
    parts = name.split("/") if name else []
    kind = "d" if is_dir else "f"
    for pattern, k, mode in _TABLE:
        if k != kind:
            continue
        want = pattern.split("/") if pattern else []
        if _matches(parts, want):
            return mode
    return None


def _prefixes() -> set[tuple[str, ...]]:
    """Every folder pattern the table has rows below (where the walk must descend)."""
    out: set[tuple[str, ...]] = set()
    for pattern, _, _ in _TABLE:
        want = tuple(pattern.split("/")) if pattern else ()
        out |= {want[:i] for i in range(len(want))}
    return out


_DESCEND = _prefixes()


def _descends(parts: list[str]) -> bool:
    return any(_matches(parts, p) for p in _DESCEND)


def _matches(parts: list[str] | tuple[str, ...], want: list[str] | tuple[str, ...]) -> bool:
    """Whether the names `parts` match the pattern names `want` (a "*" ending a pattern
    name matches any rest of the name)."""
    return len(parts) == len(want) and all(
        w == p or (w.endswith("*") and p.startswith(w[:-1]))
        for p, w in zip(parts, want, strict=True))


def _walk(root: str, parts: list[str],
          dev: int) -> Iterator[tuple[str, list[str], os.stat_result]]:
    """The entries under `root` the table may name. Symlinks are never followed, and a mount
    point is skipped: its mode is the mounted tree's (overlay2's merged/ while a container
    runs shows the container's /), which belongs to the container."""
    folder = os.path.join(root, *parts)
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        with os.scandir(folder) as entries:
            names = [e.name for e in entries]
        for name in sorted(names):
            path = os.path.join(folder, name)
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue  # removed by another process since the listing
            if stat.S_ISLNK(st.st_mode) or st.st_dev != dev:
                continue
            yield path, [*parts, name], st
            if stat.S_ISDIR(st.st_mode) and _descends([*parts, name]):
                yield from _walk(root, [*parts, name], dev)


def loose(root: str) -> list[Loose]:
    """What under `root` is wider than the table, the root itself last."""
    found: list[Loose] = []
    try:
        top = os.stat(root)
    except FileNotFoundError:
        return found
    for path, parts, st in _walk(root, [], top.st_dev):
        _judge(found, path, "/".join(parts), st)
    _judge(found, root, "", top)
    return found


def _judge(found: list[Loose], path: str, name: str, st: os.stat_result) -> None:
    allowed = widest(name, stat.S_ISDIR(st.st_mode))
    mode = stat.S_IMODE(st.st_mode)
    if allowed is not None and mode & ~allowed:
        found.append(Loose(path, name or ".", mode, allowed))


def narrow(entry: Loose) -> None:
    """Take away the bits of `entry` that the table does not allow (never adds any)."""
    try:
        os.chmod(entry.path, entry.mode & entry.widest, follow_symlinks=False)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise from_oserror(f"tighten mode of {entry.name}", exc) from exc


def tighten(root: str) -> list[Loose]:
    """Narrow every entry under `root` that is wider than the table (the root last)."""
    found = loose(root)
    for entry in found:
        narrow(entry)
    return found


def findings(root: str) -> list[tuple[str, str, Callable[[], None]]]:
    """`loose` as `system check` findings: (kind, text, repair)."""
    return [("loose-mode", e.text(), lambda e=e: narrow(e)) for e in loose(root)]  # type: ignore[misc]
