"""owns: `scow logout`: remove stored registry credentials."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    return Command("logout", usage="scow logout [SERVER]",
                   short="Log out from a registry",
                   long="Log out from a registry.\nIf no server is specified, the default is "
                        "defined by the daemon.", args=(0, 1))


def run(opts: Options, ctx: Context) -> int:
    key, removed = ctx.engine.distribution.logout(opts.args[0] if opts.args else None)
    ctx.out(f"Removing login credentials for {key}" if removed else f"Not logged in to {key}")
    return 0
