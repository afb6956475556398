"""owns: the event log of a root (log.py) and docker's event messages, filters and time values
(message.py); `select` reads the log as `docker events` does. A level-4 package (imports only
errors/ids/osutil) so that the store, the runtime's container monitor, the engine and the API
service can all write and read it; see docs/design/events.md."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping

from scow.events.log import EventLog
from scow.events.message import format_line, make_event, matches, parse_filters, parse_time

TYPE_CHECKING = False  # typing costs start-up on short commands (scow/typeshim.py)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["EventLog", "format_line", "make_event", "matches", "parse_filters", "parse_time",
           "select"]


def select(log: EventLog, *, since: int | None = None, until: int | None = None,
           filters: Mapping[str, Any] | None = None, follow: bool = False,
           stop: Callable[[], bool] | None = None) -> Iterator[dict[str, Any]]:
    """The events of `log` that match docker's `filters`, with since <= timeNano <= until
    (nanoseconds); past events only unless `follow` (then live ones until `until` passes or
    `stop()`; with neither since nor until, only new ones, as `docker events`). An `until` in
    the future waits for it; without follow and until the replay ends at now."""
    wanted = parse_filters(filters)
    if follow and since is None and until is None:
        since = time.time_ns()  # docker: a plain follower sees no past event
    end = until if until is not None else (None if follow else time.time_ns())

    def done() -> bool:
        return (stop is not None and stop()) or (end is not None and time.time_ns() > end)

    for event in log.read(follow=follow or (end is not None and end > time.time_ns()),
                          stop=done):
        stamp = int(event.get("timeNano") or 0)
        if since is not None and stamp < since:
            continue
        if end is not None and stamp > end:
            if not follow and until is None:
                return  # replay only: nothing newer than now is wanted
            continue
        if matches(event, wanted):
            yield event
