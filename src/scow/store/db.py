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
- ``build_cache``: a build step's cache key → the layer it produced (schema version 2;
  store/build_cache.py).
- ``distribution``: which compressed blob in which registry repository carries a layer
  (version 3; store/distribution.py); ``manifests``: pulled images' original manifest bytes
  (version 3; store/manifests.py).
- ``networks`` and ``endpoints``: user networks and which container holds which address on
  them (schema version 4; store/networks.py).
- ``build_cache.last_used`` and the index on ``build_cache.chain_id``: a step row holds its
  layer (a reference the layer store counts) and is aged out by when a build last used it
  (schema version 5; store/build_cache.py).
- partial indexes on the unfinished rows of ``containers``, ``layers`` and ``rw_layers``
  (``state != 'ready'``): recovery's `needs_recovery` on every writer's first write finds
  the owners of work in flight without reading every container's row (schema version 6).

The WAL outlives the processes (``<root>/scow.db-wal`` and ``-shm`` stay): SQLite checkpoints
the WAL into ``scow.db`` and deletes it when a process closes the last connection to the file,
which cost every command 3 syncs and an unlink (the checkpoint's two, the new WAL's header at
the next write). `Database.close` closes the connections while a read-only one holds the file
open, then that one, whose checkpoint SQLite refuses (read-only): nothing is written at close.
The next process to open the file rebuilds the WAL's index from its frames (~1.4 us a frame;
SQLite starts the index afresh when no process has it open, and so counts no frame as
checkpointed yet), so the process that closes with a WAL of ``WAL_CHECKPOINT_SIZE`` or more
checkpoints it and truncates it (``wal_checkpoint(TRUNCATE)``, without waiting for readers:
if one is busy, a later close does it). Every durable commit is still synced before it
returns (``synchronous=FULL``): a process killed, or a power cut, after it loses nothing
finished (a commit that is not durable, below, waits for the next durable one as before).
Measurements and the alternatives: docs/design/storage.md, "The WAL's life".

Schema versions: ``PRAGMA user_version`` is the number of ``MIGRATIONS`` applied to the
file. Opening a root runs the missing ones in order (version N → N+1; a new file starts at 0)
in one ``BEGIN IMMEDIATE`` transaction, which is the store's write lock: a second process
opening the same old root waits, then finds it upgraded and migrates nothing. A root newer
than this scow is refused rather than guessed at. Every step is idempotent (``IF NOT
EXISTS``), so a table another part of scow already made lazily is not an error.
"""

from __future__ import annotations

import _sqlite3 as sqlite3  # the C module: the sqlite3 package only adds datetime (start-up)
import _thread  # threading's own primitives: threading costs ~1 ms of a cold start
import contextlib
import os
from collections.abc import Callable, Iterator

from scow.errors import InternalError, LockTimeout, NoSpace, Unsupported

DB_MODE = 0o600  # scow.db and its -wal, -shm (store/modes.py's table names it from here)

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from scow.store.changes import ChangeWatch

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
"""
BUILD_CACHE = """
CREATE TABLE IF NOT EXISTS build_cache (key TEXT PRIMARY KEY, parent_chain TEXT,
  diff_id TEXT NOT NULL, chain_id TEXT NOT NULL, created REAL NOT NULL);
"""
DISTRIBUTION = """CREATE TABLE IF NOT EXISTS distribution (
  diff_id TEXT NOT NULL,
  blob_digest TEXT NOT NULL,
  media_type TEXT NOT NULL,
  repo_name TEXT NOT NULL,
  size INTEGER NOT NULL,
  seen REAL NOT NULL,
  PRIMARY KEY (diff_id, blob_digest, repo_name)
);
CREATE INDEX IF NOT EXISTS distribution_blob ON distribution(blob_digest);
CREATE TABLE IF NOT EXISTS manifests (
  digest TEXT PRIMARY KEY,
  image_id TEXT NOT NULL,
  media_type TEXT NOT NULL,
  data BLOB NOT NULL,
  repo_name TEXT NOT NULL,
  seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS manifests_image ON manifests(image_id)"""
