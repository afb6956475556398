"""owns: the network service: docker's `network create/ls/inspect/rm/prune/connect/
disconnect`, the default ``bridge`` network, and choosing subnets and bridge names. Setting a
container's namespace up at start and tearing it down at stop is engine/network_attach.py.

Networks are records in the store (store/networks.py); a network's bridge interface, its
rules and its DNS server exist only while a container is attached (netavark makes them with
the first container and removes them with the last), so creating or removing a network
touches nothing on the host. ``host`` and ``none`` are docker's pseudo-networks: listed and
inspected, never stored.

scow.toml: ``default-address-pools`` (daemon.json's: a list of ``{base = "10.10.0.0/16",
size = 24}``), ``dns`` (a list of nameservers for containers on the default network).
"""

from __future__ import annotations

import os

from scow.engine.network_files import DEFAULT, endpoint_id
from scow.errors import Conflict, Forbidden, InvalidArgument, NotFound, Unsupported
from scow.ids import random_id
from scow.oci.image import rfc3339_nano
from scow.store.networks import NetworkRecord, record_of

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    import ipaddress
    from collections.abc import Callable

    from scow.store.store import Store

PSEUDO = {"host": "host", "none": "null"}  # name → driver
AUTO = "scow.subnet-chosen"  # option of a network whose subnet scow chose (may move when idle)
DEFAULT_POOLS = (("172.17.0.0/16", 16), ("172.18.0.0/16", 16), ("172.19.0.0/16", 16),
                 ("172.20.0.0/14", 16), ("172.24.0.0/14", 16), ("172.28.0.0/14", 16),
                 ("192.168.0.0/16", 20))
_NAME = r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"  # patterns for re, loaded only where they are checked
_ALIAS = r"^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,252}$"


def check_aliases(aliases: list[str]) -> list[str]:
    """--network-alias / connect --alias: DNS names (they go into aardvark-dns's tables,
    one line per container, names separated by commas)."""
    for alias in aliases:
        import re  # (only for an alias given)

        if not re.match(_ALIAS, alias):
            raise InvalidArgument(f"invalid network alias {alias!r}: letters, digits, '_', "
                                  "'.' and '-' only")
    return list(aliases)


def bridge_name(network_id: str) -> str:
    """The bridge interface of a network (15 characters at most, IFNAMSIZ)."""
    return f"scow-{network_id[:10]}"


