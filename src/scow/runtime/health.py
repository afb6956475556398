"""owns: health checks as the monitor runs them (docker's HEALTHCHECK / --health-*) and the
file that records them:

    <container_dir>/health.json   {"Status": "starting|healthy|unhealthy", "FailingStreak": N,
                                   "Log": [{"Start", "End", "ExitCode", "Output"}, ...]}
                                  (the last 5 probes; written atomically by the monitor only,
                                  reset to "starting" when a run of the container starts)

A probe is `runc exec` of the check's command (CMD-SHELL: `/bin/sh -c`) with the container's
process settings and no terminal; its output is kept up to 4096 bytes. As moby's health.go:
the first probe comes one interval after the start (the start interval while in the start
period and not yet healthy); exit 0 = healthy and the streak resets; a failure outside the
start period (or after the first success) adds to the streak, `retries` of them make it
unhealthy; a probe over the timeout counts as exit -1. No probe runs while the container is
paused (the engine's `paused` marker of the folder).
"""

from __future__ import annotations

import json
import os
import time

from scow.osutil.atomic import atomic_write
from scow.runtime.eventlog import log_event
from scow.runtime.state import is_paused, rfc3339nano

TYPE_CHECKING = False  # mypy honours the name; `ps` reads health.json through this module:
if TYPE_CHECKING:  # the monitor's threads, probes and runc load in HealthMonitor only
    from typing import Any

    from scow.runtime.runc import Runc

HEALTH_FILE = "health.json"
MAX_LOG = 5
MAX_OUTPUT = 4096
_NS = 1_000_000_000
DEFAULTS = {"Interval": 30 * _NS, "Timeout": 30 * _NS, "StartPeriod": 0,
            "StartInterval": 5 * _NS, "Retries": 3}


def probe_argv(check: dict[str, Any] | None) -> list[str] | None:
    """The command a Healthcheck runs, or None when it has none (no Test, or NONE)."""
    test = list((check or {}).get("Test") or [])
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(test[1:])]
    return test[1:] if test[0] == "CMD" else None


def read_health(container_dir: str) -> dict[str, Any] | None:
    try:
        with open(os.path.join(container_dir, HEALTH_FILE), encoding="utf-8") as f:
            doc: dict[str, Any] = json.load(f)
            return doc
    except (OSError, ValueError):
        return None


def write_health(container_dir: str, health: dict[str, Any]) -> None:
    atomic_write(os.path.join(container_dir, HEALTH_FILE), json.dumps(health).encode(), 0o600)


def health_status_changed(container_dir: str, container_id: str, status: str) -> None:
    """Called by the monitor each time the health status changes (starting → healthy,
    healthy → unhealthy...): docker's `health_status: <status>` event (none for the
    "starting" a run begins with, as moby's initHealthMonitor)."""
    if status == "starting":
        return
    log_event(container_dir, f"health_status: {status}")


def go_duration(ns: int) -> str:
    """Go's time.Duration String() for the durations a health check uses."""
    if ns % _NS == 0 and ns < 60 * _NS:
        return f"{ns // _NS}s"
    if ns < _NS:
        return f"{ns // 1_000_000}ms" if ns % 1_000_000 == 0 else f"{ns / 1e6:g}ms"
    minutes, rest = divmod(ns, 60 * _NS)
    secs = f"{rest / _NS:.9f}".rstrip("0").rstrip(".")
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


class HealthMonitor:
    """The probes of one run of a container, in a thread of its monitor."""

    def __init__(self, container_dir: str, container_id: str, runc: Runc,
                 check: dict[str, Any]) -> None:
        self.dir, self.cid, self.runc = container_dir, container_id, runc
        self.argv = probe_argv(check) or []
        self.conf = {k: (check.get(k) or v) for k, v in DEFAULTS.items()}
        self.started = time.monotonic()
        self.health: dict[str, Any] = {"Status": "starting", "FailingStreak": 0, "Log": []}
        import threading

        self.stopping = threading.Event()
        self.busy = threading.Lock()  # held while a probe's runc runs (see Shim.reap_orphans)
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        write_health(self.dir, self.health)
        health_status_changed(self.dir, self.cid, "starting")
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(self.conf["Timeout"] / _NS + 5)

    def _interval(self) -> float:
        in_start = time.monotonic() - self.started < self.conf["StartPeriod"] / _NS
        key = "StartInterval" if in_start and self.health["Status"] == "starting" else "Interval"
        return float(self.conf[key]) / _NS

    def _loop(self) -> None:
        while not self.stopping.wait(self._interval()):
            if is_paused(self.dir):
                continue
            began = time.monotonic()
            result = self.probe()
            if self.stopping.is_set():
                return  # the container exited during the probe: not its health
            self.record(result, began - self.started < self.conf["StartPeriod"] / _NS)

    def probe(self) -> dict[str, Any]:
        start = rfc3339nano()
        timeout = self.conf["Timeout"] / _NS
        import tempfile

        with tempfile.TemporaryDirectory(prefix="scow-health-") as tmp:
            spec = os.path.join(tmp, "process.json")
            with open(os.path.join(self.dir, "config.json"), encoding="utf-8") as f:
                process = dict(json.load(f)["process"])
            process.update(args=self.argv, terminal=False)
            process.pop("consoleSize", None)
            with open(spec, "w", encoding="utf-8") as f:
                json.dump(process, f)
            code, out = self._exec(spec, os.path.join(tmp, "probe.pid"), timeout)
        return {"Start": start, "End": rfc3339nano(), "ExitCode": code, "Output": out}

    def _exec(self, spec: str, pid_file: str, timeout: float) -> tuple[int, str]:
        """Run the probe; on timeout its process in the container is killed, so runc exec
        reaps it (killing runc instead would orphan it to the monitor, and the container's
        init could not exit before it is reaped)."""
        with self.busy:
            return self._run(spec, pid_file, timeout)

    def _run(self, spec: str, pid_file: str, timeout: float) -> tuple[int, str]:
        import subprocess

        proc = subprocess.Popen(self.runc.argv("exec", "--pid-file", pid_file, "--process", spec,
                                               self.cid),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        try:
            out, _ = proc.communicate(timeout=timeout)
            return proc.returncode, out[:MAX_OUTPUT].decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            try:
                with open(pid_file, encoding="ascii") as f:
                    os.kill(int(f.read().strip()), 9)
            except (OSError, ValueError):
                proc.kill()  # not started yet: nothing in the container to orphan
            proc.communicate()
            return -1, f"Health check exceeded timeout ({go_duration(self.conf['Timeout'])})"

    def record(self, result: dict[str, Any], in_start_period: bool) -> None:
        """moby's handleProbeResult."""
        health, before = self.health, self.health["Status"]
        health["Log"] = (health["Log"] + [result])[-MAX_LOG:]
        if result["ExitCode"] == 0:
            health["FailingStreak"] = 0
            health["Status"] = "healthy"
        elif not (before == "starting" and in_start_period):
            health["FailingStreak"] += 1
            if health["FailingStreak"] >= self.conf["Retries"]:
                health["Status"] = "unhealthy"
        write_health(self.dir, health)
        if health["Status"] != before:
            health_status_changed(self.dir, self.cid, health["Status"])
