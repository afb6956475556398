"""owns: the container monitor's side of the root's event log: docker's container events
that only the monitor sees (oom, die, the `start` of a policy restart, health_status), with
the attributes the engine put in <container_dir>/shim.json (`events_root`,
`event_attributes`: the container's labels, image and name). See docs/design/events.md."""

from __future__ import annotations

import os

from scow.fastjson import loads


def log_event(cdir: str, action: str, extra: dict[str, str] | None = None) -> None:
    """Append the container's docker event `action` to the root's event log, with the
    attributes the engine put in shim.json (labels, image, name) and `extra`."""
    try:
        with open(os.path.join(cdir, "shim.json"), encoding="utf-8") as f:
            cfg = loads(f.read())
    except (OSError, ValueError):
        return
    if not cfg.get("events_root"):
        return
    from scow.events import EventLog, make_event

    attrs = {**(cfg.get("event_attributes") or {}), **(extra or {})}
    EventLog(cfg["events_root"]).append(make_event("container", action, cfg["id"], attrs))