class NetworkService:
    def __init__(self, store: Store, containers: Callable[[], Any]) -> None:
        self.store = store
        self.records = store.networks
        self._containers = containers  # the container service (it uses this one too)

    @property
    def containers(self) -> Any:
        """The container service (typed loosely: it holds this service too, and engine/ has
        no import cycle)."""
        return self._containers()

    # -- create ---------------------------------------------------------------------------
    def create(self, name: str, *, subnet: str = "", gateway: str = "", internal: bool = False,
               labels: dict[str, str] | None = None, driver: str = "bridge") -> str:
        """docker network create; returns the new network's ID."""
        if driver != "bridge":
            raise Unsupported(f'create network: driver "{driver}" is not supported (only '
                              'bridge)')
        import re

        if not re.match(_NAME, name):
            raise InvalidArgument(f'invalid network name "{name}"')
        found = self.records.find(name)
        if name in PSEUDO or name == DEFAULT or (found is not None and found.name == name):
            raise Conflict(f"network with name {name} already exists")
        net, gw = self._subnet(subnet, gateway)
        network_id = random_id()
        self.records.add(record_of(name, network_id, bridge_name(network_id), str(net), gw,
                                   internal=internal, labels=labels,
                                   options=None if subnet else {AUTO: "true"}))
        self._event(network_id, name, driver, "create")
        return network_id

    def _event(self, network_id: str, name: str, driver: str, action: str) -> None:
        from scow.engine.events import network_event

        network_event(self.store, network_id, name, driver, action)

    def _subnet(self, subnet: str, gateway: str) -> tuple[ipaddress.IPv4Network, str]:
        import ipaddress

        if subnet:
            try:
                net = ipaddress.IPv4Network(subnet, strict=True)
            except ValueError:
                raise InvalidArgument(f"invalid subnet {subnet}: an IPv4 CIDR with no host "
                                      "bits set is needed") from None
            if net.num_addresses < 4:
                raise InvalidArgument(f"invalid subnet {subnet}: too small")
            self._check_free(net)
        elif gateway:
            raise InvalidArgument("no matching subnet for gateway " + gateway)
        else:
            net = self._pick()
        gw = gateway or str(next(net.hosts()))
        try:
            if ipaddress.IPv4Address(gw) not in net:
                raise InvalidArgument(f"no matching subnet for gateway {gw}")
        except ValueError:
            raise InvalidArgument(f"invalid gateway {gateway}") from None
        return net, gw

    def _taken(self) -> list[ipaddress.IPv4Network]:
        import ipaddress

        taken = [ipaddress.IPv4Network(s) for s in self.records.subnets()]
        return taken + host_routes()

    def _check_free(self, net: ipaddress.IPv4Network) -> None:
        import ipaddress

        for other in [ipaddress.IPv4Network(s) for s in self.records.subnets()]:
            if net.overlaps(other):
                raise Conflict("Pool overlaps with other one on this address space")

    def _pick(self) -> ipaddress.IPv4Network:
        import ipaddress

        taken = self._taken()
        for base, size in self.pools():
            for net in ipaddress.IPv4Network(base).subnets(new_prefix=size):
                if not any(net.overlaps(t) for t in taken):
                    return net
        raise Conflict("could not find an available, non-overlapping IPv4 address pool among "
                       "the defaults to assign to the network")

    def pools(self) -> list[tuple[str, int]]:
        """The address pools subnets are chosen from: scow.toml's default-address-pools or
        docker's defaults, as (base, prefix length)."""
        from scow.engine.settings import read_config

        conf = read_config(os.path.join(self.store.root, "scow.toml"))
        pools = conf.get("default-address-pools")
        if not pools:
            return list(DEFAULT_POOLS)
        try:
            return [(str(p["base"]), int(p["size"])) for p in pools]
        except (KeyError, TypeError, ValueError):
            raise InvalidArgument("read scow.toml: default-address-pools: each pool needs "
                                  "base and size") from None

    def dns_setting(self) -> list[str]:
        """scow.toml's ``dns``: nameservers for containers on the default network."""
        from scow.engine.settings import read_config

        dns = read_config(os.path.join(self.store.root, "scow.toml")).get("dns") or []
        if not isinstance(dns, list):
            raise InvalidArgument("read scow.toml: dns: not a list of addresses")
        return [str(d) for d in dns]

    def default(self) -> NetworkRecord:
        """The default `bridge` network, made on first use."""
        found = self.records.find(DEFAULT)
        if found is not None:
            return found
        net = self._pick()
        network_id = random_id()
        try:
            self.records.add(record_of(DEFAULT, network_id, bridge_name(network_id), str(net),
                                       str(next(net.hosts())), options={AUTO: "true"}))
        except Conflict:
            pass  # another process made it first
        return self.records.get(DEFAULT)

    def claim(self, r: NetworkRecord) -> NetworkRecord:
        """Under the host-wide network lock, before a network's first container: its subnet
        must not overlap a route on the host (another root's bridge, docker0, a VPN). A
        subnet scow chose moves to a free one (roots picking subnets at the same time would
        otherwise share one); a subnet the user gave is a Conflict."""
        import ipaddress  # (and `ip route`: a network's first container only)

        net = ipaddress.IPv4Network(r.subnet)
        clash = [t for t in host_routes() if t.overlaps(net)]
        if not clash:
            return r
        if r.options.get(AUTO) != "true" and r.name != DEFAULT:
            raise Conflict(f"attach to network {r.name}: subnet {r.subnet} overlaps a route on "
                           f"the host ({clash[0]})")
        new = self._pick()
        self.records.set_subnet(r.id, str(new), str(next(new.hosts())))
        return self.records.get(r.id)

    # -- look up --------------------------------------------------------------------------
    def get(self, ref: str) -> NetworkRecord:
        """A network by name, ID or unique ID prefix (the default `bridge` made on first
        use); NotFound otherwise."""
        if ref == DEFAULT:
            return self.default()
        found = self.records.find(ref)
        if found is None:
            raise NotFound(f"network {ref} not found")
        return found

    def list_networks(self) -> list[dict[str, Any]]:
        """docker network ls's rows (the pseudo-networks included), by name."""
        self.default()
        rows = [self._summary(r) for r in self.records.all()]
        rows += [_pseudo(name) for name in PSEUDO]
        return sorted(rows, key=lambda r: r["Name"])

    def _summary(self, r: NetworkRecord) -> dict[str, Any]:
        return {"Name": r.name, "Id": r.id, "Driver": r.driver, "Scope": "local",
                "Internal": r.internal, "Labels": r.labels,
                "CreatedAt": rfc3339_nano(r.created), "InUse": bool(self._users(r)),
                "Builtin": r.name == DEFAULT}

    def inspect(self, ref: str) -> dict[str, Any]:
        """docker network inspect's document (the pseudo-networks host and none too)."""
        if ref in PSEUDO:
            return _pseudo(ref)
        r = self.get(ref)
        containers = {}
        for e in self.records.endpoints(network_id=r.id):
            rec = self.store.containers.find(e.container_id)
            containers[e.container_id] = {
                "Name": rec.name if rec else "", "EndpointID": endpoint_id(e.container_id, r.id),
                "MacAddress": e.mac, "IPv4Address": f"{e.ip}/{r.subnet.split('/')[1]}",
                "IPv6Address": ""}
        options = {"com.docker.network.bridge.name": r.bridge} if r.name == DEFAULT else {}
        return {"Name": r.name, "Id": r.id, "Created": rfc3339_nano(r.created),
                "Scope": "local", "Driver": r.driver, "EnableIPv6": False,
                "IPAM": {"Driver": "default", "Options": None,
                         "Config": [{"Subnet": r.subnet, "Gateway": r.gateway}]},
                "Internal": r.internal, "Attachable": False, "Ingress": False,
                "ConfigFrom": {"Network": ""}, "ConfigOnly": False,
                "Containers": containers,
                "Options": {**options, **{k: v for k, v in r.options.items() if k != AUTO}},
                "Labels": r.labels}

    # -- remove ---------------------------------------------------------------------------
    def remove(self, ref: str) -> None:
        """docker network rm: Forbidden for the pre-defined networks, Conflict while a
        container names the network."""
        r = None if ref in PSEUDO else self.get(ref)
        if r is None or r.name == DEFAULT:
            raise Forbidden(f"{ref} is a pre-defined network and cannot be removed")
        users = self._users(r)
        if users:
            raise Conflict(f"error while removing network: network {r.name} id {r.id} has "
                           "active endpoints")
        self._sweep(r)
        self.records.delete(r.id)
        self._event(r.id, r.name, r.driver, "destroy")

    def _sweep(self, r: NetworkRecord) -> None:
        """A bridge a killed setup left goes before its record (or nothing could find it)."""
        from scow.engine import network_attach

        if network_attach.bridge_left(r):
            network_attach.sweep(self.containers, r)

    def _users(self, r: NetworkRecord) -> list[str]:
        """Containers that name the network (running or not)."""
        out = [e.container_id for e in self.records.endpoints(network_id=r.id)]
        for rec in self.store.containers.all():
            if r.name in (rec.doc.get("NetworkSettings") or {}).get("Networks", {}):
                out.append(rec.id)
        return out

    def prune(self) -> list[str]:
        """docker network prune: the user networks no container names; their names."""
        removed = []
        for r in self.records.all():
            if r.name != DEFAULT and not self._users(r):
                self._sweep(r)
                try:
                    self.records.delete(r.id)
                except Conflict:
                    continue
                self._event(r.id, r.name, r.driver, "destroy")
                removed.append(r.name)
        from scow.engine.events import prune_event

        prune_event(self.store, "network", 0)
        return removed

    # -- connect --------------------------------------------------------------------------
    def connect(self, ref: str, container: str, aliases: list[str] | None = None,
                ip: str = "") -> None:
        """docker network connect: recorded in the container, attached now if it runs."""
        from scow.engine import network_attach

        r = self.get(ref)
        svc = self.containers
        record = svc.records.get(container)
        mode = record.doc["HostConfig"].get("NetworkMode", DEFAULT)
        if mode in ("host", "none") or mode.startswith("container:"):
            raise Conflict("container cannot be disconnected from host network or connected "
                           "to host network" if mode == "host" else
                           "container sharing network namespace with another container or "
                           "host cannot be connected to any other network")
        networks = dict(network_attach.networks_of(record.doc))
        if r.name in networks:
            raise Conflict(f"endpoint with name {record.name} already exists in network "
                           f"{r.name}")
        networks[r.name] = {"Aliases": check_aliases(aliases or []), "NetworkID": r.id,
                            "IPAMConfig": {"IPv4Address": ip} if ip else None}
        network_attach.set_networks(svc, record.id, networks)
        st = svc.state(record)
        if st is not None and st.status == "running":
            network_attach.attach_one(svc, svc.records.get(record.id), r.name)

    def disconnect(self, ref: str, container: str, *, force: bool = False) -> None:
        """docker network disconnect: detached now if the container runs, and forgotten."""
        from scow.engine import network_attach

        r = self.get(ref)
        svc = self.containers
        record = svc.records.get(container)
        networks = dict(network_attach.networks_of(record.doc))
        if r.name not in networks:
            if not force:
                raise Conflict(f"container {record.id} is not connected to network {r.name}")
            return
        network_attach.detach_one(svc, record, r)
        networks.pop(r.name)
        network_attach.set_networks(svc, record.id, networks)


