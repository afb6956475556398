"""owns: the rows of named volumes (their data folders are the volume service's).

On-disk layout::

    <root>/scow.db  volumes         name, created, labels (JSON), anonymous

Creating a volume that exists returns the existing row (docker's behaviour), so two processes
creating one name race harmlessly: `INSERT OR IGNORE` in one write transaction.
"""

from __future__ import annotations

import time

from scow.fastjson import dumps, loads
from scow.store.db import Database

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from scow.typeshim import NamedTuple


class VolumeRecord(NamedTuple):
    name: str
    created: float
    labels: dict[str, str]
    anonymous: bool


class VolumeStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, name: str, labels: dict[str, str], anonymous: bool) -> None:
        """Insert the row unless one of that name exists."""
        with self.db.write() as tx:
            tx.execute("INSERT OR IGNORE INTO volumes VALUES (?, ?, ?, ?)",
                       (name, time.time(), dumps(labels), int(anonymous)))

    def find(self, name: str) -> VolumeRecord | None:
        rows = self.db.query("SELECT * FROM volumes WHERE name = ?", (name,))
        if not rows:
            return None
        r = rows[0]
        return VolumeRecord(r["name"], float(r["created"]), loads(r["labels"]),
                            bool(r["anonymous"]))

    def all(self) -> list[VolumeRecord]:
        rows = self.db.query("SELECT * FROM volumes ORDER BY name")
        return [VolumeRecord(r["name"], float(r["created"]), loads(r["labels"]),
                             bool(r["anonymous"])) for r in rows]

    def delete(self, name: str) -> None:
        with self.db.write() as tx:
            tx.execute("DELETE FROM volumes WHERE name = ?", (name,))
