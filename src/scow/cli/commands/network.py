"""owns: `scow network create|ls|inspect|rm|prune|connect|disconnect` (docker's output)."""

from __future__ import annotations

import sys

from scow.cli import output
from scow.cli.commands.image_inspect import inspect_objects
from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.cli.groups import VERBS as VERBS_HELP

VERBS = ("create", "ls", "inspect", "rm", "prune", "connect", "disconnect")
USAGE = {"create": ("scow network create [OPTIONS] NETWORK", (1, 1)),
         "ls": ("scow network ls [OPTIONS]", (0, 0)),
         "inspect": ("scow network inspect [OPTIONS] NETWORK [NETWORK...]", (1, None)),
         "rm": ("scow network rm NETWORK [NETWORK...]", (1, None)),
         "prune": ("scow network prune [OPTIONS]", (0, 0)),
         "connect": ("scow network connect [OPTIONS] NETWORK CONTAINER", (2, 2)),
         "disconnect": ("scow network disconnect [OPTIONS] NETWORK CONTAINER", (2, 2))}

ALIASES = {"ls": ("network ls", "network list"), "rm": ("network rm", "network remove")}


def command() -> Command:
    return Command("network", usage="scow network COMMAND", short="Manage networks",
                   args=(1, None), interspersed=False)


def _sub(verb: str) -> Command:
    usage, args = USAGE[verb]
    cmd = Command(f"network {verb}", usage=usage, short=dict(VERBS_HELP["network"])[verb],
                  args=args, aliases=ALIASES.get(verb, ()))
    if verb == "create":
        cmd.string("driver", "d", "Driver to manage the Network", metavar="string",
                   default="bridge")
        cmd.string_list("subnet", None, "Subnet in CIDR format that represents a network "
                        "segment", metavar="strings")
        cmd.string_list("gateway", None, "IPv4 or IPv6 Gateway for the master subnet",
                        metavar="strings")
        cmd.bool("internal", None, "Restrict external access to the network")
        cmd.string_list("label", None, "Set metadata on a network", metavar="list")
    elif verb == "ls":
        cmd.string_list("filter", "f", "Provide filter values (e.g. \"driver=bridge\")",
                        metavar="filter")
        cmd.string("format", None, "Format output using a custom template", metavar="string")
        cmd.bool("quiet", "q", "Only display network IDs")
        cmd.bool("no-trunc", None, "Do not truncate the output")
    elif verb == "inspect":
        cmd.string("format", "f", "Format output using a custom template", metavar="string")
    elif verb == "rm":
        cmd.bool("force", "f", "Do not error if the network does not exist")
    elif verb == "prune":
        cmd.bool("force", "f", "Do not prompt for confirmation")
        cmd.string_list("filter", None, "Provide filter values", metavar="filter")
    elif verb == "connect":
        cmd.string_list("alias", None, "Add network-scoped alias for the container",
                        metavar="strings")
        cmd.string("ip", None, "IPv4 address (e.g., \"172.30.100.104\")", metavar="string")
    else:
        cmd.bool("force", "f", "Force the container to disconnect from a network")
    return cmd


class NetworkRow:
    __go_fields__ = ("ID", "Name", "Driver", "Scope", "IPv6", "Internal", "Labels",
                     "CreatedAt")

    def __init__(self, r: dict[str, object], no_trunc: bool) -> None:
        rid = str(r["Id"])
        self.ID = rid if no_trunc else rid[:12]
        self.Name, self.Driver, self.Scope = str(r["Name"]), str(r["Driver"]), "local"
        self.IPv6, self.Internal = "false", "true" if r["Internal"] else "false"
        labels = r["Labels"] if isinstance(r["Labels"], dict) else {}
        self.Labels = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        self.CreatedAt = str(r.get("CreatedAt", ""))


