"""owns: the build cache's rows: which layer a build step (its cache key) produced, and the
hold each step row has on that layer.

On-disk layout::

    <root>/scow.db  build_cache     key, parent_chain, diff_id, chain_id, created, last_used

A step row *holds* its layer: the layer store counts it as a reference (store/layers.py
``_REFS_SQL``), so removing the images that used a layer (`rmi`, image prune) does not free
it, and an intermediate stage's layers outlive the build. Only removing the row releases it:
`builder prune` and the build cache's size/age policy (engine/builds/gc.py) delete rows in one
transaction and then release their layers; a process killed in between leaves ready layers
nothing references, which the next writer's recovery deletes (store/recovery.py). Image rows
(``key`` = ``image:<hash>``) name an image ID in ``diff_id`` and its top layer in
``chain_id`` and hold nothing.
"""

from __future__ import annotations

import time

from scow.store.db import Database

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from scow.typeshim import NamedTuple


class CacheRecord(NamedTuple):
    key: str
    chain_id: str
    diff_id: str
    created: float
    last_used: float
    size: int  # the DiffSize of the layer the row holds


class BuildCacheStore:
    """The table is made by schema migration 2 and given its holds by 6 (store/db.py)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def find(self, key: str) -> tuple[str, str] | None:
        """(diff_id, chain_id) stored for `key`."""
        rows = self.db.query("SELECT diff_id, chain_id FROM build_cache WHERE key = ?", (key,))
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    def touch(self, used: list[tuple[str, float]]) -> None:
        """A build used the layers of these (key, when): the newest for the age policy. One
        commit, not durable: a power loss may take the time back to an earlier use (the rows
        stay)."""
        if not used:
            return
        with self.db.write(durable=False) as tx:
            tx.executemany("UPDATE build_cache SET last_used = ? WHERE key = ?",
                           [(when, key) for key, when in used])

    def put(self, key: str, parent: str | None, diff_id: str, chain: str) -> str | None:
        """Store (and hold) `chain` for `key`; the chain the row held before when it was
        another one (the caller releases it)."""
        now = time.time()
        with self.db.write() as tx:
            old = tx.execute("SELECT chain_id FROM build_cache WHERE key = ?",
                             (key,)).fetchall()
            tx.execute("INSERT OR REPLACE INTO build_cache (key, parent_chain, diff_id, "
                       "chain_id, created, last_used) VALUES (?, ?, ?, ?, ?, ?)",
                       (key, parent, diff_id, chain, now, now))
        before = str(old[0][0]) if old else None
        return before if before not in (None, "", chain) else None

    def drop(self, key: str) -> None:
        with self.db.write() as tx:
            tx.execute("DELETE FROM build_cache WHERE key = ?", (key,))

    def records(self) -> list[CacheRecord]:
        """Step rows, the least recently used first (image rows are not records)."""
        rows = self.db.query(
            "SELECT b.key, b.chain_id, b.diff_id, b.created, "
            "COALESCE(b.last_used, b.created), COALESCE(l.size, 0) FROM build_cache b "
            "LEFT JOIN layers l ON l.chain_id = b.chain_id AND l.state = 'ready' "
            "WHERE b.key NOT LIKE 'image:%' ORDER BY 5, 1")
        return [CacheRecord(str(r[0]), str(r[1]), str(r[2]), float(r[3]), float(r[4]),
                            int(r[5])) for r in rows]

    def remove(self, keys: list[str]) -> list[str]:
        """Delete the step rows `keys` in one transaction; the chains they held (the caller
        releases them, top first)."""
        chains: list[str] = []
        with self.db.write() as tx:
            for key in keys:
                rows = tx.execute("DELETE FROM build_cache WHERE key = ? AND key NOT LIKE "
                                  "'image:%' RETURNING chain_id", (key,)).fetchall()
                chains += [str(r[0]) for r in rows if r[0]]
        return chains

    def prune(self) -> int:
        """Drop step rows whose layer is gone (rows of a store older than holds); how many."""
        with self.db.write() as tx:
            cur = tx.execute("DELETE FROM build_cache WHERE key NOT LIKE 'image:%' AND "
                             "chain_id NOT IN (SELECT chain_id FROM layers WHERE "
                             "state = 'ready')")
            return int(cur.rowcount)

    def clear(self) -> int:
        """Drop every row (``builder prune -a``); returns how many."""
        with self.db.write() as tx:
            return int(tx.execute("DELETE FROM build_cache").rowcount)
