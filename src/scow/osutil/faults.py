"""owns: named fault points for crash-safety tests.

Code that does multi-step work marks the moments between its steps::

    faults.point("layers.register.after_apply")

A point is a no-op unless the environment variable ``SCOW_FAULTS`` names it (read once, at
import; the unset case costs one frozenset lookup). ``SCOW_FAULTS`` is a comma-separated list of
``<name>[=<action>]`` where action is ``kill`` (the default: SIGKILL this process, as a power
cut or ``kill -9`` would) or ``raise`` (an ``InjectedFault`` exception, to test roll-back paths).
A name may end in ``*`` to match every point with that prefix. Each point that fires appends
its name to the file ``SCOW_FAULTS_LOG`` when set (so a test learns which points exist).
"""

from __future__ import annotations

import os

ENV = "SCOW_FAULTS"
LOG_ENV = "SCOW_FAULTS_LOG"


class InjectedFault(RuntimeError):
    """Raised at a fault point whose action is ``raise``."""


def _parse(spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in spec.split(","):
        name, _, action = item.strip().partition("=")
        if name:
            out[name] = action or "kill"
    return out


_ACTIONS = _parse(os.environ.get(ENV, ""))
_LOG = os.environ.get(LOG_ENV) or None
_ACTIVE = bool(_ACTIONS) or _LOG is not None


def point(name: str) -> None:
    """A named moment between two steps; fires only when ``SCOW_FAULTS`` names it."""
    if _ACTIVE:
        _fire(name)


def _fire(name: str) -> None:
    if _LOG is not None:
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(name + "\n")
    action = _ACTIONS.get(name)
    if action is None:
        action = next((a for n, a in _ACTIONS.items()
                       if n.endswith("*") and name.startswith(n[:-1])), None)
    if action == "kill":
        import signal  # only when a fault is injected

        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "raise":
        raise InjectedFault(f"injected fault at {name}")
