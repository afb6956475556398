"""owns: docker rmi and image prune over the image service: untagging (a name's own tag, the
other tags of its repository once no tag is left), docker's conflict rules (child images,
containers using the image, references in several repositories), deleting an image (its
`delete` event, its layers released) and then its parents that nothing names.

Loaded by ImageService.remove and prune only (no short command removes an image).
"""

from __future__ import annotations

from scow.engine.images.naming import familiar_or_raw, names_id
from scow.errors import Conflict, ImageNotFound
from scow.ids import short_id
from scow.oci.reference import Reference, parse_reference
from scow.osutil import faults

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from scow.engine.images.records import ImageSummary
    from scow.store.images import ImageRecord
    from scow.store.store import Store

    class ImageService(Protocol):
        """What removal needs of the image service (service.ImageService fits; not imported:
        it loads this module)."""

        store: Store
        containers_using: Callable[[str], list[tuple[str, bool]]]

        def find(self, name: str) -> ImageRecord | None: ...

        def event(self, image_id: str, action: str, name: str = "") -> None: ...

        def list_images(self, *, all: bool = False,
                        filters: dict[str, list[str]] | None = None,
                        repository: str | None = None) -> list[ImageSummary]: ...


def remove(service: ImageService, name: str, *, force: bool = False, prune: bool = True
           ) -> list[dict[str, str]]:
    """docker rmi: untag, and delete the image when nothing else names it."""
    service.store.recover()
    record = service.find(name)
    if record is None:
        raise ImageNotFound(f"No such image: {familiar_or_raw(name)}")
    image_id = record.id
    records: list[dict[str, str]] = []
    refs = service.store.refs.refs_of(image_id)
    if not names_id(name, image_id):
        ref = parse_reference(name)
        using = service.containers_using(image_id)
        if using and not force and len(refs) == 1:
            raise Conflict(f'conflict: unable to remove repository reference "{name}" (must '
                           f"force) - container {using[0][0]} is using its referenced image "
                           f"{short_id(image_id)}")
        _untag(service, ref, records)
        remaining = service.store.refs.refs_of(image_id)
        if not [r for r in remaining if not r.digest]:
            for r in [r for r in remaining if r.name == ref.name]:
                _untag(service, r, records)
        if service.store.refs.refs_of(image_id) or any(
                running or not force for _, running in using):
            return records  # docker: the untag was the removal; a container keeps the image
    elif refs:
        if not force and len({r.name for r in refs}) > 1:
            raise Conflict(f"conflict: unable to delete {short_id(image_id)} (must be forced) "
                           "- image is referenced in multiple repositories")
        _check_deletable(service, image_id, force)
        for r in refs:
            _untag(service, r, records)
    _delete(service, image_id, force, prune, records)
    return records


def _untag(service: ImageService, ref: Reference, records: list[dict[str, str]]) -> None:
    image_id = service.store.refs.find(ref)
    if service.store.refs.delete(ref):
        records.append({"Untagged": ref.familiar()})
        if image_id:
            service.event(image_id, "untag", image_id)  # docker: name is the image ID


def _check_deletable(service: ImageService, image_id: str, force: bool) -> None:
    if service.store.images.children(image_id):
        raise Conflict(f"conflict: unable to delete {short_id(image_id)} (cannot be forced) - "
                       "image has dependent child images")
    for cid, running in service.containers_using(image_id):
        if running:
            raise Conflict(f"conflict: unable to delete {short_id(image_id)} (cannot be "
                           f"forced) - image is being used by running container {cid}")
        if not force:
            raise Conflict(f"conflict: unable to delete {short_id(image_id)} (must be "
                           f"forced) - image is being used by stopped container {cid}")


def _delete(service: ImageService, image_id: str, force: bool, prune: bool,
            records: list[dict[str, str]]) -> None:
    _check_deletable(service, image_id, force)
    labels = dict(service.store.images.config(image_id).config.get("Labels") or {})
    record = service.store.images.delete(image_id)
    faults.point("service.remove.after_image")
    records.append({"Deleted": image_id})
    from scow.engine.events import image_event

    image_event(service.store, image_id, "delete", image_id, labels)
    for chain in service.store.layers.release(record.top_layer):
        records.append({"Deleted": chain})
    parent = record.parent
    if prune and parent and not service.store.refs.refs_of(parent):
        try:
            _delete(service, parent, False, True, records)
        except Conflict:
            pass


def prune(service: ImageService, *, all: bool = False,
          filters: dict[str, list[str]] | None = None) -> tuple[list[dict[str, str]], int]:
    """docker image prune: dangling images (all unused ones with `all`)."""
    service.store.recover()
    before = _layer_bytes(service)
    records: list[dict[str, str]] = []
    for summary in service.list_images(all=True, filters=filters):
        if service.store.images.find(summary.id) is None or summary.intermediate:
            continue
        if not all and not summary.dangling:
            continue
        if service.containers_using(summary.id) or service.store.images.children(summary.id):
            continue
        for r in service.store.refs.refs_of(summary.id):
            _untag(service, r, records)
        try:
            _delete(service, summary.id, False, True, records)
        except Conflict:
            continue
    reclaimed = max(0, before - _layer_bytes(service))
    from scow.engine.events import prune_event

    prune_event(service.store, "image", reclaimed)
    return records, reclaimed


def _layer_bytes(service: ImageService) -> int:
    return sum(layer.size for layer in service.store.layers.all())
