"""owns: what reads or writes a container's files from outside: commit (its changes as a new
image layer), export (its whole root filesystem as a tar) and cp (both ways).

Paths inside a container are always resolved inside its root filesystem (openat2 with
RESOLVE_IN_ROOT): a symlink in the container pointing at ``/`` or ``../../..`` leads to the
container's own root, never the host's.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import stat
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from scow.errors import InvalidArgument, NotFound, from_oserror
from scow.ids import EMPTY_TAR_DIFF_ID, ImageID
from scow.oci.image import history_entry, make_config, rfc3339_nano
from scow.oci.reference import parse_reference

if TYPE_CHECKING:
    from scow.engine.containers import ContainerService
    from scow.store.layers import Layer


def commit(svc: ContainerService, name: str, reference: str | None = None, *,
           message: str = "", author: str = "", changes: list[str] | None = None,
           pause: bool = True) -> ImageID:
    """docker commit: the container's changes (against its init layer) as one new layer."""
    from scow.engine.changes import apply_changes

    record = svc.records.get(name)
    ref = parse_reference(reference) if reference else None
    image_id = record.image_id
    image = svc.store.images.get(image_id)
    base = svc.store.images.config(image_id)
    mount_id = record.mount_id or ""
    svc.store.recover()
    with _paused(svc, record.id, pause):
        layer = _register_from(svc, lambda out: svc.store.driver.diff(
            mount_id, f"{mount_id}-init", out), image.top_layer)
    try:
        config = apply_changes(dict(record.doc["Config"]), changes or [])
        for key in ("Hostname", "Domainname", "AttachStdin", "AttachStdout", "AttachStderr",
                    "Tty", "OpenStdin", "StdinOnce", "Image", "StopTimeout"):
            config.pop(key, None)
        created = rfc3339_nano()
        empty = layer.diff_id == EMPTY_TAR_DIFF_ID
        diff_ids = list(base.diff_ids) + ([] if empty else [layer.diff_id])
        history = list(base.get("history") or []) + [history_entry(
            created, " ".join(record.doc["Config"].get("Cmd") or []), comment=message,
            author=author, empty_layer=empty)]
        extra = {k: v for k, v in (("author", author), ("comment", message)) if v}
        config_bytes = make_config(diff_ids=diff_ids, history=history, config=config,
                                   created=created, architecture=base.architecture or "amd64",
                                   extra={"container": record.id, **extra})
        new = svc.store.images.create(config_bytes, parent=image_id, built_locally=True)
    finally:
        svc.store.layers.release_lease(layer.chain_id)
    if ref is not None:
        svc.store.refs.add(ref, new.id)
    return new.id


@contextlib.contextmanager
def _paused(svc: ContainerService, container_id: str, pause: bool) -> Iterator[None]:
    """Pause a running container for the block (docker commit pauses by default)."""
    record = svc.records.get(container_id)
    st = svc.state(record)
    paused = os.path.exists(os.path.join(svc.folder(container_id), "paused"))
    doit = pause and st is not None and st.status == "running" and not paused
    if doit:
        svc.runc.pause(container_id)
    try:
        yield
    finally:
        if doit:
            svc.runc.resume(container_id)


def _register_from(svc: ContainerService, produce: Callable[[BinaryIO], None],
                   parent: str | None) -> Layer:
    """Register the tar that `produce` writes, streamed through a pipe (no temp copy)."""
    from scow.engine.layer_stream import register_from

    return register_from(svc.store, produce, parent)


def export(svc: ContainerService, name: str, out: BinaryIO) -> None:
    """docker export: the container's merged root filesystem as one tar."""
    from scow.archive.writer import write_tree

    record = svc.records.get(name)
    mount_id = record.mount_id or ""
    root = svc.store.driver.get(mount_id)
    try:
        write_tree(root, out)
    finally:
        svc.store.driver.put(mount_id)


# -- cp ---------------------------------------------------------------------------------------
def copy_from(svc: ContainerService, name: str, src: str, dest: str) -> None:
    """docker cp CONTAINER:SRC DEST."""
    with _container_root(svc, name) as root_fd:
        parent_fd, base = _open_parent(root_fd, src, f"{name}:{src}")
        try:
            _copy(parent_fd, base, src, dest, into_container=None)
        finally:
            os.close(parent_fd)


