"""owns: builder flags of Dockerfile instructions (``--from=x``, ``--link``), BuildKit's
``BFlags`` rules, and the values they carry: Go durations (HEALTHCHECK). RUN mounts are
build/runmount.py's.

Rules (BuildKit ``instructions/bflag.go``): a flag is ``--name`` or ``--name=value``; a string
flag needs a value; a bool flag takes none or ``true``/``false``; an unknown flag, or a flag
given twice (except the list ones, ``--mount`` and ``--exclude``), is an error.
"""

from __future__ import annotations

import re

BOOL = "bool"
STRING = "string"
LIST = "list"


class FlagError(ValueError):
    """A flag the instruction does not accept, or a malformed value."""


def parse_flags(raw: list[str], allowed: dict[str, str]) -> dict[str, str | bool | list[str]]:
    """Parse ``["--from=a", "--link"]`` against ``{name: BOOL|STRING|LIST}``."""
    out: dict[str, str | bool | list[str]] = {}
    for arg in raw:
        if not arg.startswith("--"):
            raise FlagError(f"arg should start with -- : {arg}")
        name, eq, value = arg[2:].partition("=")
        kind = allowed.get(name)
        if kind is None:
            raise FlagError(f"unknown flag: {name}")
        if kind == LIST:
            if not eq:
                raise FlagError(f"missing a value on flag: {name}")
            current = out.setdefault(name, [])
            assert isinstance(current, list)
            current.append(value)
            continue
        if name in out:
            raise FlagError(f"duplicate flag specified: {name}")
        if kind == BOOL:
            low = value.lower()
            if eq and low not in ("true", "false"):
                raise FlagError(f"expecting boolean value for flag {name}, not: {value}")
            out[name] = (not eq) or low == "true"
        else:
            if not eq:
                raise FlagError(f"missing a value on flag: {name}")
            out[name] = value
    return out


def flag_str(flags: dict[str, str | bool | list[str]], name: str) -> str | None:
    value = flags.get(name)
    return value if isinstance(value, str) else None


def flag_list(flags: dict[str, str | bool | list[str]], name: str) -> tuple[str, ...]:
    value = flags.get(name)
    return tuple(value) if isinstance(value, list) else ()


# -- Go durations ------------------------------------------------------------------------------
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
          "m": 60_000_000_000, "h": 3_600_000_000_000}
_DURATION_PART = r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)"  # compiled on first use


def parse_duration(text: str) -> int:
    """Go's time.ParseDuration, in nanoseconds (``1m30s``, ``500ms``, ``0``)."""
    if text == "0":
        return 0
    pos, total = 0, 0.0
    while pos < len(text):
        m = re.compile(_DURATION_PART).match(text, pos)
        if m is None:
            raise FlagError(f"time: invalid duration {text!r}")
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not text:
        raise FlagError("time: invalid duration \"\"")
    return int(total)


def format_duration(ns: int) -> str:
    """Go's Duration.String() for whole units (``30s``, ``1m30s``, ``0s``, ``500ms``)."""
    if ns == 0:
        return "0s"
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns % size == 0 or unit == "ns":
                return f"{ns // size}{unit}" if ns % size == 0 else f"{ns}ns"
    out = ""
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = rest / 1_000_000_000
    if hours:
        out += f"{hours}h"
    if hours or minutes:
        out += f"{minutes}m"
    sec = f"{seconds:.9f}".rstrip("0").rstrip(".")
    return out + sec + "s"
