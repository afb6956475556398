"""owns: `scow volume create|ls|inspect|rm|prune`."""

from __future__ import annotations

import sys

from scow.cli import output
from scow.cli.commands.image_inspect import inspect_objects
from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.cli.groups import VERBS as VERBS_HELP

VERBS = ("create", "ls", "list", "inspect", "rm", "remove", "prune")

ALIASES = {"ls": ("volume ls", "volume list"), "rm": ("volume rm", "volume remove")}


def command() -> Command:
    cmd = Command("volume", usage="scow volume COMMAND", short="Manage volumes",
                  args=(1, None), interspersed=False)
    return cmd


def _sub(verb: str) -> Command:
    usage = {"create": "scow volume create [OPTIONS] [VOLUME]", "ls": "scow volume ls [OPTIONS]",
             "inspect": "scow volume inspect [OPTIONS] VOLUME [VOLUME...]",
             "rm": "scow volume rm [OPTIONS] VOLUME [VOLUME...]",
             "prune": "scow volume prune [OPTIONS]"}[verb]
    args = {"create": (0, 1), "ls": (0, 0), "inspect": (1, None), "rm": (1, None),
            "prune": (0, 0)}[verb]
    cmd = Command(f"volume {verb}", usage=usage, short=dict(VERBS_HELP["volume"])[verb],
                  args=args, aliases=ALIASES.get(verb, ()))
    if verb == "create":
        cmd.string("driver", "d", "Specify volume driver name", metavar="string",
                   default="local")
        cmd.string_list("label", None, "Set metadata for a volume", metavar="list")
        cmd.string("name", None, "Specify volume name", metavar="string")
    elif verb == "ls":
        cmd.string_list("filter", "f", "Provide filter values", metavar="filter")
        cmd.string("format", None, "Format output using a custom template", metavar="string")
        cmd.bool("quiet", "q", "Only display volume names")
    elif verb == "inspect":
        cmd.string("format", "f", "Format output using a custom template", metavar="string")
    elif verb == "rm":
        cmd.bool("force", "f", "Force the removal of one or more volumes")
    else:
        cmd.bool("all", "a", "Remove all unused volumes, not just anonymous ones")
        cmd.bool("force", "f", "Do not prompt for confirmation")
        cmd.string_list("filter", None, "Provide filter values", metavar="filter")
    return cmd


class VolumeRow:
    __go_fields__ = ("Driver", "Labels", "Mountpoint", "Name", "Scope")

    def __init__(self, name: str, mountpoint: str, labels: dict[str, str]) -> None:
        self.Driver, self.Name, self.Mountpoint, self.Scope = "local", name, mountpoint, "local"
        self.Labels = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def run(opts: Options, ctx: Context) -> int:
    verb = {"list": "ls", "remove": "rm"}.get(opts.args[0], opts.args[0])
    if verb not in VERBS:
        sys.stderr.write(f"scow: '{opts.args[0]}' is not a scow volume command.\n")
        return 1
    cmd = _sub(verb)
    sub = cmd.parse(opts.args[1:])
    if sub.help:
        ctx.stdout.write(cmd.help_text())
        return 0
    return int(globals()[f"_{verb}"](sub, ctx))


def _create(opts: Options, ctx: Context) -> int:
    labels = dict(item.partition("=")[::2] for item in opts.label)
    name = opts.name or (opts.args[0] if opts.args else None)
    ctx.out(ctx.engine.volumes.create(name, labels=labels).name)
    return 0


def _ls(opts: Options, ctx: Context) -> int:
    from scow.cli.filters import parse_filters

    volumes = ctx.engine.volumes.all(filters=parse_filters(opts.filter))
    if opts.quiet:
        ctx.stdout.write("".join(f"{v.name}\n" for v in volumes))
        return 0
    default = "table {{.Driver}}\t{{.Name}}"
    fmt = default if opts.format in ("", "table") else opts.format
    rows = [VolumeRow(v.name, v.mountpoint, v.labels) for v in volumes]
    output.print_rows(ctx, fmt, rows, default=default,
                      headers={"Driver": "DRIVER", "Name": "VOLUME NAME",
                               "Mountpoint": "MOUNTPOINT", "Labels": "LABELS",
                               "Scope": "SCOPE"})
    return 0


def _inspect(opts: Options, ctx: Context) -> int:
    return inspect_objects(ctx, opts.args, opts.format, [ctx.engine.volumes.inspect])


def _rm(opts: Options, ctx: Context) -> int:
    return output.for_each(ctx, opts.args, lambda name: ctx.engine.volumes.remove(
        name, force=opts.force))


def _prune(opts: Options, ctx: Context) -> int:
    from scow.cli.commands.image_prune import confirm

    if not opts.force and not confirm(ctx, "WARNING! This will remove anonymous local volumes "
                                      "not used by at least one container."):
        return 0
    removed, reclaimed = ctx.engine.volumes.prune(all=opts.all)
    output.print_pruned(ctx, [("Deleted Volumes:", removed)], reclaimed)
    return 0
