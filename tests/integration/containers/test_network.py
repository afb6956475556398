"""Container networking with real traffic: netavark + aardvark-dns, runc, busybox.

Traffic goes only to 127.0.0.1 and to addresses inside the namespaces these tests made (their
containers). Every test snapshots the host's iptables rules and links first and asserts they
are the same afterwards (the fixture removes the test's containers and networks first); each
root gets its own address pool (scow.toml), so parallel roots never share a subnet."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow, loaded_modules, wait_for
from tests.tools import require_tool


def host_network_state(marks: set[str]) -> tuple[list[str], list[str]]:
    """(iptables rules of every table, link names) that mention one of `marks` (this root's
    address pool, bridges and netavark chain names): `make test` runs two workers, and the
    other one's containers come and go meanwhile."""
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True,
                           check=True).stdout
    rules_list = sorted(re.sub(r"\[\d+:\d+\]", "", ln) for ln in rules.splitlines()
                        if not ln.startswith("#") and any(m in ln for m in marks))
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                           check=True).stdout
    names = sorted(ln.split(":")[1].strip().split("@")[0] for ln in links.splitlines())
    return rules_list, [n for n in names if any(m in n for m in marks)]


def _marks(scow: Scow, prefix: str) -> set[str]:
    """What names this root's networks on the host: its pool's prefix, each network's bridge
    and the hash netavark names the network's chains with."""
    import hashlib

    marks = {prefix}
    for nid in scow.out("network", "ls", "-q", "--no-trunc").split():
        bridge = f"scow-{nid[:10]}"
        marks |= {bridge, hashlib.sha512(bridge.encode()).hexdigest()[:13].upper()}
    return marks


@pytest.fixture
def net(one: Scow) -> Iterator[Scow]:
    """`one` with its own pool, checked to leave the host's network state as it found it."""
    for tool in ("iptables-save", "ip", "unshare"):
        require_tool(tool)
    for tool in ("netavark", "aardvark-dns"):
        require_tool(tool, package=tool, also=(f"/usr/lib/podman/{tool}",
                                               f"/usr/libexec/podman/{tool}"))
    octet = random.randrange(100, 250)
    (one.root / "scow.toml").write_text(
        f'default-address-pools = [{{base = "10.{octet}.0.0/16", size = 24}}]\n')
    before = host_network_state({f"10.{octet}."})
    assert before == ([], []), f"10.{octet}.0.0/16 is in use on this host: {before}"
    try:
        yield one
    finally:
        marks = _marks(one, f"10.{octet}.")
        one.cleanup()
        one("network", "prune", "-f", check=False)
    assert host_network_state(marks) == before



def test_start_on_a_bridge_loads_no_subprocess_or_openssl(net: Scow, tmp_path: Path) -> None:
    """`start` on a bridge (issue 18): netavark, unshare and `ip route` run through
    osutil/spawn.py (no subprocess, threading, locale, signal), the endpoint ID is hashed by
    the interpreter's own sha256 (no OpenSSL), and without `-p` no socket loads. ipaddress
    loads for the network's first container only (its subnet checked against the host's
    routes); the next one's address is counted on integers. (re loads here with tomllib:
    this root has a scow.toml.)"""
    heavy = {"subprocess", "threading", "hashlib", "_hashlib", "ctypes", "socket", "shutil",
             "signal"}
    for name in ("web1", "web2"):
        net("create", "--name", name, "bb:1", "sleep", "60")
        modules = loaded_modules(net, tmp_path, "start", name)
        assert "scow.network.netavark" in modules  # it did set the bridge up
        assert not heavy & modules, sorted(heavy & modules)
        heavy.add("ipaddress")