def run(opts: Options, ctx: Context) -> int:
    verb = {"list": "ls", "remove": "rm"}.get(opts.args[0], opts.args[0])
    if verb not in VERBS:
        sys.stderr.write(f"scow: '{opts.args[0]}' is not a scow network command.\n")
        return 1
    cmd = _sub(verb)
    sub = cmd.parse(opts.args[1:])
    if sub.help:
        ctx.stdout.write(cmd.help_text())
        return 0
    return int(globals()[f"_{verb}"](sub, ctx))


def _create(opts: Options, ctx: Context) -> int:
    labels = dict(item.partition("=")[::2] for item in opts.label)
    nid = ctx.engine.networks.create(
        opts.args[0], subnet=opts.subnet[0] if opts.subnet else "",
        gateway=opts.gateway[0] if opts.gateway else "", internal=opts.internal,
        labels=labels, driver=opts.driver)
    ctx.out(nid)
    return 0


def _matches(r: dict[str, object], filters: list[str]) -> bool:
    for f in filters:
        key, _, value = f.partition("=")
        got = {"name": str(r["Name"]), "driver": str(r["Driver"]), "id": str(r["Id"])}
        if key == "label":
            k, _, v = value.partition("=")
            labels = r["Labels"] if isinstance(r["Labels"], dict) else {}
            if k not in labels or (v and labels[k] != v):
                return False
        elif key in ("name", "id"):
            if value not in got[key] if key == "name" else not got[key].startswith(value):
                return False
        elif key == "driver" and got["driver"] != value:
            return False
        elif key == "dangling" and value.lower() in ("true", "1", "false", "0"):
            dangling = not r.get("Builtin") and not r.get("InUse")
            if dangling != (value.lower() in ("true", "1")):
                return False
        elif key == "type" and value in ("builtin", "custom"):
            if bool(r.get("Builtin")) != (value == "builtin"):
                return False
        elif key not in ("label", "name", "id", "driver", "scope"):
            from scow.errors import InvalidArgument

            raise InvalidArgument(f"invalid filter '{f}'")
    return True


def _ls(opts: Options, ctx: Context) -> int:
    rows = [r for r in ctx.engine.networks.list_networks() if _matches(r, opts.filter)]
    if opts.quiet:
        ctx.stdout.write("".join(f"{NetworkRow(r, opts.no_trunc).ID}\n" for r in rows))
        return 0
    default = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
    fmt = default if opts.format in ("", "table") else opts.format
    output.print_rows(ctx, fmt, [NetworkRow(r, opts.no_trunc) for r in rows], default=default,
                      headers={"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER",
                               "Scope": "SCOPE", "IPv6": "IPV6", "Internal": "INTERNAL",
                               "Labels": "LABELS", "CreatedAt": "CREATED AT"})
    return 0


def _inspect(opts: Options, ctx: Context) -> int:
    return inspect_objects(ctx, opts.args, opts.format, [ctx.engine.networks.inspect])


def _rm(opts: Options, ctx: Context) -> int:
    from scow.errors import NotFound

    def remove(name: str) -> None:
        try:
            ctx.engine.networks.remove(name)
        except NotFound:
            if not opts.force:
                raise
    return output.for_each(ctx, opts.args, remove)


def _prune(opts: Options, ctx: Context) -> int:
    from scow.cli.commands.image_prune import confirm

    if not opts.force and not confirm(ctx, "WARNING! This will remove all custom networks "
                                      "not used by at least one container."):
        return 0
    removed = ctx.engine.networks.prune()
    if removed:
        ctx.out("Deleted Networks:")
        for name in removed:
            ctx.out(name)
        ctx.out()
    return 0


def _connect(opts: Options, ctx: Context) -> int:
    ctx.engine.networks.connect(opts.args[0], opts.args[1], opts.alias, opts.ip)
    return 0


def _disconnect(opts: Options, ctx: Context) -> int:
    ctx.engine.networks.disconnect(opts.args[0], opts.args[1], force=opts.force)
    return 0
