"""owns: the overlay2 storage driver: layers as overlayfs upper folders stacked by the kernel.

On disk (Docker's layout exactly, plus two files of scow's in each layer folder)::

    <root>/overlay2/<id>/diff/       the layer's own files (overlay whiteouts: 0:0 char devices,
                                     trusted.overlay.opaque=y folders)
    <root>/overlay2/<id>/link        the 26-char short name of diff/ under l/
    <root>/overlay2/<id>/lower       "l/<parent link>:<parent's lower>", uppermost first
    <root>/overlay2/<id>/work/       overlay workdir (layers with a parent)
    <root>/overlay2/<id>/merged/     the mount point, present while mounted
    <root>/overlay2/<id>/committed   empty; written when a child is created on this layer or
                                     a diff applied to it, so get() mounts it read-only
    <root>/overlay2/<id>/mountcount  scow's: the mount refcount (decimal) and its flock (layers
                                     with a lower only): a daemonless store's mounts outlive
                                     the process that made them
    <root>/overlay2/<id>/volatile    empty; a layer created not durable (a build step's init
                                     and writable layers): mounted with overlay's `volatile`
    <root>/overlay2/l/<link> -> ../<id>/diff
    <root>/overlay2.probe            "<boot id> true|false": the native-diff probe of this boot
                                     (overlay2_probe.native_diff; outside the driver folder)

A container's layers (``create_rw``) get link, lower and their folder's entries unsynced, as
moby writes them; ``repair`` (overlay2_repair.py) rebuilds what a power loss took of them from
the parent, before every mount of a container and in ``system check``. An image layer's are
synced: nothing rebuilds them.

Nothing else: once every layer is removed the folder holds only an empty ``l/``, as Docker's.
The mount count lives and dies with its layer folder, so no count file outlives its layer and
no lock file is ever unlinked while another process may be waiting on its flock. Roots made
before kept the counts in ``overlay2/.mountcount/<id>`` and the probe in
``overlay2/.native-diff``: a count found there is moved into its layer on the next get/put,
and both are removed (``_retire_legacy``).

Mount options are always ``index=off,redirect_dir=off`` (metacopy stays off), so the upper
folder is a faithful record of the layer's changes and native diff is exact. The mount itself
and its options are overlay2_mount.py, a layer's diff (native or naive) overlay2_diff.py, the
kernel probes overlay2_probe.py: each loads only where it is used.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterable, Iterator

from scow.drivers.base import DriverInfo, check_id
from scow.errors import Conflict, DriverError, LayerNotFound, MountError, ScowError, from_oserror
from scow.osutil.atomic import fsync_dir, write_new
from scow.osutil.locks import flocked

OVL_MAX_STACK = 500  # the kernel's limit on an overlay's lower layers (engine/images/squash.py too)

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import BinaryIO

if TYPE_CHECKING:
    from scow.archive.changes import Change
    from scow.archive.tarstream import TarEntry

LINK_DIR = "l"
COUNT_FILE = "mountcount"
VOLATILE = "volatile"  # marker: a layer created not durable, mounted `volatile`
LEGACY_COUNTS, LEGACY_NATIVE = ".mountcount", ".native-diff"  # roots made before: moved out
ID_LENGTH = 26
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32
MAX_DEPTH = 500  # lowers; mount(2) fits ~130 with relative paths, the new mount API 500


def new_link_id() -> str:
    """Docker's overlayutils.GenerateID(26): base32 of 17 random bytes, cut to 26 chars (the
    first 130 of the 136 bits, 5 a character; base64's module is not loaded for it)."""
    bits = int.from_bytes(os.urandom(17), "big") >> 6
    return "".join(_B32[(bits >> (5 * i)) & 31] for i in reversed(range(ID_LENGTH)))


