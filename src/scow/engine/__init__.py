"""owns: the engine layer (L7): `Engine` (engine.py, the composition root) and one package per
noun — images/, containers/, builds/, distribution/, volumes/, system/ (networks/ to come);
docs/design/engine.md has the layout and its rules. `Engine` is imported lazily here, as in
`scow`, so that importing a service's records pays nothing for the rest."""

from __future__ import annotations

TYPE_CHECKING = False  # mypy honours the name; importing typing costs start-up time
if TYPE_CHECKING:
    from scow.engine.engine import Engine as Engine

__all__ = ["Engine"]


def __getattr__(name: str) -> object:
    if name == "Engine":
        from scow.engine.engine import Engine

        return Engine
    raise AttributeError(name)
