"""owns: a container's network at run time: at start, an endpoint (address) per network it
names, its own network namespace set up by netavark (veth on each network's bridge, `-p`
rules, DNS names) and /etc/hosts and /etc/resolv.conf written as docker writes them; at stop
(the monitor's cleanup, rm, kill recovery), the same torn down. `--network host|none|
container:NAME` get no namespace of scow's (runc makes or joins one).

On-disk layout::

    <root>/network/netns/<container id>        the namespace (nsfs bind mount)
    <root>/network/netns/<container id>.json   the plan: netavark's options of each setup,
                                               written before the setup, deleted after the
                                               teardown (so a kill at any moment leaves a
                                               plan that `detach` or `system check --repair`
                                               tears down with the same options)
    <root>/network/netavark/                   netavark's config folder (aardvark-dns tables)
    /run/scow/network.lock                     host-wide lock of every scow's network changes
    /run/scow/netavark-base-chains             scow made netavark's shared chains (network/
                                               firewall.py), so the last teardown removes them

Order at start: endpoint rows ``attaching`` (addresses taken) → plan file → namespace →
netavark setup → rows ``attached``. Teardown runs it backwards; each step tolerates the later
ones never having happened.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from scow.engine.network_files import uses_namespace  # its home before
from scow.errors import Conflict, ScowError
from scow.fastjson import dumps, loads
from scow.ids import is_hex64
from scow.osutil.atomic import atomic_write
from scow.osutil.locks import flocked

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from typing import TypeAlias

    # the container service (engine/containers/), typed loosely: it holds the network
    # service, which calls this module, and engine/ has no import cycle
    ContainerService: TypeAlias = Any
    from scow.network.netavark import Netavark
    from scow.store.containers import ContainerRecord
    from scow.store.networks import NetworkRecord

RUN_DIR = "/run/scow"
HOST_LOCK = os.path.join(RUN_DIR, "network.lock")
BASE_MARK = os.path.join(RUN_DIR, "netavark-base-chains")


def networks_of(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict((doc.get("NetworkSettings") or {}).get("Networks") or {})


def set_networks(svc: ContainerService, container_id: str,
                 networks: dict[str, dict[str, Any]]) -> None:
    doc = svc.records.doc_of(container_id) or {}
    settings = dict(doc.get("NetworkSettings") or {})
    settings["Networks"] = networks
    svc.records.patch_doc(container_id, {"NetworkSettings": settings})


def netns_path(svc: ContainerService, container_id: str) -> str:
    return os.path.join(svc.store.root, "network", "netns", container_id)


def _netavark(svc: ContainerService) -> Netavark:
    from scow.network.netavark import Netavark

    return Netavark(os.path.join(svc.store.root, "network", "netavark"))


@contextlib.contextmanager
def host_lock() -> Iterator[None]:
    """The host-wide lock of network changes (netavark dies with the scow that holds it,
    network/netavark.py, so the lock's end is the setup's end)."""
    os.makedirs(RUN_DIR, mode=0o700, exist_ok=True)
    with flocked(HOST_LOCK):
        yield


# -- plan --------------------------------------------------------------------------------
def read_plan(path: str) -> list[dict[str, Any]]:
    try:
        with open(path + ".json", encoding="utf-8") as f:
            plan = loads(f.read())
    except (OSError, ValueError):
        return []
    return plan if isinstance(plan, list) else []


def _write_plan(path: str, plan: list[dict[str, Any]]) -> None:
    if plan:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        atomic_write(path + ".json", dumps(plan).encode(), 0o600)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path + ".json")


# -- start -------------------------------------------------------------------------------
def attach(svc: ContainerService, record: ContainerRecord) -> str | None:
    """Set up the container's network; returns the namespace path runc joins (None: runc
    makes its own, or host's)."""
    from scow.engine import network_files

    mode = record.doc["HostConfig"].get("NetworkMode") or "default"
    if mode.startswith("container:"):
        return _joined(svc, mode.removeprefix("container:"))
    if not uses_namespace(mode):
        return None
    detach(svc, record)  # what a previous run whose cleanup never ran left
    networks = networks_of(record.doc) or {mode: {}}
    ports = network_files.port_mappings(record.doc)
    path = netns_path(svc, record.id)
    endpoints = _setup(svc, record, list(networks), ports, path)
    for net, _ in endpoints:
        _event(svc, net, "connect", record.id)
    network_files.record_settings(svc, record, endpoints, ports, path)
    network_files.write_etc(svc, record, endpoints)
    return path


