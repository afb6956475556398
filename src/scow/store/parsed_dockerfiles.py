"""owns: the parsed Dockerfiles kept between builds, so that an unchanged rebuild neither parses
its Dockerfile again nor loads the parser (issue 18): opaque entries by key (what is in one,
and what its key covers, is build/parsecache.py's business), bounded in number.

On-disk layout (modes in store/modes.py)::

    <root>/buildcache/                   0700
    <root>/buildcache/dockerfile-<key>   0600   one parse (key: 64 hex digits)

An entry is written atomically but not durably: one a power loss took or tore is not found, or
fails its reader's check, and is parsed again. A write beyond MAX_ENTRIES removes the least
recently used ones (by mtime: a read touches its entry), leftovers of killed writers included.
"""

from __future__ import annotations

import contextlib
import os

from scow.osutil.atomic import atomic_write

MAX_ENTRIES = 64
_PREFIX = "dockerfile-"
_HEX = frozenset("0123456789abcdef")


class ParsedDockerfiles:
    def __init__(self, root: str) -> None:
        self.dir = os.path.join(root, "buildcache")

    def get(self, key: str) -> bytes | None:
        """The entry stored under `key`, or None (none, or unreadable)."""
        path = self._path(key)
        try:
            with open(path, "rb") as f:
                data = f.read()
            os.utime(path)
        except OSError:
            return None
        return data

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`; a store that cannot take it (full, read-only) is left
        as it is: the entry is only a saving."""
        path = self._path(key)
        try:
            os.makedirs(self.dir, mode=0o700, exist_ok=True)
            atomic_write(path, data, 0o600, durable=False)
            self._bound()
        except OSError:
            return

    def clear(self) -> int:
        """Remove every entry (`builder prune --all`); returns the bytes they held."""
        freed = 0
        try:
            it = os.scandir(self.dir)
        except OSError:
            return 0
        with it:
            for entry in it:
                with contextlib.suppress(OSError):
                    size = entry.stat(follow_symlinks=False).st_size
                    os.unlink(entry.path)
                    freed += size
        return freed

    def _path(self, key: str) -> str:
        if len(key) != 64 or not _HEX.issuperset(key):
            raise ValueError(f"parsed dockerfile key {key!r} is not 64 hex digits")
        return os.path.join(self.dir, _PREFIX + key)

    def _bound(self) -> None:
        entries: list[tuple[int, str]] = []
        with os.scandir(self.dir) as it:
            for entry in it:
                with contextlib.suppress(OSError):
                    entries.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
        entries.sort()
        for _, path in entries[:max(0, len(entries) - MAX_ENTRIES)]:
            with contextlib.suppress(OSError):
                os.unlink(path)
