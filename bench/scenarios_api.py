"""owns: scenario 10 (issue 16's "Speed and memory"), the Engine API beside dockerd: one docker
CLI (the first `docker` on PATH, 28.x here) talks to `scow system service` on the bench's
scow root and to the bench's own dockerd, each through its unix socket. Per command (`ps`,
`images`, `create`, `run --rm`, `exec`, the unchanged rebuild with the classic builder) the
median of Sizes.runs, the two engines interleaved run by run; 50 clients at once (50 `docker
ps` processes started together; errors counted); the resident memory (VmRSS) of the service
and of dockerd idle after start, after one of each command and around 1,000 raw HTTP
requests made by this process over the socket.

The service is started here (`--time 0`) and stopped by its pid at the end, also on failure.
Run alone with `python -m bench --only api` (or `--only 10`).
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bench.context import BASE, NET, Bench
from bench.engines import BenchError, Engine, stop_process
from bench.measure import Row

CLI = shutil.which("docker") or "/usr/bin/docker"   # the same client for both engines
CLIENTS = 50
REQUESTS = 1000
PER_RUN = 4   # samples of each command per Sizes.runs: each is short, the machine noisy
BUILD_TAG = "bench/api-build:1"
BUILD_NET = ("--network", "host")   # the bench's dockerd has no bridge (as scenario 7)


class UnixConnection(http.client.HTTPConnection):
    """http.client over a unix socket (keep-alive: one connection for many requests)."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=60)
        self.path = path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(self.path)
        self.sock = s


def get(conn: UnixConnection, url: str) -> int:
    conn.request("GET", url)
    resp = conn.getresponse()
    resp.read()
    return resp.status


