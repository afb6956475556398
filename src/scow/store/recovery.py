"""owns: recovery — rolling back or finishing what scow processes that died left on a root.
One module, used by the store facade (`Store.recover`, run once per process before its first
write) and by the consistency check (store/check.py reports the same leftovers as *pending*:
the next write recovers them on its own).

What is recovered, in this order (a container before its layers, layers before the leases and
blobs that keep them alive):

1. container rows left ``creating``/``removing`` by a dead owner: the engine's
   `container_reaper` stops what runc still runs, then their layers, folder and row go;
   ready writable layers whose container row is gone go too;
2. layer rows left ``incomplete``/``removing`` by a dead owner: files and row go;
3. writable layers left ``incomplete``/``removing`` by a dead owner — a container create that
   was killed, or a *held* build-step layer (store/layers.py `create_held_rw`). A build step's
   ``runc run`` can outlive the killed scow and keep the rootfs busy, so the engine's
   `step_reaper` first deletes the step's runc container (its ID is in the row's label
   ``build-<step id>``); then the layer is unmounted and removed;
4. leases of dead owners, then ready layers nothing uses (an interrupted rmi);
5. when no other scow runs (*quiet*): rootfs mounts of containers that are not running (the
   engine's `mount_releaser`) and config blobs of no image;
6. owner tokens of dead processes, and their staging entries in ``<root>/tmp``.

A step that fails is reported (one line) and the rest still runs; nothing here raises for one
bad row, so a later command is never blocked by an earlier one's leftovers.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable

from scow.blobs.store import BlobStore
from scow.drivers.base import Driver
from scow.errors import ScowError
from scow.ids import is_hex64, short_id
from scow.osutil.at import remove_tree_quietly
from scow.osutil.locks import OwnerToken
from scow.store.containers import ContainerRecord, ContainerStore
from scow.store.db import Database
from scow.store.layers import _REFS_SQL, LayerStore

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, Protocol
else:
    from scow.typeshim import Protocol

STEP_PREFIX = "build-"  # label of a build step's held writable layer: build-<step id>


class Recoverable(Protocol):
    """What recovery needs of the store facade (store/store.py's `Store`)."""

    root: str
    db: Database
    owner: OwnerToken
    containers: ContainerStore
    container_reaper: Callable[[ContainerRecord], None] | None
    mount_releaser: Callable[[ContainerRecord], None] | None
    step_reaper: Callable[[str], None] | None

    @property
    def driver(self) -> Driver: ...

    @property
    def blobs(self) -> BlobStore: ...

    @property
    def layers(self) -> LayerStore: ...


_IN_FLIGHT_SQL = """SELECT owner FROM containers WHERE state != 'ready'
 UNION SELECT owner FROM layers WHERE state != 'ready'
 UNION SELECT owner FROM rw_layers WHERE state != 'ready'
 UNION SELECT owner FROM leases"""

# Ready layers nothing references (what an rmi killed between its two transactions leaves):
# one indexed query over the leaves, where `unused_ready_layers` asks once per layer; or a
# ready container layer whose container row is gone.
_UNUSED_SQL = """SELECT 1 FROM layers AS l WHERE l.state = 'ready'
 AND NOT EXISTS (SELECT 1 FROM layers WHERE parent = l.chain_id AND state != 'removing')
 AND NOT EXISTS (SELECT 1 FROM images WHERE top_layer = l.chain_id)
 AND NOT EXISTS (SELECT 1 FROM rw_layers WHERE parent = l.chain_id AND state != 'removing')
 AND NOT EXISTS (SELECT 1 FROM leases WHERE chain_id = l.chain_id)
 UNION ALL SELECT 1 FROM rw_layers WHERE state = 'ready'
 AND owner_container NOT IN (SELECT id FROM containers) LIMIT 1"""


def needs_recovery(store: Recoverable) -> bool:
    """Whether a dead owner left work behind, without a scan of the owner tokens: the owners
    of unfinished rows and leases (one query; live ones are processes at work now, so this
    probes O(work in flight) tokens, never every token), the owners of <root>/tmp entries
    (work in flight too), ready layers nothing references and container layers of no
    container."""
    owners = {r[0] for r in store.db.query(_IN_FLIGHT_SQL)}
    if any(is_dead(store, owner) for owner in owners):
        return True
    return bool(stale_tmp(store)) or bool(store.db.query(_UNUSED_SQL))


def recover(store: Recoverable, *, full: bool = False) -> list[str]:
    """Everything above, in order, when `needs_recovery` finds a dead owner's work (or
    `full`: `system check --repair`); returns one line per thing recovered or left.

    A root with nothing to recover costs one query and one listdir of <root>/tmp: the scans
    of step 5 (every container's mount, every blob) and the owner-token reaping of step 6
    run only along a recovery (a dead owner's leftover rootfs mount or config blob waits for
    the next one, or for `system check --repair`)."""
    if not full and not needs_recovery(store):
        return []
    done = recover_containers(store)
    done += recover_layers(store)
    done += recover_unreferenced(store)
    store.owner.reap_dead()
    clean_tmp(store)
    return done


def is_quiet(store: Recoverable) -> bool:
    """No scow process but this one holds an owner token on the root."""
    folder, me = store.owner.folder, store.owner.name
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(folder):
            if name.startswith("owner-") and name != me and store.owner.is_alive(name):
                return False
    return True


def is_dead(store: Recoverable, owner: str | None) -> bool:
    """A row's owner token names no live process (a NULL owner counts as gone)."""
    return not (owner and store.owner.is_alive(owner))


def unused_ready_layers(store: Recoverable) -> list[str]:
    """ChainIDs of ready layers that nothing references (left by an interrupted rmi)."""
    return [r[0] for r in store.db.query("SELECT chain_id FROM layers WHERE state = 'ready'")
            if store.db.query(_REFS_SQL, (r[0],))[0][0] == 0]


def orphan_rw_layers(store: Recoverable) -> list[str]:
    """Mount IDs of ready writable layers whose container row is gone."""
    return [r[0] for r in store.db.query(
        "SELECT mount_id FROM rw_layers WHERE state = 'ready' AND "
        "owner_container NOT IN (SELECT id FROM containers)")]


def stale_rows(store: Recoverable, table: str) -> list[Any]:
    """Rows of `table` (layers, rw_layers, containers) left unfinished by a dead owner."""
    assert table in ("layers", "rw_layers", "containers")
    return [r for r in store.db.query(f"SELECT * FROM {table} WHERE state != 'ready'")
            if is_dead(store, r["owner"])]


def dead_lease_owners(store: Recoverable) -> list[str]:
    return [r[0] for r in store.db.query("SELECT DISTINCT owner FROM leases")
            if is_dead(store, r[0])]


def recover_containers(store: Recoverable) -> list[str]:
    """Containers whose create or rm was interrupted: drop their layers, folder and row;
    then container layers whose container row is gone."""
    done = []
    for record in store.containers.stale():
        try:
            if store.container_reaper is not None:
                store.container_reaper(record)
            for mount_id in store.layers.rw_of_container(record.id):
                store.layers.remove_rw(mount_id, force=True)
        except (ScowError, OSError) as exc:
            done.append(f"container {short_id(record.id)}: could not roll back: {exc}")
            continue
        remove_tree_quietly(os.path.join(store.root, "containers", record.id))
        store.containers.delete(record.id)
        done.append(f"container {short_id(record.id)} ({record.state})")
    for mount_id in orphan_rw_layers(store):
        try:
            store.layers.remove_rw(mount_id, force=True)
            done.append(f"container layer {short_id(mount_id)} (no container)")
        except (ScowError, OSError) as exc:
            done.append(f"container layer {short_id(mount_id)}: could not remove: {exc}")
    return done


def recover_layers(store: Recoverable) -> list[str]:
    """Roll back layer and writable-layer rows of dead owners; drop their leases."""
    done: list[str] = []
    for row in stale_rows(store, "layers"):
        try:
            store.layers.drop_unfinished(row["cache_id"])
            done.append(f"layer {short_id(row['cache_id'])} ({row['state']})")
        except (ScowError, OSError) as exc:
            done.append(f"layer {short_id(row['cache_id'])}: could not remove: {exc}")
    for row in stale_rows(store, "rw_layers"):
        done += _drop_rw(store, row)
    for owner in dead_lease_owners(store):
        chains = [r[0] for r in store.db.query("SELECT chain_id FROM leases WHERE owner = ?",
                                               (owner,))]
        with store.db.write() as tx:
            tx.execute("DELETE FROM leases WHERE owner = ?", (owner,))
        for chain in chains:
            done += _release(store, chain)
    return done


def _drop_rw(store: Recoverable, row: Any) -> list[str]:
    """Remove one writable layer of a dead owner: its step container first (see above)."""
    mount_id, label = str(row["mount_id"]), str(row["owner_container"] or "")
    try:
        step_id = label.removeprefix(STEP_PREFIX)
        if label.startswith(STEP_PREFIX) and is_hex64(step_id) and store.step_reaper:
            store.step_reaper(step_id)  # only a step ID: a row never names a runc argument
        for _ in range(64):  # a get per mount; bounded so a stuck mount cannot spin
            if not store.driver.is_mounted(mount_id):
                break
            store.driver.put(mount_id)
        store.layers.abandon_rw(mount_id, row["parent"])
    except (ScowError, OSError) as exc:
        return [f"container layer {short_id(mount_id)}: could not remove: {exc}"]
    return [f"container layer {short_id(mount_id)} ({row['state']})",
            *_release(store, row["parent"])]


def _release(store: Recoverable, chain: str | None) -> list[str]:
    try:
        return [f"layer {short_id(c)} (unreferenced)" for c in store.layers.release(chain)]
    except (ScowError, OSError) as exc:
        return [f"layer {short_id(chain or '')}: could not remove: {exc}"]


def recover_unreferenced(store: Recoverable) -> list[str]:
    """What an interrupted rmi, image create or start leaves between its steps: ready
    layers that nothing references; and, when no other scow runs, config blobs of no image
    and rootfs mounts of containers that are not running."""
    done = []
    for chain in unused_ready_layers(store):
        done += _release(store, chain)
    since = time.time()  # blobs written from now on belong to processes that start later
    if not is_quiet(store):
        return done
    for record in store.containers.all():
        mounted = record.doc.get("Mounted") or (
            record.mount_id and store.driver.is_mounted(record.mount_id))
        if mounted and store.mount_releaser is not None:
            try:
                store.mount_releaser(record)
            except (ScowError, OSError) as exc:
                done.append(f"container {short_id(record.id)}: could not unmount: {exc}")
    used = {r[0] for r in store.db.query("SELECT id FROM images")}
    for digest in list(store.blobs.walk()):
        if digest not in used and _mtime(store.blobs.path(digest)) < since:
            store.blobs.delete(digest)
            done.append(f"blob {short_id(digest)} (no image)")
    return done


def stale_tmp(store: Recoverable) -> list[str]:
    """Names in <root>/tmp whose owner process is gone (or that name no owner)."""
    with contextlib.suppress(FileNotFoundError):
        return [name for name in os.listdir(os.path.join(store.root, "tmp"))
                if is_dead(store, _tmp_owner(name))]
    return []


def _tmp_owner(name: str) -> str | None:
    owner = name.split(".", 1)[0]
    return owner if owner.startswith("owner-") else None


def clean_tmp(store: Recoverable) -> None:
    folder = os.path.join(store.root, "tmp")
    for name in stale_tmp(store):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            remove_tree_quietly(path)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return float("inf")
