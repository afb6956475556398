"""owns: the subset of Go's fmt package that docker users' templates reach: Sprint, Sprintln,
Sprintf (verbs v +v s d q x X o b c t e E f F g G T %, widths, precisions, flags ``-+# 0``) and
Go's inline error marks (``%!d(string=x)``, ``%!d(MISSING)``, ``%!(EXTRA int=2)``).
"""

from __future__ import annotations

from scow.format.govalue import (
    MISSING,
    GoTime,
    NilMap,
    NilSlice,
    format_float,
    go_str,
    is_struct,
    sorted_keys,
    struct_fields,
    type_name,
)

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any


def quote(text: str) -> str:
    """strconv.Quote: Go escapes, printable runes kept as they are."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


_SHORT_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                  "\t": "\\t", "\v": "\\v"}


def sprint(*args: Any) -> str:
    """fmt.Sprint: spaces between operands when neither side is a string."""
    out: list[str] = []
    prev_string = True
    for i, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if i > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append(_v(arg))
        prev_string = is_string
    return "".join(out)


def sprintln(*args: Any) -> str:
    return " ".join(_v(a) for a in args) + "\n"


def _v(arg: Any) -> str:
    return "<nil>" if arg is MISSING else go_str(arg)


class _Spec:
    __slots__ = ("minus", "plus", "sharp", "zero", "space", "width", "prec", "verb", "plus_v")

    def __init__(self) -> None:
        self.minus = self.plus = self.sharp = self.zero = self.space = False
        self.plus_v = False  # %+v: field names, not a sign
        self.width: int | None = None
        self.prec: int | None = None
        self.verb = ""


def sprintf(fmt: str, *args: Any) -> str:
    out: list[str] = []
    argi, i, n = 0, 0, len(fmt)
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        spec, i, argi, err = _parse_spec(fmt, j + 1, args, argi)
        if err:
            out.append(err)
            continue
        if spec.verb == "%":
            out.append("%")
            continue
        if not spec.verb:
            out.append("%!(NOVERB)")
            break
        if argi >= len(args):
            out.append(f"%!{spec.verb}(MISSING)")
            continue
        out.append(_format_one(args[argi], spec))
        argi += 1
    if argi < len(args):
        extra = ", ".join(f"{type_name(a)}={_v(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _parse_spec(fmt: str, i: int, args: tuple[Any, ...],
                argi: int) -> tuple[_Spec, int, int, str]:
    spec, n = _Spec(), len(fmt)
    while i < n and fmt[i] in "-+# 0":
        attr = {"-": "minus", "+": "plus", "#": "sharp", "0": "zero", " ": "space"}[fmt[i]]
        setattr(spec, attr, True)
        i += 1
    spec.width, i, argi, bad = _number(fmt, i, args, argi)
    if bad:
        return spec, i, argi, "%!(BADWIDTH)"
    if spec.width is not None and spec.width < 0:
        spec.minus, spec.width = True, -spec.width
    if i < n and fmt[i] == ".":
        spec.prec, i, argi, bad = _number(fmt, i + 1, args, argi)
        if bad:
            return spec, i, argi, "%!(BADPREC)"
        spec.prec = spec.prec or 0
    if i < n:
        spec.verb = fmt[i]
        i += 1
    if spec.verb == "v" and spec.plus:
        spec.plus, spec.plus_v = False, True
    return spec, i, argi, ""


def _number(fmt: str, i: int, args: tuple[Any, ...],
            argi: int) -> tuple[int | None, int, int, bool]:
    if i < len(fmt) and fmt[i] == "*":
        if argi < len(args) and isinstance(args[argi], int) and \
                not isinstance(args[argi], bool):
            return int(args[argi]), i + 1, argi + 1, False
        return None, i + 1, argi + 1, True
    start = i
    while i < len(fmt) and fmt[i].isdigit():
        i += 1
    return (int(fmt[start:i]) if i > start else None), i, argi, False


def _pad(text: str, spec: _Spec, numeric: bool = False) -> str:
    if spec.width is None or len(text) >= spec.width:
        return text
    fill = spec.width - len(text)
    if spec.minus:
        return text + " " * fill
    if spec.zero and numeric:
        sign = text[0] if text[:1] in ("-", "+", " ") else ""
        return sign + "0" * fill + text[len(sign):]
    return " " * fill + text


def _bad(arg: Any, verb: str) -> str:
    if arg is None or arg is MISSING:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({type_name(arg)}={go_str(arg)})"


def _format_one(arg: Any, spec: _Spec) -> str:
    verb = spec.verb
    if verb == "T":
        return _pad(type_name(arg), spec)
    if arg is MISSING or arg is None:
        return _pad("<nil>", spec) if verb == "v" else _bad(arg, verb)
    if isinstance(arg, GoTime) or (not isinstance(arg, (str, int, float, bytes)) and
                                   callable(getattr(arg, "String", None))):
        if verb in "vsqxX":
            return _format_one(str(arg.String()), spec)
    if isinstance(arg, bool):
        return _pad("true" if arg else "false", spec) if verb in "vt" else _bad(arg, verb)
    if isinstance(arg, int):
        return _format_int(arg, spec)
    if isinstance(arg, float):
        return _format_float(arg, spec)
    if isinstance(arg, str):
        return _format_str(arg, spec)
    if isinstance(arg, (bytes, bytearray)) and verb in "sqxX":
        return _format_str(bytes(arg).decode("utf-8", "replace"), spec) if verb in "sq" \
            else _pad(bytes(arg).hex() if verb == "x" else bytes(arg).hex().upper(), spec)
    return _format_composite(arg, spec)


def _format_composite(arg: Any, spec: _Spec) -> str:
    def sub(value: Any) -> str:
        inner = _Spec()
        inner.plus, inner.sharp, inner.verb = spec.plus, spec.sharp, spec.verb
        inner.plus_v = spec.plus_v
        return _format_one(value, inner)

    if isinstance(arg, (list, tuple, NilSlice, bytes, bytearray)):
        text = "[" + " ".join(sub(v) for v in arg) + "]"
    elif isinstance(arg, (dict, NilMap)):
        text = "map[" + " ".join(f"{sub(k)}:{sub(arg[k])}" for k in sorted_keys(arg)) + "]"
    elif is_struct(arg):
        fields = struct_fields(arg)
        text = "{" + " ".join((f"{k}:" if spec.plus_v else "") + sub(v)
                              for k, v in fields) + "}"
    else:
        return _pad(go_str(arg), spec) if spec.verb in "vs" else _bad(arg, spec.verb)
    return _pad(text, spec)


def _format_int(value: int, spec: _Spec) -> str:
    verb, num = spec.verb, int(value)
    digits = {"v": "d", "d": "d", "b": "b", "o": "o", "O": "o", "x": "x", "X": "X"}.get(verb)
    if digits is None:
        if verb == "c":
            return _pad(chr(num), spec)
        if verb == "q":
            return _pad("'" + quote(chr(num))[1:-1].replace("'", "\\'") + "'", spec)
        if verb == "U":
            return _pad(f"U+{num:04X}", spec)
        return _bad(value, verb)
    body = format(abs(num), digits)
    if spec.prec is not None and len(body) < spec.prec:
        body = "0" * (spec.prec - len(body)) + body
    if spec.sharp or verb == "O":
        body = {"x": "0x", "X": "0X", "o": "0", "O": "0o", "b": ""}.get(verb, "") + body
    sign = "-" if num < 0 else ("+" if spec.plus else (" " if spec.space else ""))
    return _pad(sign + body, spec, numeric=spec.prec is None)


def _format_float(value: float, spec: _Spec) -> str:
    verb = spec.verb
    if verb not in "vbeEfFgGxX":
        return _bad(value, verb)
    if verb in "vgG":
        text = format_float(value, "g", -1 if spec.prec is None else spec.prec)
        if spec.prec is not None and spec.prec == 0:
            text = format_float(value, "g", 1)
        text = text.upper() if verb == "G" else text
    elif verb in "eE":
        text = format_float(value, "e", 6 if spec.prec is None else spec.prec)
        text = text.upper() if verb == "E" else text
    elif verb in "fF":
        text = format_float(value, "f", 6 if spec.prec is None else spec.prec)
    else:
        text = _hex_float(value, verb == "X")
    if spec.plus and not text.startswith(("-", "+")):
        text = "+" + text
    elif spec.space and not text.startswith(("-", "+")):
        text = " " + text
    return _pad(text, spec, numeric=text[-1:].isdigit())


def _hex_float(value: float, upper: bool) -> str:
    """Go's %x of a float: ``0x1.cp+01`` (shortest mantissa, two-digit exponent)."""
    mant, _, exp = value.hex().partition("p")
    whole, _, frac = mant.partition(".")
    frac = frac.rstrip("0")
    text = whole + ("." + frac if frac else "") + "p" + exp[0] + exp[1:].rjust(2, "0")
    return text.upper().replace("0X", "0X") if upper else text


def _format_str(text: str, spec: _Spec) -> str:
    verb = spec.verb
    if verb not in "vsqxX":
        return _bad(text, verb)
    if spec.prec is not None and verb in "vsq":
        text = text[:spec.prec]
    if verb == "q":
        text = ("`" + text + "`") if spec.sharp and "`" not in text and text.isprintable() \
            else quote(text)
    elif verb in "xX":
        raw = text.encode("utf-8", "surrogatepass")
        sep = " " if spec.space else ""
        text = sep.join(f"{b:02{'x' if verb == 'x' else 'X'}}" for b in raw)
    return _pad(text, spec)
