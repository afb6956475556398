"""owns: network records and container endpoints (which container holds which IP address on
which network), with the store's intent/owner protocol.

On-disk layout::

    <root>/scow.db  networks    id, name (unique), driver, bridge (unique), subnet (unique),
                                gateway, internal, labels, options, created
    <root>/scow.db  endpoints   container_id, network_id, ip (unique per network), mac,
                                aliases, state, owner, created

An endpoint row is the intent: it is inserted ``attaching`` with this process's owner token,
and its IP address taken, in one write transaction *before* netavark touches the host; it is
made ``attached`` (owner cleared) once the namespace is set up, and deleted only after netavark
tore it down. A row left ``attaching`` by a dead owner, or ``attached`` for a container that no
longer runs, is a leftover the engine tears down (engine/networks.py). The unique index on
(network, ip) means two containers never hold one address, however many `run`s race.
"""

from __future__ import annotations

import _sqlite3 as sqlite3  # the C module: the sqlite3 package only adds datetime (start-up)
import time

from scow.errors import Conflict, InvalidArgument, NotFound
from scow.fastjson import dumps, loads
from scow.osutil.locks import OwnerToken
from scow.store.db import Database

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from scow.typeshim import NamedTuple


class NetworkRecord(NamedTuple):
    id: str
    name: str
    driver: str
    bridge: str
    subnet: str
    gateway: str
    internal: bool
    labels: dict[str, str]
    options: dict[str, str]
    created: float


class EndpointRecord(NamedTuple):
    container_id: str
    network_id: str
    ip: str
    mac: str
    aliases: tuple[str, ...]
    state: str  # attaching | attached
    owner: str | None


def _network(row: sqlite3.Row) -> NetworkRecord:
    return NetworkRecord(row["id"], row["name"], row["driver"], row["bridge"], row["subnet"],
                         row["gateway"], bool(row["internal"]), loads(row["labels"]),
                         loads(row["options"]), row["created"])


def _endpoint(row: sqlite3.Row) -> EndpointRecord:
    return EndpointRecord(row["container_id"], row["network_id"], row["ip"], row["mac"],
                          tuple(loads(row["aliases"])), row["state"], row["owner"])


