"""scow: Docker's image and container storage system, daemonless, in Python.

owns: the version string and the public library entry point (`scow.Engine`, imported lazily
so that `scow ps` pays nothing for it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from scow.engine.engine import Engine as Engine

__all__ = ["Engine", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from scow.engine.engine import Engine

        return Engine
    raise AttributeError(name)