def rss_mb(pid: int) -> float:
    """VmRSS of `pid` in MB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    """Direct children of `pid` (dockerd's containerd)."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout
    return [int(x) for x in out.split()]


def start_service(b: Bench, scow: Engine) -> tuple[subprocess.Popen[bytes], Engine]:
    """`scow system service` on scow's root, and an Engine for the docker CLI against it."""
    base = b.tmp / "api"
    base.mkdir(exist_ok=True)
    sock = base / "scow.sock"
    log = open(base / "service.log", "wb")
    proc = subprocess.Popen([*scow.argv, "system", "service", "--socket", str(sock),
                             "--time", "0"], env=scow.env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            if get(UnixConnection(str(sock)), "/_ping") == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_process(proc)
            raise BenchError(f"scow system service did not start; see {base / 'service.log'}")
        time.sleep(0.1)
    env = {**os.environ, "DOCKER_HOST": f"unix://{sock}", "DOCKER_CONFIG": str(base / "cfg"),
           "DOCKER_BUILDKIT": "0"}
    return proc, Engine("scow", [CLI], env, scow.root)


def client_for(docker: Engine) -> Engine:
    """The bench's dockerd driven by the same CLI as the service (classic builder)."""
    return Engine("docker", [CLI], {**docker.env, "DOCKER_BUILDKIT": "0"}, docker.root)


def build_context(b: Bench) -> Path:
    """A small multi-step Dockerfile (COPY, RUN, ENV, WORKDIR, CMD)."""
    ctx = b.tmp / "api-buildctx"
    ctx.mkdir(exist_ok=True)
    (ctx / "app.txt").write_text("hello\n" * 100)
    (ctx / "Dockerfile").write_text(
        f"FROM {BASE}\nENV APP=/app\nWORKDIR /app\nCOPY app.txt /app/app.txt\n"
        "RUN mkdir -p /app/data && echo one > /app/data/x\nRUN wc -l /app/app.txt > /app/n\n"
        'LABEL bench=api\nCMD ["cat", "/app/n"]\n')
    return ctx


def api(b: Bench) -> list[Row]:
    """Scenario 10: the docker CLI against scow's service and against dockerd."""
    scow, docker = b.engine("scow"), b.engine("docker")
    proc, via_api = start_service(b, scow)
    try:
        pids = {"scow": proc.pid, "docker": docker.procs[0].pid}
        return _measure(b, [via_api, client_for(docker)], pids)
    finally:
        stop_process(proc)


def _measure(b: Bench, engines: list[Engine], pids: dict[str, int]) -> list[Row]:
    rounds = b.sizes.heavy_runs
    mem = {k: Row(10, w, "MB") for k, w in (
        ("idle", "API: resident memory, idle after start"),
        ("one", "API: resident memory after one of each command"),
        ("req", f"API: resident memory after {rounds * REQUESTS:,} more requests"),
        ("grow", f"API: resident memory growth over those {rounds * REQUESTS:,} requests"),
        ("cmds", "API: resident memory growth over the timed commands (after one of each)"))}
    time.sleep(2)   # settled: the service's warm-up thread done
    _put_rss(mem["idle"], pids)
    ctx = build_context(b)
    running = {e.name: e.out("run", "-d", *NET, BASE, "sleep", "3600") for e in engines}
    for eng in engines:   # one of each, the first build cold
        _commands(eng, running[eng.name], ctx)[-1][1]()
        for _, fn in _commands(eng, running[eng.name], ctx):
            fn()
    _put_rss(mem["one"], pids)
    rows = _timed(b, engines, running, ctx)
    before = {k: rss_mb(pid) for k, pid in pids.items()}
    for k in pids:
        mem["cmds"].put(k, [before[k] - mem["one"].values[k]])  # type: ignore[operator]
    reqs = Row(10, f"API: {REQUESTS:,} raw GET requests over one connection "
                   "(/_ping, /containers/json, /images/json, /containers/ID/json)", "s")
    took: dict[str, list[float]] = {e.name: [] for e in engines}
    for _ in range(rounds):
        for eng in engines:
            took[eng.name].append(_requests(eng, running[eng.name]))
    for eng in engines:
        reqs.put(eng.name, took[eng.name])
    _put_rss(mem["req"], pids)
    for k in pids:
        mem["grow"].put(k, [mem["req"].values[k] - before[k]])  # type: ignore[operator]
    rows += [reqs, _many_clients(engines, rounds)]
    for eng in engines:
        eng.cmd("rm", "-f", running[eng.name])
    mem["idle"].note = ("VmRSS of the service's pid / of dockerd's pid; docker+containerd "
                        "adds the containerd dockerd started (shims of running containers "
                        "not counted)")
    return rows + list(mem.values())


def _commands(eng: Engine, cid: str, ctx: Path) -> list[tuple[str, Callable[[], float]]]:
    """(row title, one timed call) per command; created containers are removed apart."""
    made: list[str] = []

    def create() -> float:
        t0 = time.perf_counter()
        made.append(eng.out("create", *NET, BASE, "true"))
        dt = time.perf_counter() - t0
        eng.cmd("rm", made.pop())
        return dt

    return [("ps", lambda: eng.timed("ps")),
            ("images", lambda: eng.timed("images")),
            ("create --network none IMAGE true", create),
            ("run --rm --network none IMAGE true",
             lambda: eng.timed("run", "--rm", *NET, BASE, "true")),
            ("exec (a running sleep container) true", lambda: eng.timed("exec", cid, "true")),
            ("build, unchanged rebuild of a 7-step Dockerfile (DOCKER_BUILDKIT=0: the "
             "classic /build conversation, both)",
             lambda: eng.timed("build", *BUILD_NET, "-q", "-t", BUILD_TAG, str(ctx)))]


def _timed(b: Bench, engines: list[Engine], running: dict[str, str], ctx: Path) -> list[Row]:
    """Each command Sizes.runs × PER_RUN times, the engines interleaved run by run."""
    calls = {e.name: _commands(e, running[e.name], ctx) for e in engines}
    titles = [t for t, _ in calls[engines[0].name]]
    samples: dict[tuple[int, str], list[float]] = {}
    for _ in range(b.sizes.runs * PER_RUN):
        for i in range(len(titles)):
            for eng in engines:
                fn = calls[eng.name][i][1]
                samples.setdefault((i, eng.name), []).append(fn())
    rows = []
    for i, title in enumerate(titles):
        row = Row(10, f"API: docker {title}", "ms")
        for eng in engines:
            row.put(eng.name, samples[(i, eng.name)])
        rows.append(row)
    return rows


def _requests(eng: Engine, cid: str) -> float:
    """Seconds for REQUESTS GETs over one keep-alive connection; any non-200 fails."""
    conn = UnixConnection(eng.env["DOCKER_HOST"].removeprefix("unix://"))
    urls = ["/_ping", "/v1.41/containers/json", "/v1.41/images/json",
            f"/v1.41/containers/{cid}/json"]
    t0 = time.perf_counter()
    for n in range(REQUESTS):
        status = get(conn, urls[n % len(urls)])
        if status != 200:
            raise BenchError(f"{eng.name}: GET {urls[n % len(urls)]}: status {status}")
    dt = time.perf_counter() - t0
    conn.close()
    return dt


def _many_clients(engines: list[Engine], rounds: int) -> Row:
    """CLIENTS `docker ps` started at once per engine, `rounds` times: wall seconds; the
    errors (every round's) in the note."""
    row = Row(10, f"API: {CLIENTS} clients at once (`docker ps` each), all answered", "s")
    took: dict[str, list[float]] = {e.name: [] for e in engines}
    failed: dict[str, list[bytes]] = {e.name: [] for e in engines}
    for _ in range(rounds):
        for eng in engines:
            t0 = time.perf_counter()
            procs = [subprocess.Popen([*eng.argv, "ps"], env=eng.env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                     for _ in range(CLIENTS)]
            errs = [p.communicate(timeout=300)[1] for p in procs]
            failed[eng.name] += [e for p, e in zip(procs, errs, strict=True) if p.returncode]
            took[eng.name].append(time.perf_counter() - t0)
    notes = []
    for eng in engines:
        row.put(eng.name, took[eng.name])
        first = failed[eng.name][0].decode(errors="replace").strip()[:120] \
            if failed[eng.name] else ""
        notes.append(f"{eng.name}: {len(failed[eng.name])} errors of {rounds * CLIENTS}"
                     + (f" (first: {first})" if first else ""))
    row.note = ", ".join(notes)
    return row


def _put_rss(row: Row, pids: dict[str, int]) -> None:
    for k, pid in pids.items():
        row.put(k, [rss_mb(pid)])
        if k == "docker":
            row.values["docker+containerd"] = round(
                rss_mb(pid) + sum(rss_mb(c) for c in children(pid)), 1)
