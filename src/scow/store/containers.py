"""owns: container records: ID, unique name, image, writable layer, and the container's
configuration document (docker's config.v2.json + hostconfig.json, as one JSON object).

On-disk layout::

    <root>/scow.db  containers    id, name, image_id, mount_id, created, state, owner, doc
    <root>/containers/<id>/       the container's folder (owned by the container service)

A row is inserted ``creating`` with this process's owner token before any layer or folder is
made (this reserves the name), and made ``ready`` once everything exists; ``removing`` rows
are being deleted. The store's ``recover`` finishes or rolls back rows whose owner died.
A long-lived reader (the Engine API service) keeps the ready rows it read (``ready``,
``find_known``) while no connection of any process committed since (store/changes.py).
"""

from __future__ import annotations

import _sqlite3 as sqlite3  # the C module: the sqlite3 package only adds datetime (start-up)
import time

from scow.errors import ContainerNotFound, InvalidArgument, NameInUse
from scow.fastjson import dumps, loads
from scow.osutil.locks import OwnerToken
from scow.store.db import Database

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from scow.typeshim import NamedTuple


class ContainerRecord(NamedTuple):
    id: str
    name: str
    image_id: str
    mount_id: str | None
    created: float
    state: str
    doc: dict[str, Any]


class ContainerStore:
    def __init__(self, db: Database, owner: OwnerToken) -> None:
        self.db = db
        self.owner = owner
        # ready(): (the database's change version, the ready rows) of the last read; None
        # until a second read (a CLI process reads once: no watch connection for it)
        self._ready: tuple[tuple[int, int] | None, tuple[ContainerRecord, ...]] | None = None
        # find_known(): name or ID → (the change version, the record found then)
        self._found: dict[str, tuple[tuple[int, int] | None, ContainerRecord | None]] = {}

    def reserve(self, container_id: str, name: str, image_id: str, doc: dict[str, Any]) -> None:
        """Insert a `creating` row; the name is taken from now on. Its commit does not wait
        for the disk: nothing is made on disk before create's next commit, which is durable
        (the container's layer row) and takes this one with it (one WAL)."""
        try:
            with self.db.write(durable=False) as tx:
                tx.execute("INSERT INTO containers VALUES (?, ?, ?, NULL, ?, 'creating', ?, ?)",
                           (container_id, name, image_id, time.time(), self.owner.name,
                            dumps(doc)))
        except sqlite3.IntegrityError:
            raise self._name_in_use(name) from None

    def rename(self, container_id: str, name: str) -> None:
        """Give the container `name` (unique: NameInUse names the container holding it)."""
        try:
            with self.db.write() as tx:
                tx.execute("UPDATE containers SET name = ? WHERE id = ?", (name, container_id))
        except sqlite3.IntegrityError:
            raise self._name_in_use(name) from None

    def _name_in_use(self, name: str) -> NameInUse:
        rows = self.db.query("SELECT id FROM containers WHERE name = ?", (name,))
        other = rows[0][0] if rows else "?"
        return NameInUse(f'Conflict. The container name "/{name}" is already in use by '
                         f'container "{other}". You have to remove (or rename) that container '
                         "to be able to reuse that name.")

    def publish(self, container_id: str, mount_id: str, doc: dict[str, Any]) -> ContainerRecord:
        """Make the reserved row `ready` with its layer and document; the record as written
        (not read back: `doc` is the caller's, its JSON not parsed again)."""
        with self.db.write() as tx:
            row = tx.execute("UPDATE containers SET mount_id = ?, doc = ?, state = 'ready', "
                             "owner = NULL WHERE id = ? RETURNING name, image_id, created",
                             (mount_id, dumps(doc), container_id)).fetchone()
        if row is None:
            raise ContainerNotFound(f"publish container {container_id[:12]}: its row is gone")
        return ContainerRecord(container_id, row[0], row[1], mount_id, float(row[2]), "ready",
                               doc)

    def set_mount(self, container_id: str, mount_id: str) -> None:
        with self.db.write() as tx:
            tx.execute("UPDATE containers SET mount_id = ? WHERE id = ?", (mount_id, container_id))

    def patch_doc(self, container_id: str, fields: dict[str, Any]) -> bool:
        """Set `fields` of the container's document in one write transaction (read, change
        and write back with no other writer in between); False when the row is gone."""
        with self.db.write() as tx:
            row = tx.execute("SELECT doc FROM containers WHERE id = ?", (container_id,)).fetchone()
            if row is None:
                return False
            doc = loads(row[0])
            doc.update(fields)
            tx.execute("UPDATE containers SET doc = ? WHERE id = ?",
                       (dumps(doc), container_id))
        return True

    def doc_of(self, container_id: str) -> dict[str, Any] | None:
        """The row's current document, whatever state the row is in."""
        rows = self.db.query("SELECT doc FROM containers WHERE id = ?", (container_id,))
        return loads(rows[0][0]) if rows else None

    def mark_removing(self, container_id: str) -> None:
        with self.db.write() as tx:
            tx.execute("UPDATE containers SET state = 'removing', owner = ? WHERE id = ?",
                       (self.owner.name, container_id))

    def delete(self, container_id: str, *, durable: bool = True) -> None:
        """Not `durable` (rm, after its durable ``removing`` mark): a power loss may bring
        the row back ``removing`` with a dead owner, which recovery finishes."""
        with self.db.write(durable=durable) as tx:
            tx.execute("DELETE FROM containers WHERE id = ?", (container_id,))

    def all(self, *, include_incomplete: bool = False) -> list[ContainerRecord]:
        where = "" if include_incomplete else "WHERE state = 'ready'"
        rows = self.db.query(f"SELECT * FROM containers {where} ORDER BY created DESC")
        return [_record(r) for r in rows]

    def ready(self) -> tuple[ContainerRecord, ...]:
        """The ready rows as all() gives them, SHARED: a caller must not change a record's
        doc. Served again while no connection of any process committed since they were read
        (the database's change version, changes.py); read again otherwise."""
        last = self._ready
        version = self.db.changes.version() if last is not None else None
        if last is not None and version is not None and last[0] == version:
            return last[1]
        records = tuple(self.all())
        self._ready = (version, records)
        return records

    def find_known(self, name_or_id: str) -> ContainerRecord | None:
        """find(), answered again without a query while no connection of any process
        committed since (changes.py; the record's doc is the caller's own copy). Only once
        this store has read its rows (ready()): a CLI process finds once, with no watch."""
        if self._ready is None:
            return self.find(name_or_id)
        version = self.db.changes.version()
        hit = self._found.get(name_or_id)
        if hit is not None and version is not None and hit[0] == version:
            record = hit[1]
        else:
            record = self.find(name_or_id)
            if len(self._found) >= 1024:
                self._found = {}
            self._found[name_or_id] = (version, record)
        return record._replace(doc=loads(dumps(record.doc))) if record is not None else None

    def find(self, name_or_id: str) -> ContainerRecord | None:
        """docker's lookup: full ID, then name (with or without '/'), then unique ID prefix."""
        key = name_or_id.removeprefix("/")
        for sql in ("SELECT * FROM containers WHERE id = ? AND state = 'ready'",
                    "SELECT * FROM containers WHERE name = ? AND state = 'ready'"):
            rows = self.db.query(sql, (key,))
            if rows:
                return _record(rows[0])
        if not key or any(c not in "0123456789abcdef" for c in key):
            return None
        rows = self.db.query("SELECT * FROM containers WHERE id >= ? AND id < ? AND "
                             "state = 'ready'", (key, key + "g"))
        if len(rows) > 1:
            raise InvalidArgument(f"multiple IDs found with provided prefix: {key}")
        return _record(rows[0]) if rows else None

    def get(self, name_or_id: str) -> ContainerRecord:
        record = self.find(name_or_id)
        if record is None:
            raise ContainerNotFound(f"No such container: {name_or_id}")
        return record

    def using_image(self, image_id: str) -> list[ContainerRecord]:
        rows = self.db.query("SELECT * FROM containers WHERE image_id = ?", (image_id,))
        return [_record(r) for r in rows]

    def stale(self) -> list[ContainerRecord]:
        """Rows being created or removed by owners that are gone."""
        rows = self.db.query("SELECT * FROM containers WHERE state != 'ready'")
        return [_record(r) for r in rows if not (r["owner"] and self.owner.is_alive(r["owner"]))]


def _record(row: Any) -> ContainerRecord:
    return ContainerRecord(row["id"], row["name"], row["image_id"], row["mount_id"],
                           float(row["created"]), row["state"], loads(row["doc"]))
