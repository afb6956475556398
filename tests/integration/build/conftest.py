"""Fixtures for building on a real store with real runc: an Engine per driver on a temp root
with the busybox rootfs imported as ``busybox:base``, and a helper that builds a context."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.tools import require_runc

from scow.build.builder import BuildResult
from scow.build.context import BuildContext
from scow.build.ports import BuildOptions
from scow.build.progress import PlainProgress

Build = Callable[..., tuple[BuildResult, str]]


@pytest.fixture
def built(engine: Any, busybox_tar: Path, tmp_path: Path) -> Iterator[tuple[Any, Path, Build]]:
    """(engine, context folder, build(dockerfile_text, **BuildOptions) -> (result, log))."""
    require_runc()
    with open(busybox_tar, "rb") as f:
        engine.images.import_image(f, reference="busybox:base")
    ctx = tmp_path / "ctx"
    ctx.mkdir()

    def build(dockerfile: str, name: str = "Dockerfile", **kw: Any) -> tuple[BuildResult, str]:
        (ctx / name).write_text(dockerfile)
        out = io.StringIO()
        with BuildContext.from_dir(str(ctx), name) as context:
            result = engine.build.build(context, BuildOptions(dockerfile=name, **kw),
                                        PlainProgress(out))
        return result, out.getvalue()

    yield engine, ctx, build
