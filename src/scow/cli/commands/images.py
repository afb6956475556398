"""owns: `scow images` / `scow image ls`."""

from __future__ import annotations

from scow.cli import output
from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.engine.images import ImageSummary

DEFAULT = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
DEFAULT_DIGESTS = ("table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}"
                   "\t{{.Size}}")
HEADERS = {"Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST", "ID": "IMAGE ID",
           "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE",
           "Containers": "CONTAINERS", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE",
           "VirtualSize": "VIRTUAL SIZE"}


def command() -> Command:
    cmd = Command("images", usage="scow images [OPTIONS] [REPOSITORY[:TAG]]",
                  short="List images", aliases=("image ls", "image list", "images"),
                  args=(0, 1))
    cmd.bool("all", "a", "Show all images (default hides intermediate images)")
    cmd.bool("digests", None, "Show digests")
    cmd.string_list("filter", "f", "Filter output based on conditions provided",
                    metavar="filter")
    cmd.string("format", None, output.FORMAT_HELP, metavar="string")
    cmd.bool("no-trunc", None, "Don't truncate output")
    cmd.bool("quiet", "q", "Only show image IDs")
    return cmd


class ImageRow:
    __go_fields__ = ("Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository",
                     "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize")

    def __init__(self, s: ImageSummary, repo: str, tag: str, digest: str, no_trunc: bool) -> None:
        self.Repository, self.Tag, self.Digest = repo, tag, digest
        self.ID = output.short(s.id, no_trunc)
        self.CreatedSince = output.since(s.created)
        self.CreatedAt = output.created_at(s.created)
        self.Size = self.VirtualSize = output.size(s.size)
        self.Containers = self.SharedSize = self.UniqueSize = "N/A"


def rows_of(s: ImageSummary, digests: bool, no_trunc: bool) -> list[ImageRow]:
    """One row per repository:tag (docker/cli's imageFormat)."""
    tags: dict[str, list[str]] = {}
    dgsts: dict[str, list[str]] = {}
    for t in s.repo_tags:
        repo, _, tag = t.rpartition(":")
        tags.setdefault(repo, []).append(tag)
    for d in s.repo_digests:
        repo, _, dg = d.partition("@")
        dgsts.setdefault(repo, []).append(dg)
    if not tags and not dgsts:
        return [ImageRow(s, "<none>", "<none>", "<none>", no_trunc)]
    rows = []
    for repo in sorted(tags):
        repo_digests = dgsts.pop(repo, [])
        shown = repo_digests if digests else []
        for tag in tags[repo]:
            rows += [ImageRow(s, repo, tag, d, no_trunc) for d in shown] or \
                [ImageRow(s, repo, tag, "<none>", no_trunc)]
    for repo in sorted(dgsts):
        if digests:
            rows += [ImageRow(s, repo, "<none>", d, no_trunc) for d in dgsts[repo]]
        else:
            rows.append(ImageRow(s, repo, "<none>", "<none>", no_trunc))
    return rows


def run(opts: Options, ctx: Context) -> int:
    from scow.cli.filters import parse_filters

    images = ctx.engine.images.list_images(all=opts.all, filters=parse_filters(opts.filter),
                                    repository=opts.args[0] if opts.args else None)
    if opts.quiet:
        seen: list[str] = []
        for s in images:
            for _ in rows_of(s, False, False):
                seen.append(output.short(s.id, opts.no_trunc))
        ctx.stdout.write("".join(f"{i}\n" for i in seen))
        return 0
    rows = [r for s in images for r in rows_of(s, opts.digests, opts.no_trunc)]
    fmt = opts.format
    default = DEFAULT_DIGESTS if opts.digests else DEFAULT
    if fmt == "table":
        fmt = default
    output.print_rows(ctx, fmt, rows, default=default, headers=HEADERS)
    return 0
