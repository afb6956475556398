"""owns: named volumes and the parsing of `-v`/`--mount` specs.

On-disk layout::

    <root>/volumes/<name>/_data     a named volume's data (docker's layout)
    <root>/scow.db  volumes         its row (store/volumes.py)

A named volume is filled from the image's content at its mount point the first time it is
mounted empty (docker's copy-up of volumes); bind mounts are used as they are.
"""

from __future__ import annotations

import builtins
import os

from scow.errors import Conflict, InvalidArgument, VolumeNotFound
from scow.ids import random_id
from scow.oci.image import rfc3339_nano
from scow.osutil.at import remove_tree_quietly
from scow.store.store import Store

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from scow.typeshim import NamedTuple

_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_NAME_CHARS = _ALNUM | frozenset("_.-")  # docker's [a-zA-Z0-9][a-zA-Z0-9_.-]+, whole name
NAME_MAX = 255  # the name is a folder under <root>/volumes


class MountSpec(NamedTuple):
    kind: str  # bind | volume | tmpfs
    source: str  # host path, volume name, or ""
    destination: str
    read_only: bool = False


class Volume(NamedTuple):
    """A named volume (a frozen record: `VolumeService.get` reads it again), with docker's
    JSON as `.attrs`, as docker-py's Volume."""

    name: str
    created: float
    labels: dict[str, str]
    anonymous: bool
    mountpoint: str

    @property
    def id(self) -> str:
        """docker-py's Volume.id: the volume's name."""
        return self.name

    @property
    def attrs(self) -> dict[str, Any]:
        """docker volume inspect's object for this volume."""
        return {"CreatedAt": rfc3339_nano(self.created), "Driver": "local",
                "Labels": self.labels, "Mountpoint": self.mountpoint, "Name": self.name,
                "Options": None, "Scope": "local"}


class VolumeService:
    """docker volume create/ls/inspect/rm/prune over the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.home = os.path.join(store.root, "volumes")

    def path(self, name: str) -> str:
        """The folder a container sees at the volume's mount point, `volumes/<name>/_data`."""
        return os.path.join(self.home, name, "_data")

    def create(self, name: str | None = None, *, labels: dict[str, str] | None = None,
               anonymous: bool = False) -> Volume:
        """docker volume create; an existing volume of that name is returned as it is."""
        name = name or random_id()
        if len(name) > NAME_MAX or not name.isprintable():
            raise InvalidArgument(f"create volume {name[:40]!r}: a volume name is at most "
                                  f"{NAME_MAX} printable characters")
        if len(name) < 2 or name[0] not in _ALNUM or not _NAME_CHARS.issuperset(name):
            raise InvalidArgument(f'create {name}: "{name}" includes invalid characters for a '
                                  "local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are "
                                  "allowed")
        # docker's local driver: volumes/ and volumes/<name>/ 0701, _data 0755 (the container's)
        os.makedirs(self.home, mode=0o701, exist_ok=True)
        os.makedirs(os.path.dirname(self.path(name)), mode=0o701, exist_ok=True)
        os.makedirs(self.path(name), mode=0o755, exist_ok=True)
        fresh = self.store.volumes.find(name) is None
        self.store.volumes.add(name, labels or {}, anonymous)  # an existing one is returned
        if fresh:
            self._event(name, "create")
        return self.get(name)

    def _event(self, name: str, action: str) -> None:
        from scow.engine.events import volume_event

        volume_event(self.store, name, action)

    def find(self, name: str) -> Volume | None:
        """The volume `name`, or None."""
        r = self.store.volumes.find(name)
        if r is None:
            return None
        return Volume(r.name, r.created, r.labels, r.anonymous, self.path(r.name))

    def get(self, name: str) -> Volume:
        """The volume `name`; raises VolumeNotFound (NotFound)."""
        volume = self.find(name)
        if volume is None:
            raise VolumeNotFound(f"get {name}: no such volume")
        return volume

    def all(self, *, filters: dict[str, builtins.list[str]] | None = None) -> list[Volume]:
        """Every volume (docker volume ls), those passing `filters` when given (name,
        driver, label, dangling: engine/volumes/filters.py)."""
        volumes = [Volume(r.name, r.created, r.labels, r.anonymous, self.path(r.name))
                   for r in self.store.volumes.all()]
        if not filters:
            return volumes
        from scow.engine.volumes import filters as volume_filters

        volume_filters.check(filters)
        users = self.users()
        return [v for v in volumes if volume_filters.matches(v.name, v.labels, filters,
                                                          v.name in users)]

    def remove(self, name: str, *, force: bool = False) -> None:
        """docker volume rm: refused (Conflict) while a container mounts it; `force` only
        makes a missing volume no error, as in docker."""
        if self.find(name) is None:
            if force:
                return
            raise VolumeNotFound(f"get {name}: no such volume")
        in_use_by = self.users().get(name)
        if in_use_by:
            raise Conflict(f"remove {name}: volume is in use - [{', '.join(in_use_by)}]")
        self.store.volumes.delete(name)
        remove_tree_quietly(os.path.join(self.home, name))
        self._event(name, "destroy")

    def discard_anonymous(self, mounts: list[dict[str, Any]]) -> None:
        """Remove the anonymous volumes among a container's `mounts` (its MountPoints) while
        the container's unfinished row still names them: a failed or killed create's (recovery
        runs this through the engine's container reaper). No user check: that row is their
        only user (an anonymous volume has a new random name), and it goes after them, so a
        kill in between leaves the row to roll them back again. A missing one is skipped."""
        for m in mounts:
            if m.get("Type") != "volume" or not m.get("Anonymous") or not m.get("Name"):
                continue
            name = str(m["Name"])
            if self.find(name) is not None:
                self.store.volumes.delete(name)
                self._event(name, "destroy")
            if os.path.isdir(os.path.join(self.home, name)):
                remove_tree_quietly(os.path.join(self.home, name))

    def users(self) -> dict[str, list[str]]:
        """Volume name → IDs of the containers that mount it."""
        users: dict[str, list[str]] = {}
        for record in self.store.containers.all(include_incomplete=True):
            for mount in record.doc.get("MountPoints", []):
                if mount.get("Name"):
                    users.setdefault(mount["Name"], []).append(record.id)
        return users

    def prune(self, *, all: bool = False) -> tuple[list[str], int]:
        """docker volume prune: anonymous volumes (all volumes with `all`) that no container
        mounts; (names removed, bytes reclaimed)."""
        users = self.users()
        removed, reclaimed = [], 0
        for volume in self.all():
            if volume.name in users or not (all or volume.anonymous):
                continue
            reclaimed += self.size(volume.name)
            self.remove(volume.name)
            removed.append(volume.name)
        from scow.engine.events import prune_event

        prune_event(self.store, "volume", reclaimed)
        return removed, reclaimed

    def size(self, name: str) -> int:
        """Bytes used under the volume's `_data` folder."""
        from scow.osutil.treesize import dir_size

        return dir_size(self.path(name))

    def inspect(self, name: str) -> dict[str, Any]:
        """docker volume inspect's object."""
        return self.get(name).attrs

    def list(self) -> builtins.list[Volume]:
        """docker-py's volumes.list (also `all`)."""
        return self.all()


