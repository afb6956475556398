"""owns: one benchmark run's state: the temp dir, the sizes (full or --quick), the engines
(started lazily, stopped at the end) and the base image every engine has.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench import data
from bench.engines import Engine, docker_engine, podman_engine, scow_engine

BASE = "bench/busybox:1"
NET = ("--network", "none")


@dataclass
class Sizes:
    runs: int = 5               # repetitions of quick operations
    heavy_runs: int = 3         # repetitions of heavy ones (commit, pull, load)
    images: int = 50
    containers: int = 100
    files_each: int = 1000
    share_files: int = 30000
    share_mb: int = 170
    commit_big_mb: int = 1024
    commit_small: int = 20000
    big_layers: int = 5
    big_layer_mb: int = 60
    many_layers: int = 120

    @classmethod
    def quick(cls) -> Sizes:
        return cls(runs=2, heavy_runs=1, images=5, containers=10, files_each=100,
                   share_files=3000, share_mb=20, commit_big_mb=64, commit_small=1000,
                   big_layer_mb=8, many_layers=120)


@dataclass
class Bench:
    tmp: Path
    sizes: Sizes
    engines: dict[str, Engine] = field(default_factory=dict)   # key "docker" or "docker/vfs"

    @property
    def data(self) -> Path:
        d = self.tmp / "data"
        d.mkdir(parents=True, exist_ok=True)
        return d

    def engine(self, name: str, driver: str | None = None) -> Engine:
        """The engine `name` on `driver` (overlay by default), started and with BASE."""
        key = name if driver in (None, "overlay2", "overlay") else f"{name}/{driver}"
        if key not in self.engines:
            if name == "scow":
                eng = scow_engine(self.tmp, driver or "overlay2")
            elif name == "docker":
                eng = docker_engine(self.tmp, driver or "overlay2")
            else:
                eng = podman_engine(self.tmp, "vfs" if driver == "vfs" else "overlay")
            self.engines[key] = eng
            eng.cmd("import", "--change", 'CMD ["/bin/sh"]', str(data.busybox_tar(self.data)),
                    BASE)
        return self.engines[key]

    def all(self, driver: str | None = None) -> list[Engine]:
        return [self.engine(n, driver) for n in ("scow", "docker", "podman")]

    def close(self) -> None:
        for eng in self.engines.values():
            ids = eng.cmd("ps", "-aq", check=False).stdout.decode().split()
            if ids:
                eng.cmd("rm", "-f", *ids, check=False, timeout=300)
            eng.stop()
            if hasattr(eng, "exec_root"):
                unmount_under(eng.exec_root)   # dockerd's netns/default
                subprocess.run(["rm", "-rf", str(eng.exec_root)], check=False)
        unmount_under(self.tmp)


def unmount_under(top: Path) -> None:
    """Lazily unmount anything still mounted beneath `top` (deepest first)."""
    prefix = str(top.resolve()) + "/"
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for mp in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp.encode().decode("unicode_escape")], check=False)
    os.sync()
