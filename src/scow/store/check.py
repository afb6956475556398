"""owns: the store's consistency check: metadata rows against the driver's folders, the
tar-split files, the blobs and each other, and the repairs that lose no finished object.

Every finding is a `Problem` in one of three states:

- *pending*: the normal leftover of a process that died (an interrupted row, a lease or a
  staging entry of a gone owner, an unused layer, a layer mount of a dead build step); the next
  scow command that writes recovers it on its own (store/recovery.py). The store is sound.
- *repairable*: something recovery does not touch (an orphan folder, file, link or blob, a
  dangling reference); `--repair` runs its `fix`, which loses nothing finished.
- *damaged*: what no repair can undo (a layer folder or blob that vanished); the user decides.

Races with other scow processes: folders and files are listed *before* rows are read (a row
always exists before its folder is made and outlives it), so work in flight is never taken for
an orphan. Orphan blobs and mounts are judged only when the store is *quiet* (no other live
owner token): a concurrent image create writes its config blob before its row.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from scow.errors import ScowError
from scow.ids import short_id
from scow.store import modes
from scow.store.recovery import (
    dead_lease_owners,
    is_quiet,
    orphan_rw_layers,
    stale_rows,
    stale_tmp,
    unused_ready_layers,
)
from scow.store.store import Store

__all__ = ["Findings", "Problem", "check_store", "is_quiet", "unused_ready_layers"]


@dataclass
class Problem:
    kind: str  # a short slug: "orphan-folder", "missing-layer", ...
    text: str  # what is wrong, one line
    fix: Callable[[], None] | None = None  # the repair, when one loses nothing finished
    pending: bool = False  # the next write recovers it on its own (`fix` runs that now)
    repaired: bool = False
    error: str = ""  # why a repair failed

    @property
    def state(self) -> str:
        """pending, repairable or damaged (see the module docstring)."""
        if self.pending:
            return "pending"
        return "repairable" if self.fix else "damaged"

    def line(self) -> str:
        state = "repaired" if self.repaired else self.state
        tail = f" (repair failed: {self.error})" if self.error else ""
        return f"{state}: {self.kind}: {self.text}{tail}"


@dataclass
class Findings:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, text: str, fix: Callable[[], None] | None = None, *,
            pending: bool = False) -> None:
        self.problems.append(Problem(kind, text, fix, pending))

    def pending(self, store: Store, kind: str, text: str) -> None:
        """A leftover the next write's recovery removes; `--repair` runs that recovery now."""
        self.add(kind, text, lambda: _rerun_recover(store), pending=True)


def check_store(store: Store, *, quick: bool = False, quiet: bool | None = None) -> Findings:
    """Every check of the store's own data (not containers' runtime state)."""
    found = Findings()
    quiet = is_quiet(store) if quiet is None else quiet
    _interrupted(store, found)
    _orphan_folders(store, found)
    _orphan_tar_splits(store, found)
    _layers(store, found, quick)
    _images_and_refs(store, found)
    _rw_layers(store, found)
    _blobs(store, found, quiet)
    if store.driver.name == "overlay2":
        _overlay_links(store, found)
    found.problems += [Problem(*f) for f in modes.findings(store.root)]  # loose-mode
    return found


def _rerun_recover(store: Store) -> None:
    store.recover(full=True)


def _interrupted(store: Store, found: Findings) -> None:
    for table, key in (("layers", "cache_id"), ("rw_layers", "mount_id"), ("containers", "id")):
        for row in stale_rows(store, table):
            found.pending(store, "interrupted", f"{table} row {short_id(row[key])} left "
                          f"{row['state']} by a process that is gone")
    for owner in dead_lease_owners(store):
        found.pending(store, "stale-lease", f"layer lease held by {owner}, which is gone")
    for name in stale_tmp(store):
        found.pending(store, "stale-tmp", f"staging entry tmp/{name} of a process that is gone")


def _known_driver_ids(store: Store) -> set[str]:
    ids = {r[0] for r in store.db.query("SELECT cache_id FROM layers")}
    for (mount_id,) in store.db.query("SELECT mount_id FROM rw_layers"):
        ids |= {mount_id, mount_id + "-init"}
    return ids


def _orphan_folders(store: Store, found: Findings) -> None:
    on_disk = store.driver.list_ids()  # before the rows: see the module docstring
    known = _known_driver_ids(store)
    found.counts["driver folders"] = len(on_disk)
    for id in on_disk:
        if id not in known:
            found.add("orphan-folder", f"{store.driver.name}/{id} belongs to no layer or "
                      "container", lambda id=id: store.driver.remove(id))  # type: ignore[misc]


