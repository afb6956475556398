"""owns: executing a parsed Go text/template over Python values (Go's exec.go semantics).

Dot rebinding in range/with, ``$`` the root, variables scoped to their block, fields resolved
on dicts (map keys), `Struct`s and ``__go_fields__`` objects (fields, then methods), lazy
``and``/``or``, and Go's error text: ``template: NAME:LINE:COL: executing "NAME" at <CTX>: ...``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from scow.format.gotemplate_lex import TemplateError
from scow.format.gotemplate_nodes import (
    Action,
    Branch,
    Command,
    Dot,
    Field,
    Ident,
    Literal,
    LoopControl,
    Nil,
    Node,
    Pipe,
    TemplateCall,
    Text,
)
from scow.format.govalue import (
    MISSING,
    NilMap,
    NilSlice,
    Struct,
    go_str,
    is_struct,
    sorted_keys,
    truth,
    type_name,
)

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

MAX_DEPTH = 10000


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class ExecError(TemplateError):
    """Execution failed; `partial` holds what was written before the failure."""

    partial = ""


class State:
    def __init__(self, name: str, src: str, trees: Mapping[str, list[Node]],
                 funcs: Mapping[str, Callable[..., Any]], missingkey: str) -> None:
        self.name, self.src, self.trees, self.funcs = name, src, trees, funcs
        self.missingkey = missingkey
        self.out: list[str] = []
        self.vars: list[list[Any]] = []
        self.node: Node | None = None
        self.depth = 0

    # -- errors -----------------------------------------------------------------------------
    def error(self, msg: str) -> ExecError:
        if self.node is None:
            return ExecError(f"template: {self.name}: {msg}")
        pos = self.node.pos
        line = 1 + self.src.count("\n", 0, pos)
        col = pos - (self.src.rfind("\n", 0, pos) + 1) if line > 1 else pos
        ctx = self.node.text
        if len(ctx) > 20:
            ctx = ctx[:20] + "..."
        return ExecError(f"template: {self.name}:{line}:{col}: executing {_q(self.name)} "
                         f"at <{ctx}>: {msg}")

    # -- variables --------------------------------------------------------------------------
    def var(self, name: str) -> Any:
        for slot in reversed(self.vars):
            if slot[0] == name:
                return slot[1]
        raise self.error(f"undefined variable: {name}")

    def set_var(self, name: str, value: Any) -> None:
        for slot in reversed(self.vars):
            if slot[0] == name:
                slot[1] = value
                return
        raise self.error(f"undefined variable: {name}")

    # -- walking ----------------------------------------------------------------------------
    def walk(self, dot: Any, nodes: list[Node]) -> None:
        for node in nodes:
            self.node = node
            if isinstance(node, Text):
                self.out.append(node.text)
            elif isinstance(node, Action):
                value = self.eval_pipe(dot, node.pipe)
                if not node.pipe.decl:
                    self.out.append(go_str(value))
            elif isinstance(node, Branch):
                self.walk_branch(dot, node)
            elif isinstance(node, TemplateCall):
                self.walk_template(dot, node)
            elif isinstance(node, LoopControl):
                raise _Break() if node.text == "break" else _Continue()

    def walk_branch(self, dot: Any, node: Branch) -> None:
        mark = len(self.vars)
        try:
            value = self.eval_pipe(dot, node.pipe)
            if node.kind == "range":
                self.walk_range(dot, node, value)
                return
            if truth(value):
                self.walk(value if node.kind == "with" else dot, node.body)
            elif node.else_body is not None:
                self.walk(dot, node.else_body)
        finally:
            del self.vars[mark:]

    def walk_range(self, dot: Any, node: Branch, value: Any) -> None:
        if isinstance(value, (list, tuple, NilSlice, str)) and not isinstance(value, str):
            pairs: list[tuple[Any, Any]] = list(enumerate(value))
        elif isinstance(value, (dict, NilMap)):
            pairs = [(k, value[k]) for k in sorted_keys(value)]
        elif isinstance(value, int) and not isinstance(value, bool):
            pairs = [(i, i) for i in range(value)]
        elif value is MISSING or value is None:
            pairs = []
        else:
            self.node = node
            raise self.error(f"range can't iterate over {go_str(value)}")
        decl = node.pipe.decl
        for key, elem in pairs:
            if decl:
                self.vars[-1][1] = elem if len(decl) == 2 or not isinstance(value, int) \
                    else key
                if len(decl) == 2:
                    self.vars[-2][1] = key
            mark = len(self.vars)
            try:
                self.walk(elem, node.body)
            except _Continue:
                pass
            except _Break:
                break
            finally:
                del self.vars[mark:]
        if not pairs and node.else_body is not None:
            self.walk(dot, node.else_body)

    def walk_template(self, dot: Any, node: TemplateCall) -> None:
        body = self.trees.get(node.name)
        if body is None:
            raise self.error(f"no such template {_q(node.name)}")
        value = self.eval_pipe(dot, node.pipe) if node.pipe is not None else MISSING
        if self.depth >= MAX_DEPTH:
            raise self.error(f"exceeded maximum template depth ({MAX_DEPTH})")
        saved_vars, saved_node = self.vars, self.node
        self.vars, self.depth = [["$", value]], self.depth + 1
        try:
            self.walk(value, body)
        finally:
            self.vars, self.node, self.depth = saved_vars, saved_node, self.depth - 1

    # -- pipelines --------------------------------------------------------------------------
    def eval_pipe(self, dot: Any, pipe: Pipe) -> Any:
        value: Any = MISSING
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
        for name in pipe.decl:
            if pipe.assign:
                self.set_var(name, value)
            else:
                self.vars.append([name, value])
        return value

    def eval_command(self, dot: Any, cmd: Command, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, Ident):
            self.node = first
            return self.eval_function(dot, first.text, cmd, final)
        if isinstance(first, Field):
            return self.eval_field_node(dot, first, cmd.args, final)
        self.node = first
        if len(cmd.args) > 1 or final is not MISSING:
            raise self.error(f"can't give argument to non-function {first.text}")
        return self.eval_arg(dot, first)

    def eval_arg(self, dot: Any, node: Node) -> Any:
        self.node = node
        if isinstance(node, Dot):
            return dot
        if isinstance(node, Nil):
            return None
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Field):
            return self.eval_field_node(dot, node, [node], MISSING)
        if isinstance(node, Pipe):
            return self.eval_pipe(dot, node)
        if isinstance(node, Ident):
            return self.eval_function(dot, node.text, Command(node.pos, node.text, [node]),
                                      MISSING)
        raise self.error(f"can't handle {node.text} as an argument")

    def eval_function(self, dot: Any, name: str, cmd: Command, final: Any) -> Any:
        func = self.funcs.get(name)
        if func is None:
            raise self.error(f'"{name}" is not a defined function')
        if name in ("and", "or"):
            return self.eval_logic(dot, name, cmd, final)
        args = [self.eval_arg(dot, a) for a in cmd.args[1:]]
        if final is not MISSING:
            args.append(final)
        self.node = cmd
        return self.call(name, func, args)

    def eval_logic(self, dot: Any, name: str, cmd: Command, final: Any) -> Any:
        nodes: list[Any] = list(cmd.args[1:]) + ([final] if final is not MISSING else [])
        if not nodes:
            self.node = cmd
            raise self.error(f"wrong number of args for {name}: want at least 1 got 0")
        value: Any = MISSING
        for item in nodes:
            value = self.eval_arg(dot, item) if isinstance(item, Node) else item
            if truth(value) != (name == "and"):
                return value
        return value

    def call(self, name: str, func: Callable[..., Any], args: list[Any]) -> Any:
        args = [None if a is MISSING else a for a in args]
        try:
            return func(*args)
        except TemplateError:
            raise
        except Exception as exc:  # a template function's error, reported as Go does
            raise self.error(f"error calling {name}: {exc}") from exc

    # -- fields -----------------------------------------------------------------------------
    def eval_field_node(self, dot: Any, node: Field, args: list[Node], final: Any) -> Any:
        self.node = node
        if node.var is not None:
            receiver = self.var(node.var)
        elif node.base is not None:
            receiver = self.eval_arg(dot, node.base) if not isinstance(node.base, Pipe) \
                else self.eval_pipe(dot, node.base)
            self.node = node
        else:
            receiver = dot
        if not node.names:
            if len(args) > 1 or final is not MISSING:
                raise self.error(f"can't give argument to non-function {node.text}")
            return receiver
        for name in node.names[:-1]:
            receiver = self.eval_field(dot, name, [], MISSING, receiver)
        value = self.eval_field(dot, node.names[-1], args[1:], final, receiver)
        # a nil interface from a map becomes an invalid value at the end (Go's "lovely!")
        return MISSING if value is None and isinstance(receiver, dict) else value

    def eval_field(self, dot: Any, name: str, arg_nodes: list[Node], final: Any,
                   receiver: Any) -> Any:
        has_args = bool(arg_nodes) or final is not MISSING
        if receiver is MISSING:
            if self.missingkey == "error":
                raise self.error(f"nil data; no entry for key {_q(name)}")
            return MISSING
        if receiver is None:
            raise self.error(f"nil pointer evaluating interface {{}}.{name}")
        if isinstance(receiver, (dict, NilMap)):
            if has_args:
                raise self.error(f"{name} is not a method but has arguments")
            if name in receiver:
                return receiver[name]
            if self.missingkey == "error":
                raise self.error(f"map has no entry for key {_q(name)}")
            return None if self.missingkey == "zero" else MISSING
        if isinstance(receiver, Struct):
            if name in receiver.fields:
                if has_args:
                    raise self.error(f"{name} has arguments but cannot be invoked as function")
                return receiver.fields[name]
        elif is_struct(receiver) or not isinstance(
                receiver, (str, int, float, bytes, list, tuple, NilSlice)):
            if name[:1].isupper():
                fields = getattr(type(receiver), "__go_fields__", ())
                attr = getattr(receiver, name, MISSING)
                if attr is not MISSING:
                    if name not in fields and callable(attr):
                        args = [self.eval_arg(dot, a) for a in arg_nodes]
                        if final is not MISSING:
                            args.append(final)
                        return self.call(name, attr, args)
                    if has_args:
                        raise self.error(
                            f"{name} has arguments but cannot be invoked as function")
                    return attr
        raise self.error(f"can't evaluate field {name} in type {type_name(receiver)}")


def _q(text: str) -> str:
    from scow.format.gofmt import quote
    return quote(text)
