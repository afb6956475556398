"""The `scow` command line on a temp root, as a user types it (a subprocess per command), and
what the container tests look at besides: mounts, processes, the driver's layer ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]


def env() -> dict[str, str]:
    src = str(REPO / "src")
    return dict(os.environ, PYTHONPATH=os.pathsep.join([src, str(REPO)]))


class Scow:
    """`scow --root ROOT -s DRIVER ...` as a subprocess."""

    def __init__(self, root: Path, driver: str) -> None:
        self.root, self.driver = root, driver

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "scow", "--root", str(self.root), "-s", self.driver,
                *args]

    def __call__(self, *args: str, stdin: bytes | None = None, check: bool = True,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self.argv(*args), input=stdin.decode() if stdin else None,
                              stdin=None if stdin else subprocess.DEVNULL, capture_output=True,
                              text=True, env=env(), timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"scow {' '.join(args)} exited {proc.returncode}: "
                                 f"{proc.stdout}{proc.stderr}")
        return proc

    def out(self, *args: str) -> str:
        return self(*args).stdout

    def inspect(self, name: str, *flags: str) -> dict[str, Any]:
        doc: list[dict[str, Any]] = json.loads(self.out("container", "inspect", *flags, name))
        return doc[0]

    def status(self, name: str) -> str:
        return self.out("inspect", "--format", "{{.State.Status}}", name).strip()

    def state(self, name: str) -> dict[str, Any]:
        folder = self.root / "containers" / self.full_id(name)
        result: dict[str, Any] = json.loads((folder / "state.json").read_text())
        return result

    def full_id(self, name: str) -> str:
        return self.out("inspect", "--format", "{{.Id}}", name).strip()

    def sizes(self) -> dict[str, str]:
        rows = self.out("ps", "-a", "--size", "--format", "{{.Names}}\t{{.Size}}")
        return dict(line.split("\t") for line in rows.splitlines())

    def layer_ids(self) -> set[str]:
        from scow.drivers.select import open_driver

        driver = open_driver(str(self.root), self.driver)
        return set(driver.list_ids())

    def cleanup(self) -> None:
        """rm -f every container (so no monitor or mount outlives the test)."""
        if not (self.root / "scow.db").exists():
            return
        ids = self("ps", "-aq", "--no-trunc", check=False).stdout.split()
        if ids:
            self("rm", "-f", *ids, check=False)


def wait_for(cond: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def mounts_under(prefix: Path) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    return [p for p in points if p.startswith(str(prefix) + "/")]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


_MODULES_WRAPPER = """\
import os, sys
out, pid = sys.argv[1], os.getpid()
sys.argv = ["scow", *sys.argv[2:]]
sys.path.append({src!r})
from scow.cli.main import main
try:
    rc = main()
finally:
    if os.getpid() == pid:  # not a forked monitor
        with open(out, "w") as f:
            f.write("\\n".join(sorted(sys.modules)))
sys.exit(rc)
"""


def loaded_modules(scow: Scow, tmp_path: Path, *args: str) -> set[str]:
    """The modules `scow ARGS` has loaded when it returns (its own process, not a fork), run
    as `.venv/bin/scow` runs it (`python -I -S`, scow's source on sys.path)."""
    out = tmp_path / "modules"
    argv = [sys.executable, "-I", "-S", "-c", _MODULES_WRAPPER.format(src=str(REPO / "src")),
            str(out), "--root", str(scow.root), "-s", scow.driver, *args]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, env=dict(os.environ, SCOW_NO_PAGER="1"))
    assert proc.returncode == 0, proc.stderr
    return set(out.read_text().split())
