"""owns: what reads a container's files from outside as a whole: commit (its changes as a new
image layer) and export (its whole root filesystem as a tar). ``cp`` (both ways) is
``engine.container_cp``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO

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
        diff_ids: list[str] = [*base.diff_ids, *([] if empty else [layer.diff_id])]
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
