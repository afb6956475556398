"""owns: docker's event message (moby api/types/events.Message) as scow writes it, docker's
event filters, and docker's `--since/--until` time values.

    {"status": "start", "id": "<id>", "from": "busybox",          <- legacy, container/image only
     "Type": "container", "Action": "start",
     "Actor": {"ID": "<id>", "Attributes": {"image": "busybox", "name": "x"}},
     "scope": "local", "time": 1765083662, "timeNano": 1765083662123456789}
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from scow.errors import InvalidArgument

TYPE_CHECKING = False  # typing costs start-up on short commands (scow/typeshim.py)
if TYPE_CHECKING:
    from typing import Any

TYPES = ("builder", "config", "container", "daemon", "image", "network", "node", "plugin",
         "secret", "service", "volume")
FILTER_KEYS = ("container", "daemon", "event", "image", "label", "network", "node", "plugin",
               "scope", "secret", "service", "type", "volume", "config")


def make_event(type_: str, action: str, actor_id: str,
               attributes: Mapping[str, str] | None = None, *,
               time_ns: int | None = None) -> dict[str, Any]:
    """One event in dockerd's shape (EventsService.Log): the legacy status/id/from fields for
    container and image events, scope "local", time and timeNano now."""
    now = time.time_ns() if time_ns is None else time_ns
    attrs = {k: str(v) for k, v in (attributes or {}).items()}
    event: dict[str, Any] = {}
    if type_ in ("container", "image"):
        event["status"] = action
        event["id"] = actor_id
        if type_ == "container" and attrs.get("image"):
            event["from"] = attrs["image"]
    event.update({"Type": type_, "Action": action,
                  "Actor": {"ID": actor_id, "Attributes": attrs},
                  "scope": "local", "time": now // 1_000_000_000, "timeNano": now})
    return event


def parse_filters(filters: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """docker-py's `filters=` dict (a value may be a string or a list) as key -> values;
    InvalidArgument for a key docker does not know."""
    out: dict[str, list[str]] = {}
    for key, value in (filters or {}).items():
        if key not in FILTER_KEYS:
            raise InvalidArgument(f"invalid filter '{key}'")
        values = [value] if isinstance(value, str) else [str(v) for v in value]
        out.setdefault(key, []).extend(values)
    return out


def matches(event: Mapping[str, Any], filters: Mapping[str, list[str]]) -> bool:
    """docker's events filter (daemon/events/filter.go): every key must match one of its
    values."""
    type_ = event.get("Type", "")
    actor = event.get("Actor") or {}
    actor_id = actor.get("ID", "")
    attrs: Mapping[str, str] = actor.get("Attributes") or {}
    action = str(event.get("Action", ""))
    if action.startswith(("exec_", "health_status")) and ":" in action:
        action = action.split(":", 1)[0]  # "exec_create: sh -c x" matches event=exec_create

    def one_of(key: str, *candidates: str) -> bool:
        wanted = filters.get(key)
        return not wanted or any(c and c in wanted for c in candidates)

    def named(key: str, kind: str) -> bool:  # id (or its prefix... docker: exact) or name
        wanted = filters.get(key)
        if not wanted:
            return True
        if type_ == kind:
            return any(w in (actor_id, attrs.get("name", "")) for w in wanted)
        return any(w == attrs.get(kind, "\0") for w in wanted)

    image_ok = one_of("image", *((actor_id, attrs.get("name", "")) if type_ == "image"
                                 else (attrs.get("image", ""),)))
    return (one_of("type", type_) and one_of("event", action, str(event.get("Action", "")))
            and one_of("scope", event.get("scope", "local"))
            and named("container", "container") and named("volume", "volume")
            and named("network", "network") and image_ok and _labels_match(attrs, filters))


def _labels_match(attrs: Mapping[str, str], filters: Mapping[str, list[str]]) -> bool:
    from scow.format.filters import label_matches  # start-up: writers of events never match

    return all(label_matches(label, dict(attrs)) for label in filters.get("label", ()))


_DURATION = r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)"  # `re` loads where times are parsed
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_time(value: str, *, now: float | None = None) -> int:
    """docker's `--since/--until` value (RFC 3339 or a date, unix seconds with a fraction, or
    a Go duration counted back from now) as nanoseconds since the epoch."""
    import re  # here: writing an event (every container command) parses no time

    text = value.strip()
    now = time.time() if now is None else now
    if re.fullmatch(r"\d+(\.\d{1,9})?", text):
        sec, _, frac = text.partition(".")
        return int(sec) * 1_000_000_000 + int((frac or "0").ljust(9, "0"))
    duration = _parse_duration(text)
    if duration is not None:
        return int((now - duration) * 1e9)
    return _parse_rfc3339(text, value)


def _parse_duration(text: str) -> float | None:
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    import re

    parts = re.findall(_DURATION, body)
    if not parts or "".join(n + u for n, u in parts) != body:
        return None
    return sign * sum(float(n) * _UNITS[u] for n, u in parts)


def _parse_rfc3339(text: str, original: str) -> int:
    import re

    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d{1,9})?)?"
                     r"(Z|[+-]\d{2}:?\d{2})?", text)
    if not m:
        raise InvalidArgument(f"parse time {original!r}: not a timestamp, a unix time "
                              "or a duration")
    import datetime as dt  # here: writing an event (every container command) needs none

    day, clock, frac, zone = m.groups()
    clock = clock or "00:00:00"
    if clock.count(":") == 1:
        clock += ":00"
    try:
        base = dt.datetime.fromisoformat(f"{day}T{clock}")
    except ValueError as exc:
        raise InvalidArgument(f"parse time {original!r}: {exc}") from exc
    if zone:
        offset = dt.timedelta(0) if zone == "Z" else dt.timedelta(
            hours=int(zone[1:3]), minutes=int(zone[-2:])) * (1 if zone[0] == "+" else -1)
        base = base.replace(tzinfo=dt.timezone(offset))
    else:
        base = base.astimezone()  # docker reads a value without a zone in local time
    ns = int((frac or ".0")[1:].ljust(9, "0"))
    return int(base.timestamp()) * 1_000_000_000 + ns


def format_time(time_ns: int) -> str:
    """Go's RFC3339NanoFixed in local time, as `docker events` prints each line."""
    import datetime as dt

    stamp = dt.datetime.fromtimestamp(time_ns // 1_000_000_000).astimezone()
    offset = stamp.strftime("%z")
    zone = "Z" if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}"
    return f"{stamp:%Y-%m-%dT%H:%M:%S}.{time_ns % 1_000_000_000:09d}{zone}"


def format_line(event: Mapping[str, Any]) -> str:
    """docker's default line: `<time> <type> <action> <id> (k=v, ...)` with sorted keys."""
    actor = event.get("Actor") or {}
    time_ns = event.get("timeNano") or int(event.get("time", 0)) * 1_000_000_000
    line = f"{format_time(time_ns)} {event.get('Type', '')} {event.get('Action', '')} " \
           f"{actor.get('ID', '')}"
    attrs = actor.get("Attributes") or {}
    if attrs:
        line += " (" + ", ".join(f"{k}={attrs[k]}" for k in sorted(attrs)) + ")"
    return line