def _orphan_tar_splits(store: Store, found: Findings) -> None:
    folder = store.layers.meta_dir
    names = os.listdir(folder)
    known = {r[0] for r in store.db.query("SELECT cache_id FROM layers")}
    suffix = ".tar-split.gz"
    for name in names:
        cache_id = name.removesuffix(suffix)
        if name.endswith(suffix) and cache_id in known:
            continue
        if name.startswith(".tmp-") and name[5:].split(suffix + "-")[0] in known:
            continue  # a tar-split being written: its row's owner or recovery removes it
        path = os.path.join(folder, name)
        found.add("orphan-file", f"layerdb/{name} belongs to no layer",
                  lambda path=path: _unlink(path))  # type: ignore[misc]


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _layers(store: Store, found: Findings, quick: bool) -> None:
    layers = store.layers.all()
    ready = {layer.chain_id for layer in layers}
    found.counts["layers"] = len(layers)
    for layer in layers:
        name = short_id(layer.chain_id)
        if not store.driver.exists(layer.cache_id):
            found.add("missing-layer", f"layer {name}: its folder "
                      f"{store.driver.name}/{layer.cache_id} is missing")
            continue
        if not os.path.exists(store.layers.tar_split_path(layer.cache_id)):
            found.add("missing-tar-split", f"layer {name}: its tar-split file is missing")
            continue
        if layer.parent and layer.parent not in ready:
            found.add("missing-parent", f"layer {name}: parent layer {short_id(layer.parent)} "
                      "does not exist")
        if store.layers.in_use(layer.chain_id) == 0:
            found.pending(store, "unused-layer", f"layer {name} is used by nothing")
        if not quick:
            _rehash(store, found, layer.chain_id)


def _rehash(store: Store, found: Findings, chain: str) -> None:
    sink = _NullSink()
    try:
        store.layers.tar_stream(chain, sink)  # type: ignore[arg-type]
    except ScowError as exc:
        found.add("corrupt-layer", f"layer {short_id(chain)}: {exc.message}")


class _NullSink:
    def write(self, data: bytes) -> int:
        return len(data)


def _images_and_refs(store: Store, found: Findings) -> None:
    images = store.images.all()
    ids = {image.id for image in images}
    found.counts["images"] = len(images)
    for image in images:
        name = short_id(image.id)
        if image.top_layer and store.layers.find(image.top_layer) is None:
            found.add("missing-layer", f"image {name}: its layer {short_id(image.top_layer)} "
                      "does not exist")
        if image.parent and image.parent not in ids:
            found.add("dangling-parent", f"image {name}: parent {short_id(image.parent)} is gone",
                      lambda i=image.id: _clear_parent(store, i))  # type: ignore[misc]
        if not store.blobs.exists(image.id):
            found.add("missing-config", f"image {name}: its config blob is missing")
        elif not _blob_ok(store, image.id):
            found.add("corrupt-config", f"image {name}: its config blob does not hash to its ID")
    refs = store.db.query("SELECT ref, image_id FROM refs")
    found.counts["references"] = len(refs)
    for ref, image_id in refs:
        if image_id not in ids:
            found.add("dangling-ref", f"reference {ref} names image {short_id(image_id)}, which "
                      "does not exist", lambda r=ref: _drop_ref(store, r))  # type: ignore[misc]


def _clear_parent(store: Store, image_id: str) -> None:
    with store.db.write() as tx:
        tx.execute("UPDATE images SET parent = NULL WHERE id = ? AND parent NOT IN "
                   "(SELECT id FROM images)", (image_id,))


def _drop_ref(store: Store, ref: str) -> None:
    with store.db.write() as tx:
        tx.execute("DELETE FROM refs WHERE ref = ? AND image_id NOT IN (SELECT id FROM images)",
                   (ref,))