def _get(port: int, path: str = "/index.html", timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                return str(r.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_published_httpd_answers_on_loopback(net: Scow, tmp_path: object) -> None:
    port = _free_port()
    net("run", "-d", "--name", "web", "-p", f"{port}:80", "bb:1", "sh", "-c",
        "mkdir -p /www && echo hello-from-scow > /www/index.html && httpd -f -p 80 -h /www")
    assert _get(port).strip() == "hello-from-scow"
    assert f"0.0.0.0:{port}->80/tcp" in net.out("ps")
    assert f"80/tcp -> 0.0.0.0:{port}" in net.out("port", "web")
    settings = net.inspect("web")["NetworkSettings"]
    assert settings["Ports"]["80/tcp"][0] == {"HostIp": "0.0.0.0", "HostPort": str(port)}
    assert settings["Networks"]["bridge"]["IPAddress"] == settings["IPAddress"] != ""


def test_mac_address(net: Scow) -> None:
    out = net.out("run", "--rm", "--mac-address", "02:42:AC:11:00:99", "bb:1", "cat",
                  "/sys/class/net/eth0/address")
    assert out.strip() == "02:42:ac:11:00:99"
    bad = net("run", "--rm", "--mac-address", "01:00:5e:00:00:01", "bb:1", "true", check=False)
    assert bad.returncode == 125 and "not a valid mac address" in bad.stderr


def test_random_host_port_and_publish_all(net: Scow) -> None:
    net("run", "-d", "--name", "web", "-p", "127.0.0.1::80", "bb:1", "sh", "-c",
        "mkdir -p /www && echo r > /www/index.html && httpd -f -p 80 -h /www")
    line = net.out("port", "web", "80").strip()
    assert line.startswith("127.0.0.1:")
    assert _get(int(line.rsplit(":", 1)[1])).strip() == "r"


def test_peer_found_by_name_alias_and_short_id_on_a_user_network(net: Scow) -> None:
    net("network", "create", "app")
    net("run", "-d", "--name", "db", "--network", "app", "--network-alias", "database",
        "bb:1", "httpd", "-f", "-p", "80", "-h", "/")
    short = net.full_id("db")[:12]
    proc = net("run", "--rm", "--network", "app", "bb:1", "sh", "-c",
               f"for n in db database {short}; do ping -c1 -W5 $n >/dev/null || exit 1; done;"
               " echo ok")
    assert proc.stdout.strip() == "ok"
    # docker's rule: no names on the default network (asked of 127.0.0.1 in the container:
    # no query leaves the host)
    proc = net("run", "--rm", "--dns", "127.0.0.1", "bb:1", "nslookup", "db", check=False)
    assert proc.returncode != 0
    inspect = net.out("network", "inspect", "-f", "{{len .Containers}}", "app").strip()
    assert inspect == "1"


def test_renamed_running_container_answers_to_its_new_name(net: Scow) -> None:
    """docker renames a running container's DNS name on its user networks (libnetwork's
    sandbox rename); the old name stops answering, its aliases stay."""
    net("network", "create", "ren")
    net("run", "-d", "--name", "old", "--network", "ren", "--network-alias", "kept",
        "bb:1", "sleep", "60")
    net("rename", "old", "new")
    proc = net("run", "--rm", "--network", "ren", "bb:1", "sh", "-c",
               "for n in new kept; do ping -c1 -W5 $n >/dev/null || exit 1; done; "
               "nslookup old >/dev/null 2>&1 && echo old-answers; echo ok")
    assert proc.stdout.strip() == "ok"
    dns = net.inspect("new")["NetworkSettings"]["Networks"]["ren"]["DNSNames"]
    assert dns[0] == "new" and "old" not in dns and "kept" in dns
    net("rm", "-f", "new")
    net("network", "rm", "ren")
    assert net.out("system", "check").count("network-leftover") == 0


def test_parallel_runs_get_distinct_addresses(net: Scow) -> None:
    net("network", "create", "par")

    def run(i: int) -> str:
        return net.out("run", "-d", "--name", f"p{i}", "--network", "par", "bb:1", "sleep",
                       "60").strip()
    with ThreadPoolExecutor(6) as pool:
        ids = list(pool.map(run, range(6)))
    ips = [net.inspect(i)["NetworkSettings"]["Networks"]["par"]["IPAddress"] for i in ids]
    assert len(set(ips)) == 6 and all(ips)
    taken = net("run", "-d", "--network", "par", "--ip", ips[0], "bb:1", "true", check=False)
    assert taken.returncode == 125 and "Address already in use" in taken.stderr


def test_internal_network_has_no_way_out(net: Scow) -> None:
    net("network", "create", "--internal", "inside")
    routes = net.out("run", "--rm", "--network", "inside", "bb:1", "ip", "route")
    assert "default" not in routes
    routes = net.out("run", "--rm", "bb:1", "ip", "route")
    assert "default" in routes


def test_network_commands_and_errors(net: Scow) -> None:
    nid = net.out("network", "create", "--subnet", "10.77.3.0/24", "--label", "a=b",
                  "lab").strip()
    assert len(nid) == 64
    assert "lab" in net.out("network", "ls")
    dangling = net.out("network", "ls", "-f", "dangling=true", "--format", "{{.Name}}")
    assert dangling.split() == ["lab"]
    assert net.out("network", "ls", "-f", "type=custom", "--format", "{{.Name}}") == "lab\n"
    doc = net.out("network", "inspect", "-f", "{{json .IPAM.Config}}", "lab")
    assert '"Subnet":"10.77.3.0/24"' in doc and '"Gateway":"10.77.3.1"' in doc
    err = net("network", "create", "lab", check=False)
    assert err.returncode == 1 and "already exists" in err.stderr
    err = net("network", "create", "--subnet", "10.77.3.128/25", "other", check=False)
    assert err.returncode == 1 and "overlaps" in err.stderr.lower()
    err = net("network", "rm", "bridge", check=False)
    assert err.returncode == 1 and "pre-defined" in err.stderr
    net("create", "--name", "cc", "--network", "lab", "bb:1", "true")
    assert net.out("network", "ls", "-f", "dangling=true", "-q") == ""
    err = net("network", "rm", "lab", check=False)
    assert err.returncode == 1 and "active endpoints" in err.stderr
    net("rm", "cc")
    net("network", "rm", "lab")
    err = net("run", "--network", "nope", "bb:1", "true", check=False)
    assert err.returncode != 0 and "network nope not found" in err.stderr


def test_connect_and_disconnect_a_running_container(net: Scow) -> None:
    net("network", "create", "two")
    net("run", "-d", "--name", "aa", "bb:1", "sleep", "60")
    net("run", "-d", "--name", "bb", "--network", "two", "bb:1", "httpd", "-f", "-p", "80",
        "-h", "/")
    net("network", "connect", "--alias", "al", "two", "aa")
    # the DNS server of `two` (its gateway, on the bridge this test made) answers
    out = net.out("exec", "aa", "sh", "-c", "ping -c1 -W5 bb >/dev/null && echo found")
    assert out.strip() == "found"
    net("network", "disconnect", "two", "aa")
    assert "two" not in net.inspect("aa")["NetworkSettings"]["Networks"]


def test_killed_runs_leave_nothing_after_repair(net: Scow) -> None:
    net("network", "create", "kill")
    for delay in (0.05, 0.15, 0.3, 0.45, 0.6):
        proc = subprocess.Popen(net.argv("run", "-d", "--network", "kill", "-p", "80",
                                         "bb:1", "sleep", "60"),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=_env())
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    check = net("system", "check", "--repair", check=False)
    assert check.returncode in (0, 1), check.stdout + check.stderr
    net.cleanup()
    again = net("system", "check", check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    netns = net.root / "network" / "netns"
    assert not netns.exists() or not os.listdir(netns)


def test_container_killed_under_its_monitor_is_cleaned_by_repair(net: Scow) -> None:
    net("run", "-d", "--name", "kk", "-p", "80", "bb:1", "sleep", "60")
    monitor = int((net.root / "containers" / net.full_id("kk") / "monitor.pid").read_text()) \
        if (net.root / "containers" / net.full_id("kk") / "monitor.pid").exists() else 0
    pid = net.inspect("kk")["State"]["Pid"]
    if monitor:
        os.kill(monitor, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: net.status("kk") != "running", what="container kk stopped")
    check = net("system", "check", check=False)
    if check.returncode == 1:
        assert "network" in check.stdout
        net("system", "check", "--repair")
    assert net("system", "check", check=False).returncode == 0


def _env() -> dict[str, str]:
    from tests.integration.containers.kit import env

    return env()


@pytest.fixture
def outside(tmp_path: object) -> Iterator[str]:
    """A namespace of the test's own standing in for "the outside": a veth from the host
    (10.R.R.1/30) to it (10.R.R.2/30, busybox httpd on port 80). Yields its address; the
    namespace, its processes and the veth pair go with it at the end."""
    require_tool("busybox", package="busybox-static")
    r1, r2 = random.randrange(50, 100), random.randrange(1, 250)  # pools use 10.100+
    host_ip, out_ip = f"10.{r1}.{r2}.1", f"10.{r1}.{r2}.2"
    holder = subprocess.Popen(["unshare", "--net", "sleep", "600"])
    link = f"scowt{random.randrange(10**6)}"
    httpd = None
    try:
        time.sleep(0.2)
        pid = str(holder.pid)

        def ns(*argv: str) -> None:
            subprocess.run(["nsenter", "-t", pid, "-n", *argv], check=True)
        subprocess.run(["ip", "link", "add", link, "type", "veth", "peer", "name", "o" + link,
                        "netns", pid], check=True)
        subprocess.run(["ip", "addr", "add", f"{host_ip}/30", "dev", link], check=True)
        subprocess.run(["ip", "link", "set", link, "up"], check=True)
        ns("ip", "addr", "add", f"{out_ip}/30", "dev", "o" + link)
        ns("ip", "link", "set", "o" + link, "up")
        ns("ip", "link", "set", "lo", "up")
        www = os.path.join(str(tmp_path), "www")
        os.makedirs(www)
        with open(os.path.join(www, "index.html"), "w") as f:
            f.write("outside\n")
        httpd = subprocess.Popen(["nsenter", "-t", pid, "-n", "busybox", "httpd", "-f",
                                  "-p", "80", "-h", www])
        yield out_ip
    finally:
        if httpd is not None:
            httpd.kill()
            httpd.wait()
        holder.kill()
        holder.wait()
        subprocess.run(["ip", "link", "del", link], check=False, capture_output=True)


def test_nat_reaches_outside_and_internal_does_not(net: Scow, outside: str) -> None:
    net("network", "create", "--internal", "sealed")
    # busybox-static's wget crashes in glibc's static getaddrinfo: nc, by address
    fetch = f'printf "GET /index.html HTTP/1.0\\r\\n\\r\\n" | nc -w 5 {outside} 80'
    got = net.out("run", "--rm", "bb:1", "sh", "-c", fetch)
    assert got.rstrip().endswith("outside"), got
    proc = net("run", "--rm", "--network", "sealed", "bb:1", "sh", "-c", fetch, check=False)
    assert "outside" not in proc.stdout


def test_etc_files_as_docker_writes_them(net: Scow) -> None:
    out = net.out("run", "--rm", "--hostname", "box", "--dns", "10.0.0.53", "--dns-search",
                  "example.test", "--dns-option", "ndots:2", "--add-host", "foo:10.1.2.3",
                  "--add-host", "gw:host-gateway", "bb:1", "sh", "-c",
                  "cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; hostname")
    resolv, hosts, hostname = out.split("---\n")
    assert resolv.splitlines() == ["nameserver 10.0.0.53", "search example.test",
                                   "options ndots:2"]
    lines = hosts.splitlines()
    assert lines[0] == "127.0.0.1\tlocalhost" and "10.1.2.3\tfoo" in lines
    gw = [ln for ln in lines if ln.endswith("\tgw")][0].split("\t")[0]
    assert gw.endswith(".1") and lines[-1].endswith("\tbox")
    assert hostname.strip() == "box"
    bad = net("run", "--rm", "--add-host", "foo:nope", "bb:1", "true", check=False)
    assert bad.returncode == 125 and "invalid IP address" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) <= 2


def test_system_prune_removes_networks_and_their_state(net: Scow) -> None:
    net("network", "create", "gone")
    net("run", "-d", "--name", "p1", "--network", "gone", "-p", "80", "bb:1", "sleep", "60")
    net("stop", "-t", "0", "p1")
    out = net.out("system", "prune", "-af")
    assert "Deleted Networks:\ngone\n" in out
    assert "gone" not in net.out("network", "ls")


def test_killed_removals_leave_nothing_after_repair(net: Scow) -> None:
    net("network", "create", "rmk")
    for i, delay in enumerate((0.05, 0.2, 0.35, 0.5)):
        net("run", "-d", "--name", f"r{i}", "--network", "rmk", "-p", "80", "bb:1", "sleep",
            "60")
        proc = subprocess.Popen(net.argv("rm", "-f", f"r{i}"), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=_env())
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    net("system", "check", "--repair", check=False)
    net.cleanup()
    again = net("system", "check", check=False)
    assert again.returncode == 0, again.stdout + again.stderr


def test_container_mode_shares_the_namespace(net: Scow) -> None:
    net("run", "-d", "--name", "base", "bb:1", "sleep", "60")
    ip = net.inspect("base")["NetworkSettings"]["IPAddress"]
    out = net.out("run", "--rm", "--network", "container:base", "bb:1", "ip", "-4", "addr")
    assert f"inet {ip}/" in out
    err = net("run", "--rm", "--network", "container:nope", "bb:1", "true", check=False)
    assert err.returncode == 125 and "nope" in err.stderr


def test_run_returns_with_its_endpoint_released(net: Scow) -> None:
    net("network", "create", "quick")
    for i in range(3):
        net("run", "--name", f"q{i}", "--network", "quick", "bb:1", "true")
        assert net.out("network", "inspect", "-f", "{{len .Containers}}", "quick") == "0\n"
        net("rm", f"q{i}")
    net("network", "rm", "quick")


def test_two_roots_never_share_a_subnet(net: Scow, busybox_tar: object,
                                        tmp_path: object) -> None:
    """Both roots chose the same subnet while idle (one pool): the second to run a container
    moves its network to a free one (under the host-wide lock), so each port answers with its
    own container."""
    other = Scow(net.root.parent / "other-root", net.driver)
    other.root.mkdir()
    (other.root / "scow.toml").write_text((net.root / "scow.toml").read_text())
    other("import", str(busybox_tar), "bb:1")
    try:
        for s in (net, other):
            s("network", "ls")  # the default network is made: both pick the same subnet
        subnets = {s.out("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}",
                         "bridge") for s in (net, other)}
        assert len(subnets) == 1
        ports = []
        for s in (net, other):
            ports.append(_free_port())
            s("run", "-d", "--name", "web", "--hostname", f"h{len(ports)}", "-p",
              f"127.0.0.1:{ports[-1]}:80", "bb:1", "httpd", "-f", "-p", "80", "-h", "/etc")
        assert [_get(p, "/hostname").strip() for p in ports] == ["h1", "h2"]
        subnets = {s.out("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}",
                         "bridge") for s in (net, other)}
        assert len(subnets) == 2
    finally:
        other.cleanup()


@pytest.mark.parametrize(("flag", "value"), [("--dns", "1.1.1.1\noptions evil"),
                                             ("--dns", "dns.example"),
                                             ("--dns-search", "a b"),
                                             ("--dns-option", "ndots:1\nnameserver 6.6.6.6"),
                                             ("--add-host", "x:1.2.3.4\n5.6.7.8 y"),
                                             ("--network-alias", "a,b\n10.0.0.9 evil")])
def test_hostile_dns_flags_are_one_line_errors(net: Scow, flag: str, value: str) -> None:
    net("network", "create", "hn")
    proc = net("create", "--network", "hn", flag, value, "bb:1", "true", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # docker create: 1
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") <= 2
    assert net.out("ps", "-aq") == ""
