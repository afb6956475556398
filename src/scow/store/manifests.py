"""owns: the original manifests of pulled images (as containerd keeps them), so that pushing
an image unchanged sends the registry the very bytes it was pulled as, and its digest — and any
signature made for it — survives the round trip.

On-disk layout::

    <root>/scow.db  manifests   digest, image_id, media_type, data, repo_name, seen

One row per image manifest (never an index: from a manifest list or OCI index only the
platform's manifest is kept, the one the image was made from). ``repo_name`` is the fully
qualified repository it was pulled from. A row whose image is gone is ignored, and dropped by
the next `record`. The table is made by schema migration 3 (store/db.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from scow.ids import Digest, ImageID
from scow.store.db import Database


@dataclass(frozen=True, slots=True)
class OriginalManifest:
    digest: Digest
    image_id: ImageID
    media_type: str
    data: bytes
    repo_name: str


class ManifestStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, digest: str, image_id: str, media_type: str, data: bytes,
               repo_name: str) -> None:
        """Keep the manifest `data` (whose digest the caller verified) of `image_id`."""
        with self.db.write() as tx:
            tx.execute("DELETE FROM manifests WHERE image_id NOT IN (SELECT id FROM images)")
            tx.execute("INSERT OR REPLACE INTO manifests VALUES (?, ?, ?, ?, ?, ?)",
                       (digest, image_id, media_type, data, repo_name, time.time()))

    def of_image(self, image_id: str) -> list[OriginalManifest]:
        """The kept manifests of a present image, most recently pulled first."""
        rows = self.db.query(
            "SELECT m.* FROM manifests m JOIN images i ON i.id = m.image_id "
            "WHERE m.image_id = ? ORDER BY m.seen DESC", (image_id,))
        return [OriginalManifest(Digest(r["digest"]), ImageID(r["image_id"]), r["media_type"],
                                 bytes(r["data"]), r["repo_name"]) for r in rows]
