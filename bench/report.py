"""owns: writing a run's results: bench/results/<stamp>.json (everything, with samples),
docs/benchmarks.json (medians and ratios) and docs/benchmarks.md (the table, the machine, how
to reproduce, what remains).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path

from bench.engines import REPO
from bench.measure import Row

MD_HEAD = """# Benchmarks: scow beside Docker and Podman

Made by `make bench` (`python -m bench{mode}`) on {when}. Every number is the median of
several runs on this machine in the same run; ratios are scow / docker and scow / podman
(below 1.0: scow is faster). "limit" is the physical floor where one applies. Lower is better.

## Machine

{machine}

## Results

| # | what | unit | scow | docker | podman | scow/docker | scow/podman | limit | note |
|---|---|---|---|---|---|---|---|---|---|
"""

MD_TAIL = """
## Networking (measured apart: bench/network_stack.py, bench/network_start.py)

Every scenario above runs its containers with `--network none` in every engine (scow's
default is now docker's `bridge`; the scenarios pass `--network none` explicitly, and the
bench's dockerd runs `--bridge=none`), so the table measures storage and runtime, not
networking. The network figures, taken on 2026-12-07 on the same 2-core machine while other
test suites ran on it (absolute times are inflated; compare within a row):

| `run --rm IMAGE true`, median ms | none | bridge | user net | `-p 127.0.0.1::80` |
|---|---|---|---|---|
| scow (bench/network_start.py) | 737 | 1187 | 972 | 1081 |
| docker 20.10 (own dockerd and bridge, iptables on: network_docker.py) | 345 | 441 | 567 | 549 |

| stack (a namespace on a bridge, one port; median of 10) | setup ms | teardown ms |
|---|---|---|
| netavark | 128 | 287 |
| netavark + aardvark-dns | 124 | 311 |
| CNI bridge + host-local + portmap + firewall | 195 | 318 |

The two rows were taken one after the other. A container on a bridge network costs scow about
one netavark setup plus one teardown more than `--network none` (0.25-0.45 s here; netavark's
teardown alone is ~0.3 s, the table below); dockerd keeps its network controller in memory
and pays ~0.1-0.2 s. Closing that gap needs a faster teardown than netavark 1.4's (or one
off the `run --rm` path).

## How to reproduce

    make bench                 # everything (under ~30 minutes on 2 cores)
    .venv/bin/python -m bench --quick          # small sizes, a smoke run
    .venv/bin/python -m bench --only 2,4       # some scenarios
    .venv/bin/python -m bench --only build     # the builds (7): classic builder and BuildKit
    .venv/bin/python -m bench --only api       # the Engine API (10): the docker CLI against
                                               # `scow system service` and against dockerd
    .venv/bin/python -m bench --only short --update   # the short commands' start-up (9), into
                                                      # the newest full run and this page

bench installs docker.io and podman with apt if they are missing, starts its own dockerd
(`--data-root`/`--exec-root`/`--pidfile`/private socket under a temp dir, `--iptables=false
--bridge=none`), runs podman with runc on private `--root/--runroot` and its own
CONTAINERS_CONF, and starts docker-registry on loopback; all of it is stopped and removed at
the end. Containers run with `--network none` in every engine. The base image is the busybox
rootfs of demo/make-busybox-rootfs.sh, imported into each engine (nothing is pulled).
Full results with every sample: bench/results/*.json; medians: docs/benchmarks.json.
"""


def machine() -> dict[str, str]:
    def sh(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "?")
    mem = next((line.split()[1] for line in open("/proc/meminfo")
                if line.startswith("MemTotal")), "0")
    return {"kernel": platform.release(), "cpu": f"{cpu} × {os.cpu_count()}",
            "memory": f"{int(mem) // 1024 // 1024} GiB",
            "disk": sh("findmnt", "-no", "SOURCE,FSTYPE", "-T", "/var/tmp"),
            "python": platform.python_version(),
            "docker": sh("dockerd", "--version"), "podman": sh("podman", "--version"),
            "runc": sh("runc", "--version").splitlines()[0] if sh("runc", "--version") else "?",
            "GNU tar": sh("tar", "--version").splitlines()[0]}


def _fmt(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _line(r: Row) -> str:
    limit = f"{_fmt(r.limit)} ({r.limit_what})" if r.limit is not None else ""
    extra = [f"{k}: {_fmt(v)}" for k, v in r.values.items()
             if k not in ("scow", "docker", "podman")]
    if r.ratio("floor") is not None:  # scenario 9: how far from a cold `python3 -I -c pass`
        extra.append(f"scow/floor: {_fmt(r.ratio('floor'))}")
        own, floor = r.values.get("scow own"), r.values.get("floor")
        if own is not None and floor:  # scow's process alone (its children, runc, apart)
            extra.append(f"own/floor: {_fmt(round(own / floor, 2))}")
    note = "; ".join(x for x in (", ".join(extra), r.note) if x)
    cells = [str(r.scenario), r.what, r.unit, _fmt(r.values.get("scow")),
             _fmt(r.values.get("docker")), _fmt(r.values.get("podman")),
             _fmt(r.ratio("docker")), _fmt(r.ratio("podman")), limit, note]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n"


def write(rows: list[Row], info: dict[str, object], *, quick: bool, stamp: str,
          remarks: str = "", mode: str = "") -> Path:
    """The results JSON; unless `quick`, docs/benchmarks.json and .md too. `mode`: how the
    run was made when it re-ran some scenarios only (`--only 2,9 --update`): the page says
    which rows are kept from the earlier runs."""
    results = REPO / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    full = {"info": info, "rows": [r.as_json() for r in rows]}
    out = results / f"{stamp}{'-quick' if quick else ''}.json"
    out.write_text(json.dumps(full, indent=1) + "\n")
    if quick:
        return out
    summary = {"info": info, "rows": [{k: v for k, v in r.as_json().items() if k != "samples"}
                                      for r in rows]}
    (REPO / "docs").mkdir(exist_ok=True)
    (REPO / "docs" / "benchmarks.json").write_text(json.dumps(summary, indent=1) + "\n")
    m = info.get("machine", {})
    mach = "\n".join(f"- {k}: {v}" for k, v in dict(m).items())  # type: ignore[call-overload]
    limits = info.get("limits", {})
    mach += "\n" + "\n".join(f"- {k}: {v}" for k, v in dict(limits).items())  # type: ignore[call-overload]
    text = MD_HEAD.format(mode=mode, when=stamp, machine=mach)
    if mode:
        text = text.replace("\n\n## Machine", "\n\nThe scenarios not named in that command "
                            "keep their rows from earlier runs (`bench/results/`;\nthe "
                            "machine may have differed).\n\n## Machine", 1)
    text += "".join(_line(r) for r in rows)
    if remarks:
        text += "\n" + remarks.strip() + "\n"
    text += MD_TAIL
    (REPO / "docs" / "benchmarks.md").write_text(text)
    return out


def table(rows: list[Row]) -> str:
    return "".join(_line(r) for r in rows)
