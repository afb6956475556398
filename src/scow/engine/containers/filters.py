"""owns: `ps --filter` with every key docker has (moby's daemon/list.go): id, name, label,
exited, status, ancestor, before, since, volume, network, publish, expose, health,
isolation, is-task; docker's errors for bad keys and values.

`ContainerFilter` checks and resolves the filters once (the containers of before/since, the
images of ancestor), then matches each container's summary and record document.
"""

from __future__ import annotations

from collections.abc import Callable

from scow.errors import InvalidArgument
from scow.format.filters import label_matches, match

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from scow.engine.containers.records import ContainerSummary
    from scow.engine.images import ImageService
    from scow.store.containers import ContainerRecord
    from scow.store.store import Store

STATUSES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")
HEALTH = ("starting", "healthy", "unhealthy", "none")
KEYS = ("ancestor", "before", "expose", "exited", "health", "id", "isolation", "is-task",
        "label", "name", "network", "publish", "since", "status", "volume")


class ContainerFilter:
    """The filters of one listing; `health(record)` gives State.Health.Status or "none"."""

    def __init__(self, images: ImageService, store: Store, filters: dict[str, list[str]],
                 health: Callable[[ContainerRecord], str]) -> None:
        for key in filters:
            if key not in KEYS:
                raise InvalidArgument(f"invalid filter '{key}'")
        self.filters, self.health = filters, health
        _check_values(filters)
        self.before = [store.containers.get(v).created for v in filters.get("before", [])]
        self.since = [store.containers.get(v).created for v in filters.get("since", [])]
        self.ancestors = _ancestor_ids(images, store, filters.get("ancestor", []))

    def match(self, s: ContainerSummary, record: ContainerRecord) -> bool:
        f, doc = self.filters, record.doc
        tests: dict[str, Callable[[str], bool]] = {
            "status": lambda v: v == s.state,
            "name": lambda v: match(v, s.name) or match(v, "/" + s.name),
            "id": lambda v: match(v, s.id),
            "label": lambda v: label_matches(v, s.labels),
            "exited": lambda v: s.state == "exited" and s.exit_code == int(v),
            "volume": lambda v: _volume(v, doc),
            "network": lambda v: _network(v, doc),
            "publish": lambda v: _port(v, _published(doc)),
            "expose": lambda v: _port(v, list(doc["Config"].get("ExposedPorts") or {})),
            "health": lambda v: v == self.health(record),
            "isolation": lambda v: v == (doc["HostConfig"].get("Isolation") or "")
            or (v == "default" and not doc["HostConfig"].get("Isolation")),
            "is-task": lambda v: v == "false",  # scow runs no swarm tasks
            "ancestor": lambda v: s.image_id in self.ancestors,
        }
        if any(s.created >= t for t in self.before) or any(s.created <= t for t in self.since):
            return False
        every = ("label",)  # moby's MatchKVList: each label given must match (AND)
        return all((all if key in every else any)(test(v) for v in f[key])
                   for key, test in tests.items() if key in f)


def _check_values(filters: dict[str, list[str]]) -> None:
    """moby's value errors, before anything is listed."""
    for value in filters.get("status", []):
        if value not in STATUSES:
            raise InvalidArgument(f"invalid filter 'status={value}'")
    for value in filters.get("health", []):
        if value not in HEALTH:
            raise InvalidArgument(f"Unrecognised filter value for health: {value}")
    for value in filters.get("exited", []):
        try:
            int(value)
        except ValueError:
            raise InvalidArgument(f'strconv.Atoi: parsing "{value}": invalid syntax') from None
    for value in filters.get("is-task", []):
        if value not in ("true", "false"):
            raise InvalidArgument(f"Invalid filter 'is-task={filters['is-task']}'")
    for key in ("publish", "expose"):
        for value in filters.get(key, []):
            _port_range(value)


def _volume(value: str, doc: dict[str, Any]) -> bool:
    """A volume's name (a bind's source) or a mount's destination in the container."""
    return any(value in (m.get("Name") or m.get("Source"), m.get("Destination"))
               for m in doc.get("MountPoints", []))


def _network(value: str, doc: dict[str, Any]) -> bool:
    """A network's name, or its ID (or a prefix of it)."""
    networks = (doc.get("NetworkSettings") or {}).get("Networks") or {}
    if not networks:
        mode = doc["HostConfig"].get("NetworkMode") or "default"
        return value == ("bridge" if mode == "default" else mode)
    return any(value == name or (value and str(n.get("NetworkID", "")).startswith(value))
               for name, n in networks.items())


def _published(doc: dict[str, Any]) -> list[str]:
    ports = (doc.get("NetworkSettings") or {}).get("Ports") or {}
    bound = [port for port, bindings in ports.items() if bindings]
    return bound or [p for p, b in (doc["HostConfig"].get("PortBindings") or {}).items() if b]


def _port_range(value: str) -> tuple[int, int, str]:
    """`80`, `80/udp`, `8000-8080/tcp` → (first, last, proto); docker's error otherwise."""
    spec, _, proto = value.partition("/")
    first, _, last = spec.partition("-")
    try:
        low, high = int(first), int(last or first)
    except ValueError:
        raise InvalidArgument(f"invalid port range: {value}") from None
    if not 0 < low <= high <= 65535:
        raise InvalidArgument(f"invalid port range: {value}")
    return low, high, (proto or "tcp").lower()


def _port(value: str, ports: list[str]) -> bool:
    low, high, proto = _port_range(value)
    for port in ports:
        number, _, their_proto = port.partition("/")
        if (their_proto or "tcp") == proto and number.isdigit() and low <= int(number) <= high:
            return True
    return False


def _ancestor_ids(images: ImageService, store: Store, names: list[str]) -> set[str]:
    """The images `names` name and every image built on them (docker's ancestor filter:
    unknown images match nothing)."""
    if not names:
        return set()
    wanted: set[str] = {r.id for r in map(images.find, names) if r is not None}
    if not wanted:
        return set()
    out: set[str] = set(wanted)
    tops = {store.images.get(i).top_layer for i in wanted} - {None}
    for image in store.images.all():
        if _descends(store, image, wanted, tops):
            out.add(image.id)
    return out


def _descends(store: Store, image: Any, wanted: set[str], tops: set[Any]) -> bool:
    current = image
    while current is not None:
        if current.id in wanted:
            return True
        current = store.images.find(current.parent) if current.parent else None
    if image.top_layer and tops and image.top_layer not in tops:  # more layers on a wanted one
        chain = {layer.chain_id for layer in store.layers.chain(image.top_layer)}
        return bool(chain & tops)
    return False
