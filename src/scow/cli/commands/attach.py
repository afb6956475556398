"""owns: `scow attach` / `scow container attach`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    cmd = Command("attach", usage="scow attach [OPTIONS] CONTAINER",
                  short="Attach local standard input, output, and error streams to a running "
                  "container", aliases=("container attach", "attach"), args=(1, 1))
    cmd.bool("no-stdin", None, "Do not attach STDIN")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    from scow.cli.attach_io import pump

    svc = ctx.engine.containers
    name = opts.args[0]
    config = svc.config(name)
    conn = svc.attach(name)
    code = pump(conn, stdin=not opts.no_stdin and bool(config.get("OpenStdin")),
                tty=bool(config.get("Tty")))
    return code if code is not None else 0
