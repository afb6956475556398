"""owns: releasing the build cache's holds: `builder prune` (docker's ``-a``, ``--filter
until=``, ``--keep-storage``), the size/age policy run after every build (BuildKit's GC) and
the Build Cache figures of `system df`.

A step row holds its layer (store/build_cache.py); a record is *shared* while an image uses
its layer too (removing the row frees nothing then), else it is reclaimable. The policy reads
``<root>/scow.toml``::

    [builder.gc]
    enabled = true            # false: only `builder prune` releases the cache
    keep-storage = "10GB"     # cache-only layers kept at most, least recently used go first
    keep-duration = "1440h"   # records no build used for this long go (60 days)

The defaults are BuildKit's last two default GC rules (buildkitd.toml: everything unused for
60 days, then everything above the storage limit; BuildKit's limit is 10% of the disk, scow
takes dockerd's documented 10GB example).
"""

from __future__ import annotations

import os
import time

from scow.errors import InvalidArgument
from scow.osutil import faults

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass, field

    from scow.store.build_cache import CacheRecord
    from scow.store.store import Store
else:
    from scow.typeshim import dataclass, field

DEFAULT_KEEP_STORAGE = 10 * 1000**3
DEFAULT_KEEP_DURATION = 60 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class GCPolicy:
    enabled: bool = True
    keep_storage: int = DEFAULT_KEEP_STORAGE
    keep_duration: float = DEFAULT_KEEP_DURATION


@dataclass(frozen=True, slots=True)
class CacheUsage:
    """One record as `system df -v` lists it."""
    id: str
    size: int
    created: float
    last_used: float
    shared: bool


@dataclass
class PruneReport:
    ids: list[str] = field(default_factory=list)
    reclaimed: int = 0


def policy(root: str) -> GCPolicy:
    """The ``[builder.gc]`` table of ``<root>/scow.toml`` over the defaults."""
    from scow.engine.settings import read_config
    from scow.format.units import parse_duration, parse_size

    path = os.path.join(root, "scow.toml")
    builder = read_config(path).get("builder", {})
    table = builder.get("gc", {}) if isinstance(builder, dict) else None
    if not isinstance(table, dict):
        raise InvalidArgument(f"read {path}: builder.gc: not a table")
    try:
        storage = table.get("keep-storage", DEFAULT_KEEP_STORAGE)
        duration = table.get("keep-duration")
        return GCPolicy(
            enabled=bool(table.get("enabled", True)),
            keep_storage=storage if isinstance(storage, int) else parse_size(str(storage)),
            keep_duration=DEFAULT_KEEP_DURATION if duration is None
            else parse_duration(str(duration)) / 1e9)
    except InvalidArgument as exc:  # InvalidSize / InvalidDuration
        raise InvalidArgument(f"read {path}: builder.gc: {exc}") from None


def parse_until(text: str, now: float | None = None) -> float:
    """docker's ``until=``: a Unix timestamp or a Go duration before now."""
    from scow.format.units import parse_duration

    now = time.time() if now is None else now
    try:
        return float(text) if text.replace(".", "", 1).isdigit() else \
            now - parse_duration(text) / 1e9
    except (InvalidArgument, ValueError):
        raise InvalidArgument(f"invalid filter 'until={text}'") from None


def usage(store: Store) -> list[CacheUsage]:
    shared = _image_chains(store)
    return [CacheUsage(r.key, r.size, r.created, r.last_used, r.chain_id in shared)
            for r in store.build_cache.records()]


def prune(store: Store, *, all: bool = False, until: float | None = None,
          keep_storage: int | None = None) -> PruneReport:
    """Drop records, least recently used first: those whose layer no image uses (every one
    with `all`), last used before `until`; with `keep_storage`, only records no image shares
    and only until the cache-only layers fit it."""
    store.recover()
    shared = _image_chains(store)
    records = store.build_cache.records()
    chosen = [r for r in records if (all or r.chain_id not in shared)
              and (until is None or r.last_used < until)]
    if keep_storage is None:
        return _remove(store, chosen)
    report = PruneReport()
    for record in chosen:  # one at a time: a parent step's row frees nothing until its child's
        if record.chain_id in shared:
            continue  # its layer is an image's: removing the row frees nothing
        if _cache_only(store, shared) <= keep_storage:
            break
        done = _remove(store, [record])
        report.ids += done.ids
        report.reclaimed += done.reclaimed
    return report


def prune_mounts(store: Store) -> PruneReport:
    """Remove the RUN --mount=type=cache folders no running step holds (every idle one: the
    age/size rules apply to the step cache's records only)."""
    report = PruneReport()
    for mount in store.cache_mounts.list():
        freed = store.cache_mounts.remove(mount.id)
        if freed or not mount.in_use:
            report.ids.append(mount.key)
            report.reclaimed += freed
    return report


def collect(store: Store) -> PruneReport:
    """The policy, after a build: records unused for keep-duration, then the least recently
    used until the cache-only layers fit keep-storage."""
    rules = policy(store.root)
    if not rules.enabled:
        return PruneReport()
    report = prune(store, all=True, until=time.time() - rules.keep_duration)
    more = prune(store, all=True, keep_storage=rules.keep_storage)
    return PruneReport(report.ids + more.ids, report.reclaimed + more.reclaimed)


def _cache_only(store: Store, shared: set[str]) -> int:
    """The size of the ready layers no image stands on (held by the cache, or by a running
    build's leases)."""
    return sum(layer.size for layer in store.layers.all() if layer.chain_id not in shared)


def _remove(store: Store, chosen: list[CacheRecord]) -> PruneReport:
    sizes = {layer.chain_id: layer.size for layer in store.layers.all()}
    report = PruneReport(ids=[r.key for r in chosen])
    chains = store.build_cache.remove(report.ids)
    faults.point("build_cache.prune.after_rows")  # a kill here: recovery frees the layers
    for chain in sorted(set(chains), key=chains.index, reverse=True):  # newest rows first
        report.reclaimed += sum(sizes.get(c, 0) for c in store.layers.release(chain))
    return report


def _image_chains(store: Store) -> set[str]:
    """Every layer of an image's chain (a container stands on an image's top layer)."""
    parents: dict[str, str | None] = {layer.chain_id: layer.parent
                                      for layer in store.layers.all()}
    tops = [i.top_layer for i in store.images.all()]
    out: set[str] = set()
    for top in tops:
        current = top
        while current and current not in out:
            out.add(current)
            current = parents.get(current)
    return out
