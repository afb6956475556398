"""Endpoint rows: addresses are handed out once per network, also by racing processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from scow.errors import Conflict
from scow.store.networks import record_of
from scow.store.store import Store


def _net(store: Store) -> str:
    store.networks.add(record_of("n", "ab" * 32, "scow-abababab", "10.9.0.0/29", "10.9.0.1"))
    return "ab" * 32


def test_reserve_hands_out_lowest_free_address(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "root"))
    net = store.networks.get(_net(store))
    ips = [store.networks.reserve(f"{i:064x}", net, []).ip for i in range(5)]
    assert ips == ["10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"]
    with pytest.raises(Exception, match="no available IPv4 addresses"):
        store.networks.reserve("f" * 64, net, [])
    store.networks.release(f"{2:064x}")
    assert store.networks.reserve("e" * 64, net, []).ip == "10.9.0.4"
    with pytest.raises(Conflict):
        store.networks.reserve("d" * 64, net, [], ip="10.9.0.2")



@pytest.mark.parametrize("subnet", ["10.9.0.0/16", "10.9.0.0/24", "10.9.0.8/30",
                                    "10.9.0.8/31", "10.9.0.9/32", "192.168.255.0/28"])
def test_free_addresses_come_in_ipaddress_hosts_order(tmp_path: Path, subnet: str) -> None:
    """The addresses are counted on integers (no ipaddress on `start`'s path), in the order
    and with the bounds of ipaddress's hosts(): no network or broadcast address, both of a
    /31 (RFC 3021), the one of a /32; the gateway skipped."""
    import ipaddress

    hosts = [str(h) for h in ipaddress.IPv4Network(subnet).hosts()]
    store = Store(str(tmp_path / "root"))
    store.networks.add(record_of("n", "ab" * 32, "scow-abababab", subnet, hosts[0]))
    net = store.networks.get("n")
    wanted = hosts[1:4] if len(hosts) > 1 else []
    assert [store.networks.reserve(f"{i:064x}", net, []).ip for i in range(len(wanted))] == \
        wanted
    if len(hosts) <= len(wanted) + 1:  # every host taken: the gateway and those above
        with pytest.raises(Exception, match="no available IPv4 addresses"):
            store.networks.reserve("f" * 64, net, [])

def _take(root: str, n: int, out: multiprocessing.Queue[str]) -> None:
    store = Store(root)
    net = store.networks.get("n")
    out.put(store.networks.reserve(f"{n:064x}", net, []).ip)


def test_racing_processes_get_distinct_addresses(tmp_path: Path) -> None:
    root = str(tmp_path / "root")
    store = Store(root)
    store.networks.add(record_of("n", "cd" * 32, "scow-cdcdcdcd", "10.9.1.0/24", "10.9.1.1"))
    ctx = multiprocessing.get_context("spawn")  # no fork from a threaded pytest worker
    queue: multiprocessing.Queue[str] = ctx.Queue()
    procs = [ctx.Process(target=_take, args=(root, i, queue)) for i in range(8)]
    for p in procs:
        p.start()
    ips = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert len(set(ips)) == 8


@pytest.mark.parametrize("ip", ["10.9.0.1", "10.9.0.0", "10.9.0.7", "10.9.1.2", "nope"])
def test_a_requested_address_must_be_a_free_host_of_the_subnet(tmp_path: Path, ip: str) -> None:
    from scow.errors import InvalidArgument

    store = Store(str(tmp_path / "root"))
    net = store.networks.get(_net(store))
    with pytest.raises(InvalidArgument) as info:
        store.networks.reserve("a" * 64, net, [], ip=ip)
    assert "\n" not in str(info.value)
    assert store.networks.endpoints() == []
