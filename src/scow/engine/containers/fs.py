"""owns: what reads a container's files from outside as a whole: diff (its changes against
its init layer: docker's (kind, path) pairs, docker-py's JSON), commit (its changes as a new
image layer) and export (its whole root filesystem as a tar). ``cp`` (both ways) is
``containers/cp.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from scow.engine.containers.base import ContainerBase
from scow.errors import ScowError
from scow.ids import EMPTY_TAR_DIFF_ID, ImageID
from scow.oci.image import history_entry, make_config, rfc3339_nano
from scow.oci.reference import parse_reference
from scow.osutil import faults

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, BinaryIO

if TYPE_CHECKING:
    from scow.store.layers import Layer


class ContainerFilesystem(ContainerBase):
    def diff(self, name: str) -> list[dict[str, Any]]:
        """docker-py's diff: docker's JSON, [{"Path": ..., "Kind": 0 changed, 1 added,
        2 deleted}]."""
        kinds = {"C": 0, "A": 1, "D": 2}
        return [{"Path": path, "Kind": kinds[kind]} for kind, path in self.changes(name)]

    def changes(self, name: str) -> list[tuple[str, str]]:
        """docker diff: (kind, path) against the init layer."""
        record = self.records.get(name)
        mount_id = record.mount_id or ""
        self.store.layers.repair_rw(mount_id)  # its lower names the init layer again
        changes = self.store.driver.changes(mount_id, f"{mount_id}-init")
        return [(c.kind, c.path) for c in changes]

    def commit(self, name: str, reference: str | None = None, *,
               message: str = "", author: str = "", changes: list[str] | None = None,
               pause: bool = True) -> ImageID:
        """docker commit: the container's changes (against its init layer) as one new layer."""
        from scow.engine.images.changes import apply_changes

        record = self.records.get(name)
        ref = parse_reference(reference) if reference else None
        image_id = record.image_id
        image = self.store.images.get(image_id)
        base = self.store.images.config(image_id)
        mount_id = record.mount_id or ""
        self.store.recover()
        self.store.layers.repair_rw(mount_id)  # a native diff needs its lower whole
        with self._paused(record.id, pause):
            layer = self._register_from(lambda out: self.store.driver.diff(
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
            new = self.store.images.create(config_bytes, parent=image_id, built_locally=True,
                                           ref=ref)  # tagged in the creating transaction
            faults.point("containers.commit.after_image")  # a prune may run from here on
        finally:
            self.store.layers.release_lease(layer.chain_id)
        if ref is not None:
            self.images.event(new.id, "tag", ref.familiar())
        self.event(record, "commit", {"comment": message, "imageID": new.id,
                                      "imageRef": ref.familiar() if ref is not None else ""})
        return new.id

    @contextlib.contextmanager
    def _paused(self, container_id: str, pause: bool) -> Iterator[None]:
        """Pause a running container for the block (docker commit pauses by default)."""
        from scow.runtime.state import is_paused

        record = self.records.get(container_id)
        st = self.state(record)
        paused = is_paused(self.folder(container_id))
        doit = pause and st is not None and st.status == "running" and not paused
        if doit:
            try:
                self.runc.pause(container_id)
            except ScowError:
                st = self.state(record)  # it exited meanwhile: nothing left to pause
                if st is not None and st.status == "running":
                    raise
                doit = False
        try:
            yield
        finally:
            if doit:
                self.runc.resume(container_id)

    def _register_from(self, produce: Callable[[BinaryIO], None],
                       parent: str | None) -> Layer:
        """Register the tar that `produce` writes, streamed through a pipe (no temp copy)."""
        from scow.engine.layer_stream import register_from

        return register_from(self.store, produce, parent)

    def export(self, name: str, out: BinaryIO | str) -> None:
        """docker export: the container's merged root filesystem as one tar, written to `out`
        (a stream, or a file path written atomically)."""
        from scow.archive.writer import write_tree

        if isinstance(out, str):
            from scow.osutil.atomic import atomic_writer

            with atomic_writer(out) as f:
                self.export(name, f)
            return

        record = self.records.get(name)
        mount_id = record.mount_id or ""
        root = self.store.layers.get_rw(mount_id)
        try:
            write_tree(root, out)
        finally:
            self.store.driver.put(mount_id)
        self.event(record, "export")
