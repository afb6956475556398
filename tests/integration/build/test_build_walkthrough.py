"""The reference walkthrough's two Dockerfiles built on the real store with real runc (overlay2
and vfs): layers shared with the base, BuildKit's history, the cache, and running the result."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from scow.ids import chain_id

BASE = "FROM busybox:base\nRUN echo bash > /bin/bashmarker\n"
FINAL = ("FROM acme/my-base-image:1.0\nCOPY . /app\nRUN chmod +x /app/hello.sh\n"
         "CMD /app/hello.sh\n")
HELLO = '#!/bin/sh\necho "Hello world"\n'


def _walkthrough(built: Any) -> tuple[Any, Path, Any, Any, Any]:
    engine, ctx, build = built
    (ctx / "hello.sh").write_text(HELLO)
    base, _ = build(BASE, "Dockerfile.base", tags=("acme/my-base-image:1.0",))
    final, log = build(FINAL, tags=("acme/my-final-image:1.0",))
    return engine, ctx, build, base, final


def _layers(engine: Any, name: str) -> list[str]:
    return list(engine.images.inspect(name)["RootFS"]["Layers"])


def test_layers_history_and_run(built: Any) -> None:
    engine, ctx, _, base, final = _walkthrough(built)
    base_layers = _layers(engine, "acme/my-base-image:1.0")
    final_layers = _layers(engine, "acme/my-final-image:1.0")
    assert len(base_layers) == 2 and len(final_layers) == 4
    assert final_layers[:2] == base_layers
    rows = engine.images.history("acme/my-final-image:1.0")
    shown = [(r.id if r.id == "<missing>" else "id", r.created_by, r.size) for r in rows[:3]]
    assert shown[0] == ("id", 'CMD ["/bin/sh" "-c" "/app/hello.sh"]', 0)
    assert shown[1][:2] == ("<missing>", "RUN /bin/sh -c chmod +x /app/hello.sh # buildkit")
    assert shown[2][:2] == ("<missing>", "COPY . /app # buildkit")
    assert 0 < shown[1][2] < 100  # the copied-up hello.sh
    context_bytes = sum(p.stat().st_size for p in ctx.iterdir())
    assert shown[2][2] == context_bytes
    assert rows[3].created_by == "RUN /bin/sh -c echo bash > /bin/bashmarker # buildkit"
    assert rows[3].size == 5 and all(r.comment == "buildkit.dockerfile.v0" for r in rows[:4])
    assert _run(engine, "acme/my-final-image:1.0") == b"Hello world\n"
    assert not engine.store.db.query("SELECT * FROM rw_layers WHERE owner_container LIKE "
                                     "'build-%'")


def _run(engine: Any, image: str) -> bytes:
    from scow.engine.containers.config import CreateOptions

    cid = engine.containers.create(CreateOptions(image=image)).id
    try:
        engine.containers.start(cid)
        assert engine.containers.wait(cid) == 0
        return b"".join(e.data for e in engine.containers.logs(cid))
    finally:
        engine.containers.remove(cid, force=True)


def test_unchanged_rebuild_is_cached(built: Any) -> None:
    engine, ctx, build, base, final = _walkthrough(built)
    started = time.monotonic()
    again, log = build(FINAL, tags=("acme/my-final-image:1.0",))
    took = time.monotonic() - started
    assert again.image_id == final.image_id
    assert log.count("CACHED") == 2 and took < 0.8
    os.utime(ctx / "hello.sh", (1, 1))
    touched, log = build(FINAL, tags=("acme/my-final-image:1.0",))
    assert touched.image_id == final.image_id and log.count("CACHED") == 2
    (ctx / "hello.sh").write_text(HELLO.replace("world", "there"))
    changed, log = build(FINAL, tags=("acme/my-final-image:1.0",))
    assert "CACHED" not in log and changed.image_id != final.image_id
    assert _layers(engine, "acme/my-final-image:1.0")[:2] == _layers(
        engine, "acme/my-base-image:1.0")
    assert _run(engine, "acme/my-final-image:1.0") == b"Hello there\n"


def test_no_cache_runs_every_step(built: Any) -> None:
    engine, _, build, base, final = _walkthrough(built)
    again, log = build(FINAL, tags=("x:1",), no_cache=True)
    assert "CACHED" not in log and log.count("DONE") == 4
    assert again.image_id != final.image_id
    assert _layers(engine, "x:1")[:2] == _layers(engine, "acme/my-base-image:1.0")


def test_failed_build_leaves_only_its_cache(built: Any) -> None:
    """The finished step's layer stays, held by its build cache row (as BuildKit keeps a
    failed build's cache); `builder prune` frees it, nothing else is left."""
    import pytest

    from scow.errors import BuildStepFailed

    engine, _, build = built
    layers = {layer.chain_id for layer in engine.store.layers.all()}
    images = {i.id for i in engine.store.images.all()}
    with pytest.raises(BuildStepFailed) as failed:
        build("FROM busybox:base\nRUN echo made > /made\nRUN echo oops && exit 3\n",
              tags=("broken:1",))
    assert str(failed.value) == ('Dockerfile:3: process "/bin/sh -c echo oops && exit 3" did '
                                 'not complete successfully: exit code: 3')
    held = {r.chain_id for r in engine.store.build_cache.records()}
    assert len(held) == 1
    assert {layer.chain_id for layer in engine.store.layers.all()} == layers | held
    assert engine.builds.prune_cache().ids
    assert {layer.chain_id for layer in engine.store.layers.all()} == layers
    assert {i.id for i in engine.store.images.all()} == images
    assert not engine.store.db.query("SELECT * FROM rw_layers")
    assert not engine.store.db.query("SELECT * FROM leases")
    assert not os.listdir(engine.store.tmp)
    assert engine.images.find("broken:1") is None


def test_failed_step_output_is_shown(built: Any) -> None:
    import io

    import pytest

    from scow.build.context import BuildContext
    from scow.build.ports import BuildOptions
    from scow.build.progress import PlainProgress
    from scow.errors import BuildStepFailed

    engine, ctx, _ = built
    (ctx / "Dockerfile").write_text("FROM busybox:base\nRUN echo to-stderr >&2; exit 3\n")
    out = io.StringIO()
    with pytest.raises(BuildStepFailed), BuildContext.from_dir(str(ctx)) as context:
        engine.build.build(context, BuildOptions(), PlainProgress(out))
    assert "to-stderr" in out.getvalue() and "ERROR: " in out.getvalue()


def test_chain_ids_are_the_stores(built: Any) -> None:
    engine, _, _, base, final = _walkthrough(built)
    diffs = final.image["rootfs"]["diff_ids"]
    assert engine.store.layers.find(chain_id(diffs)) is not None