class Overlay2Driver:
    name = "overlay2"

    def __init__(self, root: str) -> None:
        self.root = root
        self.home = os.path.join(root, self.name)
        try:
            os.makedirs(self.home, mode=0o710, exist_ok=True)
            os.makedirs(os.path.join(self.home, LINK_DIR), mode=0o700, exist_ok=True)
        except OSError as exc:
            raise from_oserror(f"create overlay2 home {self.home}", exc) from exc
        self._native: bool | None = None
        self._real_home: str | None = None  # lower_dirs: the home's real path, once
        _retire_legacy(self.home)

    # -- paths ---------------------------------------------------------------------------------
    def _dir(self, id: str) -> str:
        return os.path.join(self.home, check_id(id))

    def _existing(self, id: str) -> str:
        path = self._dir(id)
        if not os.path.isdir(path):
            raise LayerNotFound(f"get layer {id[:12]}: no such layer in overlay2")
        return path

    def _read(self, id: str, name: str) -> str | None:
        """A small record of `id` (link, lower: at most 500 29-byte entries), None if absent;
        three system calls (a text-mode open() adds fstat, ioctl and lseek)."""
        try:
            fd = os.open(os.path.join(self._dir(id), name), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        try:
            return os.read(fd, 1 << 16).decode("ascii").strip()
        finally:
            os.close(fd)

    def _lowers(self, id: str) -> list[str]:
        """`id`'s lower entries as written in its lower file ("l/<link>"), uppermost first."""
        lower = self._read(id, "lower")
        return [p for p in lower.split(":") if p] if lower else []

    def lower_dirs(self, id: str) -> list[str]:
        """The real diff folders under `id`, uppermost first (l/ links resolved: one
        readlink each when it is `../<id>/diff` as _create makes it, not a realpath)."""
        if self._real_home is None:
            self._real_home = os.path.realpath(self.home)
        out = []
        for p in self._lowers(id):
            try:
                target = os.readlink(os.path.join(self.home, p))
            except OSError:
                target = ""
            parts = target.split("/")
            if len(parts) == 3 and parts[0] == ".." and parts[2] == "diff" and \
                    parts[1] not in ("", ".", ".."):
                out.append(os.path.join(self._real_home, parts[1], "diff"))
            else:
                out.append(os.path.realpath(os.path.join(self.home, p)))
        return out

    def layer_path(self, id: str) -> str:
        return os.path.join(self._existing(id), "diff")

    def folders(self, id: str) -> tuple[str, list[str]]:
        """diff/ and the lower stack as ``l/<link>`` paths (the kernel follows the link as
        a path's folder, so nothing is resolved here)."""
        return self.layer_path(id), [os.path.join(self.home, p) for p in self._lowers(id)]

    # -- create / remove -----------------------------------------------------------------------
    def create(self, id: str, parent: str | None) -> None:
        """An image layer's folder: its link, lower and folder entries synced (an image layer
        stays durable once its row is ready)."""
        self._make(id, parent, synced=True, volatile=False)

    def create_rw(self, id: str, parent: str | None, durable: bool = True) -> None:
        """A container's init or writable layer: link, lower and the folder's entries are
        written without a sync, as moby writes them; what a power loss takes of them
        `repair` rebuilds from `parent` (the layer store runs it before a mount and in
        `system check`). Not `durable` (a build step's layers): also mounted `volatile`."""
        self._make(id, parent, synced=False, volatile=not durable)

    def _make(self, id: str, parent: str | None, *, synced: bool, volatile: bool) -> None:
        path = self._dir(id)
        if os.path.lexists(path):
            raise Conflict(f"create layer {id[:12]}: already exists")
        if parent is not None:
            self._existing(parent)
            if len(self._lowers(parent)) + 1 > MAX_DEPTH:
                raise DriverError(f"create layer {id[:12]}: max depth exceeded ({MAX_DEPTH})")
        try:
            self._create(id, path, parent, synced, volatile)
        except OSError as exc:
            with contextlib.suppress(OSError, ScowError):
                self.remove(id)
            raise from_oserror(f"create layer {id[:12]}", exc) from exc

    def _create(self, id: str, path: str, parent: str | None, synced: bool,
                volatile: bool) -> None:
        os.mkdir(path, 0o710)
        os.mkdir(os.path.join(path, "diff"), 0o755)
        # the link file first: remove() finds l/<lid> through it after a crash
        self._new_link(id, path, lambda p, data: write_new(p, data, durable=synced))
        if parent is not None:
            os.mkdir(os.path.join(path, "work"), 0o700)
            _mark_committed(self._dir(parent))
            write_new(os.path.join(path, "lower"), self._stack_on(parent).encode(),
                      durable=synced)
        if synced:
            fsync_dir(path)  # once for link, lower, diff/ and work/ (the files were fsynced)
        if volatile:  # mounted `volatile`: its unmount does not sync the upper file system
            write_new(os.path.join(path, VOLATILE), b"", durable=False)

    def _new_link(self, id: str, path: str, write: Callable[[str, bytes], None]) -> str:
        """A fresh link ID for `id`: its l/ symlink and its link file (`write`)."""
        while True:
            lid = new_link_id()
            write(os.path.join(path, "link"), lid.encode())
            try:
                os.symlink(f"../{id}/diff", os.path.join(self.home, LINK_DIR, lid))
                return lid
            except FileExistsError:
                os.unlink(os.path.join(path, "link"))  # a link ID taken: the next one

    def _stack_on(self, parent: str) -> str:
        """The lower file of a child of `parent`: its link, then its own lowers."""
        parent_link = self._read(parent, "link")
        if not parent_link:
            raise OSError(errno.EINVAL, f"layer {parent[:12]} has no link")
        return ":".join([f"{LINK_DIR}/{parent_link}"] + self._lowers(parent))

    def repair(self, id: str, parent: str | None, *, dry_run: bool = False) -> list[str]:
        """Rebuild what a power loss took of a layer made by `create_rw` on `parent`: its
        link file or l/ link, its lower file, diff/ or work/ (overlay2_repair.py); returns
        the names rebuilt, [] for a whole layer. `dry_run`: what it would rebuild."""
        from scow.drivers import overlay2_repair

        self._existing(id)
        if parent is not None:
            self._existing(parent)
        try:
            if dry_run:
                return overlay2_repair.lost(self, id, parent)
            return overlay2_repair.repair(self, id, parent)
        except OSError as exc:
            raise from_oserror(f"repair layer {id[:12]}", exc) from exc

    def remove(self, id: str) -> None:
        """Idempotent: the l/ link first, then the folder (unmounting anything under it).
        osutil.fs (ioctl flags, shutil) only for what the plain walk could not remove."""
        from scow.osutil import mounts
        from scow.osutil.at import remove_tree_quietly

        path = self._dir(id)
        try:
            lid = self._read(id, "link")
            if lid and "/" not in lid and lid not in (".", ".."):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(self.home, LINK_DIR, lid))
            mounts.unmount_all_under(path)
            remove_tree_quietly(path)
            if os.path.lexists(path):
                from scow.osutil import fs

                fs.remove_tree(path)
            _retire_legacy(self.home, id)
        except OSError as exc:
            raise from_oserror(f"remove layer {id[:12]}", exc) from exc

    def exists(self, id: str) -> bool:
        return os.path.isdir(self._dir(id))

    def list_ids(self) -> list[str]:
        return sorted(n for n in os.listdir(self.home)
                      if n != LINK_DIR and not n.startswith("."))

    def _counted(self, id: str) -> contextlib.AbstractContextManager[int]:
        """The flocked mount count file of layer `id` (its folder exists)."""
        return _counted(self.home, id)

    # -- get / put -----------------------------------------------------------------------------
    def get(self, id: str) -> str:
        """The layer's root: diff/ itself for a layer with no lower, else an overlay mounted
        on merged/ (read-only when committed). Mounts are refcounted on disk under a flock."""
        from scow.osutil import mounts

        path = self._existing(id)
        if not os.path.exists(os.path.join(path, "lower")):
            return os.path.join(path, "diff")
        merged = os.path.join(path, "merged")
        with self._counted(id) as fd:
            count = self._count(fd, merged)
            if count == 0 and not mounts.is_mountpoint(merged):  # else: adopt an uncounted mount
                self._mount(id, path, merged)
            _write_count(fd, count + 1)
        return merged

    def put(self, id: str) -> None:
        """Undo one get; at a count of 0 the overlay is detached and merged/ removed."""
        from scow.osutil import mounts

        path = self._existing(id)
        if not os.path.exists(os.path.join(path, "lower")):
            return
        merged = os.path.join(path, "merged")
        with self._counted(id) as fd:
            count = self._count(fd, merged)
            if count > 1:
                _write_count(fd, count - 1)
                return
            try:
                mounts.unmount_all_under(merged)
                with contextlib.suppress(FileNotFoundError):
                    os.rmdir(merged)
            except OSError as exc:
                raise MountError(f"unmount layer {id[:12]}: {exc.strerror}") from exc
            _write_count(fd, 0)

    def _count(self, fd: int, merged: str) -> int:
        """The on-disk count, or 0 when nothing is mounted (reboot, killed process)."""
        from scow.osutil import mounts

        raw = os.pread(fd, 32, 0).strip()
        count = int(raw) if raw.isdigit() else 0
        if count and not mounts.is_mountpoint(merged):
            return 0
        return count

    def _mount(self, id: str, path: str, merged: str) -> None:
        from scow.drivers.overlay2_mount import mount

        lowers = [os.path.join(self.home, p) for p in self._lowers(id)]
        # a committed layer is mounted read-only: its diff becomes one more lower, so a stack
        # at the kernel's limit keeps the writable form (the upper is not a lower)
        readonly = os.path.exists(os.path.join(path, "committed")) and \
            len(lowers) < OVL_MAX_STACK
        mount(self.home, id, path, merged, lowers, readonly=readonly,
              volatile=os.path.exists(os.path.join(path, VOLATILE)))

    def is_mounted(self, id: str) -> bool:
        from scow.osutil import mounts

        return mounts.is_mountpoint(os.path.join(self._dir(id), "merged"))

    # -- diffs ---------------------------------------------------------------------------------
    def native_diff(self) -> bool:
        """Whether the upper folder can be used as the diff (moby's doesSupportNativeDiff):
        probed once per boot of the kernel, see overlay2_probe.native_diff."""
        if self._native is None:
            from scow.drivers.overlay2_probe import native_diff

            self._native = native_diff(self.root, self.home)
        return self._native

    def _is_parent(self, id: str, parent: str | None) -> bool:
        """Whether `parent` is `id`'s direct parent. A layer made on a parent whose lower
        file is empty or names no l/ link lost its records (a container layer after a
        power loss): DriverError, which the layer store answers with `repair`."""
        lowers = self._lowers(id)
        if parent is None:
            return not lowers
        try:
            target = os.readlink(os.path.join(self.home, lowers[0]))
        except (IndexError, OSError):
            raise DriverError(f"read layer {id[:12]}: its lower records are lost (`scow "
                              "system check --repair` rebuilds them)") from None
        return os.path.normpath(os.path.join(self.home, LINK_DIR, target)) \
            == os.path.join(self.home, check_id(parent), "diff")

    def _use_native(self, id: str, parent: str | None) -> bool:
        return self.native_diff() and self._is_parent(id, parent)

    def apply_diff(self, id: str, parent: str | None, entries: Iterable[TarEntry]) -> int:
        """Also marks the layer ``committed``: an image layer is never written again, so a
        later `get` (a build reading its rootfs: COPY, --mount from a stage) mounts it
        read-only, and its unmount does not sync the upper file system as a writable one's
        does (~30 ms each on a busy disk)."""
        from scow.drivers import overlay2_diff

        size = overlay2_diff.apply_diff(self, id, entries, native=self._use_native(id, parent))
        _mark_committed(self._dir(id))
        return size

    def diff(self, id: str, parent: str | None, out: BinaryIO) -> None:
        from scow.drivers import overlay2_diff

        overlay2_diff.diff(self, id, parent, out, native=self._use_native(id, parent))

    def diff_size(self, id: str, parent: str | None) -> int:
        from scow.drivers import overlay2_diff

        return overlay2_diff.diff_size(self, id, parent, native=self._use_native(id, parent))

    def changes(self, id: str, parent: str | None) -> list[Change]:
        """What `docker diff` shows (overlay2_diff.changes)."""
        from scow.drivers import overlay2_diff

        return overlay2_diff.changes(self, id, parent, native=self._use_native(id, parent))

    # -- reporting -----------------------------------------------------------------------------
    def metadata(self, id: str) -> dict[str, str]:
        path = self._existing(id)
        data = {"MergedDir": os.path.join(path, "merged"), "UpperDir": os.path.join(path, "diff"),
                "WorkDir": os.path.join(path, "work")}
        lowers = self.lower_dirs(id)
        if lowers:
            data["LowerDir"] = ":".join(lowers)
        return data

    def info(self) -> DriverInfo:
        from scow.osutil import fs

        return DriverInfo(self.name, fs.backing_filesystem(self.home),
                          fs.supports_d_type(self.home), self.native_diff())

    def status(self) -> list[tuple[str, str]]:
        info = self.info()
        return [("Backing Filesystem", info.backing_filesystem),
                ("Supports d_type", str(info.supports_d_type).lower()),
                ("Using metacopy", "false"),
                ("Native Overlay Diff", str(info.native_diff).lower()),
                ("userxattr", "false")]

    def cleanup(self) -> None:
        """Nothing: unlike dockerd at shutdown, a scow process must leave its mounts, which
        running containers and other scow processes share (see unmount_all for teardown)."""

    def unmount_all(self) -> None:
        """Detach every overlay under home and zero the counts (system reset, tests)."""
        from scow.osutil import mounts

        try:
            mounts.unmount_all_under(self.home)
            for id in self.list_ids():
                if os.path.exists(os.path.join(self.home, id, COUNT_FILE)):
                    with self._counted(id) as fd:
                        _write_count(fd, 0)
        except OSError as exc:
            raise from_oserror("unmount overlay2 layers", exc) from exc


