"""owns: the build cache as the Engine API shows it: `POST /build/prune`'s query (all,
keep-storage, filters until= / unused-for=) turned into `engine.builds.prune_cache`'s
arguments, and `/system/df`'s BuildCache rows in dockerd's shape (types.BuildCache): the step
cache's records (Type "regular", Shared when an image uses the layer) and the RUN
--mount=type=cache folders (Type "exec.cachemount", InUse while a step holds one)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from scow.api.params import filters, qbool, qint
from scow.errors import InvalidArgument

UNTIL_KEYS = ("until", "unused-for")  # unused-for: the name before API 1.42


def prune_arguments(query: Mapping[str, str]) -> dict[str, Any]:
    """The keywords of `engine.builds.prune_cache` for `POST /build/prune`'s query."""
    from scow.engine.builds.gc import parse_until

    wanted = filters(query)
    unknown = sorted(set(wanted) - set(UNTIL_KEYS))
    if unknown:
        raise InvalidArgument(f"build prune: invalid filter '{unknown[0]}': scow's build "
                              "cache filters by until= only")
    until = [parse_until(v) for k in UNTIL_KEYS for v in wanted.get(k, [])]
    keep = qint(query, "keep-storage")
    return {"all": qbool(query, "all"), "until": min(until) if until else None,
            "keep_storage": keep or None}


def _time(timestamp: float) -> str:
    stamp = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def _row(ident: str, kind: str, description: str, size: int, created: float,
         last_used: float, in_use: bool, shared: bool) -> dict[str, Any]:
    return {"ID": ident, "Parent": "", "Parents": None, "Type": kind,
            "Description": description, "InUse": in_use, "Shared": shared, "Size": size,
            "CreatedAt": _time(created), "LastUsedAt": _time(last_used), "UsageCount": 1}


def cache_rows(records: Sequence[Any], mounts: Sequence[Any]) -> list[dict[str, Any]]:
    """`records`: engine.builds.cache_usage(); `mounts`: disk_usage().build_cache."""
    rows = [_row(r.id.split(":", 1)[-1], "regular", "build step " + r.id, r.size, r.created,
                 r.last_used, False, r.shared) for r in records]
    rows += [_row(m.key, "exec.cachemount", f"cached mount {m.id}", m.size, m.last_used,
                  m.last_used, m.in_use, False) for m in mounts]
    return rows
