"""owns: scenario 9 (issue 18), the short commands' start-up against Python's own floor: each
of `version`, `images`, `ps -a`, `inspect`, `create`, `start`, `exec`, `logs`, `stop`, `rm` on
a small store, as wall time and as CPU time (user + system of the command's process and the
children it waited for, from RUSAGE_CHILDREN around each run, so a loaded machine inflates it
far less than wall time), beside `python3 -I -c pass` (the "floor": a cold interpreter that
does nothing). Run alone with `python -m bench --only short`.

docker's CPU is its client's only (the daemon does the work in another process); podman's and
scow's include all the work, as neither has a daemon.

scow's CPU row also splits the figure: "scow own" is the scow process alone, "children" what
it waited for (runc: `exec`'s `runc exec`, a `stop` that needs `runc kill`; the forked
monitor's first fork of `start`), and "own/floor" the own part against the floor. The split
reads the command's /proc/PID/schedstat (the run time of its main thread, in ns) while it is a
zombie, before wait4 reaps it with the rusage of it and its children (a thread's CPU would
count as a child's; the short commands run one thread). `start`'s runc create and start run
in the monitor, which outlives the command and is no child of it: its CPU is in neither part.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

from bench.context import BASE, NET, Bench
from bench.engines import BenchError, Engine
from bench.measure import Row

FLOOR = ("python3", "-I", "-c", "pass")


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _measure(run: object) -> tuple[float, float]:
    """(wall, cpu) seconds of one call of `run`, which waits for its process."""
    c0, t0 = _cpu(), time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - t0, _cpu() - c0


def _split(eng: Engine, args: tuple[str, ...]) -> tuple[float, float, float]:
    """(wall, cpu, own) seconds of one `eng args...`: cpu is wait4's (the process and the
    children it waited for), own the process's main thread alone (/proc/PID/schedstat read
    while it is a zombie, before it is reaped)."""
    argv = [*eng.argv, *args]
    with tempfile.TemporaryFile() as err:
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_DUP2, err.fileno(), 2)]
        t0 = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, eng.env, file_actions=actions)
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        wall = time.perf_counter() - t0
        with open(f"/proc/{pid}/schedstat") as f:
            own = int(f.read().split()[0]) / 1e9
        _, status, ru = os.wait4(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise BenchError(f"{eng.name} {' '.join(args)[:200]}: exit "
                             f"{os.waitstatus_to_exitcode(status)}: "
                             f"{err.read().decode(errors='replace').strip()[-600:]}")
    return wall, ru.ru_utime + ru.ru_stime, own


def floor(runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of `python3 -I -c pass`, `runs` times (after one warm-up)."""
    argv = [sys.executable, *FLOOR[1:]]  # the same interpreter scow runs on
    subprocess.run(argv, check=True)
    got = [_measure(lambda: subprocess.run(argv, check=True)) for _ in range(runs)]
    return [w for w, _ in got], [c for _, c in got]


def _cycle(eng: Engine, i: int) -> dict[str, tuple[float, float, float]]:
    """One container's life, each step measured (wall, cpu, own; see `_split`): create,
    start, exec, logs, inspect, ps, images, version, stop, rm."""
    name = f"short{i}"
    steps: list[tuple[str, tuple[str, ...]]] = [
        ("create", ("create", *NET, "--name", name, BASE, "sleep", "300")),
        ("start", ("start", name)), ("exec", ("exec", name, "true")),
        ("logs", ("logs", name)), ("inspect", ("inspect", name)), ("ps", ("ps", "-a")),
        ("images", ("images",)), ("version", ("version",)),
        ("stop", ("stop", "-t", "0", name)), ("rm", ("rm", name))]
    return {k: _split(eng, a) for k, a in steps}


COMMANDS = ("version", "images", "ps", "inspect", "create", "start", "exec", "logs", "stop", "rm")


def short_commands(b: Bench) -> list[Row]:
    """Scenario 9: the short commands, CPU and wall, each beside the floor."""
    runs = b.sizes.runs
    f_wall, f_cpu = floor(max(runs, 5))
    cpu = {k: Row(9, f"start-up: {k} (CPU)", "ms") for k in COMMANDS}
    wall = {k: Row(9, f"start-up: {k} (wall)", "ms") for k in COMMANDS}
    for eng in b.all():
        _cycle(eng, -1)  # warm the caches
        got = [_cycle(eng, i) for i in range(runs)]
        for k in COMMANDS:
            wall[k].put(eng.name, [g[k][0] for g in got])
            cpu[k].put(eng.name, [g[k][1] for g in got])
            if eng.name == "scow":
                cpu[k].put("scow own", [g[k][2] for g in got])
                cpu[k].put("children", [max(0.0, g[k][1] - g[k][2]) for g in got])
    for k in COMMANDS:
        wall[k].put("floor", f_wall)
        cpu[k].put("floor", f_cpu)
    cpu["version"].note = "floor: python3 -I -c pass; docker's CPU is its client's only"
    return [r for k in COMMANDS for r in (cpu[k], wall[k])]
