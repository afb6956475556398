"""owns: `scow port CONTAINER [PRIVATE_PORT[/PROTO]]` (docker's output)."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import NotFound


def command() -> Command:
    return Command("port", usage="scow port CONTAINER [PRIVATE_PORT[/PROTO]]",
                   short="List port mappings or a specific mapping for the container",
                   aliases=("container port", "port"), args=(1, 2))


def lines_of(ports: dict[str, object], want: str = "") -> list[str]:
    """`80/tcp -> 0.0.0.0:8080` lines, ordered as docker (by port, then protocol)."""
    out = []
    for key in sorted(ports, key=lambda k: (int(k.split("/")[0]), k)):
        bindings = ports[key]
        if not isinstance(bindings, list):
            continue
        for b in bindings:
            ip = b["HostIp"]
            addr = f"[{ip}]:{b['HostPort']}" if ":" in ip else f"{ip}:{b['HostPort']}"
            out.append(addr if want else f"{key} -> {addr}")
    return out


def run(opts: Options, ctx: Context) -> int:
    doc = ctx.engine.containers.inspect(opts.args[0])
    ports = doc["NetworkSettings"].get("Ports") or {}
    if len(opts.args) == 2:
        want = opts.args[1] if "/" in opts.args[1] else opts.args[1] + "/tcp"
        found = lines_of({want: ports.get(want)}, want)
        if not found:
            raise NotFound(f"No public port '{want}' published for {opts.args[0]}")
        for line in found:
            ctx.out(line)
        return 0
    for line in lines_of(ports):
        ctx.out(line)
    return 0
