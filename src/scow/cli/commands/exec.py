"""owns: `scow exec` / `scow container exec`."""

from __future__ import annotations

import sys

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import ScowError


def command() -> Command:
    cmd = Command("exec", usage="scow exec [OPTIONS] CONTAINER COMMAND [ARG...]",
                  short="Execute a command in a running container",
                  aliases=("container exec", "exec"), args=(2, None), interspersed=False)
    cmd.bool("detach", "d", "Detached mode: run command in the background")
    cmd.string_list("env", "e", "Set environment variables", metavar="list")
    cmd.bool("interactive", "i", "Keep STDIN open even if not attached")
    cmd.bool("tty", "t", "Allocate a pseudo-TTY")
    cmd.string("user", "u", "Username or UID (format: \"<name|uid>[:<group|gid>]\")",
               metavar="string")
    cmd.string("workdir", "w", "Working directory inside the container", metavar="string")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    name, argv = opts.args[0], opts.args[1:]
    try:
        code = ctx.engine.containers.exec(
            name, argv, env=opts.env, user=opts.user, workdir=opts.workdir, tty=opts.tty,
            detach=opts.detach, stdin=sys.stdin.fileno() if opts.interactive else None)
    except ScowError as exc:
        sys.stderr.write(f"Error: {exc.message}\n")
        return exc.exit_code if exc.exit_code in (126, 127) else (
            1 if exc.exit_code == 1 else exc.exit_code)
    return 0 if code is None else code