NETWORKS = """
CREATE TABLE IF NOT EXISTS networks (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  driver TEXT NOT NULL,
  bridge TEXT NOT NULL UNIQUE,
  subnet TEXT NOT NULL UNIQUE,
  gateway TEXT NOT NULL,
  internal INTEGER NOT NULL DEFAULT 0,
  labels TEXT NOT NULL DEFAULT '{}',
  options TEXT NOT NULL DEFAULT '{}',
  created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS endpoints (
  container_id TEXT NOT NULL,
  network_id TEXT NOT NULL,
  ip TEXT NOT NULL,
  mac TEXT NOT NULL DEFAULT '',
  aliases TEXT NOT NULL DEFAULT '[]',
  state TEXT NOT NULL,
  owner TEXT,
  created REAL NOT NULL,
  PRIMARY KEY (container_id, network_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS endpoints_ip ON endpoints(network_id, ip);
"""

# Work in flight, indexed: a store of N ready containers answers recovery's question
# (store/recovery.py `needs_recovery`) in O(unfinished rows), not N pages of container docs.
UNFINISHED = """
CREATE INDEX IF NOT EXISTS containers_unfinished ON containers(owner) WHERE state != 'ready';
CREATE INDEX IF NOT EXISTS layers_unfinished ON layers(owner) WHERE state != 'ready';
CREATE INDEX IF NOT EXISTS rw_unfinished ON rw_layers(owner) WHERE state != 'ready'
"""


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    """A migration step that runs each statement of `sql` (inside the caller's transaction:
    ``executescript`` would commit it)."""
    def step(conn: sqlite3.Connection) -> None:
        for stmt in sql.split(";"):
            if stmt.strip():
                conn.execute(stmt)
    return step


def _build_cache_holds(conn: sqlite3.Connection) -> None:
    """``last_used`` on build cache rows (their ``created`` until now) and an index on the
    layer they hold; idempotent as every step (ALTER TABLE has no IF NOT EXISTS)."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(build_cache)")}
    if "last_used" not in columns:
        conn.execute("ALTER TABLE build_cache ADD COLUMN last_used REAL")
        conn.execute("UPDATE build_cache SET last_used = created")
    conn.execute("CREATE INDEX IF NOT EXISTS build_cache_chain ON build_cache(chain_id)")


# MIGRATIONS[n] takes a file from version n to n + 1. Append only: never edit a released step.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _script(SCHEMA),        # 0 → 1: the tables of the first release
    _script(BUILD_CACHE),   # 1 → 2: the build cache (made lazily by the first release)
    _script(DISTRIBUTION),  # 2 → 3: distribution metadata (lazy before) and pulled manifests
    _script(NETWORKS),      # 3 → 4: networks and container endpoints (store/networks.py)
    _build_cache_holds,     # 4 → 5: build cache rows hold their layers (store/build_cache.py)
    _script(UNFINISHED),    # 5 → 6: unfinished rows indexed (store/recovery.py)
)
SCHEMA_VERSION = len(MIGRATIONS)

WAL_CHECKPOINT_SIZE = 1 << 19  # bytes of WAL (~125 frames) a closing process checkpoints


class _ThreadConnection:
    """Closes one thread's connection when that thread ends (its thread-local values go
    with it): the Engine API service runs each attach, wait and exec on a thread of its
    own, and each left an open connection (and its page cache) behind.

    Not in a forked child: one that runs Python before its exec (a `preexec_fn`) may collect
    these, and closing there waits forever for a SQLite mutex that another thread of the
    parent held at the fork, while the child holds the parent's flocks (the network lock)."""

    __slots__ = ("conn", "db", "pid")

    def __init__(self, db: Database, conn: sqlite3.Connection) -> None:
        self.db, self.conn, self.pid = db, conn, os.getpid()

    def __del__(self) -> None:
        if os.getpid() == self.pid:
            self.db._forget(self.conn)