@contextlib.contextmanager
def _counted(home: str, id: str) -> Iterator[int]:
    """Hold the flock of `id`'s count file; a count a root of the old layout kept in
    .mountcount/<id> is moved in first (under the new file's flock, so once)."""
    with flocked(os.path.join(home, id, COUNT_FILE)) as fd:
        legacy = os.path.join(home, LEGACY_COUNTS, id)
        if os.fstat(fd).st_size == 0 and os.path.exists(legacy):
            with open(legacy, "rb") as f:
                raw = f.read(32).strip()
            _write_count(fd, int(raw) if raw.isdigit() else 0)
            _retire_legacy(home, id)
        yield fd


def _retire_legacy(home: str, id: str | None = None) -> None:
    """Remove what the old layout kept in the driver folder: the probe cache, `id`'s count
    and the count folder once empty."""
    names = [LEGACY_NATIVE] if id is None else [os.path.join(LEGACY_COUNTS, id)]
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(home, name))
    with contextlib.suppress(OSError):
        os.rmdir(os.path.join(home, LEGACY_COUNTS))  # ENOTEMPTY while old counts remain


def _write_count(fd: int, count: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{count}\n".encode(), 0)


def _mark_committed(folder: str) -> None:
    """The parent's ``committed`` marker (its mounts are read-only from now on): an empty
    file whose existence is all it says, made once (an image layer with many containers is
    not rewritten per container). Not fsynced: a marker a power loss takes makes a later
    `get` of that layer alone mount it writable, never loses data."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(os.path.join(folder, "committed"),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
