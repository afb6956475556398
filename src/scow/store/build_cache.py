"""owns: the build cache's rows: which layer a build step (its cache key) produced.

On-disk layout::

    <root>/scow.db  build_cache     key, parent_chain, diff_id, chain_id, created

A row does not keep its layer alive (the engine's build cache takes a lease on a hit); rows
whose layer went away are dropped on lookup or by `prune`. Image rows (``key`` =
``image:<hash>``) name an image ID in ``diff_id`` and its top layer in ``chain_id``.
"""

from __future__ import annotations

import time

from scow.store.db import Database


class BuildCacheStore:
    """The table is made by schema migration 2 (store/db.py) on every root."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def find(self, key: str) -> tuple[str, str] | None:
        """(diff_id, chain_id) stored for `key`."""
        rows = self.db.query("SELECT diff_id, chain_id FROM build_cache WHERE key = ?", (key,))
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    def put(self, key: str, parent: str | None, diff_id: str, chain: str) -> None:
        with self.db.write() as tx:
            tx.execute("INSERT OR REPLACE INTO build_cache VALUES (?, ?, ?, ?, ?)",
                       (key, parent, diff_id, chain, time.time()))

    def drop(self, key: str) -> None:
        with self.db.write() as tx:
            tx.execute("DELETE FROM build_cache WHERE key = ?", (key,))

    def prune(self) -> int:
        """Drop step rows whose layer is gone; returns how many."""
        with self.db.write() as tx:
            cur = tx.execute("DELETE FROM build_cache WHERE key NOT LIKE 'image:%' AND "
                             "chain_id NOT IN (SELECT chain_id FROM layers WHERE "
                             "state = 'ready')")
            return int(cur.rowcount)

    def clear(self) -> int:
        """Drop every row (``builder prune -a``); returns how many."""
        with self.db.write() as tx:
            return int(tx.execute("DELETE FROM build_cache").rowcount)