def copy_to(svc: ContainerService, name: str, src: str, dest: str) -> None:
    """docker cp SRC CONTAINER:DEST."""
    src_abs = os.path.abspath(src)
    host_parent = os.open(os.path.dirname(src_abs) or "/", os.O_RDONLY | os.O_DIRECTORY
                          | os.O_CLOEXEC)
    try:
        with _container_root(svc, name) as root_fd:
            _copy(host_parent, os.path.basename(src_abs) or ".", src, dest, into_container=root_fd)
    finally:
        os.close(host_parent)


@contextlib.contextmanager
def _container_root(svc: ContainerService, name: str) -> Iterator[int]:
    record = svc.records.get(name)
    mount_id = record.mount_id or ""
    root = svc.store.driver.get(mount_id)
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            yield fd
        finally:
            os.close(fd)
    finally:
        svc.store.driver.put(mount_id)


def _open_parent(root_fd: int, path: str, shown: str) -> tuple[int, str]:
    """An fd of `path`'s parent resolved inside the root, and `path`'s last component."""
    from scow.osutil.openat2 import open_in_root

    clean = posixpath.normpath("/" + path)
    parent, base = posixpath.split(clean)
    if path.endswith("/.") or clean == "/":
        parent, base = clean, "."
    try:
        fd = open_in_root(root_fd, parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise NotFound(f"Could not find the file {path} in container {shown.split(':')[0]}"
                       ) from exc if exc.errno == 2 else from_oserror(f"copy {shown}", exc)
    return fd, base


def _copy(src_parent: int, base: str, src_shown: str, dest: str,
          into_container: int | None) -> None:
    """Tar `base` under `src_parent` and extract it at `dest` (on the host, or inside the
    container whose root fd is `into_container`) with docker cp's naming rules."""
    from scow.archive.extract import apply_layer
    from scow.archive.tarstream import LayerReader

    src_dir = f"/proc/self/fd/{src_parent}"
    try:
        st = os.lstat(os.path.join(src_dir, base))
    except FileNotFoundError:
        raise NotFound(f"no such file or directory: {src_shown}") from None
    dest_parent_fd, arcname, contents_only = _destination(dest, into_container,
                                                          stat.S_ISDIR(st.st_mode), base)
    try:
        r, w = os.pipe()
        failure: list[BaseException] = []
        thread = threading.Thread(target=_tar_into, daemon=True, args=(
            w, src_dir, base, arcname, contents_only, failure))
        thread.start()
        with os.fdopen(r, "rb", buffering=1 << 20) as stream:
            reader = LayerReader(stream, tar_split=False)
            try:
                apply_layer(f"/proc/self/fd/{dest_parent_fd}", reader.entries(), whiteouts="oci")
                reader.finish()
            finally:
                thread.join()
        if failure:
            raise failure[0]
    finally:
        os.close(dest_parent_fd)


def _tar_into(w: int, src_dir: str, base: str, arcname: str, contents_only: bool,
              failure: list[BaseException]) -> None:
    from scow.archive.writer import TarWriter, walk_tree

    try:
        with os.fdopen(w, "wb", buffering=1 << 20) as out:
            writer = TarWriter(out)
            seen: dict[tuple[int, int], str] = {}
            top = os.path.join(src_dir, base)
            if not contents_only:
                writer.add_path(src_dir, base, seen=seen, arcname=arcname)
            if os.path.isdir(top) and not os.path.islink(top):
                for rel in walk_tree(top):
                    name = rel if contents_only else f"{arcname}/{rel}"
                    writer.add_path(top, rel, seen=seen, arcname=name)
            writer.close()
    except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
        failure.append(exc)


def _destination(dest: str, container_root: int | None, src_is_dir: bool,
                 base: str) -> tuple[int, str, bool]:
    """(fd of the folder to extract in, name to give the copy, copy only the contents)."""
    from scow.osutil.openat2 import open_in_root

    def open_dir(path: str) -> int:
        if container_root is None:
            return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        return open_in_root(container_root, path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    clean = posixpath.normpath(dest) if container_root is None else \
        posixpath.normpath("/" + dest)
    contents_only = base == "."
    try:
        fd = open_dir(clean)  # an existing folder: copy into it
        return fd, (base if base != "." else ""), contents_only
    except NotADirectoryError:
        if src_is_dir:
            raise InvalidArgument(f"cannot copy a directory to a file: {dest}") from None
    except FileNotFoundError:
        if dest.endswith("/"):
            raise NotFound(f"no such directory: {dest}") from None
    parent, name = posixpath.split(clean)
    try:
        return open_dir(parent or "/"), name, False
    except OSError as exc:
        raise from_oserror(f"copy to {dest}", exc) from exc