def _rw_layers(store: Store, found: Findings) -> None:
    rows = store.db.query("SELECT * FROM rw_layers WHERE state = 'ready'")
    containers = {r["id"]: r["mount_id"] for r in
                  store.db.query("SELECT id, mount_id FROM containers WHERE state = 'ready'")}
    found.counts["containers"] = len(containers)
    mounts = {r["mount_id"] for r in rows}
    orphans = set(orphan_rw_layers(store))
    for row in rows:
        name = short_id(row["mount_id"])
        if row["parent"] and store.layers.find(row["parent"]) is None:
            found.add("missing-parent", f"container layer {name}: image layer "
                      f"{short_id(row['parent'])} does not exist")
        missing = [id for id in (row["mount_id"], row["mount_id"] + "-init")
                   if not store.driver.exists(id)]
        for id in missing:
            found.add("missing-layer", f"container layer {name}: its folder "
                      f"{store.driver.name}/{id} is missing")
        if not missing:
            _lost_records(store, found, row["mount_id"])
        if row["mount_id"] in orphans:  # its row is gone, not merely being made
            found.pending(store, "orphan-rw-layer", f"container layer {name} belongs to no "
                          "container")
    for cid, mount_id in containers.items():
        if mount_id and mount_id not in mounts:
            found.add("missing-layer", f"container {short_id(cid)}: its layer "
                      f"{short_id(mount_id)} does not exist")


def _lost_records(store: Store, found: Findings, mount_id: str) -> None:
    """A container layer's driver records that a power loss took (written unsynced, see
    drivers/base.py `repair`); the next mount rebuilds them, `--repair` does it now."""
    try:
        lost = store.layers.repair_rw(mount_id, dry_run=True)
    except ScowError:
        return  # its image layer is gone: reported as missing-parent
    if lost:
        found.add("lost-records", f"container layer {short_id(mount_id)}: "
                  f"{', '.join(lost)} lost (a power loss?)",
                  lambda m=mount_id: _rebuild(store, m))  # type: ignore[misc]


def _rebuild(store: Store, mount_id: str) -> None:
    store.layers.repair_rw(mount_id)


def _blob_ok(store: Store, digest: str) -> bool:
    h = hashlib.sha256()
    try:
        with open(store.blobs.path(digest), "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return False
    return "sha256:" + h.hexdigest() == digest


def _blobs(store: Store, found: Findings, quiet: bool) -> None:
    digests = list(store.blobs.walk())
    used = {r[0] for r in store.db.query("SELECT id FROM images")}
    found.counts["blobs"] = len(digests)
    for digest in digests:
        if digest in used:
            continue  # checked with its image
        if not _blob_ok(store, digest):
            found.add("corrupt-blob", f"blob {short_id(digest)} does not hash to its name",
                      lambda d=digest: store.blobs.delete(d))  # type: ignore[misc]
        elif quiet:
            found.add("orphan-blob", f"blob {short_id(digest)} is used by no image",
                      lambda d=digest: _delete_unused_blob(store, d),  # type: ignore[misc]
                      pending=True)


def _delete_unused_blob(store: Store, digest: str) -> None:
    if not store.db.query("SELECT 1 FROM images WHERE id = ?", (digest,)):
        store.blobs.delete(digest)


def _overlay_links(store: Store, found: Findings) -> None:
    home = store.driver.home
    links_dir = os.path.join(home, "l")
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(links_dir):
            path = os.path.join(links_dir, name)
            target = os.readlink(path) if os.path.islink(path) else ""
            parts = target.split("/")
            ok = (len(parts) == 3 and parts[0] == ".." and parts[2] == "diff"
                  and os.path.isdir(os.path.join(home, parts[1])))
            if ok and _read_link_file(home, parts[1]) not in (name, None):
                found.add("orphan-link", f"overlay2 link l/{name}: layer {parts[1][:12]} "
                          "has another link (rebuilt after a power loss)",
                          lambda p=path: _unlink(p))  # type: ignore[misc]
            elif not ok:
                found.add("orphan-link", f"overlay2 link l/{name} -> {target or '?'} points "
                          "nowhere", lambda p=path: _unlink(p))  # type: ignore[misc]
    for id in store.driver.list_ids():
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            with open(os.path.join(home, id, "link"), encoding="ascii") as f:
                lid = f.read().strip()
            link = os.path.join(links_dir, lid)
            if lid and "/" not in lid and not os.path.lexists(link):
                found.add("missing-link", f"overlay2 layer {id[:12]}: its link l/{lid} is "
                          "missing", lambda i=id, p=link: _symlink(f"../{i}/diff", p))  # type: ignore[misc]


def _read_link_file(home: str, id: str) -> str | None:
    """The link ID layer `id`'s link file names; None when it names none (being made)."""
    try:
        with open(os.path.join(home, id, "link"), encoding="ascii") as f:
            return f.read().strip() or None
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return None


def _symlink(target: str, path: str) -> None:
    """The missing-link repair; a container layer's `lost-records` repair may make it first."""
    with contextlib.suppress(FileExistsError):
        os.symlink(target, path)

