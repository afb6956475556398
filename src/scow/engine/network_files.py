"""owns: what a container's network looks like from inside and in `inspect`: its published
ports (HostConfig.PortBindings and `-P` resolved to host ports at start), the NetworkSettings
docker prints, and the /etc/hosts and /etc/resolv.conf docker writes for a bridge container
(``--add-host``, ``--dns``, ``--dns-search``, ``--dns-option``; scow.toml ``dns``).

On-disk layout::

    <root>/containers/<id>/hosts, resolv.conf   rewritten at every start on a bridge network
"""

from __future__ import annotations

import os

from scow.osutil.atomic import atomic_write

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from typing import TypeAlias

    # the container service (engine/containers/), typed loosely: it holds the network
    # service, which calls this module, and engine/ has no import cycle
    ContainerService: TypeAlias = Any
    from scow.network.netavark import PortMapping
    from scow.store.containers import ContainerRecord
    from scow.store.networks import EndpointRecord, NetworkRecord

DEFAULT = "bridge"  # docker's default network (no names resolved on it)


def uses_namespace(mode: str) -> bool:
    """Whether a NetworkMode names a network scow attaches (not host, none, container:)."""
    return mode not in ("host", "none", "default") and not mode.startswith("container:")


def endpoint_id(container_id: str, network_id: str) -> str:
    """A stable EndpointID for a container on a network (docker's is random)."""
    from scow.ids import sha256_hex  # not hashlib: OpenSSL's load would cost `start` more

    return sha256_hex(f"{container_id}/{network_id}".encode())


HOSTS_HEAD = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
              "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
              "ff02::2\tip6-allrouters\n")


def port_mappings(doc: dict[str, Any]) -> list[PortMapping]:
    """The `-p` bindings (and `-P`'s, for every exposed port) with host ports chosen."""
    from scow.network.netavark import PortMapping

    host = doc["HostConfig"]
    bindings: dict[str, list[dict[str, str]]] = {
        k: list(v) for k, v in (host.get("PortBindings") or {}).items()}
    if host.get("PublishAllPorts"):
        for key in doc["Config"].get("ExposedPorts") or {}:
            bindings.setdefault(key, []).append({"HostIp": "", "HostPort": ""})
    out = []
    for key, items in sorted(bindings.items()):
        port, _, proto = key.partition("/")
        proto = proto or "tcp"
        for b in items:
            ip = b.get("HostIp") or ""
            if b.get("HostPort"):
                hp = int(b["HostPort"])
            else:  # socket and ipaddress load only here (`-P`, `-p N`)
                from scow.network.ports import free_port

                hp = free_port(proto, ip)
            out.append(PortMapping(ip, hp, int(port), proto))
    return out


def ports_doc(doc: dict[str, Any], ports: list[PortMapping]) -> dict[str, Any]:
    """NetworkSettings.Ports: every exposed or published port → its host bindings (None for
    an exposed port that is not published)."""
    out: dict[str, Any] = {k: None for k in doc["Config"].get("ExposedPorts") or {}}
    for p in ports:
        ips = [p.host_ip] if p.host_ip else ["0.0.0.0", "::"]
        for ip in ips:
            out.setdefault(f"{p.container_port}/{p.protocol}", None)
            out[f"{p.container_port}/{p.protocol}"] = \
                (out[f"{p.container_port}/{p.protocol}"] or []) + \
                [{"HostIp": ip, "HostPort": str(p.host_port)}]
    return out


def _endpoint_doc(net: NetworkRecord, e: EndpointRecord, mac: str,
                  settings: dict[str, Any]) -> dict[str, Any]:
    return {"IPAMConfig": settings.get("IPAMConfig"), "Links": None,
            "Aliases": settings.get("Aliases") or None, "MacAddress": mac,
            "NetworkID": net.id, "EndpointID": endpoint_id(e.container_id, net.id),
            "Gateway": net.gateway, "IPAddress": e.ip,
            "IPPrefixLen": int(net.subnet.split("/")[1]), "IPv6Gateway": "",
            "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DriverOpts": None,
            "DNSNames": [n for n in e.aliases] if net.name != "bridge" else None}


def record_settings(svc: ContainerService, record: ContainerRecord,
                    endpoints: list[tuple[NetworkRecord, EndpointRecord]],
                    ports: list[PortMapping] | None, sandbox: str) -> None:
    doc = svc.records.doc_of(record.id) or record.doc
    settings = dict(doc.get("NetworkSettings") or {})
    networks = dict(settings.get("Networks") or {})
    macs = {e.network_id: e.mac for e in svc.store.networks.endpoints(container_id=record.id)}
    for net, e in endpoints:
        networks[net.name] = _endpoint_doc(net, e, macs.get(net.id, ""),
                                           networks.get(net.name) or {})
    settings["Networks"] = networks
    settings["SandboxKey"] = sandbox
    if ports is not None:
        settings["Ports"] = ports_doc(doc, ports)
    svc.records.patch_doc(record.id, {"NetworkSettings": settings})


