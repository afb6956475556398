"""Only `scow/store/` talks to the metadata database (ARCHITECTURE.md): no module outside it
imports sqlite3 or holds an SQL statement in a string."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "scow"
# keywords in capitals, as the store writes them
_SQL = re.compile(r"^\s*(SELECT\s.+\sFROM\s|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s"
                  r"|DELETE\s+FROM\s|CREATE\s+(UNIQUE\s+)?(TABLE|INDEX)\s)", re.S)


def _outside_store() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] != "store"]


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string constant, with implicit concatenations already joined by the parser;
    f-strings are judged by their literal parts."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "?" for v in node.values)
            out.append((node.lineno, str(text)))
    return out


def test_no_sqlite3_outside_store() -> None:
    bad = []
    for path in _outside_store():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            bad += [f"{path.relative_to(SRC)}:{node.lineno} imports {n}" for n in names
                    if n.split(".")[0] == "sqlite3"]
    assert not bad, "\n".join(bad)


def test_no_sql_text_outside_store() -> None:
    bad = []
    for path in _outside_store():
        for line, text in _strings(ast.parse(path.read_text(), str(path))):
            if _SQL.search(text):
                bad.append(f"{path.relative_to(SRC)}:{line}: {text.strip()[:60]!r}")
    assert not bad, "\n".join(bad)


def test_the_rule_sees_sql() -> None:
    """The pattern catches what it must and leaves plain English and HTTP verbs alone."""
    for sql in ("SELECT doc FROM containers WHERE id = ?", "INSERT OR REPLACE INTO t VALUES (?)",
                "UPDATE rw_layers SET state = 'x'", "DELETE FROM volumes WHERE name = ?",
                "CREATE TABLE IF NOT EXISTS build_cache (key TEXT)"):
        assert _SQL.search(sql), sql
    for text in ("DELETE", "select a base image from the list", "update the tag"):
        assert not _SQL.search(text), text
