"""owns: telling whether the metadata database changed: `ChangeWatch.version()`, SQLite's
`PRAGMA data_version` on a read-only connection kept for that alone. The number changes
whenever ANY other connection commits, of this process or another (a connection's own
commits do not change it, which is why this one never writes), so a cache of rows keyed by
it is exact: never served after a commit, whoever made it (no time-based expiry)."""

from __future__ import annotations

import _sqlite3 as sqlite3
import _thread


class ChangeWatch:
    """The kept read-only connection to `path`, opened on the first `version()`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = _thread.allocate_lock()
        self._opened = 0  # connections opened: a new one's numbers restart

    def version(self) -> tuple[int, int] | None:
        """(connection, data version) as the kept connection sees it now; None when it
        cannot be read (the caller then reads the rows, as without a watch)."""
        with self._lock:
            try:
                if self._conn is None:
                    from scow.store.db import connect_read_only

                    self._conn = connect_read_only(self.path)
                    self._opened += 1
                return self._opened, int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:
                return None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