def clear_settings(svc: ContainerService, container_id: str) -> None:
    """After a stop: the addresses and ports are gone, the network names stay (docker)."""
    doc = svc.records.doc_of(container_id)
    if doc is None:
        return
    settings = dict(doc.get("NetworkSettings") or {})
    keep = ("IPAMConfig", "Aliases", "NetworkID", "Links", "DriverOpts")
    settings["Networks"] = {name: {k: v for k, v in n.items() if k in keep}
                            for name, n in (settings.get("Networks") or {}).items()}
    settings["Ports"] = {}
    settings["SandboxKey"] = ""
    svc.records.patch_doc(container_id, {"NetworkSettings": settings})


def write_etc(svc: ContainerService, record: ContainerRecord,
              endpoints: list[tuple[NetworkRecord, EndpointRecord]]) -> None:
    host = record.doc["HostConfig"]
    hostname = record.doc["Config"].get("Hostname") or record.id[:12]
    folder = svc.folder(record.id)
    lines = [HOSTS_HEAD]
    gateway = endpoints[0][0].gateway if endpoints else ""
    for extra in host.get("ExtraHosts") or []:
        name, _, ip = extra.partition(":")
        lines.append(f"{gateway if ip == 'host-gateway' else ip}\t{name}\n")
    if endpoints:
        lines.append(f"{endpoints[0][1].ip}\t{hostname}\n")
    atomic_write(os.path.join(folder, "hosts"), "".join(lines).encode())
    dns_net = next((n for n, _ in endpoints if n.name != "bridge"), None)
    write_resolv_conf(svc, record, dns_net.gateway if dns_net else "")


def write_resolv_conf(svc: ContainerService, record: ContainerRecord, dns_server: str) -> None:
    """Rewritten in place (not replaced): the running container has the file bind-mounted."""
    text = resolv_conf(record.doc["HostConfig"], dns_server, svc.networks.dns_setting())
    path = os.path.join(svc.folder(record.id), "resolv.conf")
    if not os.path.exists(path):
        atomic_write(path, text.encode())
        return
    with open(path, "r+", encoding="utf-8") as f:
        f.write(text)
        f.truncate()


def resolv_conf(host: dict[str, Any], dns_server: str, default_dns: list[str]) -> str:
    """docker's resolv.conf: on a user network the network's DNS server (aardvark-dns, which
    answers container names and forwards the rest to --dns or the host's servers), else
    --dns or scow.toml's dns or the host's servers without loopback ones."""
    from scow.runtime.etcfiles import host_resolv_conf

    base = host_resolv_conf()
    servers = [dns_server] if dns_server else \
        list(host.get("Dns") or []) or default_dns
    search = list(host.get("DnsSearch") or [])
    options = list(host.get("DnsOptions") or [])
    if not (servers or search or options):
        return base
    keep = [ln for ln in base.splitlines()
            if not ln.startswith("nameserver") or not servers]
    if search:
        keep = [ln for ln in keep if not ln.startswith(("search", "domain"))]
    if options:
        keep = [ln for ln in keep if not ln.startswith("options")]
    out = keep + [f"nameserver {s}" for s in servers]
    out += [f"search {' '.join(search)}"] if search else []
    out += [f"options {' '.join(options)}"] if options else []
    return "\n".join(out) + "\n"


def display_ports(ports: dict[str, Any]) -> str:
    """docker ps's PORTS, by the docker CLI's DisplayablePorts: sorted by (private port, host
    IP, host port, protocol); a port published on another host port is `IP:HOST->PORT/PROTO`
    (`[::]:...` for IPv6), the others (not published, or on the same port) are grouped into
    ranges per IP and protocol and listed first (`80-81/tcp`, `0.0.0.0:80-81->80-81/tcp`)."""
    rows = []  # (private, ip, public, proto)
    for key, bindings in ports.items():
        port, _, proto = key.partition("/")
        for b in bindings or [None]:
            rows.append((int(port), b["HostIp"] if b else "",
                         int(b["HostPort"]) if b else 0, proto or "tcp"))
    groups: dict[str, list[int]] = {}  # key → [first, last], in first-seen order
    result, mappings = [], []
    for private, ip, public, proto in sorted(rows):
        if ip and public != private:
            host = f"[{ip}]" if ":" in ip else ip
            mappings.append(f"{host}:{public}->{private}/{proto}")
            continue
        key = f"{ip}/{proto}" if ip else proto
        group = groups.get(key)
        if group is not None and private == group[1] + 1:
            group[1] = private
            continue
        if group is not None:
            result.append(_group(key, *group))
        groups[key] = [private, private]
    result += [_group(key, *g) for key, g in groups.items()]
    return ", ".join(result + mappings)


def _group(key: str, first: int, last: int) -> str:
    ip, _, proto = key.rpartition("/") if "/" in key else ("", "", key)
    span = f"{first}-{last}" if first != last else str(first)
    return f"{ip}:{span}->{span}/{proto}" if ip else f"{span}/{proto}"