def parse_volume_flag(spec: str) -> MountSpec:
    """`-v`: NAME:/dst[:ro], /host:/dst[:ro|rw], or /dst (an anonymous volume)."""
    parts = spec.split(":")
    if len(parts) == 1:
        return MountSpec("volume", "", _dest(parts[0], spec))
    if len(parts) > 3:
        raise InvalidArgument(f"invalid volume specification: '{spec}'")
    mode = parts[2] if len(parts) == 3 else "rw"
    if any(m not in ("ro", "rw", "z", "Z", "nocopy") for m in mode.split(",")):
        raise InvalidArgument(f"invalid mode: {mode}")
    source, dest = parts[0], _dest(parts[1], spec)
    kind = "bind" if source.startswith("/") or source.startswith(".") else "volume"
    if kind == "bind":
        source = os.path.abspath(source)
    return MountSpec(kind, source, dest, "ro" in mode.split(","))


def parse_mount_flag(spec: str) -> MountSpec:
    """`--mount type=bind|volume|tmpfs,source=...,target=...[,readonly]`."""
    fields: dict[str, str] = {}
    for item in spec.split(","):
        key, sep, value = item.partition("=")
        fields[key.strip().lower()] = value if sep else "true"
    kind = fields.get("type", "volume")
    if kind not in ("bind", "volume", "tmpfs"):
        raise InvalidArgument(f"invalid mount type {kind!r}: scow supports bind, volume, tmpfs")
    dest = fields.get("target") or fields.get("destination") or fields.get("dst") or ""
    source = fields.get("source") or fields.get("src") or ""
    read_only = fields.get("readonly", fields.get("ro", "false")).lower() in ("true", "1")
    if kind == "bind":
        if not source:
            raise InvalidArgument("invalid mount config for type \"bind\": field Source must "
                                  "not be empty")
        if not os.path.exists(source):
            raise InvalidArgument(f"invalid mount config for type \"bind\": bind source path "
                                  f"does not exist: {source}")
    return MountSpec(kind, source, _dest(dest, spec), read_only)


def _dest(path: str, spec: str) -> str:
    if not path.startswith("/"):
        raise InvalidArgument(f"invalid mount config: mount path must be absolute: '{spec}'")
    return os.path.normpath(path)
