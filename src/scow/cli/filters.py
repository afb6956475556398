"""owns: parsing `--filter key=value` flags into docker's filter map."""

from __future__ import annotations

from scow.errors import InvalidArgument


def parse_filters(values: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep:
            raise InvalidArgument(f"bad format of filter (expected name=value): {value}")
        out.setdefault(key.strip().lower(), []).append(val.strip())
    return out
