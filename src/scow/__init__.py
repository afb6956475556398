"""scow: Docker's image and container storage system, daemonless, in Python.

owns: the version string and the public library entry point (`scow.Engine`, imported lazily
so that `scow ps` pays nothing for it; `typing` is not imported here for the same reason).
"""

from __future__ import annotations

__version__ = "0.1.0"

TYPE_CHECKING = False  # mypy honours the name; importing typing costs ~10 ms at start-up
if TYPE_CHECKING:
    from scow.engine.engine import Engine as Engine

__all__ = ["Engine", "__version__"]


def __getattr__(name: str) -> object:
    if name == "Engine":
        from scow.engine.engine import Engine

        return Engine
    raise AttributeError(name)
