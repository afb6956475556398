"""owns: the SQLite metadata database ``<root>/scow.db`` (WAL): its schema and transactions.

Many scow processes share one root. Writers use ``BEGIN IMMEDIATE`` with a busy timeout, so
they queue instead of failing; readers never block writers (WAL). A write transaction is never
held across slow work (extraction, downloads): intent rows are committed first, the work is
done, and a second short transaction publishes the result.

Tables (all IDs are the full ``sha256:<hex>`` digests or 64-hex random IDs):

- ``layers``: one row per driver layer folder, keyed by cache_id. ``state`` is
  ``incomplete`` (being made by ``owner``), ``ready``, or ``removing`` (being deleted by
  ``owner``). ``chain_id`` is unique among ready layers. ``size`` is the DiffSize recorded
  at registration.
- ``leases``: a live process's temporary hold on a ready layer (between registering a layer
  and creating the image that uses it).
- ``images``: image ID (= config digest; the bytes are in blobs/), its top layer chain_id,
  local parent, created time, last tag time.
- ``refs``: ``name:tag`` and ``name@digest`` references → image ID.
- ``rw_layers``: a container's init + writable layer pair on an image chain_id.
- ``containers``: a container's record (``doc``: its config as JSON) with a unique name;
  ``state`` is ``creating`` (by ``owner``), ``ready`` or ``removing``.
- ``volumes``: named volumes (their data is under ``<root>/volumes/<name>/_data``).
- ``build_cache``: which layer a build step's cache key produced (store/build_cache.py).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator

from scow.errors import InternalError, LockTimeout, NoSpace

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS layers (
  cache_id TEXT PRIMARY KEY,
  chain_id TEXT,
  diff_id TEXT,
  parent TEXT,
  size INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  owner TEXT,
  created REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS layers_ready_chain ON layers(chain_id) WHERE state = 'ready';
CREATE INDEX IF NOT EXISTS layers_parent ON layers(parent);
CREATE TABLE IF NOT EXISTS leases (
  owner TEXT NOT NULL,
  chain_id TEXT NOT NULL,
  created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS leases_chain ON leases(chain_id);
CREATE TABLE IF NOT EXISTS images (
  id TEXT PRIMARY KEY,
  top_layer TEXT,
  parent TEXT,
  created REAL NOT NULL,
  built_locally INTEGER NOT NULL DEFAULT 0,
  last_tag_time REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS images_top ON images(top_layer);
CREATE INDEX IF NOT EXISTS images_parent ON images(parent);
CREATE TABLE IF NOT EXISTS refs (
  ref TEXT PRIMARY KEY,
  repo TEXT NOT NULL,
  image_id TEXT NOT NULL,
  is_digest INTEGER NOT NULL DEFAULT 0,
  created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS refs_image ON refs(image_id);
CREATE TABLE IF NOT EXISTS rw_layers (
  mount_id TEXT PRIMARY KEY,
  parent TEXT,
  owner_container TEXT,
  state TEXT NOT NULL,
  owner TEXT,
  created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS rw_parent ON rw_layers(parent);
CREATE TABLE IF NOT EXISTS containers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  image_id TEXT NOT NULL,
  mount_id TEXT,
  created REAL NOT NULL,
  state TEXT NOT NULL,
  owner TEXT,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS containers_image ON containers(image_id);
CREATE TABLE IF NOT EXISTS volumes (
  name TEXT PRIMARY KEY,
  created REAL NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}',
  anonymous INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS build_cache (
  key TEXT PRIMARY KEY,
  parent_chain TEXT,
  diff_id TEXT NOT NULL,
  chain_id TEXT NOT NULL,
  created REAL NOT NULL
);
"""


class Database:
    """One connection per Database object; use `write()` and `read()` for transactions."""

    def __init__(self, path: str, *, busy_timeout: float = 60.0) -> None:
        self.path = path
        exists = os.path.exists(path)
        try:
            self.conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None,
                                        check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            if not exists or self._version() < SCHEMA_VERSION:
                with self.write():
                    for stmt in SCHEMA.split(";"):
                        if stmt.strip():
                            self.conn.execute(stmt)
                    self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise _translate(exc, f"open metadata database {path}") from exc

    def _version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE); commits on success, rolls back on error."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _translate(exc, "begin metadata transaction") from exc
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise _translate(exc, "commit metadata transaction") from exc

    def query(self, sql: str, args: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        try:
            return list(self.conn.execute(sql, args).fetchall())
        except sqlite3.Error as exc:
            raise _translate(exc, "read metadata") from exc

    def close(self) -> None:
        self.conn.close()


def _translate(exc: sqlite3.Error, verb: str) -> Exception:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return LockTimeout(f"{verb}: the store is busy (another scow holds it)")
    if "disk is full" in text or "full" in text:
        return NoSpace(f"{verb}: no space left on device")
    return InternalError(f"{verb}: {text}")
