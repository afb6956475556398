"""The layering rule of ARCHITECTURE.md: a module imports only from lower levels of scow;
packages on the same level never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "scow"
LEVELS: dict[str, float] = {
    "errors": 0, "ids": 0.5,  # ids may raise scow.errors
    "oci": 1, "format": 1,
    "osutil": 2,
    "archive": 3,
    "drivers": 4, "blobs": 4,
    "store": 5, "registry": 5, "runtime": 5, "network": 5,
    "build": 6, "analyze": 6,
    "engine": 7,
    "cli": 8, "api": 8,
}


def _unit(path: Path) -> str | None:
    rel = path.relative_to(SRC).parts
    if len(rel) == 1:
        name = rel[0].removesuffix(".py")
        return None if name in ("__init__", "__main__") else name
    return rel[0]


def _imports(tree: ast.AST) -> list[str]:
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


def test_every_unit_has_a_level() -> None:
    for path in SRC.rglob("*.py"):
        unit = _unit(path)
        assert unit is None or unit in LEVELS, f"{path}: add {unit!r} to LEVELS"


def test_imports_go_down_only() -> None:
    bad: list[str] = []
    for path in SRC.rglob("*.py"):
        unit = _unit(path)
        if unit is None:
            continue
        for name in _imports(ast.parse(path.read_text(), str(path))):
            parts = name.split(".")
            if parts[0] != "scow" or len(parts) < 2:
                continue
            target = parts[1]
            if target == unit or target not in LEVELS:
                continue
            if LEVELS[target] >= LEVELS[unit]:
                bad.append(f"{path.relative_to(SRC)} imports {name}")
    assert not bad, "\n".join(bad)