def rename_locked(svc: ContainerService, container_id: str, old: str, new: str) -> None:
    """Under the host lock, with the record's rename (so that a start's setup, which reads
    the name under the lock too, sees one or the other): an attached container's DNS name
    on user networks follows (the endpoints' aliases, the plan netavark tears down from,
    aardvark's tables, DNSNames)."""
    path = netns_path(svc, container_id)
    plan = read_plan(path)
    if not plan:
        return
    svc.store.networks.rename_alias(container_id, old, new)
    for opts in plan:
        opts["container_name"] = new
        for net in (opts.get("networks") or {}).values():
            net["aliases"] = [new if a == old else a for a in net.get("aliases") or []]
        _netavark(svc).rename(opts, old, new)
    _write_plan(path, plan)
    networks = networks_of(svc.records.doc_of(container_id) or {})
    for name, settings in networks.items():
        if settings.get("DNSNames"):
            networks[name] = {**settings, "DNSNames": [new if n == old else n
                                                       for n in settings["DNSNames"]]}
    set_networks(svc, container_id, networks)


def _joined(svc: ContainerService, other: str) -> str:
    rec = svc.records.get(other)
    st = svc.state(rec)
    if st is None or st.status != "running" or not st.pid:
        raise Conflict(f"cannot join network of a non running container: {other}")
    return f"/proc/{st.pid}/ns/net"


def _setup(svc: ContainerService, record: ContainerRecord, names: list[str],
           ports: list[Any], path: str) -> list[tuple[NetworkRecord, Any]]:
    """Reserve the endpoints and run netavark; everything undone on failure."""
    from scow.network import netavark, netns

    endpoints: list[tuple[NetworkRecord, Any]] = []
    with host_lock():
        record = svc.records.get(record.id)  # its name now: a rename takes this lock too
        try:
            for name in names:
                net = svc.networks.get(name)
                if not bridge_left(net) and not svc.store.networks.endpoints(
                        network_id=net.id):
                    net = svc.networks.claim(net)  # its first container
                settings = networks_of(record.doc).get(name) or {}
                ip = (settings.get("IPAMConfig") or {}).get("IPv4Address") or ""
                aliases = _aliases(record, settings)
                endpoints.append((net, svc.store.networks.reserve(record.id, net, aliases, ip)))
            used = sum(len(o["networks"]) for o in read_plan(path))
            mac = record.doc["Config"].get("MacAddress") or ""  # --mac-address: first network
            opts = netavark.options(record.id, record.name,
                                    [_endpoint(n, e, f"eth{used + i}", mac if not used + i else "")
                                     for i, (n, e) in enumerate(endpoints)], ports,
                                    list(record.doc["HostConfig"].get("Dns") or []))
            plan = read_plan(path) + [opts]
            _write_plan(path, plan)
            netns.create(path)
            _note_base_chains()
            macs = _netavark(svc).setup(path, opts)
            svc.store.networks.mark_attached(record.id, {n.id: macs.get(n.bridge, "")
                                                          for n, _ in endpoints})
        except BaseException:
            with contextlib.suppress(Exception):
                _teardown_locked(svc, record.id)
            raise
    return endpoints


def _aliases(record: ContainerRecord, settings: dict[str, Any]) -> list[str]:
    out = [record.name, record.id[:12], *(settings.get("Aliases") or [])]
    return list(dict.fromkeys(out))


def _endpoint(net: NetworkRecord, e: Any, interface: str, mac: str = "") -> Any:
    """netavark's view of an endpoint. The network is named by its bridge (scow-<id>), not
    its user-facing name: netavark names its chains after a hash of the network name, and
    every root has a `bridge` network."""
    from scow.engine.network_files import DEFAULT
    from scow.network.netavark import Endpoint, Network

    spec = Network(net.bridge, net.id, net.bridge, net.subnet, net.gateway, net.internal,
                   dns=net.name != DEFAULT)
    return Endpoint(spec, e.ip, e.aliases if net.name != DEFAULT else (), interface, mac)


def _note_base_chains() -> None:
    from scow.network import firewall

    if not os.path.exists(BASE_MARK) and not firewall.base_chains_present():
        atomic_write(BASE_MARK, b"scow made netavark's shared chains\n", 0o600)


# -- connect/disconnect while running ----------------------------------------------------
def attach_one(svc: ContainerService, record: ContainerRecord, name: str) -> None:
    from scow.engine import network_files

    path = netns_path(svc, record.id)
    endpoints = _setup(svc, record, [name], [], path)
    _event(svc, endpoints[0][0], "connect", record.id)
    network_files.record_settings(svc, svc.records.get(record.id), endpoints, None, path)
    if endpoints[0][0].name != "bridge":  # docker: a user network brings its DNS server
        network_files.write_resolv_conf(svc, record, endpoints[0][0].gateway)


def detach_one(svc: ContainerService, record: ContainerRecord, net: NetworkRecord) -> None:
    path = netns_path(svc, record.id)
    with host_lock():
        plan = read_plan(path)
        for opts in plan:
            if net.bridge in opts["networks"]:
                one = {**opts, "networks": {net.bridge: opts["networks"][net.bridge]},
                       "network_info": {net.bridge: opts["network_info"][net.bridge]}}
                _netavark(svc).teardown(path, one)
                opts["networks"].pop(net.bridge)
                opts["network_info"].pop(net.bridge)
        _write_plan(path, [o for o in plan if o["networks"]])
        svc.store.networks.release(record.id, net.id)
    _event(svc, net, "disconnect", record.id)


