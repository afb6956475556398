"""`scow image analyze --tui` (textual, the optional extra scow[tui]): the layer list drives
the file tree; textual never loads on any other path."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.tools import skip_missing_tool
from tests.unit.analyze.test_analyze_units import d, f, layer_of

from scow.analyze.report import analyze

SRC = str(Path(__file__).resolve().parents[3] / "src")


def test_the_tree_shows_the_highlighted_layer() -> None:
    if importlib.util.find_spec("textual") is None:
        skip_missing_tool("textual (pip install 'scow[tui]')")
    from scow.cli.analyze_tui import make_app

    base = layer_of([d("etc/"), f("etc/a", 100)])
    upper = layer_of([d("etc/"), f("etc/a", 30), f("etc/.wh.gone", 0), f("etc/new", 5)])
    app = make_app(analyze("sha256:" + "0" * 64, "x:1", [base, upper], ["base", "RUN x"], []))

    def labels(node: Any) -> list[str]:
        return [str(node.label)] + [x for c in node.children for x in labels(c)]

    async def drive() -> tuple[list[str], list[str]]:
        async with app.run_test() as pilot:
            await pilot.pause()
            first = labels(app.query_one("#tree").root)
            app.query_one("#layers").focus()
            await pilot.press("down")
            await pilot.pause()
            return first, labels(app.query_one("#tree").root)

    first, second = asyncio.run(drive())
    assert first == ["layer 0", "A etc", "A a  100B"]
    assert second == ["layer 1", "M etc", "M a  30B", "D gone", "A new  5B"]


def test_no_other_command_imports_textual(tmp_path: Path) -> None:
    code = ("import sys; from scow.cli.main import main; "
            f"main(['--root', {str(tmp_path)!r}, '-s', 'vfs', 'images']); "
            "main(['image', 'analyze', '--help']); "
            "print([m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=SRC), check=True).stdout
    assert out.splitlines()[-1] == "[]"
