"""owns: the Engine API's query and header conventions: docker's boolean rule, the two
shapes of `filters` JSON, and the base64url `X-Registry-Auth` header."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

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
        elif isinstance(value, str):
            out[str(key)] = [value]
        else:
            raise InvalidArgument(f"invalid filters: {key}: want a list or an object")
    return out


def json_map(query: Mapping[str, str], name: str) -> dict[str, str]:
    """A JSON object of strings in the query (`buildargs`, `labels`)."""
    raw = query.get(name, "")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidArgument(f"invalid {name}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise InvalidArgument(f"invalid {name}: not a JSON object")
    return {str(k): "" if v is None else str(v) for k, v in data.items()}


def registry_auth(header: str | None) -> dict[str, Any]:
    """X-Registry-Auth: base64url JSON ({} when absent or empty, as dockerd)."""
    if not header:
        return {}
    padded = header + "=" * (-len(header) % 4)
    try:
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError) as exc:
        raise InvalidArgument(f"decode X-Registry-Auth: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidArgument("decode X-Registry-Auth: not a JSON object")
    return data
