"""The build cache holds intermediate stages' layers (issue 17): a multi-stage build whose final
stage is ``FROM scratch`` reuses its builder stage on a rebuild, another ``--target`` reuses
them, `rmi` does not free them, `builder prune` and the size/age policy do, and `system df`
counts them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.parametrize("engine", ["overlay2"], indirect=True)

SCRATCH = """FROM busybox:base AS builder
RUN mkdir /out && echo built > /out/artifact
RUN echo second > /out/second
FROM scratch
COPY --from=builder /out/artifact /artifact
"""


def _cache_only(engine: Any) -> list[Any]:
    return [u for u in engine.builds.cache_usage() if not u.shared]


def test_scratch_final_stage_rebuild_reuses_the_builder_stage(built: Any) -> None:
    engine, _, build = built
    first, log = build(SCRATCH, tags=("scr:1",))
    assert log.count("CACHED") == 0
    again, log = build(SCRATCH, tags=("scr:1",))
    assert log.count("CACHED") == 3, log  # both RUN steps and the COPY
    assert again.image_id == first.image_id
    builder, log = build(SCRATCH, tags=("scr:builder",), target="builder")
    assert log.count("CACHED") == 2, log  # another --target reuses the stage's layers


def test_rmi_keeps_held_layers_and_builder_prune_frees_them(built: Any) -> None:
    engine, _, build = built
    build(SCRATCH, tags=("scr:1",))
    held = _cache_only(engine)
    assert len(held) == 2 and all(u.size > 0 for u in held)  # the two RUN layers
    engine.images.remove("scr:1")
    engine.images.remove("busybox:base")
    assert len(engine.store.layers.all()) >= 3  # busybox and the RUN layers stay
    report = engine.builds.prune_cache()
    assert len(report.ids) >= 2 and report.reclaimed > 0
    assert engine.store.layers.all() == []  # nothing holds anything now
    assert engine.store.build_cache.records() == []


def test_builder_prune_all_drops_the_parsed_dockerfiles(built: Any) -> None:
    engine, _, build = built
    build(SCRATCH, tags=("scr:1",))
    parsed = Path(engine.store.root) / "buildcache"
    assert [p.name for p in parsed.iterdir()]  # the parse is kept for a rebuild
    engine.builds.prune_cache()
    assert list(parsed.iterdir())  # a plain prune keeps it (it holds no layer)
    report = engine.builds.prune_cache(all=True)
    assert list(parsed.iterdir()) == [] and report.reclaimed > 0


def test_prune_filters_and_keep_storage(built: Any) -> None:
    engine, _, build = built
    build(SCRATCH, tags=("scr:1",))
    before = len(engine.store.build_cache.records())
    assert engine.builds.prune_cache(until=time.time() - 3600).ids == []  # all are newer
    assert engine.builds.prune_cache(keep_storage=1 << 40).ids == []  # all fit
    shared = [u.id for u in engine.builds.cache_usage() if u.shared]
    report = engine.builds.prune_cache(keep_storage=0)
    assert report.ids and not set(report.ids) & set(shared)  # without --all: not shared
    assert len(engine.store.build_cache.records()) == before - len(report.ids)
    assert engine.builds.prune_cache(all=True).ids  # --all: the shared records too
    assert engine.store.build_cache.records() == []
    assert engine.images.inspect("scr:1")  # the image is untouched


def test_gc_policy_from_scow_toml(built: Any) -> None:
    engine, _, build = built
    root = Path(engine.store.root)
    (root / "scow.toml").write_text('[builder.gc]\nkeep-storage = "0"\n')
    build(SCRATCH, tags=("scr:1",))
    assert _cache_only(engine) == []  # the policy released them right after the build
    (root / "scow.toml").write_text('[builder.gc]\nenabled = false\n')
    build(SCRATCH, tags=("scr:2",), no_cache=True)
    assert len(_cache_only(engine)) == 2


def test_a_bad_policy_fails_before_building(built: Any) -> None:
    from scow.errors import InvalidArgument

    engine, _, build = built
    (Path(engine.store.root) / "scow.toml").write_text('[builder.gc]\nkeep-storage = "x"\n')
    with pytest.raises(InvalidArgument):
        build(SCRATCH, tags=("scr:1",))
    assert engine.images.find("scr:1") is None


def test_keep_storage_is_what_stays(built: Any) -> None:
    """--keep-storage counts what the layers really take: a parent step's row frees nothing
    while its child's row holds the chain, so rows go until the layers fit."""
    engine, _, build = built
    build(SCRATCH, tags=("scr:1",))
    shared = {u.id for u in engine.builds.cache_usage() if u.shared}

    def cache_only() -> int:
        images = {c for i in engine.store.images.all()
                  for c in (layer.chain_id for layer in engine.store.layers.chain(i.top_layer))}
        return sum(la.size for la in engine.store.layers.all() if la.chain_id not in images)

    total = cache_only()
    assert total > 0
    report = engine.builds.prune_cache(keep_storage=total - 1)
    assert cache_only() <= total - 1 and report.reclaimed == total - cache_only()
    assert not set(report.ids) & shared
