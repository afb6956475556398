"""owns: Go's encoding/json output for scow's value model, byte for byte.

`marshal` is what docker's ``json`` template function prints (HTML escaping off, no newline);
`marshal_indent` is ``json.MarshalIndent`` (HTML escaping on by default, as encoding/json),
what ``docker inspect`` prints. Map keys sorted; struct fields in declaration order with
omitempty; NilSlice/NilMap/None → null; floats as Go writes them; GoTime as RFC 3339 nano.
"""

from __future__ import annotations

from collections.abc import Sequence

from scow.format.govalue import (
    MISSING,
    GoTime,
    NilMap,
    NilSlice,
    Struct,
    format_float,
    is_struct,
    struct_fields,
)

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any


class JSONError(ValueError):
    """A value encoding/json refuses (NaN, Inf, an unknown Python type)."""


def marshal(value: Any, *, escape_html: bool = False) -> str:
    out: list[str] = []
    _encode(value, out, escape_html)
    return "".join(out)


def marshal_indent(value: Any, prefix: str = "", indent: str = "    ", *,
                   escape_html: bool = True) -> str:
    """json.MarshalIndent: one element per line; empty arrays and objects stay ``[]``/``{}``."""
    out: list[str] = []
    _encode(value, out, escape_html, "\n" + prefix, indent)
    return "".join(out)


def quote_json(text: str, escape_html: bool) -> str:
    """`text` as encoding/json quotes it. Printable ASCII without a quote, a backslash or
    (with `escape_html`) <, > and & is itself (most strings of an inspect document: IDs,
    paths, names), found by C-speed tests; anything else is encoded a character at a time."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text \
            and not (escape_html and ("<" in text or ">" in text or "&" in text)):
        return f'"{text}"'
    return _quote_chars(text, escape_html)


def _quote_chars(text: str, escape_html: bool) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif code < 0x20:
            out.append(_CONTROL.get(ch) or f"\\u{code:04x}")
        elif escape_html and ch in "<>&":
            out.append(f"\\u{code:04x}")
        elif code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_CONTROL = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def json_float(value: float) -> str:
    """encoding/json's float64: 'f' shortest, exponent form below 1e-6 or from 1e21."""
    if value != value or value in (float("inf"), float("-inf")):
        raise JSONError(f"json: unsupported value: {format_float(value)}")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = format_float(value, "e")
        if text[-4:-1] == "e-0":  # e-07 → e-7 (only negative exponents, as Go)
            text = text[:-2] + text[-1]
        return text
    return format_float(value, "f")


def _omit(value: Any) -> bool:
    """Go's isEmptyValue for omitempty."""
    if value is None or value is MISSING or value is False:
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, (str, bytes, list, tuple, dict, NilSlice, NilMap)):
        return len(value) == 0
    return False


def _fields_for_json(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, Struct):
        names, omit = value.json_names, value.omitempty
    else:
        cls = type(value)
        names = getattr(cls, "__go_json_names__", {})
        omit = frozenset(getattr(cls, "__go_omitempty__", ()))
    out: list[tuple[str, Any]] = []
    for field, item in struct_fields(value):
        key = names.get(field, field)
        if key == "-" or (field in omit and _omit(item)):
            continue
        out.append((key, item))
    return out


def _encode(value: Any, out: list[str], esc: bool, nl: str = "", ind: str = "") -> None:
    if value is None or value is MISSING or isinstance(value, (NilSlice, NilMap)):
        out.append("null")
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(json_float(value))
    elif isinstance(value, str):
        out.append(quote_json(value, esc))
    elif isinstance(value, (bytes, bytearray)):
        import base64
        out.append('"' + base64.b64encode(bytes(value)).decode() + '"')
    elif isinstance(value, GoTime):
        out.append('"' + value.rfc3339nano() + '"')
    elif isinstance(value, (list, tuple)):
        _container("[", "]", [(None, v) for v in value], out, esc, nl, ind)
    elif isinstance(value, dict):
        keys = sorted(value, key=str)
        _container("{", "}", [(str(k), value[k]) for k in keys], out, esc, nl, ind)
    elif is_struct(value):
        _container("{", "}", _fields_for_json(value), out, esc, nl, ind)
    elif callable(getattr(value, "MarshalJSON", None)):
        out.append(value.MarshalJSON())
    else:
        raise JSONError(f"json: unsupported type: {type(value).__name__}")


def _container(open_: str, close: str, items: Sequence[tuple[str | None, Any]], out: list[str],
               esc: bool, nl: str, ind: str) -> None:
    out.append(open_)
    if not items:
        out.append(close)
        return
    inner = nl + ind if ind else ""
    for i, (key, item) in enumerate(items):
        if i:
            out.append(",")
        out.append(inner)
        if key is not None:
            out.append(quote_json(key, esc) + (": " if ind else ":"))
        _encode(item, out, esc, inner, ind)
    out.append(nl if ind else "")
    out.append(close)
