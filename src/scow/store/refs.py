"""owns: the reference store: ``name:tag`` and ``name@digest`` → image ID (moby's refstore).

References are stored fully qualified (``docker.io/library/busybox:latest``) in the ``refs``
table; ``repo`` is the name without tag or digest. A digest reference is never re-pointed;
a ``name:tag@digest`` reference is stored as ``name@digest`` (moby's favorDigest).
"""

from __future__ import annotations

import time

from scow.errors import Conflict, ImageNotFound, InvalidReference, NotFound
from scow.oci.reference import Reference, parse_reference
from scow.store.db import Database

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class ReferenceStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, ref: Reference, image_id: str, *, force: bool = True) -> None:
        with self.db.write() as tx:
            insert_ref(tx, ref, image_id, force=force)

    def get(self, ref: Reference) -> str:
        image_id = self.find(ref)
        if image_id is None:
            raise NotFound(f"reference does not exist: {ref.familiar()}")
        return image_id

    def find(self, ref: Reference) -> str | None:
        rows = self.db.query("SELECT image_id FROM refs WHERE ref = ?", (str(ref),))
        return str(rows[0][0]) if rows else None

    def delete(self, ref: Reference) -> bool:
        with self.db.write() as tx:
            cur = tx.execute("DELETE FROM refs WHERE ref = ?", (str(ref),))
            return cur.rowcount > 0

    def refs_of(self, image_id: str) -> list[Reference]:
        rows = self.db.query("SELECT ref FROM refs WHERE image_id = ? ORDER BY ref", (image_id,))
        return [parse_reference(r[0], default_tag=False) for r in rows]

    def all(self) -> dict[str, list[Reference]]:
        out: dict[str, list[Reference]] = {}
        for ref, image_id in self.db.query("SELECT ref, image_id FROM refs ORDER BY ref"):
            out.setdefault(image_id, []).append(parse_reference(ref, default_tag=False))
        return out


def insert_ref(tx: Any, ref: Reference, image_id: str, *, force: bool = True) -> None:
    """Point `ref` at `image_id` inside the write transaction `tx` (the image store's create
    tags in the same transaction, so that no prune takes a new image before its tag). A ref
    is never left naming an image that is gone: an image removed meanwhile is an error."""
    if ref.path.split("/")[-1] == "sha256" and ref.domain == "docker.io":
        raise InvalidReference("refusing to create an ambiguous tag using digest algorithm "
                               "as name")
    if ref.digest:
        ref = ref.with_digest(ref.digest)
    key = str(ref)
    if not tx.execute("SELECT 1 FROM images WHERE id = ?", (image_id,)).fetchall():
        raise ImageNotFound(f"No such image: {image_id} (removed while {ref.familiar()} was "
                            "being tagged)")
    rows = tx.execute("SELECT image_id FROM refs WHERE ref = ?", (key,)).fetchall()
    if rows and rows[0][0] != image_id:
        if ref.digest:
            raise Conflict(f"cannot overwrite digest {ref.digest}")
        if not force:
            raise Conflict(f"conflict: tag {ref.familiar()} is already set to image "
                           f"{rows[0][0]}, use the force option to replace it")
    tx.execute("INSERT OR REPLACE INTO refs VALUES (?, ?, ?, ?, ?)",
               (key, ref.name, image_id, int(bool(ref.digest)), time.time()))