def _pseudo(name: str) -> dict[str, Any]:
    from scow.ids import sha256_hex

    return {"Name": name, "Id": sha256_hex(f"scow-{name}".encode()),
            "Created": "0001-01-01T00:00:00Z", "Scope": "local", "Driver": PSEUDO[name],
            "EnableIPv6": False, "IPAM": {"Driver": "default", "Options": None, "Config": []},
            "Internal": False, "Attachable": False, "Ingress": False,
            "ConfigFrom": {"Network": ""}, "ConfigOnly": False, "Containers": {},
            "Options": {}, "Labels": {}, "CreatedAt": "0001-01-01T00:00:00Z",
            "InUse": False, "Builtin": True}


def host_routes() -> list[ipaddress.IPv4Network]:
    """The IPv4 destinations of the host's routes (the default route excluded)."""
    import ipaddress

    from scow.osutil.spawn import run_captured

    try:
        out = run_captured(["ip", "-4", "route", "show", "table", "all"], timeout=30)[1].decode()
    except OSError:
        return []
    nets = []
    for line in out.splitlines():
        dest = line.split()[0] if line.split() else ""
        if dest in ("default", "broadcast", "local", "unreachable", "blackhole", "prohibit"):
            dest = line.split()[1] if dest != "default" and len(line.split()) > 1 else ""
        try:
            net = ipaddress.IPv4Network(dest, strict=False)
        except ValueError:
            continue
        if net.prefixlen > 0 and not net.is_loopback:
            nets.append(net)
    return nets

