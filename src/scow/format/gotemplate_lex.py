"""owns: the lexer of Go's text/template (delimiters ``{{ }}``, trim markers, comments, and the
tokens inside actions) and the TemplateError raised for parse and execution failures.
"""

from __future__ import annotations

from scow.errors import InvalidArgument

KEYWORDS = frozenset(("block", "break", "continue", "define", "else", "end", "if", "range",
                      "template", "with", "nil"))
_SPACE = " \t\r\n"
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            "\\": "\\", "'": "'", '"': '"'}


class TemplateError(InvalidArgument):
    """A template failed to parse or to execute; the message is Go's (``template: ...``)."""


class Token:
    """`text` is the token's value (strings unquoted), `raw` its source spelling."""

    __slots__ = ("kind", "text", "pos", "line", "raw")

    def __init__(self, kind: str, text: str, pos: int, line: int, raw: str) -> None:
        self.kind, self.text, self.pos, self.line, self.raw = kind, text, pos, line, raw

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.text!r})"


def _is_alnum(ch: str) -> bool:
    return ch == "_" or ch.isalnum()


class Lexer:
    """Turns template source into a list of tokens; errors become TemplateError."""

    def __init__(self, name: str, src: str) -> None:
        self.name, self.src = name, src
        self.tokens: list[Token] = []
        self.paren = 0

    def error(self, msg: str, pos: int) -> TemplateError:
        line = 1 + self.src.count("\n", 0, pos)
        return TemplateError(f"template: {self.name}:{line}: {msg}")

    def emit(self, kind: str, start: int, end: int, text: str | None = None) -> None:
        line = 1 + self.src.count("\n", 0, start)
        raw = self.src[start:end]
        self.tokens.append(Token(kind, raw if text is None else text, start, line, raw))

    def run(self) -> list[Token]:
        src, i, trim_next = self.src, 0, False
        while True:
            j = src.find("{{", i)
            end = len(src) if j < 0 else j
            text = src[i:end]
            if trim_next:
                text, i = text.lstrip(_SPACE), i + len(text) - len(text.lstrip(_SPACE))
            trim_left = j >= 0 and src[j + 2:j + 3] == "-" and src[j + 3:j + 4] in tuple(_SPACE)
            if trim_left:
                text = text.rstrip(_SPACE)
            if text:
                self.emit("text", i, i + len(text), text)
            if j < 0:
                break
            i, trim_next = self.action(j + (4 if trim_left else 2), j)
        self.emit("eof", len(src), len(src))
        return self.tokens

    def _right_delim(self, i: int) -> tuple[bool, bool]:
        """(at a right delimiter, with trim marker) at position i."""
        src = self.src
        if src.startswith("}}", i):
            return True, False
        if src[i:i + 1] in tuple(_SPACE) and src.startswith("-}}", i + 1):
            return True, True
        return False, False

    def action(self, i: int, start: int) -> tuple[int, bool]:
        src = self.src
        self.emit("left", start, i)
        if src.startswith("/*", i):
            close = src.find("*/", i + 2)
            if close < 0:
                raise self.error("unclosed comment", start)
            at, trim = self._right_delim(close + 2)
            if not at:
                raise self.error("comment ends before closing delimiter", start)
            end = close + 2 + (4 if trim else 2)
            self.tokens.pop()
            return end, trim
        self.paren = 0
        while True:
            at, trim = self._right_delim(i)
            if at and self.paren == 0:
                if trim:
                    self.emit("space", i, i + 1)
                    i += 1
                self.emit("right", i, i + (3 if trim else 2))
                return i + (3 if trim else 2), trim
            if at:
                raise self.error("unclosed left paren", i)
            if i >= len(src):
                raise self.error("unclosed action", start)
            i = self.inside(i)

    def inside(self, i: int) -> int:  # noqa: C901 - one branch per token class, as Go's lexer
        src, ch = self.src, self.src[i]
        if ch in _SPACE:
            j = i
            while j < len(src) and src[j] in _SPACE and not self._right_delim(j)[0]:
                j += 1
            if j == i:  # a space that starts " -}}"
                j = i + 1
            self.emit("space", i, j)
            return j
        if src.startswith(":=", i):
            self.emit("declare", i, i + 2)
            return i + 2
        simple = {"=": "assign", "|": "pipe", ",": "comma", "(": "lparen", ")": "rparen"}
        if ch in simple:
            if ch == "(":
                self.paren += 1
            elif ch == ")":
                self.paren -= 1
                if self.paren < 0:
                    raise self.error("unexpected right paren", i)
            self.emit(simple[ch], i, i + 1)
            return i + 1
        if ch == '"':
            return self.quoted(i)
        if ch == "`":
            j = src.find("`", i + 1)
            if j < 0:
                raise self.error("unterminated raw quoted string", i)
            self.emit("string", i, j + 1, src[i + 1:j].replace("\r", ""))
            return j + 1
        if ch == "'":
            return self.char(i)
        if ch == "$":
            j = i + 1
            while j < len(src) and _is_alnum(src[j]):
                j += 1
            self.emit("variable", i, j)
            return j
        if ch == "." and (i + 1 >= len(src) or not src[i + 1].isdigit()):
            j = i + 1
            while j < len(src) and _is_alnum(src[j]):
                j += 1
            self.emit("field" if j > i + 1 else "dot", i, j)
            return j
        if ch.isdigit() or (ch in "+-." and src[i + 1:i + 2].isdigit()):
            return self.number(i)
        if _is_alnum(ch):
            j = i
            while j < len(src) and _is_alnum(src[j]):
                j += 1
            word = src[i:j]
            kind = "bool" if word in ("true", "false") else \
                ("keyword" if word in KEYWORDS else "ident")
            self.emit(kind, i, j)
            return j
        if ord(ch) < 0x80 and ch.isprintable():
            self.emit("char_item", i, i + 1)  # Go's itemChar: the parser rejects it
            return i + 1
        raise self.error(f"unrecognized character in action: U+{ord(ch):04X}", i)

    def quoted(self, i: int) -> int:
        src, j = self.src, i + 1
        while True:
            if j >= len(src) or src[j] == "\n":
                raise self.error("unterminated quoted string", i)
            if src[j] == "\\":
                j += 2
                continue
            if src[j] == '"':
                break
            j += 1
        self.emit("string", i, j + 1, unquote(src[i + 1:j], self.error, i))
        return j + 1

    def char(self, i: int) -> int:
        src, j = self.src, i + 1
        while j < len(src) and src[j] != "'":
            if src[j] == "\n":
                break
            j += 2 if src[j] == "\\" else 1
        if j >= len(src) or src[j] != "'":
            raise self.error("unterminated character constant", i)
        value = unquote(src[i + 1:j], self.error, i)
        if len(value) != 1:
            raise self.error(f"malformed character constant: {src[i:j + 1]}", i)
        self.emit("char", i, j + 1, str(ord(value)))
        return j + 1

    def number(self, i: int) -> int:
        src, j = self.src, i
        if src[j] in "+-":
            j += 1
        while j < len(src) and (_is_alnum(src[j]) or src[j] == "." or
                                (src[j] in "+-" and src[j - 1] in "eEpP")):
            j += 1
        text = src[i:j]
        if parse_number(text) is None:
            raise self.error(f"bad number syntax: \"{text}\"", i)
        self.emit("number", i, j)
        return j


def parse_number(text: str) -> int | float | None:
    """A Go number literal as int or float (None when it is not one)."""
    body = text.replace("_", "")
    try:
        low = body.lower().lstrip("+-")
        if low.startswith(("0x", "0b", "0o")) and "p" not in low:
            return int(body, 0)
        if low.isdigit():
            return int(body, 8) if len(low) > 1 and low[0] == "0" else int(body)
        if low.startswith("0x"):
            return float.fromhex(body)
        return float(body)
    except ValueError:
        return None


def unquote(body: str, error: object, pos: int) -> str:
    """Go's interpreted string escapes (\\n, \\x41, \\u00e9, \\101, ...)."""
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1:i + 2]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in ("x", "u", "U"):
            size = {"x": 2, "u": 4, "U": 8}[nxt]
            out.append(chr(int(body[i + 2:i + 2 + size], 16)))
            i += 2 + size
        elif nxt.isdigit():
            out.append(chr(int(body[i + 1:i + 4], 8)))
            i += 4
        else:
            raise error("invalid syntax", pos)  # type: ignore[operator]
    return "".join(out)
