"""owns: the engines under test (scow, docker, podman) as docker-grammar command lines, and the
processes bench starts for them (dockerd, docker-registry), each stopped by its own pid.

Nothing here touches /var/lib/docker or a daemon bench did not start: dockerd gets its own
--data-root, --exec-root, --pidfile and a private unix socket; podman gets --root/--runroot and
a CONTAINERS_CONF of its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APT = ("docker.io", "podman", "skopeo", "docker-registry", "runc", "busybox-static", "tar")


class BenchError(RuntimeError):
    """A step of the benchmark failed (the message names the command)."""


@dataclass
class Engine:
    """One engine driven through its docker-compatible command line."""

    name: str
    argv: list[str]
    env: dict[str, str]
    root: Path                     # where its storage lives (for disk use)
    driver: str = "overlay2"
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def cmd(self, *args: str, check: bool = True, input: bytes | None = None,
            timeout: float = 1800) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run([*self.argv, *args], env=self.env, input=input,
                              capture_output=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise BenchError(f"{self.name} {' '.join(args)[:200]}: exit {proc.returncode}: "
                             f"{proc.stderr.decode(errors='replace').strip()[-600:]}")
        return proc

    def out(self, *args: str) -> str:
        return self.cmd(*args).stdout.decode().strip()

    def timed(self, *args: str, input: bytes | None = None) -> float:
        t0 = time.perf_counter()
        self.cmd(*args, input=input)
        return time.perf_counter() - t0

    def timed_out(self, *args: str) -> tuple[float, str]:
        t0 = time.perf_counter()
        out = self.out(*args)
        return time.perf_counter() - t0, out

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs.clear()


def compile_scow() -> None:
    """Byte-compile scow as pip does at install (else every command compiles ~60 modules)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src" / "scow")],
                   check=True)


def ensure_packages() -> None:
    missing = [p for p in APT if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode]
    if missing:
        print(f"bench: installing {' '.join(missing)}", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def scow_engine(tmp: Path, driver: str = "overlay2") -> Engine:
    root = tmp / f"scow-{driver}"
    env = {**os.environ, "SCOW_ROOT": str(root), "SCOW_STORAGE_DRIVER": driver}
    env.pop("PYTHONDONTWRITEBYTECODE", None)   # an installed scow has its .pyc files
    script = Path(sys.executable).with_name("scow")
    if script.exists():
        argv = [str(script)]
    else:
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
        argv = [sys.executable, "-m", "scow"]
    return Engine("scow", argv, env, root, driver)


def docker_engine(tmp: Path, driver: str = "overlay2") -> Engine:
    """Start a private dockerd (its own containerd under its exec root) and wait for it."""
    base = tmp / f"docker-{driver}"
    exec_root = Path("/run") / f"bench-{os.getpid()}-{driver}"   # short: socket path limits
    for d in (base / "data", exec_root):
        d.mkdir(parents=True, exist_ok=True)
    sock = base / "docker.sock"
    dockerd = [shutil.which("dockerd") or "/usr/sbin/dockerd",
               "--data-root", str(base / "data"), "--exec-root", str(exec_root),
               "--pidfile", str(base / "docker.pid"), "-H", f"unix://{sock}",
               "--iptables=false", "--ip-masq=false", "--bridge=none",
               "--storage-driver", driver, "--containerd-namespace", f"bench{os.getpid()}",
               "--containerd-plugins-namespace", f"benchp{os.getpid()}"]
    log = open(base / "dockerd.log", "wb")
    proc = subprocess.Popen(dockerd, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    client = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
    env = {**os.environ, "DOCKER_HOST": f"unix://{sock}", "DOCKER_CONFIG": str(base / "cfg")}
    eng = Engine("docker", [client], env, base / "data", driver, [proc])
    eng.exec_root = exec_root  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while eng.cmd("version", check=False).returncode != 0:
        if proc.poll() is not None or time.monotonic() > deadline:
            eng.stop()
            raise BenchError(f"dockerd did not start; see {base / 'dockerd.log'}")
        time.sleep(0.3)
    return eng


def podman_engine(tmp: Path, driver: str = "overlay") -> Engine:
    base = tmp / f"podman-{driver}"
    base.mkdir(parents=True, exist_ok=True)
    conf = base / "containers.conf"
    conf.write_text('[containers]\ndefault_ulimits = []\nnetns = "none"\n\n'
                    '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n'
                    'events_logger = "file"\n')
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    argv = ["podman", "--root", str(base / "root"), "--runroot", str(base / "run"),
            "--storage-driver", driver, "--tmpdir", str(base / "tmp")]
    return Engine("podman", argv, env, base / "root", driver)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_registry(tmp: Path, name: str) -> tuple[subprocess.Popen[bytes], str]:
    """A fresh docker-registry on loopback with empty storage; returns (process, host:port)."""
    base = tmp / f"registry-{name}"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    port = free_port()
    cfg = base / "config.yml"
    cfg.write_text(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                   f"    rootdirectory: {base / 'data'}\n  delete:\n    enabled: true\n"
                   f"http:\n  addr: 127.0.0.1:{port}\n")
    proc = subprocess.Popen(["docker-registry", "serve", str(cfg)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError("docker-registry did not start") from None
            time.sleep(0.1)
    return proc, f"127.0.0.1:{port}"


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