class Database:
    """One connection per thread of each Database object (SQLite connections must not be
    shared by threads running transactions at once; WAL lets them read while one writes,
    and `busy_timeout` queues their writes as it queues other processes'), closed when its
    thread ends; use `write()` and `read()` for transactions."""

    def __init__(self, path: str, *, busy_timeout: float = 60.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self.upgraded_from = 0  # the version of a root this open migrated (0: none, or new)
        self._local = _thread._local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = _thread.allocate_lock()
        self._changes: ChangeWatch | None = None
        if not os.path.exists(path):  # born private: SQLite gives -wal and -shm the db file's mode
            with contextlib.suppress(FileExistsError):
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                                 DB_MODE))
        conn = self._connect()
        try:
            if self._version() != SCHEMA_VERSION:
                self._migrate()
        except sqlite3.Error as exc:
            conn.close()
            raise _translate(exc, f"open metadata database {path}") from exc
        except BaseException:
            conn.close()
            raise

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on its first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        return conn if conn is not None else self._connect()

    @property
    def changes(self) -> ChangeWatch:
        """Whether any connection committed (changes.py), made on first use (a listing's
        second read: never in a CLI command)."""
        if self._changes is None:
            from scow.store.changes import ChangeWatch

            self._changes = ChangeWatch(self.path)
        return self._changes

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise _translate(exc, f"open metadata database {self.path}") from exc
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            conn.close()
            raise _translate(exc, f"open metadata database {self.path}") from exc
        self._local.conn = conn
        self._local.closer = _ThreadConnection(self, conn)
        with self._all_lock:
            self._all.append(conn)
        return conn

    def _forget(self, conn: sqlite3.Connection) -> None:
        """Close `conn`, the connection of a thread that ended (unless close() did)."""
        with self._all_lock:
            if conn not in self._all:
                return
            self._all.remove(conn)
        conn.close()

    def _version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        """Bring the file to SCHEMA_VERSION: the missing steps in one write transaction, the
        version read again under its lock (another process may have just migrated)."""
        with self.write():
            version = self._version()
            if version > SCHEMA_VERSION:
                raise Unsupported(f"store schema version {version} is newer than this scow "
                                  f"({SCHEMA_VERSION}): upgrade scow")
            for step in MIGRATIONS[version:]:
                step(self.conn)
            self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self.upgraded_from = version

    @contextlib.contextmanager
    def write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE); commits on success, rolls back on error.

        Not `durable`: the commit does not fsync the WAL (synchronous=NORMAL for it), for
        rows a power loss may take because recovery rebuilds them, such as a live process's
        lease (after a power loss no process is live). The next durable commit makes it
        durable too: the WAL is one file, synced up to its end."""
        if not durable:
            self.conn.execute("PRAGMA synchronous=NORMAL")
        try:
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
        finally:
            if not durable:
                self.conn.execute("PRAGMA synchronous=FULL")

    def query(self, sql: str, args: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        try:
            return list(self.conn.execute(sql, args).fetchall())
        except sqlite3.Error as exc:
            raise _translate(exc, "read metadata") from exc

    def close(self) -> None:
        """Close every thread's connection (call it when no thread uses this Database), under
        a read-only connection closed last, so that SQLite neither checkpoints nor deletes
        the WAL (module docstring)."""
        with self._all_lock:
            conns, self._all = self._all, []
        keeper = None
        if conns:
            _checkpoint_large_wal(conns[0], self.path)
            keeper = _read_only(self.path)
        for conn in conns:
            conn.close()
        if self._changes is not None:
            self._changes.close()
        if keeper is not None:
            keeper.close()
        self._local = _thread._local()


def _checkpoint_large_wal(conn: sqlite3.Connection, path: str) -> None:
    """Checkpoint and truncate the WAL when it holds `WAL_CHECKPOINT_SIZE` or more, giving up
    on readers at once (the checkpoint then goes as far as they let it: a later close ends it)."""
    try:
        if os.stat(f"{path}-wal").st_size < WAL_CHECKPOINT_SIZE:
            return
    except OSError:
        return
    with contextlib.suppress(sqlite3.Error):
        conn.execute("PRAGMA busy_timeout=0")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def connect_read_only(path: str) -> sqlite3.Connection:
    """A read-only connection to the database file at `path` (usable from any thread)."""
    uri = os.path.abspath(path).replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return sqlite3.connect(f"file://{uri}?mode=ro", uri=True, isolation_level=None,
                           check_same_thread=False)


def _read_only(path: str) -> sqlite3.Connection | None:
    """A read-only connection to `path` holding the file open (a read takes SQLite's shared
    lock on it), or None where it cannot be had: the close checkpoints then, as SQLite does."""
    try:
        conn = connect_read_only(path)
    except sqlite3.Error:
        return None
    try:
        conn.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error:
        conn.close()
        return None
    return conn


def _translate(exc: sqlite3.Error, verb: str) -> Exception:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return LockTimeout(f"{verb}: the store is busy (another scow holds it)")
    if "disk is full" in text or "full" in text:
        return NoSpace(f"{verb}: no space left on device")
    return InternalError(f"{verb}: {text}")
