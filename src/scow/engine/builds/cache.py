"""owns: the build cache's rules: which cache hit counts, and the image key that lets a build
in which every step was a hit give the image it gave before (as BuildKit does) instead of a new
one differing only in its ``created`` times. Its rows are the store's (store/build_cache.py).

A step row holds its layer (store/build_cache.py), so a hit stays possible after the images
that used the layer are gone, until `builder prune` or the size/age policy (gc.py) drops the
row. On a hit the caller also leases the layer for the rest of the build (a concurrent prune
may drop the row meanwhile) and the row becomes the newest for the age policy (the build's hits
in one commit when it ends: `touch`). Rows whose layer went away (a store older than holds) are
dropped on lookup.
"""

from __future__ import annotations

import time

from scow.errors import LayerNotFound
from scow.fastjson import dumps
from scow.ids import ChainID, DiffID, sha256_hex
from scow.store.build_cache import BuildCacheStore
from scow.store.layers import LayerStore


class BuildCache:
    def __init__(self, layers: LayerStore, rows: BuildCacheStore) -> None:
        self.layers = layers
        self.rows = rows
        self.hits: list[tuple[str, float]] = []  # (key, when) found, for `touch`

    def lookup(self, key: str) -> tuple[DiffID, ChainID] | None:
        """The layer stored for `key`, leased to this process; None when there is none."""
        found = self.rows.find(key)
        if found is None:
            return None
        diff_id, chain = DiffID(found[0]), ChainID(found[1])
        try:
            self.layers.take_lease(chain)
        except LayerNotFound:
            self.rows.drop(key)
            return None
        self.hits.append((key, time.time()))
        return diff_id, chain

    def touch(self) -> None:
        """The rows of this build's hits become the newest for the age policy."""
        hits, self.hits = self.hits, []
        self.rows.touch(hits)

    def store(self, key: str, parent: ChainID | None, diff_id: DiffID, chain: ChainID) -> None:
        replaced = self.rows.put(key, parent, diff_id, chain)
        if replaced:  # the row held another layer (a --no-cache rebuild): no longer
            self.layers.release(replaced)

    def image_lookup(self, config: dict[str, object], images: object) -> str | None:
        """The image an all-cached build of this `config` committed before, if it is still
        in the store (`images`: the ImageStore)."""
        found = self.rows.find(image_key(config))
        if found is None or images.find(found[0]) is None:  # type: ignore[attr-defined]
            return None
        return found[0]

    def image_store(self, config: dict[str, object], image_id: str, top: str | None) -> None:
        self.rows.put(image_key(config), None, image_id, top or "")


def image_key(config: dict[str, object]) -> str:
    """``image:`` + sha256 of `config` without the times a rebuild would change."""
    timeless = {k: v for k, v in config.items() if k != "created"}
    history = timeless.get("history")
    if isinstance(history, list):
        timeless["history"] = [{k: v for k, v in h.items() if k != "created"}
                               for h in history if isinstance(h, dict)]
    blob = dumps(timeless, sort_keys=True, separators=(",", ":")).encode()
    return "image:" + sha256_hex(blob)