class NetworkStore:
    def __init__(self, db: Database, owner: OwnerToken) -> None:
        self.db = db
        self.owner = owner

    # -- networks -------------------------------------------------------------------------
    def add(self, record: NetworkRecord) -> None:
        try:
            with self.db.write() as tx:
                tx.execute("INSERT INTO networks VALUES (?,?,?,?,?,?,?,?,?,?)",
                           (record.id, record.name, record.driver, record.bridge, record.subnet,
                            record.gateway, int(record.internal), dumps(record.labels),
                            dumps(record.options), record.created))
        except sqlite3.IntegrityError as exc:
            if "name" in str(exc):
                raise Conflict(f"network with name {record.name} already exists") from None
            raise Conflict(f"create network {record.name}: Pool overlaps with other one on "
                           "this address space") from None

    def all(self) -> list[NetworkRecord]:
        return [_network(r) for r in self.db.query("SELECT * FROM networks ORDER BY created")]

    def find(self, ref: str) -> NetworkRecord | None:
        """By exact name, full ID, or unique ID prefix (docker's lookup order)."""
        for sql, arg in (("name = ?", ref), ("id = ?", ref)):
            rows = self.db.query(f"SELECT * FROM networks WHERE {sql}", (arg,))
            if rows:
                return _network(rows[0])
        if not ref or any(c not in "0123456789abcdef" for c in ref):
            return None
        rows = self.db.query("SELECT * FROM networks WHERE substr(id, 1, ?) = ?",
                             (len(ref), ref))
        return _network(rows[0]) if len(rows) == 1 else None

    def get(self, ref: str) -> NetworkRecord:
        found = self.find(ref)
        if found is None:
            raise NotFound(f"network {ref} not found")
        return found

    def set_subnet(self, network_id: str, subnet: str, gateway: str) -> None:
        """Move an idle network to another subnet (Conflict if another network has it)."""
        try:
            with self.db.write() as tx:
                tx.execute("UPDATE networks SET subnet = ?, gateway = ? WHERE id = ?",
                           (subnet, gateway, network_id))
        except sqlite3.IntegrityError:
            raise Conflict(f"move network {network_id[:12]} to {subnet}: Pool overlaps with "
                           "other one on this address space") from None

    def delete(self, network_id: str) -> None:
        """Delete a network nothing is attached to (Conflict otherwise)."""
        with self.db.write() as tx:
            if tx.execute("SELECT 1 FROM endpoints WHERE network_id = ?",
                          (network_id,)).fetchone():
                raise Conflict("network has active endpoints")
            tx.execute("DELETE FROM networks WHERE id = ?", (network_id,))

    # -- endpoints ------------------------------------------------------------------------
    def reserve(self, container_id: str, network: NetworkRecord, aliases: list[str],
                ip: str = "") -> EndpointRecord:
        """Insert an `attaching` endpoint holding `ip` (or the lowest free address)."""
        with self.db.write() as tx:
            tx.execute("DELETE FROM endpoints WHERE container_id = ? AND network_id = ? AND "
                       "state = 'attaching' AND owner = ?",
                       (container_id, network.id, self.owner.name))
            used = {r[0] for r in tx.execute("SELECT ip FROM endpoints WHERE network_id = ?",
                                             (network.id,))}
            if ip:
                _check_address(network, ip)
            if ip and ip in used:
                raise Conflict(f"attach container {container_id[:12]} to network "
                               f"{network.name}: Address already in use")
            chosen = ip or _free_address(network, used)
            try:
                tx.execute("INSERT INTO endpoints VALUES (?,?,?,'',?,'attaching',?,?)",
                           (container_id, network.id, chosen, dumps(aliases),
                            self.owner.name, time.time()))
            except sqlite3.IntegrityError:
                raise Conflict(f"attach container {container_id[:12]}: already attached to "
                               f"network {network.name}") from None
        return EndpointRecord(container_id, network.id, chosen, "", tuple(aliases),
                              "attaching", self.owner.name)

    def mark_attached(self, container_id: str, macs: dict[str, str]) -> None:
        """`macs`: network ID → MAC address netavark gave the container's interface."""
        with self.db.write() as tx:
            for network_id, mac in macs.items():
                tx.execute("UPDATE endpoints SET state = 'attached', owner = NULL, mac = ? "
                           "WHERE container_id = ? AND network_id = ?",
                           (mac, container_id, network_id))

    def endpoints(self, *, container_id: str | None = None,
                  network_id: str | None = None) -> list[EndpointRecord]:
        sql, args = "SELECT * FROM endpoints WHERE 1", list[str]()
        if container_id is not None:
            sql, args = sql + " AND container_id = ?", [*args, container_id]
        if network_id is not None:
            sql, args = sql + " AND network_id = ?", [*args, network_id]
        return [_endpoint(r) for r in self.db.query(sql + " ORDER BY created", tuple(args))]

    def rename_alias(self, container_id: str, old: str, new: str) -> None:
        """A renamed container's DNS name: `old` becomes `new` in each of its endpoints."""
        with self.db.write() as tx:
            rows = tx.execute("SELECT network_id, aliases FROM endpoints WHERE "
                              "container_id = ?", (container_id,)).fetchall()
            for network_id, aliases in rows:
                names = [new if a == old else a for a in loads(aliases)]
                tx.execute("UPDATE endpoints SET aliases = ? WHERE container_id = ? AND "
                           "network_id = ?", (dumps(names), container_id, network_id))

    def release(self, container_id: str, network_id: str | None = None) -> None:
        with self.db.write() as tx:
            if network_id is None:
                tx.execute("DELETE FROM endpoints WHERE container_id = ?", (container_id,))
            else:
                tx.execute("DELETE FROM endpoints WHERE container_id = ? AND network_id = ?",
                           (container_id, network_id))

    def subnets(self) -> list[str]:
        return [r[0] for r in self.db.query("SELECT subnet FROM networks")]


def _check_address(network: NetworkRecord, ip: str) -> None:
    """A requested address is a host address of the subnet and not the gateway."""
    import ipaddress  # only when an address is chosen (not on `rm`'s path)

    net = ipaddress.ip_network(network.subnet)
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        raise InvalidArgument(f"attach to network {network.name}: invalid IP address "
                              f"{ip!r}") from None
    if addr not in net or addr in (net.network_address, net.broadcast_address) or \
            ip == network.gateway:
        raise InvalidArgument(f"attach to network {network.name}: address {ip} is not "
                              f"available in {network.subnet}")


def _free_address(network: NetworkRecord, used: set[str]) -> str:
    """The lowest host address of the IPv4 subnet that is neither the gateway nor `used`,
    in the order of ipaddress's hosts() (no network or broadcast address; a /31 has two
    hosts, a /32 one: a pool of scow.toml may make them); counted on integers, so that every
    `start` does not load ipaddress."""
    base, _, bits = network.subnet.partition("/")
    first = int.from_bytes(bytes(int(part) for part in base.split(".")), "big")
    size = 1 << (32 - int(bits))
    for n in range(first, first + size) if size <= 2 else range(first + 1, first + size - 1):
        text = ".".join(str(octet) for octet in n.to_bytes(4, "big"))
        if text != network.gateway and text not in used:
            return text
    raise InvalidArgument(f"attach to network {network.name}: no available IPv4 addresses "
                          f"on this network's address pools: {network.subnet}")


def record_of(name: str, network_id: str, bridge: str, subnet: str, gateway: str, *,
              internal: bool = False, labels: dict[str, str] | None = None,
              options: dict[str, Any] | None = None) -> NetworkRecord:
    return NetworkRecord(network_id, name, "bridge", bridge, subnet, gateway, internal,
                         dict(labels or {}), dict(options or {}), time.time())
