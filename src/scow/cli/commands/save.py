"""owns: `scow save` / `scow image save` (with scow's `--format docker|oci-archive|oci-dir`)."""

from __future__ import annotations

import sys

from scow.cli.context import Context
from scow.cli.flags import Command, Options, UsageError
from scow.errors import InvalidArgument

FORMATS = ("docker", "oci-archive", "oci-dir")


def command() -> Command:
    cmd = Command("save", usage="scow save [OPTIONS] IMAGE [IMAGE...]",
                  short="Save one or more images to a tar archive (streamed to STDOUT by "
                        "default)", aliases=("image save", "save"), args=(1, None))
    cmd.string("output", "o", "Write to a file, instead of STDOUT", metavar="string")
    cmd.string("format", None, "Archive format: docker, oci-archive, or oci-dir (a folder; "
               "needs -o)", default="docker", metavar="string")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    if opts.format not in FORMATS:
        raise UsageError(f'invalid argument "{opts.format}" for "--format" flag: want one of '
                         f"{', '.join(FORMATS)}", "scow save")
    service = ctx.engine.distribution
    if opts.output:
        service.save(opts.args, opts.output, format=opts.format)
        return 0
    if opts.format == "oci-dir":
        raise InvalidArgument("the oci-dir format needs an output folder (-o)")
    stdout = ctx.stdout
    if stdout.isatty():
        raise InvalidArgument("cowardly refusing to save to a terminal. Use the -o flag or "
                              "redirect")
    stdout.flush()
    out = getattr(stdout, "buffer", None) or sys.stdout.buffer
    service.save(opts.args, out, format=opts.format)
    out.flush()
    return 0
