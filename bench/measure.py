"""owns: a result row (one measured thing, a median per engine, the physical limit if any) and
the small measuring helpers: medians of repeated runs, disk used, throughput limits.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Row:
    scenario: int
    what: str
    unit: str                                   # "s", "ms" or "MB"
    values: dict[str, float | None] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    limit: float | None = None
    limit_what: str = ""
    note: str = ""

    def put(self, engine: str, samples: list[float]) -> None:
        scale = 1000.0 if self.unit == "ms" else 1.0
        self.samples[engine] = [round(s * scale, 4) for s in samples]
        self.values[engine] = round(statistics.median(samples) * scale, 4) if samples else None

    def ratio(self, other: str) -> float | None:
        a, b = self.values.get("scow"), self.values.get(other)
        if a is None or not b:
            return None
        return round(a / b, 2)

    def as_json(self) -> dict[str, object]:
        return {"scenario": self.scenario, "what": self.what, "unit": self.unit,
                "median": self.values, "samples": self.samples,
                "ratio_docker": self.ratio("docker"), "ratio_podman": self.ratio("podman"),
                "ratio_floor": self.ratio("floor"),
                "limit": self.limit, "limit_what": self.limit_what, "note": self.note}


def repeat(fn: Callable[[], float], runs: int) -> list[float]:
    """`fn` returns the seconds of what it timed (set-up outside); run it `runs` times."""
    return [fn() for _ in range(runs)]


def clock(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def disk_used(path: Path) -> float:
    """MB of blocks used under `path` (du -sx, hardlinks counted once)."""
    if not path.exists():
        return 0.0
    out = subprocess.run(["du", "-sxk", str(path)], capture_output=True, text=True).stdout
    return round(int(out.split()[0] or 0) / 1024, 1) if out else 0.0


def sha256_seconds(path: Path) -> float:
    """Time to sha256 a file already in the page cache (the hashing limit)."""
    with open(path, "rb") as f:
        f.read()
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        hashlib.file_digest(f, "sha256")
    return time.perf_counter() - t0


def gnu_tar_extract(tar: Path, dest: Path) -> float:
    subprocess.run(["rm", "-rf", str(dest)], check=True)
    dest.mkdir(parents=True)
    t0 = time.perf_counter()
    subprocess.run(["tar", "--numeric-owner", "-xpf", str(tar), "-C", str(dest)], check=True)
    dt = time.perf_counter() - t0
    subprocess.run(["rm", "-rf", str(dest)], check=True)
    return dt


def disk_write_seconds(dir_: Path, mb: int) -> float:
    """Time to write `mb` MiB sequentially and fsync it (the disk throughput limit)."""
    p = dir_ / "ddtest"
    block = os.urandom(1 << 20)
    t0 = time.perf_counter()
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for _ in range(mb):
            os.write(fd, block)
        os.fsync(fd)
    finally:
        os.close(fd)
    dt = time.perf_counter() - t0
    p.unlink()
    return dt
