"""owns: the parser of Go's text/template: tokens (gotemplate_lex.py) to the parse tree
(gotemplate_nodes.py), with Go's error messages.

Grammar as Go's parse package: text and actions; if/else if/else, range (with ``$i, $e :=``
and else), with/else, define/template/block, break/continue; pipelines of commands joined by
``|``, optional ``$x :=``/``$x =`` declarations; operands are fields, variables, dot, nil,
literals, function names and parenthesised pipelines, each optionally followed by fields.
"""

from __future__ import annotations

from collections.abc import Container

from scow.format.gotemplate_lex import Lexer, TemplateError, Token, parse_number
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
    body_has_content,
)


class Parser:
    """Builds {template name: body} from source; `funcs` names the callable functions."""

    def __init__(self, name: str, src: str, funcs: Container[str]) -> None:
        self.name, self.funcs = name, funcs
        self.tokens = Lexer(name, src).run()
        self.i = 0
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.trees: dict[str, list[Node]] = {}

    # -- token plumbing ----------------------------------------------------------------------
    def error(self, msg: str, tok: Token | None = None) -> TemplateError:
        tok = tok or self.tokens[min(self.i, len(self.tokens) - 1)]
        return TemplateError(f"template: {self.name}:{tok.line}: {msg}")

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next_non_space(self) -> Token:
        tok = self.next()
        while tok.kind == "space":
            tok = self.next()
        return tok

    def peek_non_space(self) -> Token:
        save = self.i
        tok = self.next_non_space()
        self.i = save
        return tok

    def expect(self, kind: str, context: str) -> Token:
        tok = self.next_non_space()
        if tok.kind != kind:
            raise self.error(f"unexpected {_describe(tok)} in {context}", tok)
        return tok

    # -- lists and actions -------------------------------------------------------------------
    def parse(self) -> dict[str, list[Node]]:
        body, end = self.item_list(top=True)
        if end is not None:
            raise self.error(f"unexpected {{{{{end.text}}}}}", end)
        self.trees.setdefault(self.name, body)
        if self.trees[self.name] is not body and body_has_content(body):
            self.trees[self.name] = body
        return self.trees

    def item_list(self, top: bool = False) -> tuple[list[Node], Token | None]:
        """Nodes up to {{end}} or {{else}} (returned as the keyword token) or EOF (None)."""
        nodes: list[Node] = []
        while True:
            tok = self.next()
            if tok.kind == "eof":
                if not top:
                    raise self.error("unexpected EOF", tok)
                return nodes, None
            if tok.kind == "text":
                nodes.append(Text(tok.pos, tok.text))
                continue
            word = self.peek_non_space()
            if word.kind == "keyword" and word.text in ("end", "else"):
                self.next_non_space()
                if top:
                    raise self.error(f"unexpected {{{{{word.text}}}}}", word)
                return nodes, word
            node = self.action(top)
            if node is not None:
                nodes.append(node)

    def action(self, top: bool) -> Node | None:
        tok = self.peek_non_space()
        if tok.kind == "keyword":
            word = tok.text
            if word == "define":
                if not top:
                    raise self.error("unexpected <define> in command", tok)
                self.next_non_space()
                self.define()
                return None
            if word in ("if", "with", "range"):
                self.next_non_space()
                return self.branch(word, tok)
            if word in ("template", "block"):
                self.next_non_space()
                return self.template(word, tok)
            if word in ("break", "continue"):
                self.next_non_space()
                if self.range_depth == 0:
                    raise self.error(f"{{{{{word}}}}} outside {{{{range}}}}", tok)
                self.expect("right", word)
                return LoopControl(tok.pos, word)
        return Action(tok.pos, self.pipeline("command", "right"))

    def define(self) -> None:
        name_tok = self.expect("string", "define clause")
        self.expect("right", "define clause")
        saved_vars, self.vars = self.vars, ["$"]
        body, end = self.item_list()
        self.vars = saved_vars
        if end is None or end.text != "end":
            raise self.error("unexpected {{else}} in define", end)
        self.expect("right", "end")
        self.trees[name_tok.text] = body

    def template(self, word: str, tok: Token) -> Node:
        name_tok = self.next_non_space()
        if name_tok.kind != "string":
            raise self.error(f"unexpected {_describe(name_tok)} in template clause", name_tok)
        pipe = None
        if self.peek_non_space().kind != "right":
            pipe = self.pipeline(f"{word} clause", "right")
        else:
            self.next_non_space()
        if word == "block":
            saved_vars, self.vars = self.vars, ["$"]
            body, end = self.item_list()
            self.vars = saved_vars
            if end is None or end.text != "end":
                raise self.error("unexpected {{else}} in block clause", end)
            self.expect("right", "end")
            self.trees[name_tok.text] = body
        return TemplateCall(tok.pos, name_tok.text, pipe)

    def branch(self, kind: str, tok: Token) -> Branch:
        depth = len(self.vars)
        pipe = self.pipeline(kind, "right")
        self.range_depth += kind == "range"
        body, end = self.item_list()
        self.range_depth -= kind == "range"
        else_body: list[Node] | None = None
        if end is not None and end.text == "else":
            del self.vars[depth:]
            nxt = self.peek_non_space()
            if nxt.kind == "keyword" and nxt.text in ("if", "with") and kind != "range":
                self.next_non_space()  # {{else if ...}}: an if inside the else body
                else_body = [self.branch(nxt.text, nxt)]
                del self.vars[depth:]
                return Branch(tok.pos, kind, pipe, body, else_body)
            self.expect("right", "else")
            else_body, end = self.item_list()
            if end is not None and end.text == "else":
                raise self.error("expected end; found {{else}}", end)
        self.expect("right", "end")
        del self.vars[depth:]
        return Branch(tok.pos, kind, pipe, body, else_body)

    # -- pipelines ---------------------------------------------------------------------------
    def pipeline(self, context: str, end: str) -> Pipe:
        start = self.peek_non_space()
        decl, assign = self.declarations(context)
        cmds: list[Command] = []
        while True:
            tok = self.peek_non_space()
            if tok.kind == end:
                self.next_non_space()
                break
            if tok.kind not in _OPERAND_START and not (tok.kind == "keyword" and
                                                       tok.text == "nil"):
                raise self.error(f"unexpected {_describe(tok)} in {context}", tok)
            cmds.append(self.command(end))
        if not cmds:
            raise self.error(f"missing value for {context}", start)
        for n, cmd in enumerate(cmds[1:], start=2):
            if isinstance(cmd.args[0], (Literal, Dot, Nil)):
                raise self.error(f"non executable command in pipeline stage {n}", start)
        return Pipe(start.pos, decl, assign, cmds)

    def declarations(self, context: str) -> tuple[list[str], bool]:
        save = self.i
        first = self.next_non_space()
        if first.kind != "variable":
            self.i = save
            return [], False
        tok = self.next_non_space()
        if tok.kind == "comma" and context != "range":
            raise self.error(f"too many declarations in {context}", tok)
        if tok.kind == "comma":
            second = self.next_non_space()
            op = self.next_non_space()
            if op.kind == "comma":
                raise self.error(f"too many declarations in {context}", op)
            if second.kind != "variable" or op.kind not in ("declare", "assign"):
                raise self.error("range can only initialize variables", tok)
            names = [first.text, second.text]
        elif tok.kind in ("declare", "assign"):
            names, op = [first.text], tok
        else:
            self.i = save
            return [], False
        if op.kind == "declare":
            self.vars.extend(names)
        return names, op.kind == "assign"

    def command(self, end: str) -> Command:
        args: list[Node] = []
        start = self.peek_non_space()
        while True:
            self.skip_spaces()
            args.append(self.operand())
            tok = self.peek()
            if tok.kind == "space":
                nxt = self.peek_non_space()
                if nxt.kind == "pipe":
                    self.next_non_space()
                if nxt.kind in (end, "pipe"):
                    break
                continue
            if tok.kind in (end,):
                break
            if tok.kind == "pipe":
                self.next()
                break
            raise self.error(f"unexpected {_describe(tok)} in operand", tok)
        text = " ".join(a.text for a in args)
        return Command(start.pos, text, args)

    def skip_spaces(self) -> None:
        while self.peek().kind == "space":
            self.next()

    def operand(self) -> Node:
        node = self.term()
        if self.peek().kind != "field":
            return node
        names: list[str] = []
        while self.peek().kind == "field":
            names.append(self.next().text[1:])
        chain = "." + ".".join(names)
        if isinstance(node, Field) and node.base is None:
            return Field(node.pos, node.text + chain, node.names + names, node.var)
        if isinstance(node, (Literal, Nil, Dot)):
            from scow.format.gofmt import quote
            raise self.error(f"unexpected . after term {quote(node.text)}")
        return Field(node.pos, node.text + chain, names, base=node)

    def term(self) -> Node:  # noqa: C901 - one branch per operand kind
        tok = self.next()
        kind = tok.kind
        if kind == "ident":
            if tok.text not in self.funcs:
                raise self.error(f'function "{tok.text}" not defined', tok)
            return Ident(tok.pos, tok.text)
        if kind == "dot":
            return Dot(tok.pos, ".")
        if kind == "keyword" and tok.text == "nil":
            return Nil(tok.pos, "nil")
        if kind == "variable":
            if tok.text not in self.vars:
                raise self.error(f'undefined variable "{tok.text}"', tok)
            return Field(tok.pos, tok.text, [], var=tok.text)
        if kind == "field":
            return Field(tok.pos, tok.text, [tok.text[1:]])
        if kind == "bool":
            return Literal(tok.pos, tok.text, tok.text == "true")
        if kind == "number":
            return Literal(tok.pos, tok.text, parse_number(tok.text))
        if kind == "char":
            return Literal(tok.pos, self.src_text(tok), int(tok.text))
        if kind == "string":
            return Literal(tok.pos, self.src_text(tok), tok.text)
        if kind == "lparen":
            pipe = self.pipeline("parenthesized pipeline", "rparen")
            return Field(tok.pos, "(" + pipe.text + ")", [], base=pipe)
        raise self.error(f"unexpected {_describe(tok)} in operand", tok)

    def src_text(self, tok: Token) -> str:
        return tok.raw


_OPERAND_START = frozenset(("bool", "char", "number", "dot", "field", "ident", "string",
                            "variable", "lparen"))


def _describe(tok: Token) -> str:
    """Go's item.String(): EOF, <keyword>, or the quoted source (cut at 10 runes)."""
    if tok.kind == "eof":
        return "EOF"
    if tok.kind in ("keyword", "dot"):
        return f"<{tok.raw}>"
    from scow.format.gofmt import quote
    if len(tok.raw) > 10:
        return quote(tok.raw[:10]) + "..."
    return quote(tok.raw)
