"""owns: docker's `-p/--publish` syntax (``[ip:][hostPort:]containerPort[/proto]``, ranges,
``[::1]`` for IPv6) turned into HostConfig.PortBindings, and picking a free host port for a
binding that names none (docker's ephemeral ports)."""

from __future__ import annotations

import contextlib
import ipaddress
import socket

from scow.errors import InvalidArgument

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

PROTOCOLS = ("tcp", "udp", "sctp")


def _range(text: str, what: str, spec: str) -> tuple[int, int]:
    first, sep, last = text.partition("-")
    try:
        lo, hi = int(first), int(last) if sep else int(first)
    except ValueError:
        raise InvalidArgument(f"invalid {what} {text!r} in publish spec {spec!r}") from None
    if not (0 < lo <= hi <= 65535):
        raise InvalidArgument(f"invalid {what} {text!r} in publish spec {spec!r}")
    return lo, hi


def _split(spec: str) -> tuple[str, str, str, str]:
    """(host ip, host ports, container ports, protocol) of one spec."""
    rest, _, proto = spec.partition("/")
    proto = proto or "tcp"
    if proto not in PROTOCOLS:
        raise InvalidArgument(f"invalid proto {proto!r} in publish spec {spec!r}")
    ip = ""
    if rest.startswith("["):
        ip, sep, rest = rest[1:].partition("]:")
        if not sep:
            raise InvalidArgument(f"invalid publish spec {spec!r}")
    parts = rest.split(":")
    if len(parts) > 3 or (ip and len(parts) != 2):
        raise InvalidArgument(f"invalid publish spec {spec!r}")
    if len(parts) == 3:
        ip = parts.pop(0)
    host = parts[0] if len(parts) == 2 else ""
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise InvalidArgument(f"invalid IP address {ip!r} in publish spec {spec!r}"
                                  ) from None
    return ip, host, parts[-1], proto


def parse_publish(specs: list[str]) -> dict[str, list[dict[str, str]]]:
    """docker's HostConfig.PortBindings for `-p` flags (a range is one entry per port)."""
    out: dict[str, list[dict[str, str]]] = {}
    for spec in specs:
        ip, host, container, proto = _split(spec)
        c_lo, c_hi = _range(container, "containerPort", spec)
        if host:
            h_lo, h_hi = _range(host, "hostPort", spec)
            if h_hi - h_lo != c_hi - c_lo and h_lo != h_hi:
                raise InvalidArgument(f"invalid ranges in publish spec {spec!r}: the host and "
                                      "container ranges differ in size")
        for offset, port in enumerate(range(c_lo, c_hi + 1)):
            host_port = "" if not host else \
                str(h_lo + offset) if h_lo != h_hi else str(h_lo)
            out.setdefault(f"{port}/{proto}", []).append({"HostIp": ip, "HostPort": host_port})
    return out


def exposed_of(bindings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {key: {} for key in bindings}


def free_port(proto: str, host_ip: str = "") -> int:
    """A host port nothing is bound to now (the kernel's ephemeral choice)."""
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    family = socket.AF_INET6 if ":" in host_ip else socket.AF_INET
    with contextlib.closing(socket.socket(family, kind)) as s:
        s.bind((host_ip, 0))
        return int(s.getsockname()[1])
