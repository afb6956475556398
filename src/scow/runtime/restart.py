"""owns: restart policies as the monitor applies them (docker's restartmanager): the
monitor's loop of runs (serve_with_policy: back off, `runc delete`, create and start again),
and the two files of the container folder they are decided from:

    <container_dir>/restart-policy.json  {"Name": "no|always|on-failure|unless-stopped",
                                          "MaximumRetryCount": N}; read at every exit, so a
                                          `scow update --restart` applies to the running one
    <container_dir>/manual-stop          present once `stop`/`kill`/`rm -f` was used on the
                                          run (docker's HasBeenManuallyStopped); removed by
                                          the next start

Back-off as moby's restartmanager: 100 ms before the first restart, doubled at each further
one up to 1 minute, back to 100 ms when the run lasted 10 s or more.
"""

from __future__ import annotations

import os

from scow.errors import InvalidArgument
from scow.fastjson import dumps, loads
from scow.osutil.atomic import atomic_write

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

    from scow.runtime.shim_container import Shim

POLICY_FILE = "restart-policy.json"
MANUAL_STOP = "manual-stop"
POLICIES = ("no", "always", "on-failure", "unless-stopped")
_FIRST, _MAX, _RESET_AFTER = 0.1, 60.0, 10.0


def parse_policy(value: str) -> dict[str, Any]:
    """docker's `--restart NAME[:N]`, checked as dockerd does."""
    name, sep, count = value.partition(":")
    if sep and not name:
        raise InvalidArgument("invalid restart policy format: no policy provided before colon")
    retries = 0
    if count:
        try:
            retries = int(count)
        except ValueError:
            raise InvalidArgument("invalid restart policy format: maximum retry count must "
                                  "be an integer") from None
    policy = {"Name": name or "no", "MaximumRetryCount": retries}
    check_policy(policy)
    return policy


def check_policy(policy: dict[str, Any]) -> None:
    """dockerd's ValidateRestartPolicy."""
    name, retries = policy.get("Name") or "no", policy.get("MaximumRetryCount") or 0
    if name not in POLICIES:
        raise InvalidArgument(f"invalid restart policy: unknown policy '{name}'; use one of "
                              "'no', 'always', 'on-failure', or 'unless-stopped'")
    if not isinstance(retries, int):
        raise InvalidArgument("invalid restart policy: maximum retry count must be an integer")
    if name != "on-failure" and retries:
        raise InvalidArgument("invalid restart policy: maximum retry count can only be used "
                              "with 'on-failure'" + (" and cannot be negative"
                                                     if retries < 0 else ""))
    if retries < 0:
        raise InvalidArgument("invalid restart policy: maximum retry count cannot be negative")


def write_policy(container_dir: str, policy: dict[str, Any]) -> None:
    check_policy(policy)
    doc = {"Name": policy.get("Name") or "no",
           "MaximumRetryCount": int(policy.get("MaximumRetryCount") or 0)}
    atomic_write(os.path.join(container_dir, POLICY_FILE), dumps(doc).encode(), 0o600,
                 durable=False)  # every start writes it again (from the record)


def read_policy(container_dir: str) -> dict[str, Any]:
    try:
        with open(os.path.join(container_dir, POLICY_FILE), encoding="utf-8") as f:
            doc = loads(f.read())
        check_policy(doc)
        return {"Name": doc.get("Name") or "no",
                "MaximumRetryCount": int(doc.get("MaximumRetryCount") or 0)}
    except (OSError, ValueError, InvalidArgument):
        return {"Name": "no", "MaximumRetryCount": 0}


def mark_manually_stopped(container_dir: str) -> None:
    os.close(os.open(os.path.join(container_dir, MANUAL_STOP),
                     os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))  # no text codec loaded


def manually_stopped(container_dir: str) -> bool:
    return os.path.exists(os.path.join(container_dir, MANUAL_STOP))


def clear_manually_stopped(container_dir: str) -> None:
    try:
        os.unlink(os.path.join(container_dir, MANUAL_STOP))
    except FileNotFoundError:
        pass


class RestartManager:
    """One container run's restart decisions (moby's RestartManager.ShouldRestart)."""

    def __init__(self) -> None:
        self.timeout = 0.0
        self.count = 0

    def should_restart(self, policy: dict[str, Any], exit_code: int, stopped: bool,
                       ran_for: float) -> float | None:
        """The delay before the next run, or None to give up."""
        if ran_for >= _RESET_AFTER:
            self.timeout = 0.0
        self.timeout = _FIRST if self.timeout == 0 else min(self.timeout * 2, _MAX)
        name, retries = policy["Name"], policy["MaximumRetryCount"]
        if stopped or name == "no":
            return None
        restart = name in ("always", "unless-stopped") or (
            name == "on-failure" and exit_code != 0 and (retries == 0 or self.count < retries))
        if not restart:
            return None
        self.count += 1
        return self.timeout


def restart_at_boot(policy: dict[str, Any], stopped: bool) -> bool:
    """Whether a container is started again when the host (or scow's service) starts."""
    return policy.get("Name") == "always" or (policy.get("Name") == "unless-stopped"
                                              and not stopped)


def serve_with_policy(shim: Shim) -> int:
    """The monitor's runs of a started container: serve it until it exits and, while its
    restart policy asks, back off and run it again; the exit code it gives up on."""
    import time

    manager = RestartManager()
    code = shim.serve()
    while (delay := manager.should_restart(
            read_policy(shim.cdir), code, manually_stopped(shim.cdir),
            time.monotonic() - shim.started)) is not None:
        if not _run_again(shim, code, delay):
            break
        code = shim.serve()
    return code


def _run_again(shim: Shim, exit_code: int, delay: float) -> bool:
    """Back off, then run the container again; False when a stop came meanwhile (or the new
    run failed to start: its error is recorded)."""
    import time

    from scow.runtime.resources import oom_killed
    from scow.runtime.state import write_state

    shim.stop_health()
    shim.state = shim.state.exited(exit_code)._replace(  # OOM: before runc delete
        status="restarting", restart_count=shim.state.restart_count + 1,
        oom_killed=oom_killed(shim.cid))
    write_state(shim.cdir, shim.state)
    shim.log_die(exit_code)  # docker: each exit is a `die`, each new run a `start`
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if manually_stopped(shim.cdir):
            return False
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
    if manually_stopped(shim.cdir):
        return False
    try:
        shim.runc.delete(shim.cid, force=True)
        if shim.master is not None:
            os.close(shim.master)
            shim.master = None
        shim.create()
        shim.start()
    except Exception as exc:  # noqa: BLE001 - recorded; the monitor gives up
        shim.state = shim.state._replace(error=str(exc))
        return False
    return True
