"""owns: `scow push` / `scow image push` (with scow's `--compression gzip|zstd`)."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options, UsageError


def command() -> Command:
    cmd = Command("push", usage="scow push [OPTIONS] NAME[:TAG]",
                  short="Upload an image to a registry", aliases=("image push", "push"),
                  args=(1, 1))
    cmd.bool("all-tags", "a", "Push all tags of an image to the repository")
    cmd.bool("quiet", "q", "Suppress verbose output")
    cmd.string("compression", None, "Compression of uploaded layers (gzip, zstd)",
               default="gzip", metavar="string")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    from scow.engine.distribution import NullProgress, Progress
    from scow.format.progress import ProgressWriter
    from scow.oci.reference import parse_reference

    if opts.compression not in ("gzip", "zstd"):
        raise UsageError(f'invalid argument "{opts.compression}" for "--compression" flag: '
                         "want gzip or zstd", "scow push")
    name = opts.args[0]
    ref = parse_reference(name, default_tag=False)
    if not opts.all_tags and not ref.tag and not ref.digest:
        if not opts.quiet:
            ctx.out("Using default tag: latest")
        ref = ref.with_tag("latest")
    progress: Progress = NullProgress() if opts.quiet else ProgressWriter(ctx.stdout)
    ctx.engine.distribution.push(str(ref) if not opts.all_tags else name,
                                 all_tags=opts.all_tags, progress=progress,
                                 compression=opts.compression)
    if opts.quiet:
        ctx.out(ref.name if opts.all_tags else str(ref))
    return 0
