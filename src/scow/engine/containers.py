"""owns: the container service: create, look up, list (`ps`), inspect, sizes, diff and
remove containers; running them is in container_run.py, commit/export in container_fs.py, cp in
container_cp.py.

A container = its record (store/containers.py) + a writable layer on an ``-init`` layer on the
image's layers + its folder::

    <root>/containers/<id>/        hostname, hosts, resolv.conf (bind-mounted), config.json
                                   (the OCI bundle), state.json, container.log*, shim files
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from scow.errors import Conflict, NameInUse, ScowError
from scow.ids import random_id, short_id
from scow.oci.image import parse_time, rfc3339_nano
from scow.store.containers import ContainerRecord

if TYPE_CHECKING:
    from scow.engine.container_config import CreateOptions
    from scow.engine.engine import Engine
    from scow.runtime.runc import Runc
    from scow.runtime.state import ContainerState

ZERO_TIME = "0001-01-01T00:00:00Z"


class ContainerSummary(NamedTuple):
    id: str
    name: str
    image: str
    image_id: str
    command: str
    created: float
    state: str  # created | running | paused | exited
    status: str
    exit_code: int
    labels: dict[str, str]
    mounts: list[str]
    size_rw: int | None = None
    size_root_fs: int | None = None


class ContainerService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store
        self.records = engine.store.containers

    @cached_property
    def runc(self) -> Runc:
        """The OCI runtime (runc) with its state under `<root>/runtime/runc`."""
        from scow.runtime.runc import Runc

        root = os.path.join(self.store.root, "runtime", "runc")
        os.makedirs(os.path.dirname(root), mode=0o700, exist_ok=True)
        os.makedirs(root, mode=0o700, exist_ok=True)
        return Runc(self.engine.settings.runtime, root)

    def folder(self, container_id: str) -> str:
        """The container's folder, `<root>/containers/<id>`."""
        return os.path.join(self.store.containers_dir(), container_id)

    # -- create ---------------------------------------------------------------------------
    def create(self, opts: CreateOptions) -> str:
        """docker create: the records, the init and writable layers and the folder."""
        from scow.engine import initlayer
        from scow.engine.container_config import command_of, container_config, host_config
        from scow.engine.volumes import MountSpec, parse_mount_flag, parse_volume_flag

        self.store.recover()
        image_id = self.engine.images.resolve(opts.image)
        from scow.engine.squash import check_depth

        check_depth(self.store, image_id, opts.image)
        image = self.store.images.config(image_id)
        container_id = random_id()
        config = container_config(opts, image.config, container_id)
        mounts = [parse_volume_flag(v) for v in opts.volumes] + \
            [parse_mount_flag(m) for m in opts.mounts]
        anonymous = {m.destination for m in mounts if m.kind == "volume" and not m.source}
        mounts = [MountSpec("volume", random_id(), m.destination, m.read_only)
                  if m.destination in anonymous else m for m in mounts]
        path, args = command_of(config)
        doc: dict[str, Any] = {
            "Id": container_id, "Created": rfc3339_nano(), "Path": path, "Args": args,
            "Config": config, "HostConfig": host_config(opts), "Image": image_id,
            "MountPoints": [_mount_doc(m, m.destination in anonymous) for m in mounts],
            "Mounted": False,
        }
        name = self._reserve(container_id, opts.name, image_id, doc)
        doc["Name"] = "/" + name
        record = self.store.images.get(image_id)
        dests = tuple(m.destination for m in mounts)
        try:
            rw = self.store.layers.create_rw(record.top_layer, container_id,
                                             init=lambda p: initlayer.setup(p, dests))
            folder = self.folder(container_id)
            os.makedirs(folder, mode=0o710, exist_ok=True)
            from scow.runtime.spec import write_etc_files

            write_etc_files(folder, config["Hostname"])
            self.records.publish(container_id, rw.mount_id, doc)
        except BaseException:
            self._discard(container_id)
            raise
        return container_id

    def _reserve(self, container_id: str, name: str | None, image_id: str,
                 doc: dict[str, Any]) -> str:
        from scow.engine.names import random_name, validate_name

        if name:
            name = validate_name(name)
            self.records.reserve(container_id, name, image_id, doc)
            return name
        for attempt in range(10):
            candidate = random_name(attempt)
            try:
                self.records.reserve(container_id, candidate, image_id, doc)
                return candidate
            except NameInUse:
                continue
        raise Conflict("create container: could not find a free random name")

    def _discard(self, container_id: str) -> None:
        """Remove whatever a failed or interrupted create left (never masks its error)."""
        with contextlib.suppress(ScowError, OSError):
            for mount_id in self.store.layers.rw_of_container(container_id):
                self.store.layers.remove_rw(mount_id)
            shutil.rmtree(self.folder(container_id), ignore_errors=True)
            self.records.delete(container_id)

    # -- state ----------------------------------------------------------------------------
    def state(self, record: ContainerRecord) -> ContainerState | None:
        """The container's run state from its state.json; only a run whose monitor died
        (a pid recorded, the monitor's lock free) costs more: it is repaired through runc."""
        from scow.osutil.locks import is_locked
        from scow.runtime.state import LOCK_FILE, read_state

        folder = self.folder(record.id)
        st = read_state(folder)
        if st is None or not st.pid or is_locked(os.path.join(folder, LOCK_FILE)):
            return st
        from scow.runtime.monitor import refresh

        return refresh(folder, record.id, self.runc)

    def status_of(self, record: ContainerRecord) -> tuple[str, str, int]:
        """(State, Status text, exit code) as `docker ps` shows them."""
        from scow.format.units import human_duration

        st = self.state(record)
        if st is None:
            return "created", "Created", 0
        if st.status == "running":
            paused = os.path.exists(os.path.join(self.folder(record.id), "paused"))
            up = "Up " + human_duration(max(0.0, time.time() - parse_time(st.started_at)))
            return ("paused", up + " (Paused)", 0) if paused else ("running", up, 0)
        if st.status == "exited":
            ago = human_duration(max(0.0, time.time() - parse_time(st.finished_at)))
            return "exited", f"Exited ({st.exit_code}) {ago} ago", st.exit_code
        return "created", "Created", 0

    # -- listing --------------------------------------------------------------------------
    def list_containers(self, *, all: bool = False, size: bool = False,
                        filters: dict[str, list[str]] | None = None, last: int = -1
                        ) -> list[ContainerSummary]:
        """docker ps: running containers (every one with `all`), with sizes when `size`,
        filtered as `docker ps --filter`, the `last` created."""
        from scow.engine.container_filters import matches

        records = self.records.all()
        out = []
        for record in records:
            state, status, code = self.status_of(record)
            summary = self._summary(record, state, status, code)
            if not all and state not in ("running", "paused") and last < 0:
                continue
            if filters and not matches(self, summary, filters):
                continue
            out.append(summary)
        if last >= 0:
            out = out[:last]
        if size:
            out = [self._with_size(s) for s in out]
        return out

    def _summary(self, record: ContainerRecord, state: str, status: str,
                 code: int) -> ContainerSummary:
        doc = record.doc
        return ContainerSummary(
            record.id, record.name, doc["Config"].get("Image", ""), record.image_id,
            command_line(doc["Path"], doc["Args"]), record.created, state, status, code,
            doc["Config"].get("Labels") or {},
            [m["Name"] or m["Source"] for m in doc.get("MountPoints", [])])

    def _with_size(self, s: ContainerSummary) -> ContainerSummary:
        rw, root_fs = self.sizes(s.id)
        return s._replace(size_rw=rw, size_root_fs=root_fs)

    def sizes(self, name: str) -> tuple[int, int]:
        """(SizeRw, SizeRootFs): what the writable layer adds over the init layer, and that
        plus the image's layers."""
        record = self.records.get(name)
        rw = self.store.driver.diff_size(record.mount_id or "", f"{record.mount_id}-init")
        image = self.store.images.find(record.image_id)
        base = self.store.layers.size(image.top_layer) if image else 0
        return rw, base + rw

    def using_image(self, image_id: str) -> list[tuple[str, bool]]:
        """(short ID, running) of the containers made from `image_id` (for rmi)."""
        out = []
        for record in self.records.using_image(image_id):
            st = self.state(record) if record.state == "ready" else None
            out.append((short_id(record.id), bool(st and st.status == "running")))
        return out

    # -- diff -----------------------------------------------------------------------------
    def changes(self, name: str) -> list[tuple[str, str]]:
        """docker diff: (kind, path) against the init layer."""
        record = self.records.get(name)
        mount_id = record.mount_id or ""
        changes = self.store.driver.changes(mount_id, f"{mount_id}-init")
        return [(c.kind, c.path) for c in changes]

    # -- inspect --------------------------------------------------------------------------
    def inspect(self, name: str, *, size: bool = False) -> dict[str, Any]:
        """docker container inspect's object (with SizeRw/SizeRootFs when `size`)."""
        from scow.engine.inspect import container_inspect

        record = self.records.get(name)
        return container_inspect(self, record, size=size)

    # -- remove ---------------------------------------------------------------------------
    def remove(self, name: str, *, force: bool = False, volumes: bool = False) -> str:
        """docker rm; returns the name as given."""
        from scow.engine.container_run import cleanup, kill_for_removal

        self.store.recover()
        record = self.records.get(name)
        st = self.state(record)
        if st is not None and st.status == "running":
            if not force:
                raise Conflict(f"You cannot remove a running container {record.id}. Stop the "
                               "container before attempting removal or force remove")
            kill_for_removal(self, record)
            if self.records.find(record.id) is None:
                return name  # it was run with --rm: its monitor removed it
        self.records.mark_removing(record.id)
        cleanup(self, record, remove_runtime=True)
        if record.mount_id:
            self.store.layers.remove_rw(record.mount_id)
        shutil.rmtree(self.folder(record.id), ignore_errors=True)
        self.records.delete(record.id)
        if volumes:
            for mount in record.doc.get("MountPoints", []):
                if mount.get("Anonymous"):
                    self.engine.volumes.remove(mount["Name"], force=True)
        return name

    def reap(self, record: ContainerRecord) -> None:
        """Stop and release what an interrupted create or rm left running (store recovery)."""
        from scow.engine.container_run import cleanup, kill_for_removal

        st = self.state(record) if os.path.isdir(self.folder(record.id)) else None
        if st is not None and st.status == "running":
            kill_for_removal(self, record)
        cleanup(self, record, remove_runtime=True)

    def prune(self) -> tuple[list[str], int]:
        """docker container prune: remove every stopped container; (IDs, bytes reclaimed)."""
        removed, reclaimed = [], 0
        for record in self.records.all():
            state, _, _ = self.status_of(record)
            if state in ("running", "paused"):
                continue
            reclaimed += self.sizes(record.id)[0]
            self.remove(record.id)
            removed.append(record.id)
        return removed, reclaimed


def command_line(path: str, args: list[str]) -> str:
    """The COMMAND of `docker ps` (moby quotes arguments that contain spaces)."""
    shown = [f"'{a}'" if " " in a else a for a in args]
    return " ".join([path, *shown]) if shown else path


def _mount_doc(m: Any, anonymous: bool) -> dict[str, Any]:
    return {"Type": m.kind, "Name": m.source if m.kind == "volume" else "",
            "Source": m.source if m.kind == "bind" else "", "Destination": m.destination,
            "RW": not m.read_only, "Anonymous": anonymous}


__all__ = ["ContainerService", "ContainerSummary", "ZERO_TIME"]
