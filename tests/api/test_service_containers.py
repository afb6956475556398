"""The container routes in the real service (`scow system service`): each write runs in an
operation of its own (a failed create or start leaves `system check` clean and no owner
token while the service goes on), the restart policies the service restores when it
starts, GET /containers/json's Ports and Mounts, and a scow CLI process working on the same
root as the service at the same moment."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.api.conftest import Service, remove_all
from tests.api.test_service_lifecycle import check_clean
from tests.tools import require_runc


def wait_for(cond: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_container_writes_run_in_their_own_operation(service: Service) -> None:
    require_runc()
    service.docker("create", "--name", "ok", "base:1", "sleep", "100")
    service.docker("start", "ok")
    check_clean(service)  # a successful create and start hold no token afterwards
    proc = service.docker("create", "--name", "ok", "base:1", "true", check=False)
    assert proc.returncode != 0 and "already in use" in proc.stderr, proc.stderr
    proc = service.docker("create", "-v", "/nonexistent-scow-source:/x:bogus", "base:1",
                          check=False)
    assert proc.returncode != 0, proc.stdout
    proc = service.docker("run", "--name", "bad", "base:1", "/no/such/command", check=False)
    assert proc.returncode != 0, proc.stdout
    for verb in (("stop", "-t", "0", "ok"), ("restart", "-t", "0", "ok"), ("pause", "ok"),
                 ("unpause", "ok"), ("kill", "ok"), ("rm", "bad"), ("container", "prune",
                                                                    "-f")):
        service.docker(*verb)
    assert service.proc.poll() is None
    check_clean(service)
    assert service.docker("ps", "-aq").stdout == ""
    assert service.request("GET", "/_ping")[0] == 200


def test_put_archive_and_exec_hold_no_token(service: Service, tmp_path: Path) -> None:
    require_runc()
    service.docker("run", "-d", "--name", "cx", "base:1", "sleep", "100")
    (tmp_path / "f.txt").write_text("hello\n")
    service.docker("cp", str(tmp_path / "f.txt"), "cx:/f.txt")
    assert service.docker("exec", "cx", "cat", "/f.txt").stdout == "hello\n"
    check_clean(service)
    service.docker("rm", "-f", "cx")


def _reboot(service: Service, name: str) -> None:
    """What a reboot leaves of a running container: its monitor and process gone."""
    info = json.loads(service.scow("inspect", name).stdout)[0]
    state = json.loads((service.root / "containers" / info["Id"] / "state.json").read_text())
    os.kill(state["shim_pid"], signal.SIGKILL)
    os.kill(info["State"]["Pid"], signal.SIGKILL)
    wait_for(lambda: _status(service, name) == "exited", 10)


def _status(service: Service, name: str) -> str:
    return str(service.scow("inspect", "--format", "{{.State.Status}}", name).stdout.strip())


def test_the_service_restores_restart_policies_at_its_start(tmp_path: Path,
                                                             service: Service) -> None:
    require_runc()
    for name, policy in (("al", "always"), ("us", "unless-stopped"), ("st", "unless-stopped"),
                         ("no", "no")):
        service.scow("run", "-d", "--name", name, "--restart", policy, "base:1", "sleep",
                     "1000")
    service.scow("stop", "-t", "0", "st")
    service.stop()
    for name in ("al", "us", "no"):
        _reboot(service, name)
    again = Service(service.root, tmp_path / "again.sock")
    try:
        assert _status(again, "al") == "running" and _status(again, "us") == "running"
        assert _status(again, "st") == "exited" and _status(again, "no") == "exited"
        assert again.owner_tokens() == []
    finally:
        remove_all(again)
        again.stop()


def test_list_has_ports_and_mounts(service: Service, tmp_path: Path) -> None:
    require_runc()
    service.docker("volume", "create", "data")
    service.docker("create", "--name", "mv", "-v", "data:/data", "-v", f"{tmp_path}:/host:ro",
                   "base:1", "true")
    rows = json.loads(service.request("GET", "/containers/json?all=1")[2])
    mounts = sorted(rows[0]["Mounts"], key=lambda m: m["Destination"])
    assert [(m["Type"], m["Name"], m["Destination"], m["RW"]) for m in mounts] == \
        [("volume", "data", "/data", True), ("bind", "", "/host", False)]
    assert mounts[0]["Source"] == str(service.root / "volumes" / "data" / "_data")
    assert mounts[0]["Driver"] == "local" and mounts[1]["Source"] == str(tmp_path)
    assert rows[0]["Ports"] == []
    service.docker("network", "create", "pn")
    service.docker("run", "-d", "--name", "pp", "--network", "pn", "-p", "127.0.0.1:18080:80",
                   "base:1", "sleep", "100")  # ports are a running one's
    rows = json.loads(service.request("GET", "/containers/json?all=1&filters=" +
                                      '{"name":["^/pp$"]}')[2])
    ports = sorted(rows[0]["Ports"], key=lambda p: p["PrivatePort"])
    assert ports == [{"IP": "127.0.0.1", "PrivatePort": 80, "PublicPort": 18080,
                      "Type": "tcp"}]
    service.docker("rm", "-f", "pp")
    service.docker("network", "rm", "pn")


def test_a_cli_process_and_the_service_run_containers_at_once(service: Service) -> None:
    require_runc()
    errors: list[str] = []

    def cli_side() -> None:
        for i in range(4):
            for args in (("run", "--name", f"cli{i}", "base:1", "true"), ("rm", f"cli{i}")):
                proc = service.scow(*args, check=False)
                if proc.returncode:
                    errors.append(proc.stderr)

    worker = threading.Thread(target=cli_side)
    worker.start()
    for i in range(4):
        service.docker("create", "--name", f"api{i}", "base:1", "true")
        service.docker("start", f"api{i}")
        service.docker("rm", "-f", f"api{i}")
    worker.join()
    assert errors == []
    assert service.docker("ps", "-aq").stdout == ""
    check_clean(service)


def test_label_filters_all_apply(service: Service) -> None:
    """moby ANDs label filters (compose 1.29 lists a service's containers by two labels)."""
    service.docker("create", "--name", "l1", "--label", "p=a", "--label", "s=x", "base:1", "true")
    service.docker("create", "--name", "l2", "--label", "p=a", "--label", "s=y", "base:1", "true")
    out = service.docker("ps", "-a", "--filter", "label=p=a", "--filter", "label=s=y",
                         "--format", "{{.Names}}").stdout
    assert out == "l2\n"
