"""owns: `scow pull` / `scow image pull`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    cmd = Command("pull", usage="scow pull [OPTIONS] NAME[:TAG|@DIGEST]",
                  short="Download an image from a registry", aliases=("image pull", "pull"),
                  args=(1, 1))
    cmd.bool("all-tags", "a", "Download all tagged images in the repository")
    cmd.string("platform", None, "Set platform if server is multi-platform capable",
               metavar="string")
    cmd.bool("quiet", "q", "Suppress verbose output")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    from scow.engine.distribution import NullProgress, Progress
    from scow.format.progress import ProgressWriter
    from scow.oci.reference import parse_reference

    name = opts.args[0]
    ref = parse_reference(name, default_tag=False)
    if not opts.all_tags and not ref.tag and not ref.digest:
        if not opts.quiet:
            ctx.out("Using default tag: latest")
        ref = ref.with_tag("latest")
    progress: Progress = NullProgress() if opts.quiet else ProgressWriter(ctx.stdout)
    ctx.engine.distribution.pull(name, platform=opts.platform or None, all_tags=opts.all_tags,
                                 progress=progress)
    ctx.out(ref.name if opts.all_tags else str(ref))
    return 0
