"""owns: docker's template layer (docker/cli ``templates`` and ``formatter`` packages).

    render_rows("table {{.ID}}\\t{{.Image}}", rows, default_table=DEFAULT, headers=HEADERS,
                out=sys.stdout)      # what `ps`/`images` print
    render_one("{{.Config.Env}}", inspect_value)   # one object of `inspect --format`

Functions: json, split, join, title, lower, upper, pad, truncate (plus Go's builtins). A
``table`` format prints a header row (the same template run on `headers` with identity
functions, so ``{{upper .ID}}`` still prints ``CONTAINER ID``) and goes through docker's
tabwriter (minwidth 10, tabwidth 1, padding 3, display width). ``json`` = ``{{json .}}``
per row; ``table`` alone or an empty format = the command's default table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from scow.format.gojson import marshal
from scow.format.gotemplate import ExecError, Template, TemplateError
from scow.format.tabwriter import TabWriter, display_width

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, TextIO

TABLE_KEY = "table"
JSON_KEY = "json"
JSON_FORMAT = "{{json .}}"
QUIET_FORMAT = "{{.ID}}"


def _json(value: Any) -> str:
    return marshal(value, escape_html=False).strip()


def _split(text: str, sep: str) -> list[str]:
    return list(text) if sep == "" else text.split(sep)


def _join(items: Any, sep: str) -> str:
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        raise TypeError("wrong type for value; expected []string")
    return sep.join(items)


def _per_rune(text: str, convert: Callable[[str], str]) -> str:
    """Go's strings.Map with a one-rune case mapping (``ß`` stays ``ß`` in ToUpper)."""
    if text.isascii():
        return convert(text)
    out = []
    for ch in text:
        mapped = convert(ch)
        out.append(mapped if len(mapped) == 1 else ch)
    return "".join(out)


def _is_separator(ch: str) -> bool:
    if ch.isascii():
        return not (ch.isalnum() or ch == "_")
    if ch.isalpha() or ch.isdigit() or ch.isdecimal():
        return False
    return ch.isspace()


def title(text: str) -> str:
    """Go's strings.Title: upper-case (title-case) each word's first letter, keep the rest."""
    out: list[str] = []
    prev = " "
    for ch in text:
        out.append(_per_rune(ch, str.title) if _is_separator(prev) else ch)
        prev = ch
    return "".join(out)


def _lower(text: str) -> str:
    return _per_rune(text, str.lower)


def _upper(text: str) -> str:
    return _per_rune(text, str.upper)


def _pad(text: str, prefix: int, suffix: int) -> str:
    return text if text == "" else " " * prefix + text + " " * suffix


def _truncate(text: str, length: int) -> str:
    raw = text.encode()
    return text if len(raw) < length else raw[:length].decode("utf-8", "replace")


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "json": _json, "split": _split, "join": _join, "title": title, "lower": _lower,
    "upper": _upper, "pad": _pad, "truncate": _truncate,
}


def _first(value: Any, *_: Any) -> Any:
    return value


HEADER_FUNCTIONS: dict[str, Callable[..., Any]] = {name: _first for name in FUNCTIONS}


def parse(fmt: str, name: str = "") -> Template:
    """docker's templates.Parse: a Template with docker's functions (errors unwrapped)."""
    return Template(name, funcs=FUNCTIONS).parse(fmt)


def _wrap(exc: TemplateError) -> TemplateError:
    return TemplateError(f"template parsing error: {exc}")


class Formatter:
    """One `--format` value of a listing command, resolved against its defaults.

    `default_table` is the command's table (``table {{.ID}}\\t...``), used for ``""`` and
    ``"table"``; `headers` maps a row field to its column title; `quiet` (-q) prints IDs.
    """

    def __init__(self, fmt: str, *, default_table: str, headers: Mapping[str, str],
                 quiet: bool = False) -> None:
        if fmt in ("", TABLE_KEY):
            fmt = QUIET_FORMAT if quiet else default_table
        self.format = fmt
        self.is_table = fmt.startswith(TABLE_KEY)
        body = JSON_FORMAT if fmt == JSON_KEY else fmt
        if self.is_table:
            body = fmt[len(TABLE_KEY):]
        body = body.strip(" ").replace("\\t", "\t").replace("\\n", "\n")
        self.headers = dict(headers)
        try:
            self.template = parse(body)
        except TemplateError as exc:
            raise _wrap(exc) from None

    def render(self, rows: Iterable[Any]) -> str:
        """All rows (each followed by a newline), as a table when the format is one."""
        parts: list[str] = []
        for row in rows:
            try:
                parts.append(self.template.execute(row))
            except TemplateError as exc:
                raise _wrap(exc) from None
            parts.append("\n")
        if not self.is_table:
            return "".join(parts)
        try:
            header = self.template.execute(self.headers, funcs=HEADER_FUNCTIONS)
        except ExecError as exc:  # docker ignores header errors and keeps what was written
            header = exc.partial
        import io
        buf = io.StringIO()
        writer = TabWriter(buf, 10, 1, 3, " ", 0, width=display_width)
        writer.write(header)
        writer.write("\n")
        writer.write("".join(parts))
        writer.flush()
        return buf.getvalue()

    def write(self, rows: Iterable[Any], out: TextIO) -> None:
        out.write(self.render(rows))


def render_rows(fmt: str, rows: Iterable[Any], *, default_table: str,
                headers: Mapping[str, str], out: TextIO, quiet: bool = False) -> None:
    """Print `rows` as `docker ps`/`docker images` do for the given --format."""
    Formatter(fmt, default_table=default_table, headers=headers, quiet=quiet).write(rows, out)


def render_one(fmt: str, value: Any, *, raw: Any = None) -> str:
    """`docker inspect --format` for one object: the text plus its newline.

    When the template fails on `value` and `raw` (the object's decoded JSON) is given, it is
    tried again on `raw` with missingkey=error, as docker's inspector falls back.
    """
    try:
        tmpl = parse(fmt)
    except TemplateError as exc:
        raise _wrap(exc) from None
    try:
        return tmpl.execute(value) + "\n"
    except TemplateError as exc:
        if raw is None:
            raise _wrap(exc) from None
    strict = Template("", funcs=FUNCTIONS, missingkey="error").parse(fmt)
    try:
        return strict.execute(raw) + "\n"
    except TemplateError as exc:
        raise _wrap(exc) from None
