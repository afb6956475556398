"""owns: `scow version`."""

from __future__ import annotations

import os
import sys

from scow import __version__
from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    cmd = Command("version", usage="scow version [OPTIONS]", short="Show the scow version "
                  "information", args=(0, 0))
    cmd.string("format", "f", "Format output using a custom template", metavar="string")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    uname = os.uname()  # not the platform module: it loads re (start-up)
    data = {"Version": __version__, "ApiVersion": "1.41", "Os": "linux",
            "Arch": {"x86_64": "amd64", "aarch64": "arm64"}.get(uname.machine, uname.machine),
            "KernelVersion": uname.release,
            "PythonVersion": "{}.{}.{}".format(*sys.version_info[:3])}
    if opts.format:
        from scow.cli.output import to_go
        from scow.format.docker import render_one

        ctx.stdout.write(render_one(opts.format, to_go({"Client": data, "Server": data})))
        return 0
    ctx.out("Client:")
    for key in ("Version", "ApiVersion", "PythonVersion", "Os", "Arch"):
        ctx.out(f" {key + ':':<17} {data[key]}")
    ctx.out()
    ctx.out("Server: scow (no daemon)")
    ctx.out(f" {'Engine:':<17}")
    ctx.out(f"  {'Version:':<16} {__version__}")
    ctx.out(f"  {'Kernel Version:':<16} {data['KernelVersion']}")
    return 0
