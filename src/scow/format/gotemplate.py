"""owns: the public face of scow's Go text/template engine.

    t = Template("x", funcs={"upper": str.upper}).parse("{{upper .Name}}")
    t.execute({"Name": "a"})            # -> "A"
    t.execute(data, funcs=other_funcs)  # docker swaps in header functions this way

Values follow scow.format.govalue; errors are TemplateError with Go's messages
(``template: x:1: unclosed action``; ``template: x:1:2: executing "x" at <.Nope>: ...``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from scow.format.gotemplate_exec import ExecError, State, _Break, _Continue
from scow.format.gotemplate_funcs import BUILTINS, FuncError
from scow.format.gotemplate_lex import TemplateError
from scow.format.gotemplate_nodes import Node
from scow.format.gotemplate_parse import Parser

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Template", "TemplateError", "ExecError", "FuncError", "BUILTINS", "render"]


class Template:
    """A named template with its functions; `parse` then `execute` (many times)."""

    def __init__(self, name: str = "", *, funcs: Mapping[str, Callable[..., Any]] | None = None,
                 missingkey: str = "default") -> None:
        if missingkey not in ("default", "invalid", "zero", "error"):
            raise TemplateError(f"unrecognized option: missingkey={missingkey}")
        self.name = name
        self.funcs: dict[str, Callable[..., Any]] = dict(BUILTINS)
        self.funcs.update(funcs or {})
        self.missingkey = missingkey
        self.src = ""
        self.trees: dict[str, list[Node]] = {}

    def parse(self, src: str) -> Template:
        self.src = src
        self.trees = Parser(self.name, src, self.funcs).parse()
        return self

    def execute(self, data: Any, *, funcs: Mapping[str, Callable[..., Any]] | None = None,
                name: str | None = None) -> str:
        """Run the template (or its associated template `name`) on `data`; return the text.

        On failure raises ExecError whose `partial` is the text written before the error.
        """
        table = dict(self.funcs)
        table.update(funcs or {})
        state = State(self.name, self.src, self.trees, table, self.missingkey)
        target = self.name if name is None else name
        body = self.trees.get(target)
        if body is None:
            raise ExecError(f"template: no template {target!r} associated with template "
                            f"{self.name!r}".replace("'", '"'))
        state.vars = [["$", data]]
        try:
            state.walk(data, body)
        except ExecError as exc:
            exc.partial = "".join(state.out)
            raise
        except (_Break, _Continue):  # only reachable through a broken tree
            raise ExecError(f"template: {self.name}: break/continue outside range") from None
        except RecursionError:
            raise state.error("exceeded maximum template depth") from None
        return "".join(state.out)


def render(src: str, data: Any, *, funcs: Mapping[str, Callable[..., Any]] | None = None,
           name: str = "", missingkey: str = "default") -> str:
    """Parse and execute in one call."""
    return Template(name, funcs=funcs, missingkey=missingkey).parse(src).execute(data)
