"""owns: driving netavark (Debian's ``netavark`` + ``aardvark-dns``, podman 4's network stack)
as a process: the JSON it reads on stdin to `setup` or `teardown` one container's network
namespace on one or more bridge networks, and what it answers.

IP addresses are never chosen here nor by netavark: scow's store hands them out (a unique
index per network) and passes them as ``static_ips``.

On-disk layout (the config folder passed as ``--config``)::

    <root>/network/netavark/aardvark-dns/<network>   aardvark's name table of a network
    <root>/network/netavark/aardvark-dns/aardvark.pid  the DNS server of this root
    <root>/network/netavark/aardvark.lock            netavark's own lock
"""

from __future__ import annotations

import os

from scow.errors import InternalError, Unsupported
from scow.fastjson import dumps, loads
from scow.osutil.spawn import run_captured

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass
    from typing import Any
else:
    from scow.typeshim import dataclass

SEARCH = ("/usr/lib/podman", "/usr/libexec/podman", "/usr/local/libexec/podman")
_SIGHUP = 1  # signal.SIGHUP (Linux): the signal module loads enum, a cost of every `start`


@dataclass(frozen=True)
class Network:
    """A bridge network as netavark sees it."""

    name: str
    id: str
    bridge: str
    subnet: str  # 172.18.0.0/16
    gateway: str
    internal: bool = False
    dns: bool = False


@dataclass(frozen=True)
class Endpoint:
    """One container's place on one network."""

    network: Network
    ip: str
    aliases: tuple[str, ...] = ()
    interface: str = "eth0"
    mac: str = ""  # --mac-address; netavark picks one when empty


@dataclass(frozen=True)
class PortMapping:
    """One `-p` rule (a range when `count` > 1)."""

    host_ip: str
    host_port: int
    container_port: int
    protocol: str = "tcp"
    count: int = 1


def find_binary(name: str) -> str:
    """The path of netavark or aardvark-dns, or Unsupported naming the package."""
    for folder in SEARCH:
        path = os.path.join(folder, name)
        if os.access(path, os.X_OK):
            return path
    import shutil  # (re, fnmatch, bz2, lzma: only when not in SEARCH)

    found = shutil.which(name)
    if found is None:
        raise Unsupported(f"set up network: {name} not found (install the {name} package)")
    return found


def options(container_id: str, name: str, endpoints: list[Endpoint],
            ports: list[PortMapping], dns_servers: list[str]) -> dict[str, Any]:
    """netavark's NetworkOptions for one container."""
    return {
        "container_id": container_id,
        "container_name": name,
        "networks": {e.network.name: {"interface_name": e.interface, "static_ips": [e.ip],
                                      "aliases": list(e.aliases),
                                      **({"static_mac": e.mac} if e.mac else {})}
                     for e in endpoints},
        "network_info": {e.network.name: _network_info(e.network) for e in endpoints},
        "port_mappings": [{"host_ip": p.host_ip, "container_port": p.container_port,
                           "host_port": p.host_port, "range": p.count,
                           "protocol": p.protocol} for p in ports] or None,
        "dns_servers": dns_servers or None,
    }


def _network_info(n: Network) -> dict[str, Any]:
    return {"name": n.name, "id": n.id, "driver": "bridge", "network_interface": n.bridge,
            "subnets": [{"subnet": n.subnet, "gateway": n.gateway}], "ipv6_enabled": False,
            "internal": n.internal, "dns_enabled": n.dns,
            "ipam_options": {"driver": "host-local"}}


class Netavark:
    """netavark with one config folder (the root's own DNS server and name tables)."""

    def __init__(self, config_dir: str) -> None:
        self.config_dir = config_dir

    def _run(self, verb: str, netns: str, opts: dict[str, Any]) -> str:
        os.makedirs(self.config_dir, mode=0o700, exist_ok=True)
        argv = [find_binary("netavark"), "--config", self.config_dir, "--rootless", "false",
                "--aardvark-binary", find_binary("aardvark-dns"), verb, netns]
        try:  # killed with this process: a setup never finishes behind the back of a
            # repair that already tore its plan down (its DNS server, forked by netavark, is
            # not: the death signal is not inherited across fork)
            code, out, err = run_captured(argv, input=dumps(opts).encode(), timeout=120,
                                          die_with_parent=True)
        except OSError as exc:
            raise InternalError(f"{verb} network of container {opts['container_id'][:12]}: "
                                f"netavark: {exc}") from exc
        text = out.decode(errors="replace")
        if code != 0:
            raise InternalError(f"{verb} network of container {opts['container_id'][:12]}: "
                                f"netavark: {_last_line(err.decode(errors='replace') or text)}")
        return text

    def setup(self, netns: str, opts: dict[str, Any]) -> dict[str, str]:
        """Set up the namespace at `netns`; returns each network's MAC address."""
        answer = loads(self._run("setup", netns, opts) or "{}")
        macs = {}
        for name, status in answer.items():
            for iface in (status.get("interfaces") or {}).values():
                macs[name] = iface.get("mac_address", "")
        return macs

    def rename(self, opts: dict[str, Any], old: str, new: str) -> None:
        """A running container renamed: `old` becomes `new` in its lines of the DNS tables of
        the networks in `opts` (a setup's options), and aardvark-dns reloads them (SIGHUP),
        as libnetwork renames a sandbox's service records. The caller holds the lock under
        which netavark runs."""
        folder = os.path.join(self.config_dir, "aardvark-dns")
        for network in opts.get("networks") or {}:
            _rename_in_table(os.path.join(folder, network), opts["container_id"], old, new)
        try:
            with open(os.path.join(folder, "aardvark.pid"), encoding="ascii") as f:
                os.kill(int(f.read().strip()), _SIGHUP)
        except (OSError, ValueError):
            pass  # no DNS server: nothing to reload

    def teardown(self, netns: str, opts: dict[str, Any]) -> None:
        """Undo `setup` (the veths, the rules, the DNS entries; the bridge of the last
        container of a network; the DNS server after its last network)."""
        self._run("teardown", netns, opts)


def _rename_in_table(path: str, container_id: str, old: str, new: str) -> None:
    """aardvark's table: a gateway line, then `<id> <ipv4> <ipv6> <name,name,...>` lines
    (replaced through a temp file in the config folder, outside the one aardvark reads)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return
    for i, line in enumerate(lines):
        fields = line.split(" ")
        if fields[0] == container_id and len(fields) >= 4:
            fields[3] = ",".join(new if n == old else n for n in fields[3].split(","))
            lines[i] = " ".join(fields)
    tmp = os.path.join(os.path.dirname(os.path.dirname(path)), ".aardvark-rename.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines()
             if ln.strip() and "syslog" not in ln]
    return lines[-1] if lines else "failed"
