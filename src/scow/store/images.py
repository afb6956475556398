"""owns: the image store: image records keyed by image ID (the digest of the config bytes).

On-disk layout::

    <root>/blobs/sha256/<hex>    the exact config bytes (via BlobStore; verified on read)
    <root>/scow.db  images       id, top_layer (ChainID of rootfs.diff_ids), parent (local builds
                                 and commits only), created, built_locally, last_tag_time

An image row is only written once its config blob is durable and its layer chain is ready, so
a visible image is always whole. Images name only their top layer; the rest of the chain stays
alive through the layers' parent links.
"""

from __future__ import annotations

import time

from scow.blobs.store import BlobStore
from scow.errors import ImageNotFound, InvalidArgument, LayerNotFound
from scow.ids import ImageID, chain_id, short_id
from scow.oci.image import ImageConfig, parse_time
from scow.oci.reference import Reference
from scow.osutil import faults
from scow.store.db import Database
from scow.store.refs import insert_ref

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from scow.typeshim import NamedTuple


class ImageRecord(NamedTuple):
    id: ImageID
    top_layer: str | None
    parent: str | None
    created: float
    built_locally: bool
    last_tag_time: float


class ImageStore:
    def __init__(self, db: Database, blobs: BlobStore) -> None:
        self.db = db
        self.blobs = blobs

    def create(self, config_bytes: bytes, *, parent: str | None = None,
               built_locally: bool = False, ref: Reference | None = None) -> ImageRecord:
        """Store an image config; its layers must already be registered. Idempotent. With
        `ref`, the image is tagged in the same transaction (a concurrent prune of dangling
        images cannot take it between its creation and its tag)."""
        config = ImageConfig(config_bytes)
        top = chain_id(config.diff_ids) if config.diff_ids else None
        image_id = ImageID(self.blobs.put(config_bytes))
        faults.point("images.create.after_blob")
        created = parse_time(config.created) or time.time()
        with self.db.write() as tx:
            if top and not tx.execute("SELECT 1 FROM layers WHERE chain_id = ? AND "
                                      "state = 'ready'", (top,)).fetchall():
                raise LayerNotFound(f"create image {short_id(image_id)}: layer {short_id(top)} "
                                    "is not registered")
            if parent and not tx.execute("SELECT 1 FROM images WHERE id = ?",
                                         (parent,)).fetchall():
                parent = None
            tx.execute("INSERT OR IGNORE INTO images(id, top_layer, parent, created, "
                       "built_locally) VALUES (?, ?, ?, ?, ?)",
                       (image_id, top, parent, created, int(built_locally)))
            if ref is not None:
                insert_ref(tx, ref, image_id)
        return self.get(image_id)

    def find(self, image_id: str) -> ImageRecord | None:
        rows = self.db.query("SELECT * FROM images WHERE id = ?", (image_id,))
        return _record(rows[0]) if rows else None

    def get(self, image_id: str) -> ImageRecord:
        record = self.find(image_id)
        if record is None:
            raise ImageNotFound(f"No such image: {image_id}")
        return record

    def search(self, prefix: str) -> list[ImageRecord]:
        """Images whose ID starts with `prefix` (with or without ``sha256:``)."""
        hex_prefix = prefix.removeprefix("sha256:")
        if not hex_prefix or any(c not in "0123456789abcdef" for c in hex_prefix):
            return []
        rows = self.db.query("SELECT * FROM images WHERE id >= ? AND id < ? ",
                             ("sha256:" + hex_prefix, "sha256:" + hex_prefix + "\x7f"))
        return [_record(r) for r in rows]

    def all(self) -> list[ImageRecord]:
        return [_record(r) for r in self.db.query("SELECT * FROM images ORDER BY created DESC")]

    def children(self, image_id: str) -> list[ImageRecord]:
        return [_record(r) for r in self.db.query("SELECT * FROM images WHERE parent = ?",
                                                  (image_id,))]

    def config(self, image_id: str) -> ImageConfig:
        return ImageConfig(self.blobs.get(image_id))

    def config_bytes(self, image_id: str) -> bytes:
        return self.blobs.get(image_id)

    def set_last_tag_time(self, image_id: str, when: float) -> None:
        with self.db.write() as tx:
            tx.execute("UPDATE images SET last_tag_time = ? WHERE id = ?", (when, image_id))

    def delete(self, image_id: str) -> ImageRecord:
        """Remove the image row (its layers are released by the caller). The config blob is
        left for `system check` if another image shares it (it cannot: IDs are digests)."""
        record = self.get(image_id)
        with self.db.write() as tx:
            tx.execute("UPDATE images SET parent = NULL WHERE parent = ?", (image_id,))
            tx.execute("DELETE FROM images WHERE id = ?", (image_id,))
        faults.point("images.delete.after_row")
        self.blobs.delete(image_id)
        return record


def _record(row: object) -> ImageRecord:
    r = row
    return ImageRecord(ImageID(r["id"]), r["top_layer"], r["parent"], float(r["created"]),  # type: ignore[index]
                       bool(r["built_locally"]), float(r["last_tag_time"]))  # type: ignore[index]


def check_platform(config: ImageConfig) -> None:
    if config.os and config.os != "linux":
        raise InvalidArgument(f"image operating system {config.os!r} cannot be used on this "
                              "platform")
