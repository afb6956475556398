"""owns: `scow logs` / `scow container logs`."""

from __future__ import annotations

import sys
import time

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import InvalidArgument


def command() -> Command:
    cmd = Command("logs", usage="scow logs [OPTIONS] CONTAINER",
                  short="Fetch the logs of a container", aliases=("container logs", "logs"),
                  args=(1, 1))
    cmd.bool("details", None, "Show extra details provided to logs")
    cmd.bool("follow", "f", "Follow log output")
    cmd.string("since", None, "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or "
               "relative (e.g. \"42m\" for 42 minutes)", metavar="string")
    cmd.string("tail", "n", "Number of lines to show from the end of the logs",
               metavar="string", default="all")
    cmd.bool("timestamps", "t", "Show timestamps")
    cmd.string("until", None, "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or "
               "relative (e.g. \"42m\" for 42 minutes)", metavar="string")
    return cmd


def to_timestamp(value: str) -> str | None:
    """docker's --since/--until: an RFC 3339 time, Unix seconds, or a Go duration ago."""
    if not value:  # the common case: no units or time modules to load (start-up)
        return None
    from scow.format.units import parse_duration
    from scow.oci.image import rfc3339_nano

    if "T" in value or value.count("-") >= 2:
        return value if value.endswith("Z") else value + "Z"
    try:
        return rfc3339_nano(float(value))
    except ValueError:
        pass
    try:
        return rfc3339_nano(time.time() - parse_duration(value) / 1e9)
    except InvalidArgument:
        raise InvalidArgument(f"invalid value for \"since\": {value!r}") from None


def run(opts: Options, ctx: Context) -> int:
    tail = None if opts.tail in ("all", "") else int(opts.tail)
    entries = ctx.engine.containers.logs(opts.args[0], follow=opts.follow, tail=tail,
                                         since=to_timestamp(opts.since),
                                         until=to_timestamp(opts.until))
    out, err = sys.stdout.buffer, sys.stderr.buffer
    for entry in entries:
        target = err if entry.stream == "stderr" else out
        target.write((entry.time.encode() + b" " + entry.data) if opts.timestamps
                     else entry.data)
        target.flush()
    return 0
