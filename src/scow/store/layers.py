"""owns: the layer store: read-only layers keyed by ChainID and containers' read-write layer
pairs, their reference counts, and the intent-first discipline that makes both crash-safe.

On-disk layout::

    <root>/scow.db                              rows of ``layers``, ``leases``, ``rw_layers``
    <root>/layerdb/<cache_id>.tar-split.gz      tar-split of a registered layer (moby's format)
    <root>/<driver>/...                         the driver's folders, named by cache ID

Identity (moby's layer store): DiffID = sha256 of the uncompressed tar, hashed while it is
applied (one pass); ChainID(L0) = DiffID(L0) and
ChainID(L0..n) = sha256("<ChainID(L0..n-1)> <DiffID(Ln)>"); the cache ID naming the driver
folder is random. The same ChainID is stored once.

References are derived, never stored as counters that can drift: a layer is in use while a ready
or incomplete child layer, an image (its top layer), a container's rw layer, a live lease or
a build cache step row (store/build_cache.py) names it. ``release`` deletes what nothing
uses, walking down the chain (moby's cascade).

Crash safety: a row marked ``incomplete`` with this process's owner token is committed before
any driver work; the row is made ``ready`` in a second short transaction. Deletion marks the row
``removing`` first. ``recover`` (run by the next writer) finishes either for owners that died.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence

from scow.drivers.base import Driver
from scow.errors import (
    DriverError,
    LayerInUse,
    LayerNotFound,
    MountError,
    ScowError,
    from_oserror,
)
from scow.ids import CacheID, ChainID, DiffID, chain_id, random_id, short_id
from scow.osutil import faults
from scow.osutil.atomic import atomic_write
from scow.osutil.locks import OwnerToken
from scow.store.db import Database

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import BinaryIO, NamedTuple
else:
    from scow.typeshim import NamedTuple


class Layer(NamedTuple):
    chain_id: ChainID
    diff_id: DiffID
    cache_id: CacheID
    parent: ChainID | None
    size: int  # DiffSize: what this layer adds


class RWLayer(NamedTuple):
    mount_id: str
    parent: ChainID | None

    @property
    def init_id(self) -> str:
        return self.mount_id + "-init"


_REFS_SQL = """SELECT
 (SELECT count(*) FROM layers WHERE parent = ?1 AND state IN ('incomplete', 'ready'))
 + (SELECT count(*) FROM images WHERE top_layer = ?1)
 + (SELECT count(*) FROM rw_layers WHERE parent = ?1 AND state != 'removing')
 + (SELECT count(*) FROM leases WHERE chain_id = ?1)
 + (SELECT count(*) FROM build_cache WHERE chain_id = ?1 AND key NOT LIKE 'image:%')"""


class LayerStore:
    def __init__(self, root: str, db: Database, driver: Callable[[], Driver],
                 owner: OwnerToken) -> None:
        self.root = root
        self.db = db
        self._driver_of = driver  # opened on first use: `images` and `ps` need no driver
        self.owner = owner
        self.meta_dir = os.path.join(root, "layerdb")
        os.makedirs(self.meta_dir, mode=0o700, exist_ok=True)

    @property
    def driver(self) -> Driver:
        return self._driver_of()

    # -- reading --------------------------------------------------------------------------
    def find(self, chain: str) -> Layer | None:
        rows = self.db.query("SELECT * FROM layers WHERE chain_id = ? AND state = 'ready'",
                             (chain,))
        return _layer(rows[0]) if rows else None

    def get(self, chain: str) -> Layer:
        layer = self.find(chain)
        if layer is None:
            raise LayerNotFound(f"get layer {short_id(chain)}: not found")
        return layer

    def all(self) -> list[Layer]:
        return [_layer(r) for r in self.db.query("SELECT * FROM layers WHERE state = 'ready'")]

    def chain(self, top: str | None) -> list[Layer]:
        """The layers from the base up to `top`."""
        out: list[Layer] = []
        current: str | None = top
        while current:
            layer = self.get(current)
            out.append(layer)
            current = layer.parent
        return out[::-1]

    def size(self, top: str | None) -> int:
        """Size of the image made of the chain up to `top`: the sum of its DiffSizes."""
        return sum(layer.size for layer in self.chain(top))

    def tar_split_path(self, cache_id: str) -> str:
        return os.path.join(self.meta_dir, f"{cache_id}.tar-split.gz")

    # -- registering ----------------------------------------------------------------------
    def register(self, stream: BinaryIO, parent: str | None) -> Layer:
        """Apply an uncompressed layer tar on `parent`; returns the layer with a lease held by
        this process (call `release_lease` once an image or child names it)."""
        from scow.archive.tarstream import LayerReader

        cache_id = CacheID(random_id())
        parent_layer = self._begin(cache_id, parent)
        parent_cache = parent_layer.cache_id if parent_layer else None
        try:
            faults.point("layers.register.after_begin")
            self.driver.create(cache_id, parent_cache)
            faults.point("layers.register.after_create")
            reader = LayerReader(stream)
            size = self.driver.apply_diff(cache_id, parent_cache, reader.entries())
            reader.finish()
            faults.point("layers.register.after_apply")
            atomic_write(self.tar_split_path(cache_id), reader.tar_split, 0o600)
            faults.point("layers.register.after_tar_split")
            diff_id = DiffID(reader.diff_id)
            chain = chain_id([parent, diff_id]) if parent else ChainID(diff_id)
            existing = self._publish(cache_id, chain, diff_id, size)
            faults.point("layers.register.after_publish")
        except BaseException as exc:
            self._abandon(cache_id, exc)
            raise
        if existing is not None:  # a concurrent register made the same layer first
            self._abandon(cache_id, None)
            return existing
        return Layer(chain, diff_id, cache_id, ChainID(parent) if parent else None, size)

    def _begin(self, cache_id: str, parent: str | None) -> Layer | None:
        with self.db.write() as tx:
            parent_layer = None
            if parent:
                rows = tx.execute("SELECT * FROM layers WHERE chain_id = ? AND state = 'ready'",
                                  (parent,)).fetchall()
                if not rows:
                    raise LayerNotFound(f"register layer: parent {short_id(parent)} not found")
                parent_layer = _layer(rows[0])
            tx.execute("INSERT INTO layers(cache_id, parent, state, owner, created) "
                       "VALUES (?, ?, 'incomplete', ?, ?)",
                       (cache_id, parent, self.owner.name, time.time()))
        return parent_layer

    def _publish(self, cache_id: str, chain: str, diff_id: str, size: int) -> Layer | None:
        with self.db.write() as tx:
            rows = tx.execute("SELECT * FROM layers WHERE chain_id = ? AND state = 'ready'",
                              (chain,)).fetchall()
            if rows:
                tx.execute("INSERT INTO leases VALUES (?, ?, ?)",
                           (self.owner.name, chain, time.time()))
                return _layer(rows[0])
            tx.execute("UPDATE layers SET chain_id = ?, diff_id = ?, size = ?, state = 'ready', "
                       "owner = NULL WHERE cache_id = ?", (chain, diff_id, size, cache_id))
            tx.execute("INSERT INTO leases VALUES (?, ?, ?)", (self.owner.name, chain, time.time()))
        return None

    def _abandon(self, cache_id: str, exc: BaseException | None) -> None:
        """Roll back a registration; never masks the error that caused it."""
        try:
            self._remove_files(cache_id)
            with self.db.write() as tx:
                tx.execute("DELETE FROM layers WHERE cache_id = ?", (cache_id,))
        except (ScowError, OSError) as cleanup:
            if exc is None:
                raise
            exc.add_note(f"rolling back layer {short_id(cache_id)} also failed: {cleanup}")

    def _remove_files(self, cache_id: str) -> None:
        self.driver.remove(cache_id)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tar_split_path(cache_id))

    # -- leases and release ---------------------------------------------------------------
    def take_lease(self, chain: str) -> None:
        """Hold `chain` for this process (not durable: a power loss ends every holder)."""
        with self.db.write(durable=False) as tx:
            if not tx.execute("SELECT 1 FROM layers WHERE chain_id = ? AND state = 'ready'",
                              (chain,)).fetchall():
                raise LayerNotFound(f"hold layer {short_id(chain)}: not found")
            tx.execute("INSERT INTO leases VALUES (?, ?, ?)", (self.owner.name, chain, time.time()))

    def release_lease(self, chain: str) -> list[ChainID]:
        """Drop one of this process's leases on `chain`; deletes what is then unused.

        The lease goes in a commit that is not durable (a lease a power loss brings back
        has a dead owner: recovery drops it); a layer that goes with it is marked
        ``removing`` durably before its files go."""
        return self.release_leases([chain])

    def release_leases(self, chains: Sequence[str]) -> list[ChainID]:
        """`release_lease` of each of `chains` in order, their leases dropped in one commit
        (a build's leases at its end: one transaction, not one a step)."""
        with self.db.write(durable=False) as tx:
            doomed: list[Layer] = []
            for chain in chains:
                tx.execute("DELETE FROM leases WHERE rowid IN (SELECT rowid FROM leases "
                           "WHERE owner = ? AND chain_id = ? LIMIT 1)", (self.owner.name, chain))
                doomed += self._mark_unused(tx, chain)
        if doomed:
            with self.db.write() as tx:  # a durable commit: the marks above are on disk
                tx.executemany("UPDATE layers SET owner = ? WHERE cache_id = ?",
                               [(self.owner.name, d.cache_id) for d in doomed])
        return self._delete(doomed)

    def release(self, chain: str | None) -> list[ChainID]:
        """Delete `chain` and its parents as far as nothing uses them (after an image went)."""
        if not chain:
            return []
        with self.db.write() as tx:
            doomed = self._mark_unused(tx, chain)
        return self._delete(doomed)

    def _mark_unused(self, tx: object, chain: str | None) -> list[Layer]:
        doomed: list[Layer] = []
        conn = self.db.conn
        while chain:
            rows = conn.execute("SELECT * FROM layers WHERE chain_id = ? AND state = 'ready'",
                                (chain,)).fetchall()
            if not rows or conn.execute(_REFS_SQL, (chain,)).fetchone()[0] > 0:
                break
            layer = _layer(rows[0])
            conn.execute("UPDATE layers SET state = 'removing', owner = ? WHERE cache_id = ?",
                         (self.owner.name, layer.cache_id))
            doomed.append(layer)
            chain = layer.parent
        return doomed

    def _delete(self, doomed: list[Layer]) -> list[ChainID]:
        for layer in doomed:  # top first: a child's folder goes before its parent's
            faults.point("layers.release.after_mark")
            try:
                self._remove_files(layer.cache_id)
            except OSError as exc:
                raise from_oserror(f"remove layer {short_id(layer.chain_id)}", exc) from exc
            with self.db.write() as tx:
                tx.execute("DELETE FROM layers WHERE cache_id = ?", (layer.cache_id,))
        return [layer.chain_id for layer in doomed]

    def in_use(self, chain: str) -> int:
        return int(self.db.query(_REFS_SQL, (chain,))[0][0])

    # -- exporting ------------------------------------------------------------------------
    def tar_stream(self, chain: str, out: BinaryIO) -> None:
        """Write the layer's tar exactly as it was registered (from tar-split), verified
        against its DiffID (store/layer_export.py)."""
        from scow.store.layer_export import write_layer_tar

        layer = self.get(chain)
        write_layer_tar(layer.chain_id, layer.diff_id, self.tar_split_path(layer.cache_id),
                        self.driver.layer_path(layer.cache_id), out)

    # -- read-write layers ----------------------------------------------------------------
    def create_rw(self, parent: str | None, container_id: str,
                  init: Callable[[str, list[str]], None] | None = None, *,
                  ready_durable: bool = True) -> RWLayer:
        """Make a container's ``<mount>-init`` layer (filled by `init`) and its writable layer,
        published ``ready`` (a container row names it from then on). Not `ready_durable`:
        the ``ready`` commit does not wait for the disk, for a caller whose next commit is
        durable (a container's publish); a power loss before that leaves the row
        ``incomplete`` under a dead owner, which recovery removes with its folders."""
        return self._create_rw(parent, container_id, init, held=False,
                               ready_durable=ready_durable)

    def create_held_rw(self, parent: str | None, label: str,
                       init: Callable[[str, list[str]], None] | None = None) -> RWLayer:
        """A writable layer that stays this process's work in progress until `remove_rw`:
        its row is ``incomplete`` under this process's owner token from the first transaction
        on, so no other process's recovery takes it while this process lives, and the next
        writer's recovery removes it once this process is gone (a build step's layer;
        `label` is ``build-<step id>``, which recovery uses to delete the step's container).
        Its folders are not fsynced (only its row is durable): whatever a power loss leaves
        of them, recovery removes with the row."""
        return self._create_rw(parent, label, init, held=True)

    def _create_rw(self, parent: str | None, container_id: str,
                   init: Callable[[str, list[str]], None] | None, *, held: bool,
                   ready_durable: bool = True) -> RWLayer:
        rw = RWLayer(random_id(), ChainID(parent) if parent else None)
        with self.db.write() as tx:
            if parent and not tx.execute("SELECT 1 FROM layers WHERE chain_id = ? AND "
                                         "state = 'ready'", (parent,)).fetchall():
                raise LayerNotFound(f"create container layer: image layer {short_id(parent)} "
                                    "not found")
            tx.execute("INSERT INTO rw_layers VALUES (?, ?, ?, 'incomplete', ?, ?)",
                       (rw.mount_id, parent, container_id, self.owner.name, time.time()))
        try:
            faults.point("layers.create_rw.after_begin")
            parent_cache = self.get(parent).cache_id if parent else None
            self.driver.create_rw(rw.init_id, parent_cache, durable=not held)
            if init is not None:  # written in place, never mounted (initlayer.py)
                init(*self.driver.folders(rw.init_id))
            self.driver.create_rw(rw.mount_id, rw.init_id, durable=not held)
            faults.point("layers.create_rw.after_create")
            if not held:
                with self.db.write(durable=ready_durable) as tx:
                    tx.execute("UPDATE rw_layers SET state = 'ready', owner = NULL "
                               "WHERE mount_id = ?", (rw.mount_id,))
        except BaseException as exc:
            self._abandon_rw(rw, exc)
            raise
        return rw

    def _abandon_rw(self, rw: RWLayer, exc: BaseException | None,
                    durable: bool = True) -> None:
        try:
            self.driver.remove(rw.mount_id)
            self.driver.remove(rw.init_id)
            with self.db.write(durable=durable) as tx:
                tx.execute("DELETE FROM rw_layers WHERE mount_id = ?", (rw.mount_id,))
        except (ScowError, OSError) as cleanup:
            if exc is None:
                raise
            exc.add_note(f"rolling back container layer {short_id(rw.mount_id)} also failed: "
                         f"{cleanup}")

    def remove_rw(self, mount_id: str, *, force: bool = False,
                  durable: bool = True) -> list[ChainID]:
        """Delete a container's writable and init layers, then what nothing else uses.
        A mounted layer is refused unless `force` (recovery), which unmounts it first.
        Not `durable` (a held layer's removal): its commits do not wait for the disk; a
        power loss brings the row back and recovery removes the rest."""
        rows = self.db.query("SELECT * FROM rw_layers WHERE mount_id = ?", (mount_id,))
        if not rows:
            return []
        rw = RWLayer(rows[0]["mount_id"], rows[0]["parent"])
        while force and self.driver.is_mounted(rw.mount_id):
            self.driver.put(rw.mount_id)
        if self.driver.is_mounted(rw.mount_id):
            raise LayerInUse(f"remove container layer {short_id(mount_id)}: still mounted")
        with self.db.write(durable=durable) as tx:
            tx.execute("UPDATE rw_layers SET state = 'removing', owner = ? WHERE mount_id = ?",
                       (self.owner.name, mount_id))
        faults.point("layers.remove_rw.after_mark")
        self._abandon_rw(rw, None, durable)
        faults.point("layers.remove_rw.after_remove")
        return self.release(rw.parent)

    def get_rw(self, mount_id: str) -> str:
        """Mount a container's writable layer (the driver's `get`) once `repair_rw` made its
        records whole: every mount of a container's rootfs goes through here."""
        self.repair_rw(mount_id)
        return self.driver.get(mount_id)

    def rw_size(self, mount_id: str) -> int:
        """What a container's writable layer adds over its init layer (SizeRw); a layer
        whose records a power loss took is repaired first (only then: `ps --size` pays no
        check per container)."""
        init = mount_id + "-init"
        try:
            return self.driver.diff_size(mount_id, init)
        except (DriverError, MountError):  # the naive diff's mount of a lost lower
            if not self.repair_rw(mount_id):
                raise
            return self.driver.diff_size(mount_id, init)

    def repair_rw(self, mount_id: str, *, dry_run: bool = False) -> list[str]:
        """Rebuild what a power loss took of the driver's records of a container's layer
        pair, which `create_rw` writes unsynced (drivers/base.py `repair`): the init layer
        on the image's top layer, then the writable layer on it. Returns what was rebuilt
        ("<layer> <record>"), [] when both are whole (one query and a few reads).
        `dry_run`: what it would rebuild, nothing written (`system check`)."""
        rows = self.db.query("SELECT r.parent, l.cache_id FROM rw_layers AS r LEFT JOIN "
                             "layers AS l ON l.chain_id = r.parent AND l.state = 'ready' "
                             "WHERE r.mount_id = ?", (mount_id,))
        if not rows:
            raise LayerNotFound(f"repair container layer {short_id(mount_id)}: not found")
        parent, parent_cache = rows[0]
        if parent and not parent_cache:
            raise LayerNotFound(f"repair container layer {short_id(mount_id)}: image layer "
                                f"{short_id(parent)} not found")
        init = mount_id + "-init"
        return [f"{layer[:12]}{tag} {name}"
                for layer, base, tag in ((init, parent_cache, "-init"), (mount_id, init, ""))
                for name in self.driver.repair(layer, base, dry_run=dry_run)]

    def find_rw(self, mount_id: str) -> RWLayer | None:
        rows = self.db.query("SELECT * FROM rw_layers WHERE mount_id = ? AND state = 'ready'",
                             (mount_id,))
        return RWLayer(rows[0]["mount_id"], rows[0]["parent"]) if rows else None

    def rw_of_container(self, container_id: str) -> list[str]:
        """Mount IDs of the writable layers made for `container_id`, in any state."""
        rows = self.db.query("SELECT mount_id FROM rw_layers WHERE owner_container = ?",
                             (container_id,))
        return [str(r[0]) for r in rows]

    # -- recovery (store/recovery.py decides when; these finish one row) ----------------
    def abandon_rw(self, mount_id: str, parent: str | None) -> None:
        """Remove a writable layer pair and its row; it must be unmounted already."""
        self._abandon_rw(RWLayer(mount_id, ChainID(parent) if parent else None), None)

    def drop_unfinished(self, cache_id: str) -> None:
        """Remove the files and row of a layer left ``incomplete`` or ``removing``, with the
        temp file of a tar-split write its dead owner left (atomic_writer's ``.tmp-...``)."""
        self._remove_files(cache_id)
        prefix = f".tmp-{os.path.basename(self.tar_split_path(cache_id))}-"
        for name in os.listdir(self.meta_dir):
            if name.startswith(prefix):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(self.meta_dir, name))
        with self.db.write() as tx:
            tx.execute("DELETE FROM layers WHERE cache_id = ? AND state != 'ready'", (cache_id,))


def _layer(row: object) -> Layer:
    r = row  # sqlite3.Row
    return Layer(ChainID(r["chain_id"]), DiffID(r["diff_id"]), CacheID(r["cache_id"]),  # type: ignore[index]
                 ChainID(r["parent"]) if r["parent"] else None, int(r["size"]))  # type: ignore[index]
