"""owns: `scow cp` / `scow container cp`."""

from __future__ import annotations

import sys

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import InvalidArgument


def command() -> Command:
    cmd = Command("cp", usage="scow cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tscow cp "
                  "[OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
                  short="Copy files/folders between a container and the local filesystem",
                  aliases=("container cp", "cp"), args=(2, 2))
    cmd.bool("archive", "a", "Archive mode (copy all uid/gid information)")
    cmd.bool("follow-link", "L", "Always follow symbol link in SRC_PATH")
    cmd.bool("quiet", "q", "Suppress progress output during copy")
    return cmd


def _split(arg: str) -> tuple[str | None, str]:
    if arg.startswith("/") or arg.startswith(".") or ":" not in arg:
        return None, arg
    name, _, path = arg.partition(":")
    return name, path


def run(opts: Options, ctx: Context) -> int:
    (src_c, src), (dst_c, dst) = _split(opts.args[0]), _split(opts.args[1])
    svc = ctx.engine.containers
    if src_c and dst_c:
        raise InvalidArgument("copying between containers is not supported")
    flags = {"follow_link": opts.follow_link, "archive": opts.archive}
    if src_c and dst == "-":
        if sys.stdout.isatty():
            raise InvalidArgument("copy to stdout: refusing to write a tar to a terminal")
        svc.copy_out_stream(src_c, src, sys.stdout.buffer, follow_link=opts.follow_link)
    elif src_c:
        svc.copy_from(src_c, src, dst, **flags)
    elif dst_c and src == "-":
        svc.copy_in_stream(dst_c, sys.stdin.buffer, dst)
    elif dst_c:
        svc.copy_to(dst_c, src, dst, **flags)
    else:
        raise InvalidArgument("must specify at least one container source")
    return 0
