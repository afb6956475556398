"""owns: the Engine API's query conventions: docker's boolean rule and the two shapes of
`filters` JSON. (Minimal version for the container routes' tests; the merge keeps E1's.)"""

from __future__ import annotations

import json
from collections.abc import Mapping

from scow.errors import InvalidArgument

_FALSE = ("", "0", "no", "false", "none")


def qbool(query: Mapping[str, str], name: str, default: bool = False) -> bool:
    """httputils.BoolValue: false iff the trimmed lowercase value is "", 0, no, false, none."""
    if name not in query:
        return default
    return query[name].strip().lower() not in _FALSE


def qint(query: Mapping[str, str], name: str, default: int | None = None) -> int | None:
    value = query.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidArgument(f"invalid value for {name}: {value!r}: not an integer") from None


def filters(query: Mapping[str, str]) -> dict[str, list[str]]:
    """`filters` as {key: [values]}: the CLI's {"k": {"v": true}} or docker-py's {"k": ["v"]}."""
    raw = query.get("filters", "")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidArgument(f"invalid filters: {exc.msg}") from None
    if not isinstance(data, dict):
        raise InvalidArgument("invalid filters: not a JSON object")
    out: dict[str, list[str]] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out[str(key)] = [str(v) for v, on in value.items() if on]
        elif isinstance(value, list):
            out[str(key)] = [str(v) for v in value]
        else:
            out[str(key)] = [str(value)]
    return out
