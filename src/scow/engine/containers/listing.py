"""owns: docker ps: the listing of a root's containers (ContainerSummary rows: the image
as docker shows it, the command, state and status, ports, networks, mounts, and the sizes
when asked), filtered by filters.py."""

from __future__ import annotations

from scow.engine.containers.base import ContainerBase
from scow.engine.containers.records import ContainerSummary
from scow.engine.network_files import display_ports

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

    from scow.store.containers import ContainerRecord


class ContainerListing(ContainerBase):
    if TYPE_CHECKING:  # inspect.py's, in the assembled service
        def inspect_state(self, record: ContainerRecord) -> dict[str, Any]: ...

    def list_containers(self, *, all: bool = False, size: bool = False,
                        filters: dict[str, list[str]] | None = None, last: int = -1
                        ) -> list[ContainerSummary]:
        """docker ps: running containers (every one with `all`), with sizes when `size`,
        filtered as `docker ps --filter`, the `last` created."""
        from scow.engine.containers.filters import ContainerFilter

        check = ContainerFilter(self.images, self.store, filters, self._health) \
            if filters else None
        records = self.records.ready()  # shared rows: read only
        out = []
        # the image names shown are kept while the rows are the same read (no commit since);
        # __dict__, since the assembled service's __getattr__ would load its other parts
        if records is not self.__dict__.get("_shown_for"):
            self._shown: dict[tuple[str, str], str] = {}  # an image named by many containers
            self._shown_for = records
        for record in records:
            state, status, code = self.status_of(record)
            if not all and state not in ("running", "paused", "restarting") and last < 0:
                continue  # not listed: no summary made
            summary = self._summary(record, state, status, code)
            if check is not None and not check.match(summary, record):
                continue
            out.append(summary)
        if last >= 0:
            out = out[:last]
        if size:
            by_id = {r.id: r for r in records}
            bases: dict[str, int] = {}  # image ID -> its layers' size, once per image
            out = [self._with_size(s, by_id[s.id], bases) for s in out]
        return out

    def _summary(self, record: ContainerRecord, state: str, status: str,
                 code: int) -> ContainerSummary:
        doc = record.doc
        return ContainerSummary(
            record.id, record.name, self._image_shown(doc["Config"].get("Image", ""),
                                                      record.image_id), record.image_id,
            command_line(doc["Path"], doc["Args"]), record.created, state, status, code,
            doc["Config"].get("Labels") or {},
            [m["Name"] or m["Source"] for m in doc.get("MountPoints", [])],
            ports=display_ports((doc.get("NetworkSettings") or {}).get("Ports") or {}),
            networks=",".join(sorted((doc.get("NetworkSettings") or {}).get("Networks") or {})),
            port_map=(doc.get("NetworkSettings") or {}).get("Ports") or {},
            mount_points=doc.get("MountPoints", []))

    def _health(self, record: ContainerRecord) -> str:
        """State.Health.Status of the container's inspect document, "none" without one."""
        health = self.inspect_state(record).get("Health") or {}
        return str(health.get("Status") or "none")

    def _image_shown(self, image: str, image_id: str) -> str:
        """docker ps's IMAGE: the name the container was made from while it still names the
        same image, else the image's ID (moby's refreshImage)."""
        if not image or image == image_id:
            return image_id
        memo: dict[tuple[str, str], str] | None = getattr(self, "_shown", None)
        if memo is not None and (image, image_id) in memo:
            return memo[image, image_id]
        if self._tag_names(image, image_id):
            shown = image
        else:
            found = self.images.find(image)
            shown = image if found is not None and found.id == image_id else image_id
        if memo is not None:
            memo[image, image_id] = shown
        return shown

    def _tag_names(self, image: str, image_id: str) -> bool:
        """Whether `image` is a reference its tag still points at `image_id` (the common case,
        decided from the store's refs alone, without the image service)."""
        from scow.errors import InvalidArgument
        from scow.oci.reference import parse_reference

        try:
            return self.store.refs.find(parse_reference(image)) == image_id
        except InvalidArgument:  # not a reference (an ID prefix): images.find decides
            return False

    def _with_size(self, s: ContainerSummary, record: ContainerRecord,
                   bases: dict[str, int]) -> ContainerSummary:
        """`sizes` of a listed record: its upper folder walked once, no second read of the
        record, the image's size looked up once per image."""
        mount_id = record.mount_id or ""
        rw = self.store.layers.rw_size(mount_id)
        if record.image_id not in bases:
            image = self.store.images.find(record.image_id)
            bases[record.image_id] = self.store.layers.size(image.top_layer) if image else 0
        return s._replace(size_rw=rw, size_root_fs=bases[record.image_id] + rw)


def command_line(path: str, args: list[str]) -> str:
    """The COMMAND of `docker ps` (moby quotes arguments that contain spaces)."""
    shown = [f"'{a}'" if " " in a else a for a in args]
    return " ".join([path, *shown]) if shown else path
