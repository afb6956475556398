"""owns: `scow events` / `scow system events`: the root's event log (written by every scow
process on the root) replayed by time and followed live, in docker's line format, as JSON, or
through a Go template."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

from scow.cli.context import Context
from scow.cli.flags import Command, Options

_MESSAGE_JSON = {"Status": "status", "ID": "id", "From": "from", "Scope": "scope",
                 "Time": "time", "TimeNano": "timeNano"}


def command() -> Command:
    cmd = Command("events", usage="scow events [OPTIONS]",
                  short="Get real time events from the server",
                  aliases=("system events", "events"), args=(0, 0))
    cmd.string_list("filter", "f", "Filter output based on conditions provided",
                    metavar="filter")
    cmd.string("format", None, "Format output using a custom template:\n'json':             "
               "Print in JSON format\n'TEMPLATE':         Print output using the given Go "
               "template.", metavar="string")
    cmd.string("since", None, "Show all events created since timestamp", metavar="string")
    cmd.string("until", None, "Stream events until this timestamp", metavar="string")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    from scow.cli.filters import parse_filters

    filters = parse_filters(opts.filter)
    render = _renderer(opts.format)
    stopped = _stop_on_signals()
    events = ctx.engine.events(since=opts.since or None, until=opts.until or None,
                               filters=filters, follow=not opts.until, stop=stopped)
    for event in events:
        ctx.stdout.write(render(event))
        ctx.stdout.flush()
    return 0


def _stop_on_signals() -> Callable[[], bool]:
    """docker events ends with status 0 on SIGINT/SIGTERM: the follower checks the flag."""
    flag: list[int] = []

    def handler(signum: int, _frame: Any) -> None:
        flag.append(signum)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return lambda: bool(flag)


def _renderer(fmt: str) -> Callable[[dict[str, Any]], str]:
    if not fmt:
        from scow.events import format_line

        return lambda event: format_line(event) + "\n"
    from scow.format.docker import JSON_FORMAT, JSON_KEY, parse

    template = parse(JSON_FORMAT if fmt == JSON_KEY else fmt.replace("\\n", "\n")
                     .replace("\\t", "\t"))
    return lambda event: template.execute(to_message(event)) + "\n"


def to_message(event: dict[str, Any]) -> Any:
    """The event as docker's events.Message Go value (field names for templates, docker's
    json keys and omitempty for `{{json .}}`)."""
    from scow.format.govalue import Struct

    actor = event.get("Actor") or {}
    attrs = actor.get("Attributes") or {}
    return Struct({
        "Status": event.get("status", ""), "ID": event.get("id", ""),
        "From": event.get("from", ""), "Type": event.get("Type", ""),
        "Action": event.get("Action", ""),
        "Actor": Struct({"ID": actor.get("ID", ""),
                         "Attributes": {k: attrs[k] for k in sorted(attrs)}}),
        "Scope": event.get("scope", ""), "Time": int(event.get("time", 0)),
        "TimeNano": int(event.get("timeNano", 0))},
        omitempty=("Status", "ID", "From", "Scope", "Time", "TimeNano"),
        json_names=_MESSAGE_JSON, type_name="events.Message")
