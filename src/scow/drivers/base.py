"""owns: the storage-driver interface every driver implements, and driver selection.

A driver keeps layers as folders named by *cache ID* (64 random hex, never content-derived) under
``<root>/<driver name>/``. It knows parents only by cache ID; ChainIDs, DiffIDs and refcounts of
layers are the layer store's business (store/layers.py), never the driver's.

Contract (moby's graphdriver.Driver, in Docker's vocabulary):
- ``create(id, parent)``: a read-only layer folder on `parent` (None: a base layer).
  ``create_rw(id, parent, durable=True)``: the same for a container's init or writable layer;
  ``durable=False`` (a build step's throw-away layers, removed by recovery when their holder
  dies) lets a driver skip the fsyncs of its files and folder.
- ``repair(id, parent) -> list[str]``: a driver may write its own records of a layer made by
  ``create_rw`` without a sync (overlay2: link, lower, the l/ link; moby writes them so), as
  long as this rebuilds whatever of them a power loss took, from `parent` alone (the layer
  store keeps every container layer's parent durably). Returns the names rebuilt, [] for a
  whole layer (a few reads); idempotent and safe beside a concurrent repair; ``dry_run``:
  what it would rebuild, nothing written (`system check`). The layer store
  repairs a container's init layer, then its writable layer, before it mounts them
  (`LayerStore.get_rw`), and `system check --repair` does it for every container. Drivers
  whose layer is its folder alone (vfs, btrfs, zfs) have nothing to rebuild.
- ``remove(id)``: idempotent; unmounts first.
- ``get(id) -> path``: mount the layer with its parents (refcounted across processes: scow is
  daemonless, so the count lives on disk) and return the merged root. ``put(id)`` undoes one get.
- ``apply_diff(id, parent, entries) -> size``: extract an OCI layer (an iterator of
  ``archive.TarEntry``) into the empty layer `id`; returns the size docker would record
  (overlay2 native: the size of the upper folder; naive drivers: the sum of entry sizes).
- ``diff(id, parent, out)``: write the layer's changes against `parent` as an OCI layer tar.
- ``changes(id, parent) -> list[Change]``: what `docker diff` shows (A/C/D).
- ``diff_size(id, parent) -> int``: bytes the layer adds over `parent` (SizeRw for containers).
- ``metadata(id) -> dict``: GraphDriver.Data for inspect (LowerDir, UpperDir, WorkDir, MergedDir).
- ``status() -> list[(key, value)]``: the driver's lines for ``scow info``.
- ``layer_path(id)``: where `id`'s own files live without mounting (overlay2: ``<id>/diff``);
  the tar-split file getter reads a layer's files from ``get(id)``.
- ``folders(id) -> (own, lowers)``: `id`'s own folder and the folders its tree lies over,
  uppermost first, with no mount (overlay2: ``<id>/diff`` over its lower stack, whiteouts and
  opaque folders as the kernel's; whole-tree drivers: the layer's folder over nothing). A
  container's init layer is filled this way (engine/containers/initlayer.py).
- ``cleanup()``: releases what this process holds; it never unmounts, since mounts belong to
  containers and other scow processes (a stale on-disk count with nothing mounted reads as 0).

Implementations: vfs.VfsDriver, overlay2.Overlay2Driver, btrfs.BtrfsDriver, zfs.ZfsDriver;
pick one with ``select.open_driver(root, name=None)``. Errors: LayerNotFound for a missing
id, Conflict for an existing one, MountError when the kernel refuses a mount, InvalidArgument
for a bad id.
"""

from __future__ import annotations

from collections.abc import Iterable

from scow.errors import InvalidArgument

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import BinaryIO, NamedTuple, Protocol
else:
    from scow.typeshim import NamedTuple, Protocol

if TYPE_CHECKING:
    from scow.archive.changes import Change
    from scow.archive.tarstream import TarEntry

# Docker's order of preference (daemon/graphdriver/driver_linux.go), less what scow lacks.
PRIORITY = ("overlay2", "btrfs", "vfs")


class DriverInfo(NamedTuple):
    name: str
    backing_filesystem: str
    supports_d_type: bool
    native_diff: bool


_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_ID_CHARS = _ALNUM | frozenset("_.-")  # an ID is [A-Za-z0-9][A-Za-z0-9_.-]{0,127}


def check_id(id: str) -> str:
    """`id` if it is a safe folder name for a layer (cache IDs, ``<id>-init``), else raise."""
    if not 0 < len(id) <= 128 or id[0] not in _ALNUM or not _ID_CHARS.issuperset(id) \
            or id == "l":
        raise InvalidArgument(f"invalid layer id {id!r}")
    return id


class Driver(Protocol):
    name: str
    home: str  # <root>/<name>

    def create(self, id: str, parent: str | None) -> None: ...
    def create_rw(self, id: str, parent: str | None, durable: bool = True) -> None: ...
    def repair(self, id: str, parent: str | None, *, dry_run: bool = False) -> list[str]: ...
    def remove(self, id: str) -> None: ...
    def exists(self, id: str) -> bool: ...
    def list_ids(self) -> list[str]: ...
    def get(self, id: str) -> str: ...
    def put(self, id: str) -> None: ...
    def is_mounted(self, id: str) -> bool: ...
    def apply_diff(self, id: str, parent: str | None, entries: Iterable[TarEntry]) -> int: ...
    def diff(self, id: str, parent: str | None, out: BinaryIO) -> None: ...
    def changes(self, id: str, parent: str | None) -> list[Change]: ...
    def diff_size(self, id: str, parent: str | None) -> int: ...
    def layer_path(self, id: str) -> str: ...
    def folders(self, id: str) -> tuple[str, list[str]]: ...
    def metadata(self, id: str) -> dict[str, str]: ...
    def info(self) -> DriverInfo: ...
    def status(self) -> list[tuple[str, str]]: ...
    def cleanup(self) -> None: ...
