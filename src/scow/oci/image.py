"""owns: image configs (the OCI/Docker image config JSON): reading them defensively, making new
ones the way moby marshals them, and the history <-> layers rules.

An image's ID is the sha256 of its exact config bytes, so configs are kept as bytes and read
through `ImageConfig`, a thin typed view that never re-serializes what it was given.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scow.errors import InvalidArgument
from scow.ids import DiffID, validate_digest

MAX_CONFIG_BYTES = 8 << 20

# Field order of the OCI ImageConfig as docker (moby >= 25) writes it; all omitempty.
CONFIG_FIELDS = ("User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir",
                 "Labels", "StopSignal", "ArgsEscaped", "Healthcheck", "OnBuild", "Shell")
HISTORY_FIELDS = ("created", "created_by", "author", "comment", "empty_layer")


def go_json(value: Any) -> bytes:
    """Compact JSON as Go's encoding/json writes it (HTML characters escaped)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def rfc3339_nano(ts: float | None = None) -> str:
    """Go's time.RFC3339Nano in UTC, trailing zeros of the fraction dropped."""
    ts = time.time() if ts is None else ts
    secs = int(ts)
    frac = f"{ts - secs:.9f}"[2:].rstrip("0")
    base = datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{frac}Z" if frac else f"{base}Z"


def parse_time(text: str | None) -> float:
    """Seconds since the epoch of an RFC 3339 time (0.0 when absent or unreadable)."""
    if not text:
        return 0.0
    try:
        head, _, frac = text.rstrip("Z").partition(".")
        tz = 0.0
        for sign in ("+", "-"):
            if sign in frac:
                frac, _, off = frac.partition(sign)
                tz = _offset(off, sign)
        if not frac and len(head) > 19 and head[19] in "+-":
            tz, head = _offset(head[20:], head[19]), head[:19]
        base = datetime.strptime(head[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        return base.timestamp() + float("0." + (frac or "0")) - tz
    except ValueError:
        return 0.0


def _offset(text: str, sign: str) -> float:
    hours, _, minutes = text.partition(":")
    value = int(hours) * 3600 + int(minutes or 0) * 60
    return value if sign == "+" else -value


@dataclass(frozen=True, slots=True)
class HistoryEntry:
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
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidArgument(f"read image config: invalid JSON: {exc}") from None
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
