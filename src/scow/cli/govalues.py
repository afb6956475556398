"""owns: Go's value syntax as docker's flags accept and print it (strconv and time).

go_quote is Go's %q; parse_bool/parse_int are strconv.ParseBool / ParseInt(s, 0, 64);
parse_duration/format_duration are time.ParseDuration / Duration.String, in float seconds.
Errors are ValueError carrying Go's exact message, e.g.
`strconv.ParseInt: parsing "x": invalid syntax`, `time: missing unit in duration "1"`.
"""

from __future__ import annotations

__all__ = ["format_duration", "go_quote", "parse_bool", "parse_duration", "parse_int"]

_GO_ESCAPES = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n",
               "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(s: str) -> str:
    """Go's strconv.Quote (the `%q` verb); undecodable argv bytes print as \\xNN."""
    out = []
    for ch in s:
        code = ord(ch)
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's surrogateescape for a raw byte
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _num_error(func: str, s: str, why: str) -> ValueError:
    return ValueError(f"strconv.{func}: parsing {go_quote(s)}: {why}")


def parse_bool(s: str) -> bool:
    """Go's strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False."""
    if s in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if s in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise _num_error("ParseBool", s, "invalid syntax")


_BASES = {"x": 16, "o": 8, "b": 2}
_DIGITS = "0123456789abcdef"


def parse_int(s: str, bits: int = 64) -> int:
    """Go's strconv.ParseInt(s, 0, bits): sign, 0x/0o/0b/0 prefixes, `_` between digits."""
    body = s[1:] if s[:1] in ("+", "-") else s
    base, digits = 10, body
    if len(body) > 1 and body[0] == "0":
        base = _BASES.get(body[1].lower(), 8)
        digits = body[2:] if body[1].lower() in _BASES else body[1:]
        if digits.startswith("_"):  # Go treats the prefix as a digit: 0x_1f is fine
            digits = digits[1:]
    valid = _DIGITS[:base]
    if not digits or digits[0] == "_" or digits[-1] == "_" or "__" in digits or any(
            c not in valid for c in digits.lower().replace("_", "")):
        raise _num_error("ParseInt", s, "invalid syntax")
    value = int(digits.replace("_", ""), base) * (-1 if s[0] == "-" else 1)
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise _num_error("ParseInt", s, "value out of range")
    return value


_UNITS = {"ns": 1, "us": 1000, "\u00b5s": 1000, "\u03bcs": 1000, "ms": 1000_000,
          "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def parse_duration(s: str) -> float:
    """Go's time.ParseDuration ("1m30s", "-1.5h", "300ms"), in seconds."""
    orig, neg = s, s[:1] == "-"
    s = s[1:] if s[:1] in ("+", "-") else s
    if s == "0":
        return 0.0
    if not s:
        raise ValueError(f"time: invalid duration {go_quote(orig)}")
    total = 0
    while s:
        whole, s = _take_digits(s)
        frac = ""
        if s[:1] == ".":
            frac, s = _take_digits(s[1:])
            if not whole and not frac:
                raise ValueError(f"time: invalid duration {go_quote(orig)}")
        elif not whole:
            raise ValueError(f"time: invalid duration {go_quote(orig)}")
        j = 0
        while j < len(s) and s[j] not in ".0123456789":
            j += 1
        unit, s = s[:j], s[j:]
        if not unit:
            raise ValueError(f"time: missing unit in duration {go_quote(orig)}")
        if unit not in _UNITS:
            raise ValueError(f"time: unknown unit {go_quote(unit)} in duration {go_quote(orig)}")
        total += int(whole or "0") * _UNITS[unit]
        if frac:
            total += int(frac) * _UNITS[unit] // 10 ** len(frac)
    if total > (1 << 63) - 1:
        raise ValueError(f"time: invalid duration {go_quote(orig)}")
    return (-total if neg else total) / 1e9


def _take_digits(s: str) -> tuple[str, str]:
    i = 0
    while i < len(s) and s[i] in "0123456789":
        i += 1
    return s[:i], s[i:]


def format_duration(seconds: float) -> str:
    """Go's time.Duration.String: 0s, 500ms, 1.5µs, 10s, 1m30s, 1h0m0s."""
    ns = round(seconds * 1e9)
    sign, ns = ("-" if ns < 0 else ""), abs(ns)
    if ns == 0:
        return "0s"
    if ns < 10**9:
        for unit, size in (("ns", 1), ("µs", 1000), ("ms", 1000_000)):
            if ns < size * 1000:
                return sign + _decimal(ns, size) + unit
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    text = _decimal(rest, 10**9) + "s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    return sign + (f"{hours}h{text}" if hours else text)


def _decimal(value: int, size: int) -> str:
    whole, frac = divmod(value, size)
    digits = str(frac).rjust(len(str(size)) - 1, "0").rstrip("0") if frac else ""
    return f"{whole}.{digits}" if digits else str(whole)
