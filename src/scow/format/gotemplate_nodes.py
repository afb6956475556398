"""owns: the parse tree of Go's text/template: one node class a kind, as Go's parse package
names them (Text, Action, Pipe, Command, Field, Branch for if/range/with, TemplateCall,
LoopControl for break/continue, the operands), each keeping the text Go's String() shows.

The parser that builds the tree is gotemplate_parse.py; the executor that walks it is
gotemplate_exec.py.
"""

from __future__ import annotations

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any


class Node:
    __slots__ = ("pos", "text")

    def __init__(self, pos: int, text: str) -> None:
        self.pos, self.text = pos, text  # text: the node as Go's String() shows it


class Text(Node):
    __slots__ = ()


class Literal(Node):
    __slots__ = ("value",)

    def __init__(self, pos: int, text: str, value: Any) -> None:
        super().__init__(pos, text)
        self.value = value


class Dot(Node):
    __slots__ = ()


class Nil(Node):
    __slots__ = ()


class Ident(Node):
    __slots__ = ()


class Field(Node):
    """``.A.B`` (names A, B), ``$x.A`` (var set) or ``(pipe).A`` (base set)."""

    __slots__ = ("names", "var", "base")

    def __init__(self, pos: int, text: str, names: list[str], var: str | None = None,
                 base: Node | None = None) -> None:
        super().__init__(pos, text)
        self.names, self.var, self.base = names, var, base


class Command(Node):
    __slots__ = ("args",)

    def __init__(self, pos: int, text: str, args: list[Node]) -> None:
        super().__init__(pos, text)
        self.args = args


class Pipe(Node):
    __slots__ = ("decl", "assign", "cmds")

    def __init__(self, pos: int, decl: list[str], assign: bool, cmds: list[Command]) -> None:
        text = " | ".join(c.text for c in cmds)
        if decl:
            text = f"{', '.join(decl)} {'=' if assign else ':='} {text}"
        super().__init__(pos, text)
        self.decl, self.assign, self.cmds = decl, assign, cmds


class Action(Node):
    __slots__ = ("pipe",)

    def __init__(self, pos: int, pipe: Pipe) -> None:
        super().__init__(pos, "{{" + pipe.text + "}}")
        self.pipe = pipe


class Branch(Node):
    """if / with / range: `kind`, the pipeline, the body and the else body."""

    __slots__ = ("kind", "pipe", "body", "else_body")

    def __init__(self, pos: int, kind: str, pipe: Pipe, body: list[Node],
                 else_body: list[Node] | None) -> None:
        super().__init__(pos, "{{" + kind + " " + pipe.text + "}}")
        self.kind, self.pipe, self.body, self.else_body = kind, pipe, body, else_body


class TemplateCall(Node):
    __slots__ = ("name", "pipe")

    def __init__(self, pos: int, name: str, pipe: Pipe | None) -> None:
        super().__init__(pos, f"{{{{template {name!r}}}}}")
        self.name, self.pipe = name, pipe


class LoopControl(Node):
    __slots__ = ()  # text is "break" or "continue"



def body_has_content(body: list[Node]) -> bool:
    return any(not isinstance(n, Text) or n.text.strip() for n in body)

