"""owns: image configs (the OCI/Docker image config JSON): reading them defensively, making new
ones the way moby marshals them, and the history <-> layers rules.

An image's ID is the sha256 of its exact config bytes, so configs are kept as bytes and read
through `ImageConfig`, a thin typed view that never re-serializes what it was given.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from scow.errors import InvalidArgument
from scow.fastjson import dumps
from scow.ids import DiffID, validate_digest
from scow.oci.jsondoc import load_document

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from scow.typeshim import NamedTuple

MAX_CONFIG_BYTES = 8 << 20

# Field order of the OCI ImageConfig as docker (moby >= 25) writes it; all omitempty.
CONFIG_FIELDS = ("User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir",
                 "Labels", "StopSignal", "ArgsEscaped", "Healthcheck", "OnBuild", "Shell")
HISTORY_FIELDS = ("created", "created_by", "author", "comment", "empty_layer")


def go_json(value: Any) -> bytes:
    """Compact JSON as Go's encoding/json writes it (HTML characters escaped)."""
    text = dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def rfc3339_nano(ts: float | None = None) -> str:
    """Go's time.RFC3339Nano in UTC, trailing zeros of the fraction dropped."""
    ts = time.time() if ts is None else ts
    secs = int(ts)
    frac = f"{ts - secs:.9f}"[2:].rstrip("0")
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    return f"{base}.{frac}Z" if frac else f"{base}Z"


def parse_time(text: str | None) -> float:
    """Seconds since the epoch of an RFC 3339 time (0.0 when absent or unreadable).
    Plain arithmetic, no datetime/_strptime: `scow ps` parses one per container."""
    if not text or len(text) < 19 or text[4] != "-" or text[10] not in "Tt ":
        return 0.0
    try:
        y, mo, d = int(text[0:4]), int(text[5:7]), int(text[8:10])
        h, mi, s = int(text[11:13]), int(text[14:16]), int(text[17:19])
        rest, frac = text[19:], 0.0
        if rest.startswith("."):
            zone = rest[1:].lstrip("0123456789")
            frac, rest = float("0" + rest[:len(rest) - len(zone)]), zone
        offset = _offset(rest)
    except ValueError:
        return 0.0
    return _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s + frac - offset


def _offset(zone: str) -> int:
    if zone in ("Z", "z", ""):
        return 0
    sign = 1 if zone[0] == "+" else -1 if zone[0] == "-" else 0
    if not sign:
        raise ValueError(zone)
    hours, _, minutes = zone[1:].partition(":")
    return sign * (int(hours) * 3600 + int(minutes or 0) * 60)


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


class HistoryEntry(NamedTuple):
    created: str
    created_by: str
    comment: str
    author: str
    empty_layer: bool


class ImageConfig:
    """A read-only view over config JSON bytes, validated on construction."""

    __slots__ = ("raw", "doc")

    def __init__(self, raw: bytes) -> None:
        if len(raw) > MAX_CONFIG_BYTES:
            raise InvalidArgument(f"read image config: {len(raw)} bytes is over the limit")
        doc = load_document(raw, "read image config", limit=MAX_CONFIG_BYTES,
                            error=InvalidArgument)
        if not isinstance(doc, dict):
            raise InvalidArgument("read image config: not a JSON object")
        self.raw = raw
        self.doc: dict[str, Any] = doc
        self._validate()

    def _validate(self) -> None:
        rootfs = self.doc.get("rootfs")
        if not isinstance(rootfs, dict) or rootfs.get("type") != "layers":
            raise InvalidArgument('read image config: rootfs.type must be "layers"')
        diff_ids = rootfs.get("diff_ids") or []
        if not isinstance(diff_ids, list) or not all(isinstance(d, str) for d in diff_ids):
            raise InvalidArgument("read image config: rootfs.diff_ids must be a list of digests")
        for d in diff_ids:
            validate_digest(d)
        history = self.doc.get("history") or []
        if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
            raise InvalidArgument("read image config: history must be a list of objects")
        if sum(1 for h in history if not h.get("empty_layer")) > len(diff_ids) and history:
            raise InvalidArgument("read image config: too many non-empty layers in History section")
        if not isinstance(self.doc.get("config") or {}, dict):
            raise InvalidArgument("read image config: config must be an object")

    @property
    def diff_ids(self) -> list[DiffID]:
        return [DiffID(d) for d in (self.doc["rootfs"].get("diff_ids") or [])]

    @property
    def config(self) -> dict[str, Any]:
        value = self.doc.get("config") or {}
        return value if isinstance(value, dict) else {}

    @property
    def created(self) -> str:
        return str(self.doc.get("created") or "")

    @property
    def architecture(self) -> str:
        return str(self.doc.get("architecture") or "")

    @property
    def os(self) -> str:
        return str(self.doc.get("os") or "")

    def history(self) -> list[HistoryEntry]:
        out = []
        for h in self.doc.get("history") or []:
            out.append(HistoryEntry(str(h.get("created") or ""), str(h.get("created_by") or ""),
                                    str(h.get("comment") or ""), str(h.get("author") or ""),
                                    bool(h.get("empty_layer"))))
        return out

    def get(self, key: str, default: Any = None) -> Any:
        return self.doc.get(key, default)


def ordered_config(config: dict[str, Any]) -> dict[str, Any]:
    """The container config in docker's field order with empty fields left out."""
    out = {k: config[k] for k in CONFIG_FIELDS if config.get(k) not in (None, "", [], {}, False)}
    for k, v in config.items():  # keep fields we don't know, after the known ones
        if k not in out and k not in CONFIG_FIELDS and v not in (None, "", [], {}):
            out[k] = v
    return out


def history_entry(created: str, created_by: str = "", *, comment: str = "", author: str = "",
                  empty_layer: bool = False) -> dict[str, Any]:
    values = {"created": created, "created_by": created_by, "author": author,
              "comment": comment, "empty_layer": empty_layer}
    return {k: values[k] for k in HISTORY_FIELDS if values[k]}


def make_config(*, diff_ids: Sequence[str], history: list[dict[str, Any]], config: dict[str, Any],
                created: str, architecture: str = "amd64", os_name: str = "linux",
                extra: dict[str, Any] | None = None) -> bytes:
    """New config bytes, top-level keys sorted as moby's Image.MarshalJSON writes them."""
    doc: dict[str, Any] = {
        "architecture": architecture,
        "config": ordered_config(config),
        "created": created,
        "history": history,
        "os": os_name,
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
    }
    doc.update(extra or {})
    return go_json({k: doc[k] for k in sorted(doc) if doc[k] not in (None, "")})
