"""owns: the engine's side of the event log: docker's events with docker's attributes (moby
daemon/events.go), appended to the store's log by the services, and `read_events`, what
`Engine.events` and `scow events` return.

Container events carry the container's labels, `image` (Config.Image as the user wrote it) and
`name`; image events the image's labels and `name` (the reference); network events `name` and
`type`; volume events `driver`. The legacy status/id/from fields are added by
scow.events.message.make_event.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs start-up on create/rm/start (scow/typeshim.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any

    from scow.store.containers import ContainerRecord
    from scow.store.store import Store


def _make_event(type_: str, action: str, actor: str, attributes: Mapping[str, str]
                ) -> dict[str, Any]:
    """scow.events' make_event, loaded when an event is made: `start` only needs
    `container_attributes` (for its monitor), not the event machinery (start-up)."""
    from scow.events import make_event

    return make_event(type_, action, actor, attributes)


def container_attributes(record: ContainerRecord) -> dict[str, str]:
    """What every container event carries: its labels, image and name."""
    config = record.doc.get("Config") or {}
    attrs = {str(k): str(v) for k, v in (config.get("Labels") or {}).items()}
    if config.get("Image"):
        attrs["image"] = str(config["Image"])
    attrs["name"] = record.name.lstrip("/")
    return attrs


def container_event(store: Store, record: ContainerRecord, action: str,
                    attributes: Mapping[str, Any] | None = None) -> None:
    """Log `action` of the container `record` (docker's LogContainerEventWithAttributes)."""
    attrs = container_attributes(record)
    attrs.update({k: str(v) for k, v in (attributes or {}).items()})
    store.events.append(_make_event("container", action, record.id, attrs))


def image_event(store: Store, image_id: str, action: str, name: str = "",
                labels: Mapping[str, str] | None = None) -> None:
    """Log `action` of an image (docker's LogImageEvent): its labels and `name` (the
    reference, when the action has one)."""
    attrs = dict(labels or {})
    if name:
        attrs["name"] = name
    store.events.append(_make_event("image", action, image_id, attrs))


def volume_event(store: Store, name: str, action: str,
                 attributes: Mapping[str, Any] | None = None) -> None:
    """Log `action` of a volume (docker's LogVolumeEvent): `driver` and what the action adds
    (mount: container, destination, read/write, propagation)."""
    attrs = {"driver": "local"}
    attrs.update({k: str(v) for k, v in (attributes or {}).items()})
    store.events.append(_make_event("volume", action, name, attrs))


def network_event(store: Store, network_id: str, name: str, driver: str, action: str,
                  attributes: Mapping[str, Any] | None = None) -> None:
    """Log `action` of a network (docker's LogNetworkEventWithAttributes): name and type."""
    attrs = {k: str(v) for k, v in (attributes or {}).items()}
    attrs.update({"name": name, "type": driver})
    store.events.append(_make_event("network", action, network_id, attrs))


def prune_event(store: Store, type_: str, reclaimed: int) -> None:
    """docker's `prune` event of a type: no actor ID, `reclaimed` bytes."""
    store.events.append(_make_event(type_, "prune", "", {"reclaimed": str(reclaimed)}))


def exec_action(argv: list[str]) -> tuple[str, str]:
    """A new exec ID and the command as docker's exec_create/exec_start actions show it:
    the entrypoint, a space, the arguments (`exec_create: true ` has a trailing space)."""
    from scow.ids import random_id

    return random_id(), f"{argv[0]} {' '.join(argv[1:])}"


def signal_number(name: str) -> str:
    """docker's `signal` attribute: the number ("15") of a name, "SIGTERM" or "15"."""
    text = name.upper().removeprefix("SIG")
    if text.isdigit():
        return text
    if text in ("TERM", "KILL"):  # stop's two: without loading signal (start-up)
        return "15" if text == "TERM" else "9"
    import signal as signals

    try:
        return str(int(signals.Signals["SIG" + text]))
    except KeyError:
        return text


def read_events(store: Store, *, since: str | int | float | None = None,
                until: str | int | float | None = None,
                filters: Mapping[str, Any] | None = None, follow: bool = False,
                stop: Callable[[], bool] | None = None) -> Iterator[dict[str, Any]]:
    """The root's events as docker-py's `client.events(decode=True)` yields them."""
    from scow.events import select

    return select(store.events, since=_when(since), until=_when(until), filters=filters,
                  follow=follow, stop=stop)


def _when(value: str | int | float | None) -> int | None:
    from scow.events import parse_time

    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):  # docker-py: unix seconds (or a datetime it converts)
        return int(value * 1_000_000_000)
    if hasattr(value, "timestamp"):
        return int(value.timestamp() * 1_000_000_000)
    return parse_time(str(value))
