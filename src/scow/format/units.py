"""owns: docker's human units: go-units sizes and durations, Go's time.Duration text, short
IDs and docker's rune-aware ellipsis.

    human_size(7_750_000) == "7.75MB"        bytes_size(1536) == "1.5KiB"
    human_duration(90) == "About a minute"   created_ago(ts) == "2 hours ago"
    parse_size("10m") == 10485760            parse_duration("1h30m") == 5_400_000_000_000
    format_duration(1_500_000_000) == "1.5s" ellipsis("abcdef", 4) == "abc…"
"""

from __future__ import annotations

import time

from scow.errors import InvalidArgument
from scow.format.tabwriter import display_width

_DECIMAL_ABBRS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY_ABBRS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")

NANOSECOND = 1
MICROSECOND = 1000
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
_DURATION_UNITS = {"ns": NANOSECOND, "us": MICROSECOND, "µs": MICROSECOND,
                   "μs": MICROSECOND, "ms": MILLISECOND, "s": SECOND, "m": MINUTE, "h": HOUR}


class InvalidSize(InvalidArgument):
    """A size string go-units refuses (``invalid size: 'x'``, ``invalid suffix: 'q'``)."""


class InvalidDuration(InvalidArgument):
    """A duration Go's time.ParseDuration refuses."""


# -- sizes ----------------------------------------------------------------------------------
def _custom_size(fmt: str, size: float, base: float, abbrs: tuple[str, ...],
                 precision: int) -> str:
    i = 0
    while size >= base and i < len(abbrs) - 1:
        size /= base
        i += 1
    return fmt % (precision, size) + abbrs[i]


def human_size(size: float, precision: int = 3) -> str:
    """go-units HumanSizeWithPrecision: decimal units, `precision` significant digits.

    Docker's tables use precision 3 (``7.75MB``, ``999kB``, and Go's own ``1e+03kB`` for
    999,999 bytes); go-units' HumanSize is precision 4.
    """
    return _custom_size("%.*g", float(size), 1000.0, _DECIMAL_ABBRS, precision)


def bytes_size(size: float) -> str:
    """go-units BytesSize: binary units, 4 significant digits (``1.5KiB``, ``10MiB``)."""
    return _custom_size("%.*g", float(size), 1024.0, _BINARY_ABBRS, 4)


_DECIMAL_MAP = {"k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4, "p": 1000**5}
_BINARY_MAP = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def parse_size(text: str, *, binary: bool = True) -> int:
    """go-units RAMInBytes (binary, the default: ``10m`` = 10 MiB, as --log-opt max-size and
    --memory) or FromHumanSize (``binary=False``: ``44kB`` = 44000)."""
    sep = max(text.rfind(c) for c in "0123456789. ")
    if sep < 0:
        raise InvalidSize(f"invalid size: '{text}'")
    num, sfx = (text[:sep + 1], text[sep + 1:]) if text[sep] != " " else \
        (text[:sep], text[sep + 1:])
    try:
        if "_" in num or num.strip() != num:
            raise ValueError(num)
        size = float(num)
    except ValueError:
        raise InvalidSize(f'strconv.ParseFloat: parsing "{num}": invalid syntax') from None
    if size < 0:
        raise InvalidSize(f"invalid size: '{text}'")
    if not sfx:
        return int(size)
    low = sfx.lower()
    units = _BINARY_MAP if binary else _DECIMAL_MAP
    bad = (len(sfx) > 3 or (low[0] == "b" and len(low) > 1) or
           (low[0] != "b" and low[0] not in units) or
           (len(low) == 2 and low[0] != "b" and low[1] != "b") or
           (len(low) == 3 and low[1:] != "ib"))
    if bad:
        raise InvalidSize(f"invalid suffix: '{low if len(sfx) <= 3 else sfx}'")
    return int(size) if low[0] == "b" else int(size * units[low[0]])


# -- durations ------------------------------------------------------------------------------
def human_duration(seconds: float) -> str:
    """go-units HumanDuration of a duration in seconds (``About a minute``, ``3 days``)."""
    secs = int(seconds)
    if secs < 1:
        return "Less than a second"
    if secs == 1:
        return "1 second"
    if secs < 60:
        return f"{secs} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def created_ago(timestamp: float, now: float | None = None) -> str:
    """docker's CREATED column: HumanDuration(now - timestamp) + " ago" (unix seconds)."""
    current = time.time() if now is None else now
    return human_duration(current - timestamp) + " ago"


def parse_duration(text: str) -> int:
    """Go's time.ParseDuration, in nanoseconds (``300ms``, ``-1.5h``, ``2h45m``)."""
    err = InvalidDuration(f'time: invalid duration "{text}"')
    s, neg = text, False
    if s[:1] in ("-", "+"):
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if not s:
        raise err
    total = 0
    while s:
        i = 0
        while i < len(s) and (s[i].isdigit() or s[i] == "."):
            i += 1
        number = s[:i]
        if not number or number == "." or number.count(".") > 1:
            raise err
        j = i
        while j < len(s) and not (s[j].isdigit() or s[j] == "."):
            j += 1
        unit = s[i:j]
        if not unit:
            raise InvalidDuration(f'time: missing unit in duration "{text}"')
        if unit not in _DURATION_UNITS:
            raise InvalidDuration(f'time: unknown unit "{unit}" in duration "{text}"')
        whole, _, frac = number.partition(".")
        scale = _DURATION_UNITS[unit]
        total += int(whole or "0") * scale
        if frac:
            total += int(frac) * scale // 10 ** len(frac)
        s = s[j:]
    if total > 2**63 - 1:
        raise err
    return -total if neg else total


def _frac(value: int, prec: int) -> tuple[str, int]:
    digits = ""
    for _ in range(prec):
        digits = str(value % 10) + digits
        value //= 10
    digits = digits.rstrip("0")
    return ("." + digits if digits else ""), value


def format_duration(ns: int) -> str:
    """Go's Duration.String (``1h2m3.5s``, ``1.5ms``, ``0s``)."""
    sign, u = ("-" if ns < 0 else ""), abs(ns)
    if u == 0:
        return "0s"
    if u < SECOND:
        prec, unit = (0, "ns") if u < MICROSECOND else (3, "µs") if u < MILLISECOND \
            else (6, "ms")
        frac, whole = _frac(u, prec)
        return f"{sign}{whole}{frac}{unit}"
    frac, secs = _frac(u, 9)
    out = f"{secs % 60}{frac}s"
    minutes = secs // 60
    if minutes:
        out = f"{minutes % 60}m" + out
        if minutes // 60:
            out = f"{minutes // 60}h" + out
    return sign + out


# -- IDs and text ---------------------------------------------------------------------------
def truncate_id(value: str) -> str:
    """docker's stringid.TruncateID: drop an ``algo:`` prefix, keep 12 characters."""
    _, _, rest = value.rpartition(":")
    return rest[:12]


def ellipsis(text: str, max_width: int) -> str:
    """docker's formatter.Ellipsis: cut to `max_width` display columns ending with ``…``."""
    if max_width <= 0:
        return ""
    if max_width == 1 and text:
        return text[0]
    if text.isascii():
        return text if len(text) <= max_width else text[:max_width - 1] + "…"
    widths: list[int] = []
    total = 0
    for ch in text:
        total += display_width(ch)
        widths.append(total)
    if total <= max_width:
        return text
    for i in range(len(widths) - 1):
        if widths[i] <= max_width - 1 < widths[i + 1]:
            return text[:i + 1] + "…"
    return text
