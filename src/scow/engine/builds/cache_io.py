"""owns: what a build does with ``--cache-from`` / ``--cache-to`` around the builder: the
sources read before it (a layout folder, an image's inline cache, pulled when the store lacks
it) and the exports written after it. The format is remote_cache.py's."""

from __future__ import annotations

import threading

from scow.errors import NotFound
from scow.fastjson import loads

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Protocol

    from scow.build.builder import BuildResult
    from scow.build.ports import BuildOptions
    from scow.engine.builds.remote_cache import Imported, Record
    from scow.engine.distribution import DistributionService
    from scow.engine.images import ImageService
    from scow.store.store import Store
else:
    from scow.typeshim import Protocol


class StoreBuildEngine(Protocol):
    """What this module uses of service.py's StoreBuildEngine (named here: no import cycle)."""
    lock: threading.RLock
    store: Store
    images: ImageService

    @property
    def distribution(self) -> DistributionService: ...
    imported: Imported | None
    used: dict[str, Record]
    inline: bool
    record_used: bool


def prepare(port: StoreBuildEngine, options: BuildOptions) -> None:
    """Parse both flags (refusing before anything is built) and read every source."""
    if not options.cache_from and not options.cache_to:
        return  # and nothing of the remote cache's modules loaded
    from scow.engine.builds.remote_cache import Imported, parse_spec, read_local

    sources = [parse_spec(text, "--cache-from") for text in options.cache_from]
    targets = [parse_spec(text, "--cache-to") for text in options.cache_to]
    port.inline = any(t.type == "inline" for t in targets)
    port.record_used = bool(targets)
    if not sources:
        return
    port.imported = Imported()
    for spec in sources:
        if spec.type == "local":
            port.imported.add(*read_local(spec.attrs["src"]))
            continue
        if spec.type == "registry" and _cache_manifest(port, spec.attrs["ref"]):
            continue
        config = _image_cache(port, spec.attrs["ref"])
        if config is not None:
            port.imported.add(config, None)


def _cache_manifest(port: StoreBuildEngine, ref: str) -> bool:
    """A registry cache manifest at `ref` is imported (its blobs fetched lazily): True."""
    from scow.engine.builds.registry_cache import pull_config

    if port.imported is None:
        return False
    try:
        found = pull_config(port.distribution, ref, port.imported.closers)
    except NotFound:
        return False
    if found is not None:
        port.imported.add(*found)
    return found is not None


def _image_cache(port: StoreBuildEngine, ref: str) -> dict[str, object] | None:
    """The inline cache of image `ref` (the store's, else pulled); None without one. A ref
    the registry does not know is skipped, as BuildKit skips a missing cache source."""
    from scow.engine.builds.remote_cache import read_inline

    with port.lock:
        record = port.images.find(ref)
        try:
            image_id = record.id if record else port.distribution.pull(ref)
        except NotFound:
            return None
        config = loads(port.store.images.config_bytes(image_id))
    return read_inline(config)


def export(port: StoreBuildEngine, options: BuildOptions, result: BuildResult) -> None:
    """``--cache-to type=local,dest=`` (the layout) and ``type=registry,ref=`` (pushed);
    inline went into the image config at commit."""
    if not options.cache_to:
        return  # and nothing of the registry's modules loaded
    from scow.engine.builds.registry_cache import push
    from scow.engine.builds.remote_cache import in_image, parse_spec, write_local

    diffs = list(result.image.get("rootfs", {}).get("diff_ids") or [])
    for text in options.cache_to:
        spec = parse_spec(text, "--cache-to")
        records = in_image(list(port.used.values()), diffs, spec.attrs.get("mode", "min"))
        with port.lock:
            if spec.type == "local":
                write_local(spec.attrs["dest"], records, port.store)
            elif spec.type == "registry":
                push(port.distribution, spec.attrs["ref"], records, port.store)
