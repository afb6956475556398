"""Docker beside scow for networking: a private dockerd with a bridge of its own (made here,
`--bridge`), iptables on (its DNAT for `-p`, as docker runs by default) and docker's userland
proxy, on a temp data root, exec root and socket; the busybox rootfs imported in both. Times
`run --rm IMAGE true` with `--network none`, on the default bridge, on a user network and
with `-p 127.0.0.1::80` (median of N), and prints docker's `ps`, `port` and `network ls` lines
for a published container beside scow's (the output oracle). Root only; refuses to run where
DOCKER chains exist already; removes its dockerd (by pid), bridge and chains at the end.

    python bench/network_docker.py [rounds]
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BRIDGE, BIP = "scowbdk0", "10.252.0.1/24"


def _sh(*argv: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=check)


def _drop_docker_chains() -> None:
    """Every DOCKER* chain, every rule jumping to one, and the rules of this bridge and its
    subnet (there were none before: main refuses to run otherwise)."""
    for table in ("filter", "nat"):
        for line in _sh("iptables-save", "-t", table).stdout.splitlines():
            mine = "DOCKER" in line.split(" ", 2)[2] or BRIDGE in line or "10.252.0." in line
            if line.startswith("-A ") and mine and not line.split()[1].startswith("DOCKER"):
                _sh("sh", "-c", f"iptables -t {table} -D {line[3:]}")
        chains = [ln.split()[0][1:] for ln in _sh("iptables-save", "-t", table).stdout
                  .splitlines() if ln.startswith(":DOCKER")]
        for chain in chains:
            _sh("iptables", "-t", table, "-F", chain)
        for chain in chains:
            _sh("iptables", "-t", table, "-X", chain)


def _times(argv: list[str], env: dict[str, str], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        samples.append(time.perf_counter() - t0)
    return round(statistics.median(samples) * 1000, 1)


def _start_dockerd(tmp: str) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    exec_root = f"/run/scowbd-{os.getpid()}"
    os.makedirs(exec_root, exist_ok=True)
    sock = os.path.join(tmp, "docker.sock")
    argv = [shutil.which("dockerd") or "/usr/sbin/dockerd", "--data-root",
            os.path.join(tmp, "data"), "--exec-root", exec_root, "--pidfile",
            os.path.join(tmp, "docker.pid"), "-H", f"unix://{sock}", f"--bridge={BRIDGE}",
            "--iptables=true", "--storage-driver", "overlay2",
            "--containerd-namespace", f"scowbd{os.getpid()}",
            "--containerd-plugins-namespace", f"scowbdp{os.getpid()}"]
    log = open(os.path.join(tmp, "dockerd.log"), "wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    env = {**os.environ, "DOCKER_HOST": f"unix://{sock}",
           "DOCKER_CONFIG": os.path.join(tmp, "cfg")}
    deadline = time.monotonic() + 60
    while subprocess.run(["docker", "version"], env=env, capture_output=True).returncode:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"dockerd did not start: {tmp}/dockerd.log")
        time.sleep(0.3)
    return proc, env


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    if "DOCKER" in _sh("iptables-save").stdout:
        raise SystemExit("DOCKER chains exist already (another dockerd's): not running here")
    tmp = tempfile.mkdtemp(prefix="scow-netdocker-")
    _sh("ip", "link", "add", BRIDGE, "type", "bridge", check=True)
    _sh("ip", "addr", "add", BIP, "dev", BRIDGE, check=True)
    _sh("ip", "link", "set", BRIDGE, "up", check=True)
    proc = None
    try:
        proc, env = _start_dockerd(tmp)
        tar = os.path.join(tmp, "bb.tar")
        subprocess.run([os.path.join(REPO, "demo", "make-busybox-rootfs.sh"), tar], check=True,
                       capture_output=True)
        subprocess.run(["docker", "import", tar, "bb:1"], env=env, check=True,
                       capture_output=True)
        subprocess.run(["docker", "network", "create", "--subnet", "10.253.0.0/24", "bench"],
                       env=env, check=True, capture_output=True)
        out = {}
        for name, flags in (("none", ["--network", "none"]), ("bridge", []),
                            ("user network", ["--network", "bench"]),
                            ("bridge -p 80", ["-p", "127.0.0.1::80"])):
            out[name] = _times(["docker", "run", "--rm", *flags, "bb:1", "true"], env, rounds)
        subprocess.run(["docker", "run", "-d", "--name", "web", "-p", "18089:80", "-p",
                        "127.0.0.1:18090:53/udp", "bb:1", "sleep", "60"], env=env, check=True,
                       capture_output=True)
        oracle = {cmd: _sh("env", f"DOCKER_HOST={env['DOCKER_HOST']}", "docker", *cmd.split()
                           ).stdout for cmd in ("ps", "port web", "network ls")}
        subprocess.run(["docker", "rm", "-f", "web"], env=env, capture_output=True)
        subprocess.run(["docker", "network", "rm", "bench"], env=env, capture_output=True)
        print(json.dumps({"docker run --rm true, median ms": out, "oracle": oracle}, indent=1))
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        _sh("umount", "-R", os.path.join(tmp, "data"))
        _sh("ip", "link", "del", BRIDGE)
        _drop_docker_chains()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(f"/run/scowbd-{os.getpid()}", ignore_errors=True)


if __name__ == "__main__":
    main()