def _event(svc: ContainerService, net: NetworkRecord, action: str, container_id: str) -> None:
    """docker's network connect/disconnect event (scow events)."""
    from scow.engine.events import network_event

    network_event(svc.store, net.id, net.name, net.driver, action, {"container": container_id})


# -- stop --------------------------------------------------------------------------------
def detach(svc: ContainerService, record: ContainerRecord) -> None:
    """Tear down what the container's runs left (idempotent; nothing when nothing is set)."""
    path = netns_path(svc, record.id)
    if not read_plan(path) and not os.path.exists(path) and \
            not svc.store.networks.endpoints(container_id=record.id):
        return
    joined = [e.network_id for e in svc.store.networks.endpoints(container_id=record.id)]
    with host_lock():
        _teardown_locked(svc, record.id)
    for network_id in joined:
        net = svc.store.networks.find(network_id)
        if net is not None:
            _event(svc, net, "disconnect", record.id)
    from scow.engine import network_files

    network_files.clear_settings(svc, record.id)


def _teardown_locked(svc: ContainerService, container_id: str) -> None:
    """Under the host lock: netavark teardown of every setup in the plan, then the namespace,
    the plan, the endpoint rows and (when scow made them and they are empty) the shared
    chains."""
    from scow.network import firewall, netns

    path = netns_path(svc, container_id)
    plan = read_plan(path)
    if plan and not netns.exists(path):  # unmounted or died: the host's side may be there
        netns.create(path)
    for opts in reversed(plan):
        # netavark removes the port rules first and stops at the first missing piece (a
        # setup cut short, a namespace that died): the sweep below finishes the network
        with contextlib.suppress(ScowError):
            _netavark(svc).teardown(path, opts)
    netns.remove(path)
    _write_plan(path, [])
    svc.store.networks.release(container_id)
    for opts in plan:
        for info in opts["network_info"].values():
            with contextlib.suppress(ScowError):
                sweep_locked(svc, svc.store.networks.get(info["id"]))
    if os.path.exists(BASE_MARK) and not _any_plan(svc):
        firewall.remove_base_chains()
        if not firewall.base_chains_present():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(BASE_MARK)


def bridge_left(net: NetworkRecord) -> bool:
    return os.path.exists(f"/sys/class/net/{net.bridge}")


def sweep_locked(svc: ContainerService, net: NetworkRecord) -> bool:
    """Under the host lock: remove a network's bridge and rules that outlived its last
    container (a setup killed half-way leaves netavark unsure the network is empty). netavark
    is asked to set up a throw-away namespace on the network and to tear it down again: as
    the last user it then removes everything of the network. False when there was nothing."""
    from scow.network import firewall, netavark, netns

    if svc.store.networks.endpoints(network_id=net.id):
        return False
    if not bridge_left(net):
        return bool(firewall.remove_empty_network_chains(net.bridge))
    sweeper = "0" * 64
    path = netns_path(svc, f"sweep-{net.id[:12]}")
    ep = svc.store.networks.reserve(sweeper, net, [])
    try:
        netns.create(path)
        opts = netavark.options(sweeper, "scow-sweep", [_endpoint(net, ep, "eth0")], [], [])
        _netavark(svc).setup(path, opts)
        _netavark(svc).teardown(path, opts)
    finally:
        netns.remove(path)
        svc.store.networks.release(sweeper)
    firewall.remove_empty_network_chains(net.bridge)  # a port chain the teardown skipped
    return True


def sweep(svc: ContainerService, net: NetworkRecord) -> bool:
    with host_lock():
        return sweep_locked(svc, net)


def _any_plan(svc: ContainerService) -> bool:
    folder = os.path.join(svc.store.root, "network", "netns")
    with contextlib.suppress(FileNotFoundError):
        return any(n.endswith(".json") for n in os.listdir(folder))
    return False


# -- leftovers (system check) ------------------------------------------------------------
def leftovers(svc: ContainerService) -> list[str]:
    """Containers with network state (plan, namespace, endpoints) that are not running."""
    folder = os.path.join(svc.store.root, "network", "netns")
    ids = set()
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(folder):
            if name.startswith(".tmp-"):  # a plan write that was killed
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(folder, name))
            elif is_hex64(name.removesuffix(".json")):
                ids.add(name.removesuffix(".json"))
    ids |= {e.container_id for e in svc.store.networks.endpoints()}
    out = []
    for cid in sorted(ids):
        rec = svc.records.find(cid)
        st = svc.state(rec) if rec is not None else None
        if st is None or not st.active:  # restarting keeps its netns
            out.append(cid)
    return out


def repair(svc: ContainerService, container_id: str) -> None:
    with host_lock():
        _teardown_locked(svc, container_id)
    with contextlib.suppress(ScowError):
        if svc.records.find(container_id) is not None:
            from scow.engine import network_files

            network_files.clear_settings(svc, container_id)
