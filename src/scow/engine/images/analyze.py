"""owns: `scow image analyze IMAGE`'s entry into the engine: resolve the name, hand the store
to `scow.analyze`, which reads the layers' tar-split metadata (never extracting a layer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scow.analyze.report import Analysis
    from scow.engine.engine import Engine


def analyze_image(engine: Engine, name: str) -> Analysis:
    from scow.analyze.image import analyze_image as analyze

    image_id = engine.images.resolve(name)
    return analyze(engine.store, image_id, name)
