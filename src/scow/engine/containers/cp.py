"""owns: `docker cp` both ways between a container's root filesystem and the host, with
docker's naming rules, immune to a container that swaps folders and symlinks while it runs.

How a path is resolved:

- inside the container, every path is resolved once by the kernel with the container's root
  as ``/`` (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): ``..`` and absolute symlinks are
  clamped at that root, and a rename racing the lookup makes the kernel retry or fail, never
  leave the root;
- below the resolved source, the tree is read through fds only (``engine.cp_source``);
- below the resolved destination folder, the copy is written by the safe extractor
  (``archive.extract``) relative to that folder's fd: parents resolved beneath it, files made
  ``O_CREAT | O_EXCL | O_NOFOLLOW`` relative to their parent's fd, attributes set on fds or with
  the ``*at`` calls that do not follow symlinks. ``.wh.`` names are copied as plain files (cp
  is not a layer: they delete nothing).

Ownership as docker documents it: a copy into the container belongs to root (0:0), a copy out
to the user running scow; ``-a`` keeps the source's uid/gid. With ``-`` (a tar on stdout or
stdin) the tar carries the uid/gid as they are. ``-L`` follows a symlink that is
the last component of the source (still inside the container's root).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import stat
from collections.abc import Callable, Iterator

from scow.engine.containers.base import ContainerBase
from scow.errors import InvalidArgument, NotFound, from_oserror

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, BinaryIO, NamedTuple
else:
    from scow.typeshim import NamedTuple

if TYPE_CHECKING:
    from scow.engine.containers.cp_source import Source

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


class _Dest:
    """Where a copy goes: a host path (`root_fd` None) or a path inside a container root."""

    def __init__(self, shown: str, root_fd: int | None, path: str | None = None) -> None:
        self.shown, self.root_fd = shown, root_fd
        self.path = shown if path is None else path

    def open_dir(self, path: str) -> int:
        """An fd of folder `path` (symlinks followed; in the container, inside its root)."""
        if self.root_fd is None:
            return os.open(path, _DIR)
        from scow.osutil.openat2 import open_in_root

        return open_in_root(self.root_fd, path, _DIR)

    def clean(self) -> str:
        if self.root_fd is None:
            return posixpath.normpath(self.path)
        return posixpath.normpath("/" + self.path.lstrip("/"))


def _target(source: Source, dest: _Dest) -> tuple[int, str]:
    """(fd of the folder to write in, name of the copy there; "" for a folder's contents)."""
    is_dir = stat.S_ISDIR(source.st.st_mode)
    clean = dest.clean()
    try:
        fd = dest.open_dir(clean)  # an existing folder: copy into it
        return fd, "" if source.contents_only else source.base
    except NotADirectoryError:
        if is_dir:
            raise InvalidArgument(f"copy to {dest.shown}: cannot copy a directory to a file"
                                  ) from None
        if dest.path.endswith("/"):
            raise InvalidArgument(f"copy to {dest.shown}: not a directory") from None
    except FileNotFoundError:
        if dest.path.endswith("/"):
            raise NotFound(f"copy to {dest.shown}: no such directory") from None
    except OSError as exc:
        raise from_oserror(f"copy to {dest.shown}", exc) from exc
    parent, base = posixpath.split(clean)
    try:
        return dest.open_dir(parent or "/"), base
    except OSError as exc:
        raise from_oserror(f"copy to {dest.shown}", exc) from exc


def _copy(source: Source, dest: _Dest, ids: tuple[int, int] | None) -> None:
    from scow.engine.containers.cp_source import write_source

    dest_fd, arcname = _target(source, dest)
    try:
        _through_pipe(lambda out: write_source(out, source, arcname, ids=ids), dest_fd)
    finally:
        os.close(dest_fd)


def _through_pipe(produce: Callable[[BinaryIO], None], dest_fd: int) -> None:
    """Extract under `dest_fd` the tar that `produce` writes in a thread (no temp copy)."""
    from scow.archive.extract import apply_layer
    from scow.archive.tarstream import LayerReader
    from scow.engine.layer_stream import piped

    with piped(produce) as stream:
        reader = LayerReader(stream, tar_split=False)
        apply_layer(dest_fd, reader.entries(), whiteouts="none")
        reader.finish()


class ContainerCopy(ContainerBase):
    def copy_from(self, name: str, src: str, dest: str, *,
                  follow_link: bool = False, archive: bool = False) -> None:
        """docker cp CONTAINER:SRC DEST."""
        from scow.engine.containers.cp_source import open_source

        with self._container_path(name, "archive-path", src) as (root_fd, inner):
            source = open_source(root_fd, inner, follow=follow_link, shown=f"{name}:{src}")
            try:
                ids = None if archive else (os.geteuid(), os.getegid())
                _copy(source, _Dest(dest, None), ids)
            finally:
                os.close(source.fd)

    def copy_to(self, name: str, src: str, dest: str, *,
                follow_link: bool = False, archive: bool = False) -> None:
        """docker cp SRC CONTAINER:DEST."""
        from scow.engine.containers.cp_source import open_host_source

        source = open_host_source(src, follow=follow_link)
        try:
            with self._container_path(name, "extract-to-dir", dest) as (root_fd, inner):
                _copy(source, _Dest(f"{name}:{dest}", root_fd, inner),
                      None if archive else (0, 0))
        finally:
            os.close(source.fd)

    def copy_out_stream(self, name: str, src: str, out: BinaryIO, *,
                        follow_link: bool = False) -> None:
        """docker cp CONTAINER:SRC - : a tar of SRC (named after it; a folder's contents at the
        top for ``/.``) with the source's uid/gid, read the same way as a copy."""
        from scow.engine.containers.cp_source import open_source, write_source

        with self._container_path(name, "archive-path", src) as (root_fd, inner):
            source = open_source(root_fd, inner, follow=follow_link, shown=f"{name}:{src}")
            try:
                write_source(out, source, "" if source.contents_only else source.base, ids=None)
            finally:
                os.close(source.fd)

    def copy_in_stream(self, name: str, stream: BinaryIO, dest: str) -> None:
        """docker cp - CONTAINER:DEST : extract the tar on `stream` into folder DEST (which must
        exist), as the tar says (uid/gid included), never writing outside DEST."""
        from scow.archive.extract import apply_layer
        from scow.archive.tarstream import LayerReader

        with self._container_path(name, "extract-to-dir", dest) as (root_fd, inner):
            target = _Dest(f"{name}:{dest}", root_fd, inner)
            try:
                dest_fd = target.open_dir(target.clean())
            except (FileNotFoundError, NotADirectoryError):
                raise NotFound(f"copy to {target.shown}: no such directory") from None
            except OSError as exc:
                raise from_oserror(f"copy to {target.shown}", exc) from exc
            try:
                reader = LayerReader(stream, tar_split=False)
                apply_layer(dest_fd, reader.entries(), whiteouts="none")
                reader.finish()
            finally:
                os.close(dest_fd)

    @contextlib.contextmanager
    def _container_path(self, name: str, action: str, path: str
                        ) -> Iterator[tuple[int, str]]:
        """(root fd, path under it) of `path` in the container: a path under a volume's or a
        folder bind's destination is read in that folder (as docker resolves the container's
        mounts); any other in the container's root folder, mounted for the block."""
        record = self.records.get(name)
        mounted = _mount_of(self.store.root, record.doc.get("MountPoints") or [], path,
                            into=action == "extract-to-dir")
        if mounted is not None:
            folder, inner, rw = mounted
            if action == "extract-to-dir" and not rw:
                raise InvalidArgument(f"copy to {name}:{path}: the volume is read-only")
            fd = os.open(folder, _DIR)
            try:
                yield fd, inner
            finally:
                os.close(fd)
            self.event(record, action)
            return
        mount_id = record.mount_id or ""
        root = self.store.layers.get_rw(mount_id)
        try:
            fd = os.open(root, _DIR)
            try:
                yield fd, path
            finally:
                os.close(fd)
        finally:
            self.store.driver.put(mount_id)
        self.event(record, action)

    def put_archive(self, name: str, path: str, data: bytes | BinaryIO) -> bool:
        """docker-py's put_archive: extract the tar `data` into folder `path` (which must
        exist) in the container; True when done (errors raise)."""
        import io

        stream = io.BytesIO(data) if isinstance(data, bytes) else data
        self.copy_in_stream(name, stream, path)
        return True

    def get_archive(self, name: str, path: str, *, chunk_size: int = 1 << 20
                    ) -> tuple[Iterator[bytes], ArchiveStat]:
        """docker-py's get_archive: a tar of `path` in the container (in chunks) and the
        stat of `path` (name, size, mode, mtime, linkTarget, as docker's header has it)."""
        import tempfile

        from scow.engine.containers.cp_source import open_source

        spool = tempfile.TemporaryFile(prefix="scow-archive-")
        try:
            with self._container_path(name, "archive-path", path) as (root_fd, inner):
                source = open_source(root_fd, inner, follow=False, shown=f"{name}:{path}")
                try:
                    from scow.engine.containers.cp_source import write_source

                    write_source(spool, source, "" if source.contents_only else source.base,
                                 ids=None)
                    st = _archive_stat(root_fd, source, path)
                finally:
                    os.close(source.fd)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return _chunks(spool, chunk_size), st


class ArchiveStat(NamedTuple):
    """The stat docker sends with an archive (X-Docker-Container-Path-Stat)."""

    name: str
    size: int
    mode: int
    mtime: str
    link_target: str

    @property
    def attrs(self) -> dict[str, object]:
        """The stat as docker's X-Docker-Container-Path-Stat header holds it."""
        return {"name": self.name, "size": self.size, "mode": self.mode, "mtime": self.mtime,
                "linkTarget": self.link_target}


def _archive_stat(root_fd: int, source: Source, path: str) -> ArchiveStat:
    from scow.oci.image import rfc3339_nano

    link = ""
    if stat.S_ISLNK(source.st.st_mode):
        with contextlib.suppress(OSError):
            link = os.readlink("", dir_fd=source.fd)
    return ArchiveStat(source.base or posixpath.basename(path.rstrip("/")) or "/",
                       source.st.st_size, source.st.st_mode, rfc3339_nano(source.st.st_mtime),
                       link)


def _mount_of(root: str, mounts: list[dict[str, Any]], path: str, *, into: bool
              ) -> tuple[str, str, bool] | None:
    """(host folder, path under it, RW) of the container's volume or folder bind whose
    destination holds `path` (the deepest one), None when `path` is in the root folder. A
    mount's destination itself is the mount's folder when copying `into` it; a copy out of
    it reads the root folder's entry (for its name)."""
    clean = posixpath.normpath("/" + path)
    best: dict[str, Any] | None = None
    for m in mounts:
        dest = posixpath.normpath("/" + m["Destination"])
        inside = clean.startswith(dest.rstrip("/") + "/") or (into and clean == dest)
        if inside and dest != "/" and \
                (best is None or len(dest) > len(best["Destination"])):
            best = {**m, "Destination": dest}
    if best is None:
        return None
    folder = best["Source"] or os.path.join(root, "volumes", best["Name"], "_data")
    if not os.path.isdir(folder):
        return None
    inner = clean[len(best["Destination"]):] or "/"
    if path.endswith("/.") or path.endswith("/"):
        inner += path[len(path.rstrip("/.")):] if path.endswith("/.") else "/"
    return folder, inner, bool(best["RW"])


def _chunks(f: BinaryIO, size: int) -> Iterator[bytes]:
    with f:
        while chunk := f.read(size):
            yield chunk
