"""`--build-context name=path|docker-image://ref` (FROM name, COPY --from=name) and
`--no-cache-filter STAGE`, as BuildKit's (real runc, overlay2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.integration.build.test_build_steps import _read

from scow.errors import ScowError

pytestmark = pytest.mark.parametrize("engine", ["overlay2"], indirect=True)


def test_build_context_folder_and_image(built: Any, tmp_path: Path) -> None:
    engine, _, build = built
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "conf.txt").write_text("from the named context\n")
    build("FROM busybox:base\nRUN echo marked > /marker\n", tags=("marked:1",))
    text = ("FROM base\nCOPY --from=files conf.txt /conf.txt\n"
            "COPY --from=other /marker /marker\n")
    build(text, tags=("ctx:1",), build_contexts={
        "files": str(extra), "base": "docker-image://busybox:base",
        "other": "docker-image://marked:1"})
    assert _read(engine, "ctx:1", "/conf.txt") == b"from the named context\n"
    assert _read(engine, "ctx:1", "/marker") == b"marked\n"
    # a named context replaces a stage of the same name (BuildKit)
    text = "FROM busybox:base AS stage\nRUN echo stage > /marker\nFROM stage\n"
    build(text, tags=("ctx:2",), build_contexts={"stage": "docker-image://marked:1"})
    assert _read(engine, "ctx:2", "/marker") == b"marked\n"
    with pytest.raises(ScowError) as failed:
        build("FROM files\n", build_contexts={"files": str(extra)})
    assert str(failed.value).startswith("Dockerfile:1: FROM files: a build context folder")


def test_no_cache_filter_rebuilds_only_the_named_stage(built: Any) -> None:
    engine, _, build = built
    # a random UUID per run (busybox's date has no %N: two builds in one second matched)
    text = ("FROM busybox:base AS a\nRUN cat /proc/sys/kernel/random/uuid > /a\n"
            "FROM busybox:base AS b\nRUN cat /proc/sys/kernel/random/uuid > /b\n"
            "FROM busybox:base\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n")
    build(text, tags=("ncf:1",))
    build(text, tags=("ncf:2",), no_cache_filter=("b",))
    assert _read(engine, "ncf:1", "/a") == _read(engine, "ncf:2", "/a")
    assert _read(engine, "ncf:1", "/b") != _read(engine, "ncf:2", "/b")
