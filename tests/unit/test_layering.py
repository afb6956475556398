"""The layering rule of ARCHITECTURE.md: a module imports only from lower levels of scow;
packages on the same level never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "scow"
LEVELS: dict[str, float] = {
    "errors": 0, "typeshim": 0, "fastjson": 0, "ids": 0.5,  # ids may raise scow.errors
    "oci": 1, "format": 1,
    "osutil": 2,
    "archive": 3,
    "drivers": 4, "blobs": 4, "events": 4,
    "store": 5, "registry": 5, "runtime": 5, "network": 5,
    "build": 6, "analyze": 6,
    "engine": 7,
    "api": 7.5, "cli": 8,  # the CLI starts the API server (system service)
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


# -- engine/: no import cycle; the composition root is imported by no service -----------------
ENGINE = SRC / "engine"
# A function-level import is an edge of the graph like any other: it may exist for start-up
# laziness (the edge goes down anyway), never to hide a cycle. An edge that would close a
# cycle must be listed here with its reason (none is today).
START_UP_LAZY: dict[tuple[str, str], str] = {}
# who may import the composition root: the package entry points, the CLI and the API server
# (it makes an Engine per write operation: api/operations.py)
ENGINE_IMPORTERS = ("scow", "scow.engine")
# what the CLI may not import: it talks to scow.engine only (analyze's report rendering aside)
BELOW_ENGINE = ("runtime", "build", "osutil", "store", "drivers", "blobs", "archive",
                "registry")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    """Line numbers of the imports under `if TYPE_CHECKING:` (they never run)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _targets(tree: ast.AST, known: set[str], *, typing: bool) -> set[str]:
    """The scow modules `tree` imports (`from pkg import module` names the module); without
    `typing`, those under TYPE_CHECKING are left out."""
    skip = set() if typing else _type_checking_lines(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{a.name}" for a in node.names}
            out.update(subs & known or {node.module})
    return {t for t in out if t.startswith("scow")}


def _graph(root: Path, *, typing: bool = False) -> dict[str, set[str]]:
    files = {_module_name(p): p for p in SRC.rglob("*.py")}
    known = set(files)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        if path.is_relative_to(root):
            targets = _targets(ast.parse(path.read_text(), str(path)), known, typing=typing)
            graph[name] = {t for t in targets if t in known and t != name
                           and (name, t) not in START_UP_LAZY}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_engine_has_no_import_cycle() -> None:
    """Type-only imports count too: a service that names another's type depends on it."""
    graph = _graph(ENGINE, typing=True)
    engine = {n: {t for t in ts if t.startswith("scow.engine")} for n, ts in graph.items()}
    cycle = _cycle(engine)
    assert cycle is None, "import cycle in engine/: " + " -> ".join(cycle)


def test_the_cycle_check_sees_function_level_imports() -> None:
    tree = ast.parse("def f():\n    from scow.engine.images import service\n")
    assert _targets(tree, {"scow.engine.images.service"}, typing=False) == {
        "scow.engine.images.service"}
    assert _cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]


def test_only_entry_points_import_the_composition_root() -> None:
    graph = _graph(SRC, typing=True)
    bad = sorted(name for name, targets in graph.items() if "scow.engine.engine" in targets
                 and name not in ENGINE_IMPORTERS
                 and not name.startswith(("scow.cli.", "scow.api.")))
    assert not bad, f"import scow.engine.engine (only Engine builds services): {bad}"


def test_cli_reaches_no_lower_than_the_engine() -> None:
    graph = _graph(SRC / "cli", typing=True)
    bad = sorted(f"{name} imports {t}" for name, targets in graph.items() for t in targets
                 if t.partition(".")[2].split(".")[0] in BELOW_ENGINE)
    assert not bad, "\n".join(bad)
