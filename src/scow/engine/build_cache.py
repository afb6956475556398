"""owns: the build cache: which layer a build step (its cache key) produced.

Table (created here, in the store's SQLite database)::

    build_cache(key, parent_chain, diff_id, chain_id, created)

An image row (``key`` = ``image:<sha256 of the config without its times>``, ``diff_id`` = the
image ID) lets a build in which every step was a hit give the image it gave before, as BuildKit
does, instead of a new one differing only in its ``created`` times.

Lease-free: a row does not keep its layer alive. A hit counts only while the layer it names
is a ready layer in the store (an image or a container still uses it); the caller then holds
it with a lease for the rest of the build. Rows whose layer went away are dropped on lookup.
"""

from __future__ import annotations

import time

from scow.errors import LayerNotFound
from scow.ids import ChainID, DiffID
from scow.store.layers import LayerStore

_SCHEMA = ("CREATE TABLE IF NOT EXISTS build_cache (key TEXT PRIMARY KEY, parent_chain TEXT, "
           "diff_id TEXT NOT NULL, chain_id TEXT NOT NULL, created REAL NOT NULL)")


class BuildCache:
    def __init__(self, layers: LayerStore) -> None:
        self.layers = layers
        self.db = layers.db
        if not self.db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                             "name = 'build_cache'"):
            with self.db.write() as tx:
                tx.execute(_SCHEMA)

    def lookup(self, key: str) -> tuple[DiffID, ChainID] | None:
        """The layer stored for `key`, leased to this process; None when there is none."""
        rows = self.db.query("SELECT diff_id, chain_id FROM build_cache WHERE key = ?", (key,))
        if not rows:
            return None
        diff_id, chain = DiffID(rows[0]["diff_id"]), ChainID(rows[0]["chain_id"])
        try:
            self.layers.take_lease(chain)
        except LayerNotFound:
            with self.db.write() as tx:
                tx.execute("DELETE FROM build_cache WHERE key = ?", (key,))
            return None
        return diff_id, chain

    def store(self, key: str, parent: ChainID | None, diff_id: DiffID, chain: ChainID) -> None:
        with self.db.write() as tx:
            tx.execute("INSERT OR REPLACE INTO build_cache VALUES (?, ?, ?, ?, ?)",
                       (key, parent, diff_id, chain, time.time()))

    def image_lookup(self, config: dict[str, object], images: object) -> str | None:
        """The image an all-cached build of this `config` committed before, if it is still
        in the store (`images`: the ImageStore)."""
        rows = self.db.query("SELECT diff_id FROM build_cache WHERE key = ?",
                             (image_key(config),))
        if not rows or images.find(rows[0][0]) is None:  # type: ignore[attr-defined]
            return None
        return str(rows[0][0])

    def image_store(self, config: dict[str, object], image_id: str, top: str | None) -> None:
        with self.db.write() as tx:
            tx.execute("INSERT OR REPLACE INTO build_cache VALUES (?, NULL, ?, ?, ?)",
                       (image_key(config), image_id, top or "", time.time()))

    def prune(self) -> int:
        """Drop rows whose layer is gone; returns how many."""
        with self.db.write() as tx:
            cur = tx.execute("DELETE FROM build_cache WHERE key NOT LIKE 'image:%' AND "
                             "chain_id NOT IN (SELECT chain_id FROM layers WHERE "
                             "state = 'ready')")
            return int(cur.rowcount)


def image_key(config: dict[str, object]) -> str:
    """``image:`` + sha256 of `config` without the times a rebuild would change."""
    import hashlib
    import json

    timeless = {k: v for k, v in config.items() if k != "created"}
    history = timeless.get("history")
    if isinstance(history, list):
        timeless["history"] = [{k: v for k, v in h.items() if k != "created"}
                               for h in history if isinstance(h, dict)]
    blob = json.dumps(timeless, sort_keys=True, separators=(",", ":")).encode()
    return "image:" + hashlib.sha256(blob).hexdigest()
