"""Measure the two network stacks Debian ships for one container: netavark (+ aardvark-dns)
and the CNI plugins (bridge + host-local + portmap + firewall), each setting up and tearing
down a fresh namespace on a bridge with one published port, N rounds. Root only; it makes
its own namespaces, bridge and rules on 10.250.x and removes them. Prints JSON.

    python bench/network_stack.py [rounds]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

NETAVARK = "/usr/lib/podman/netavark"
AARDVARK = "/usr/lib/podman/aardvark-dns"
CNI = "/usr/lib/cni"


def _netns(path: str) -> None:
    open(path, "a").close()
    subprocess.run(["unshare", f"--net={path}", "true"], check=True)


def _drop(path: str) -> None:
    subprocess.run(["umount", path], check=False)
    os.unlink(path)


def _run(argv: list[str], opts: dict[str, object]) -> None:
    out = subprocess.run(argv, input=json.dumps(opts), text=True, capture_output=True)
    if out.returncode != 0:
        raise SystemExit(f"{argv[-2]}: {out.stdout}{out.stderr}")


def netavark_round(tmp: str, i: int, dns: bool) -> tuple[float, float]:
    ns = os.path.join(tmp, f"nv{i}{'d' if dns else ''}")
    _netns(ns)
    opts = {"container_id": f"{i:064x}", "container_name": f"b{i}",
            "networks": {"scowbench": {"interface_name": "eth0", "static_ips": ["10.250.1.2"],
                                       "aliases": [f"b{i}"]}},
            "network_info": {"scowbench": {
                "name": "scowbench", "id": "b" * 64, "driver": "bridge",
                "network_interface": "scowbench0",
                "subnets": [{"subnet": "10.250.1.0/24", "gateway": "10.250.1.1"}],
                "ipv6_enabled": False, "internal": False, "dns_enabled": dns,
                "ipam_options": {"driver": "host-local"}}},
            "port_mappings": [{"host_ip": "127.0.0.1", "container_port": 80,
                               "host_port": 38080, "range": 1, "protocol": "tcp"}]}
    os.makedirs(os.path.join(tmp, "nvconf"), exist_ok=True)
    argv = [NETAVARK, "--config", os.path.join(tmp, "nvconf"), "-a", AARDVARK]
    t0 = time.perf_counter()
    try:
        _run([*argv, "setup", ns], opts)
        t1 = time.perf_counter()
    finally:
        try:
            _run([*argv, "teardown", ns], opts)
            t2 = time.perf_counter()
        finally:
            _drop(ns)
    return t1 - t0, t2 - t1


def cni_round(tmp: str, i: int) -> tuple[float, float]:
    ns = os.path.join(tmp, f"cni{i}")
    _netns(ns)
    conf = {"cniVersion": "1.0.0", "name": "scowbench", "plugins": [
        {"type": "bridge", "bridge": "scowbench1", "isGateway": True, "ipMasq": True,
         "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.250.2.0/24"}]],
                  "dataDir": os.path.join(tmp, "ipam")}},
        {"type": "portmap", "capabilities": {"portMappings": True}},
        {"type": "firewall"}]}
    env = dict(os.environ, CNI_CONTAINERID=f"c{i:063x}", CNI_NETNS=ns, CNI_IFNAME="eth0",
               CNI_PATH=CNI)
    t_setup = t_down = 0.0
    results = None
    for verb in ("ADD", "DEL"):
        t0 = time.perf_counter()
        prev = None
        plugins = conf["plugins"] if verb == "ADD" else list(reversed(conf["plugins"]))
        for p in plugins:
            netconf = {"cniVersion": "1.0.0", "name": "scowbench", **p,
                       "runtimeConfig": {"portMappings": [{"hostPort": 38081,
                                                           "containerPort": 80,
                                                           "protocol": "tcp"}]}}
            if prev is not None and verb == "ADD":
                netconf["prevResult"] = prev
            elif results is not None:
                netconf["prevResult"] = results
            out = subprocess.run([os.path.join(CNI, p["type"])], input=json.dumps(netconf),
                                 text=True, capture_output=True, env=dict(env, CNI_COMMAND=verb))
            if out.returncode != 0:
                raise SystemExit(f"cni {p['type']} {verb}: {out.stdout}{out.stderr}")
            if verb == "ADD" and out.stdout.strip():
                prev = json.loads(out.stdout)
        if verb == "ADD":
            results = prev
            t_setup = time.perf_counter() - t0
        else:
            t_down = time.perf_counter() - t0
    _drop(ns)
    return t_setup, t_down


def _drop_cni_chains() -> None:
    """The CNI plugins keep their shared chains after the last DEL: remove them (this bench
    runs only where they were absent before: see main)."""
    ipt = ["iptables", "-w", "30"]
    for args in (["-D", "FORWARD", "-m", "comment", "--comment", "CNI firewall plugin rules",
                  "-j", "CNI-FORWARD"], ["-F", "CNI-FORWARD"], ["-X", "CNI-FORWARD"],
                 ["-X", "CNI-ADMIN"],
                 ["-t", "nat", "-D", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL",
                  "-j", "CNI-HOSTPORT-DNAT"],
                 ["-t", "nat", "-D", "OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL",
                  "-j", "CNI-HOSTPORT-DNAT"],
                 ["-t", "nat", "-D", "POSTROUTING", "-m", "comment", "--comment",
                  "CNI portfwd requiring masquerade", "-j", "CNI-HOSTPORT-MASQ"],
                 *[["-t", "nat", "-F", c] for c in ("CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ",
                                                    "CNI-HOSTPORT-SETMARK")],
                 *[["-t", "nat", "-X", c] for c in ("CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ",
                                                    "CNI-HOSTPORT-SETMARK")]):
        subprocess.run([*ipt, *args], check=False, capture_output=True)


def main() -> None:
    if "CNI-" in subprocess.run(["iptables-save"], capture_output=True, text=True).stdout:
        raise SystemExit("CNI chains exist already (another engine's): not measuring here")
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="scow-netbench-") as tmp:
        for name, fn in (("netavark", lambda i: netavark_round(tmp, i, False)),
                         ("netavark+aardvark-dns", lambda i: netavark_round(tmp, i, True)),
                         ("cni bridge+portmap+firewall", lambda i: cni_round(tmp, i))):
            times = [fn(i) for i in range(rounds)]
            out[name] = {"setup_ms": round(statistics.median(t[0] for t in times) * 1000, 1),
                         "teardown_ms": round(statistics.median(t[1] for t in times) * 1000, 1)}
        subprocess.run(["ip", "link", "del", "scowbench1"], check=False, capture_output=True)
    _drop_cni_chains()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
