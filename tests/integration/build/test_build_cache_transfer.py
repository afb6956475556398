"""``build --cache-from`` / ``--cache-to`` (issue 17): BuildKit's cache manifest in an OCI
layout folder (type=local) and in the image config (type=inline), read back on an empty store
from the folder, from a registry (type=registry,ref= and a plain --cache-from IMAGE; the
loopback registry fixture) so the RUN steps are not run again (real runc, overlay2)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.build.test_build_steps import _read

from scow.errors import InvalidArgument

pytestmark = pytest.mark.parametrize("engine", ["overlay2"], indirect=True)

STAGED = """FROM {base} AS builder
RUN mkdir /out && echo built > /out/stamp
FROM {base}
COPY --from=builder /out/stamp /stamp
RUN echo "$RANDOM$RANDOM" > /seen
"""


@pytest.fixture
def empty(engine: Any, tmp_path: Path) -> Iterator[Any]:
    """A second engine on an empty root (the CI job's fresh machine)."""
    from scow import Engine

    other = Engine(root=str(tmp_path / "empty-root"), storage_driver="overlay2")
    try:
        yield other
    finally:
        other.close()


def _build(engine: Any, ctx: Path, text: str, **kw: Any) -> tuple[Any, str]:
    import io

    from scow.build.context import BuildContext
    from scow.build.ports import BuildOptions
    from scow.build.progress import PlainProgress

    (ctx / "Dockerfile").write_text(text)
    out = io.StringIO()
    with BuildContext.from_dir(str(ctx)) as context:
        options = BuildOptions(**{k: v for k, v in kw.items()
                                  if k not in ("cache_from", "cache_to")})
        options.cache_from, options.cache_to = kw.get("cache_from", ()), kw.get("cache_to", ())
        result = engine.builds.build(context, options, PlainProgress(out))
    return result, out.getvalue()


def test_local_layout_mode_max_warms_an_empty_store(built: Any, empty: Any, tmp_path: Path,
                                                    busybox_tar: Path) -> None:
    engine, ctx, _ = built
    text = STAGED.format(base="busybox:base")
    dest = tmp_path / "cache"
    first, _ = _build(engine, ctx, text, tags=("st:1",),
                      cache_to=(f"type=local,dest={dest},mode=max",))
    index = json.loads((dest / "index.json").read_text())
    top = index["manifests"][0]
    assert top["annotations"]["org.opencontainers.image.ref.name"] == "latest"
    cache_index = json.loads((dest / "blobs/sha256" / top["digest"][7:]).read_text())
    kinds = [d["mediaType"] for d in cache_index["manifests"]]
    assert kinds.count("application/vnd.buildkit.cacheconfig.v0") == 1
    assert "application/vnd.oci.image.layer.v1.tar+gzip" in kinds
    with open(busybox_tar, "rb") as f:
        empty.images.import_image(f, reference="busybox:base")
    again, log = _build(empty, ctx, text, tags=("st:1",), cache_from=(f"type=local,src={dest}",))
    assert log.count("CACHED") == 3, log  # the builder stage's RUN (mode=max) too
    assert again.image["rootfs"] == first.image["rootfs"]
    assert _read(empty, "st:1", "/seen") == _read(engine, "st:1", "/seen")


def test_inline_cache_through_a_registry(built: Any, empty: Any, registry_plain: Any) -> None:
    engine, ctx, _ = built
    base, app = f"{registry_plain.domain}/base:1", f"{registry_plain.domain}/app:1"
    engine.images.tag("busybox:base", base)
    engine.distribution.push(base)
    text = STAGED.format(base=base)
    first, _ = _build(engine, ctx, text, tags=(app,), cache_to=("type=inline",))
    config = json.loads(engine.store.images.config_bytes(first.image_id))
    inline = json.loads(base64.b64decode(config["moby.buildkit.cache.v0"]))
    assert {"layers", "records"} <= set(inline)  # mode=min: the image's own steps
    engine.distribution.push(app)
    again, log = _build(empty, ctx, text, tags=("warm:1",),
                        cache_from=(f"type=registry,ref={app}",))
    # mode=min: the builder stage runs again (its layer is not the image's), gives the same
    # file, so COPY's key (its content) and the final RUN are hits: /seen is the pushed one
    assert log.count("CACHED") == 2, log
    assert _read(empty, "warm:1", "/seen") == _read(engine, app, "/seen")
    empty.images.remove("warm:1")
    empty.images.remove(app)
    empty.builds.prune_cache(all=True)  # the store's own cache: gone
    plain, log = _build(empty, ctx, text, tags=("warm:2",), cache_from=(app,))
    assert log.count("CACHED") == 2, log  # the classic builder's --cache-from IMAGE
    assert _read(empty, "warm:2", "/seen") == _read(engine, app, "/seen")
    for ref in ("warm:2", app):
        empty.images.remove(ref)
    empty.builds.prune_cache(all=True)
    events = list(empty.builds.stream(str(ctx), tag="warm:3", cache_from=[app]))  # docker-py
    assert "".join(e.get("stream", "") for e in events).count("CACHED") == 2, events


def test_registry_cache_manifest_mode_max(built: Any, empty: Any, registry_plain: Any) -> None:
    """A CI job: --cache-to type=registry,mode=max pushes BuildKit's cache index; a job on an
    empty store with --cache-from type=registry pulls only what its keys need."""
    engine, ctx, _ = built
    base, cache = f"{registry_plain.domain}/base:1", f"{registry_plain.domain}/app:buildcache"
    engine.images.tag("busybox:base", base)
    engine.distribution.push(base)
    text = STAGED.format(base=base)
    first, _ = _build(engine, ctx, text, tags=("app:1",),
                      cache_to=(f"type=registry,ref={cache},mode=max",))
    from scow.oci.reference import parse_reference

    ref = parse_reference(cache)
    with engine.distribution.client(ref.domain) as client:
        data, media_type, _ = client.get_manifest(ref.path, "buildcache")
    kinds = [d["mediaType"] for d in json.loads(data)["manifests"]]
    assert media_type == "application/vnd.oci.image.index.v1+json"
    assert "application/vnd.buildkit.cacheconfig.v0" in kinds
    again, log = _build(empty, ctx, text, tags=("warm:1",),
                        cache_from=(f"type=registry,ref={cache}",))
    assert log.count("CACHED") == 3, log  # the builder stage too (mode=max): nothing re-run
    assert _read(empty, "warm:1", "/seen") == _read(engine, "app:1", "/seen")
    assert again.image["rootfs"] == first.image["rootfs"]


@pytest.mark.parametrize(("flag", "value", "error"), [
    ("cache_to", "type=registry", InvalidArgument),
    ("cache_to", "type=s3", InvalidArgument),
    ("cache_from", "type=local", InvalidArgument),
    ("cache_to", "type=local,dest=/tmp/x,mode=all", InvalidArgument),
    ("cache_to", "plainimage", InvalidArgument),
])
def test_bad_specs_are_refused_before_building(built: Any, flag: str, value: str,
                                               error: type) -> None:
    engine, ctx, _ = built
    with pytest.raises(error):
        _build(engine, ctx, "FROM busybox:base\nRUN touch /never\n", **{flag: (value,)})
    assert engine.store.build_cache.records() == []


def test_hostile_layout_is_one_line_error(built: Any, tmp_path: Path) -> None:
    engine, ctx, _ = built
    bad = tmp_path / "bad"
    (bad / "blobs/sha256").mkdir(parents=True)
    (bad / "index.json").write_text('{"manifests": [{"digest": "sha256:../../etc/passwd"}]}')
    with pytest.raises(InvalidArgument) as failed:
        _build(engine, ctx, "FROM busybox:base\n", cache_from=(f"type=local,src={bad}",))
    assert "not a buildkit cache layout" in str(failed.value)


def test_tampered_layer_blob_is_refused_and_leaves_nothing(built: Any, empty: Any,
                                                          tmp_path: Path,
                                                          busybox_tar: Path) -> None:
    engine, ctx, _ = built
    text = STAGED.format(base="busybox:base")
    dest = tmp_path / "cache"
    _build(engine, ctx, text, cache_to=(f"type=local,dest={dest},mode=max",))
    with open(busybox_tar, "rb") as f:
        empty.images.import_image(f, reference="busybox:base")
    before = {layer.chain_id for layer in empty.store.layers.all()}
    config = json.loads((dest / "index.json").read_text())["manifests"][0]
    index = json.loads((dest / "blobs/sha256" / config["digest"][7:]).read_text())
    for layer in index["manifests"]:  # the base's too: the store has it, it is not read
        if layer["mediaType"].endswith("gzip"):
            (dest / "blobs/sha256" / layer["digest"][7:]).write_bytes(b"\x1f\x8b not it")
    with pytest.raises(InvalidArgument) as failed:
        _build(empty, ctx, text, cache_from=(f"type=local,src={dest}",))
    assert "does not match its digest" in str(failed.value)
    assert "\n" not in str(failed.value)
    assert not empty.store.db.query("SELECT * FROM leases")
    empty.builds.prune_cache(all=True)
    assert {layer.chain_id for layer in empty.store.layers.all()} == before
