"""owns: distribution metadata (moby's v2metadata-by-diffid and diffid-by-digest): which
compressed blob in which registry repository carries a layer's uncompressed tar.

On-disk layout::

    <root>/scow.db  distribution   diff_id, blob_digest, media_type, repo_name, size, seen

``repo_name`` is the fully qualified repository (``127.0.0.1:5000/app``, ``docker.io/library/x``).
Pull records every layer it sees; push records every blob it uploads or finds, so a re-push of
a pulled or pushed layer reuses the blob the registry already has (same manifest digest, no
upload) or mounts it from a sibling repository of the same registry.
The table is made by schema migration 3 (store/db.py; the first release made it lazily).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from scow.ids import DiffID, Digest
from scow.store.db import Database


@dataclass(frozen=True, slots=True)
class BlobSource:
    """A compressed blob of a layer, known to be in `repo_name`."""

    diff_id: DiffID
    blob_digest: Digest
    media_type: str
    repo_name: str
    size: int

    @property
    def domain(self) -> str:
        return self.repo_name.split("/", 1)[0]

    @property
    def path(self) -> str:
        """The repository path inside its registry (``library/busybox``)."""
        return self.repo_name.split("/", 1)[1] if "/" in self.repo_name else self.repo_name


class DistributionMetadata:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, diff_id: str, blob_digest: str, media_type: str, repo_name: str,
               size: int) -> None:
        """Remember that `repo_name` holds `blob_digest`, a compressed form of `diff_id`."""
        with self.db.write() as tx:
            tx.execute("INSERT OR REPLACE INTO distribution VALUES (?, ?, ?, ?, ?, ?)",
                       (diff_id, blob_digest, media_type, repo_name, size, time.time()))

    def forget(self, blob_digest: str, repo_name: str) -> None:
        """Drop a record the registry contradicted (the blob is gone from `repo_name`)."""
        with self.db.write() as tx:
            tx.execute("DELETE FROM distribution WHERE blob_digest = ? AND repo_name = ?",
                       (blob_digest, repo_name))

    def sources(self, diff_id: str) -> list[BlobSource]:
        """Every known blob of `diff_id`, most recently seen first."""
        rows = self.db.query("SELECT * FROM distribution WHERE diff_id = ? ORDER BY seen DESC",
                             (diff_id,))
        return [_source(r) for r in rows]

    def diff_id_of(self, blob_digest: str) -> DiffID | None:
        """The DiffID of a compressed blob we have seen (moby's diffid-by-digest)."""
        rows = self.db.query("SELECT diff_id FROM distribution WHERE blob_digest = ? LIMIT 1",
                             (blob_digest,))
        return DiffID(rows[0][0]) if rows else None


def _source(row: object) -> BlobSource:
    r = row  # sqlite3.Row
    return BlobSource(DiffID(r["diff_id"]), Digest(r["blob_digest"]), r["media_type"],  # type: ignore[index]
                      r["repo_name"], int(r["size"]))  # type: ignore[index]
