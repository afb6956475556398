"""owns: `scow image analyze --tui`, the interactive view of an analysis: the layers on the
left, the selected layer's file tree on the right (A added, M changed, D deleted, sizes), the
image's figures and findings below. Built on textual, the optional extra ``scow[tui]``; it is
imported only here, only for --tui, so no other command pays for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from scow.errors import Unsupported

if TYPE_CHECKING:
    from scow.analyze.layers import Mark
    from scow.analyze.report import Analysis


def load_textual() -> dict[str, Any]:
    try:
        return {"app": importlib.import_module("textual.app"),
                "containers": importlib.import_module("textual.containers"),
                "widgets": importlib.import_module("textual.widgets")}
    except ImportError:
        raise Unsupported("analyze image: --tui needs textual (pip install 'scow[tui]')") \
            from None


def make_app(analysis: Analysis) -> Any:
    """The textual App showing `analysis` (run it with `.run()`, test it with `.run_test()`)."""
    from scow.format.units import human_size

    t = load_textual()
    widgets, containers = t["widgets"], t["containers"]

    class AnalyzeApp(t["app"].App):  # type: ignore[misc]
        TITLE = f"scow image analyze {analysis.name}"
        BINDINGS = [("q", "quit", "Quit")]
        CSS = "#layers { width: 45%; } #tree { width: 55%; } #info { height: 12; }"

        def compose(self) -> Any:
            yield widgets.Header()
            with containers.Horizontal():
                yield widgets.OptionList(*[
                    f"{r.index:>2} {human_size(r.changes.size):>8}  "
                    f"{r.created_by.removeprefix('/bin/sh -c ')[:50]}"
                    for r in analysis.layers], id="layers")
                yield widgets.Tree("/", id="tree")
            yield widgets.Static(_info(analysis), id="info")
            yield widgets.Footer()

        def on_mount(self) -> None:
            if analysis.layers:
                self.show_layer(0)

        def on_option_list_option_highlighted(self, event: Any) -> None:
            self.show_layer(int(event.option_index))

        def show_layer(self, index: int) -> None:
            tree = self.query_one("#tree")
            tree.clear()
            tree.root.set_label(f"layer {index}")
            _fill(tree.root, analysis.marks[index] if index < len(analysis.marks) else [],
                  human_size)
            tree.root.expand_all()

    return AnalyzeApp()


def _info(analysis: Analysis) -> str:
    """The report's "Image:" figures and the findings."""
    from scow.analyze.report import finding_lines, render

    summary = render(analysis).split("\n\nImage:\n", 1)[-1].split("\n\n", 1)[0]
    return "\n".join(["Image:", summary,
                      *[line for f in analysis.findings for line in finding_lines(f)]])


def _fill(root: Any, marks: list[Mark], size: Any) -> None:
    folders: dict[str, Any] = {"": root}
    for mark in sorted(marks, key=lambda m: m.path):
        head, _, name = mark.path.rpartition("/")
        parent = _folder(folders, head)
        label = f"{mark.change} {name}  {size(mark.size)}" if mark.size else f"{mark.change} {name}"
        if mark.path in folders:
            folders[mark.path].set_label(label)
        else:
            folders[mark.path] = parent.add(label)


def _folder(folders: dict[str, Any], path: str) -> Any:
    if path not in folders:
        head, _, name = path.rpartition("/")
        folders[path] = _folder(folders, head).add(name)
    return folders[path]


def browse(analysis: Analysis) -> int:
    make_app(analysis).run()
    return 0
