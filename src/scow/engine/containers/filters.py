"""owns: `ps --filter`: status, name, id, ancestor, label, exited (docker's semantics)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scow.errors import InvalidArgument

if TYPE_CHECKING:
    from scow.engine.containers.records import ContainerSummary
    from scow.engine.images import ImageService
    from scow.store.store import Store

STATUSES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")
KEYS = ("status", "name", "id", "ancestor", "label", "exited")


def matches(images: ImageService, store: Store, s: ContainerSummary,
            filters: dict[str, list[str]]) -> bool:
    for key in filters:
        if key not in KEYS:
            raise InvalidArgument(f"invalid filter '{key}'")
    checks = (
        ("status", lambda v: _status(v, s.state)),
        ("name", lambda v: bool(re.search(v, s.name))),
        ("id", lambda v: s.id.startswith(v)),
        ("ancestor", lambda v: _ancestor(images, store, v, s.image_id)),
        ("label", lambda v: _label(v, s.labels)),
        ("exited", lambda v: s.state == "exited" and str(s.exit_code) == v),
    )
    return all(any(test(v) for v in filters[key]) for key, test in checks if key in filters)


def _status(value: str, state: str) -> bool:
    if value not in STATUSES:
        raise InvalidArgument(f"invalid filter 'status={value}'")
    return value == state


def _label(value: str, labels: dict[str, str]) -> bool:
    key, sep, want = value.partition("=")
    return key in labels and (not sep or labels[key] == want)


def _ancestor(images: ImageService, store: Store, name: str, image_id: str) -> bool:
    """The container's image is `name` or a descendant of it (docker's ancestor filter)."""
    wanted = images.find(name)
    if wanted is None:
        return False
    current: str | None = image_id
    while current:
        if current == wanted.id:
            return True
        record = store.images.find(current)
        current = record.parent if record else None
    top = store.images.find(wanted.id)
    mine = store.images.find(image_id)
    if top and mine and top.top_layer and mine.top_layer:  # layers-based ancestry
        chain = [layer.chain_id for layer in store.layers.chain(mine.top_layer)]
        return top.top_layer in chain
    return False
