"""owns: reading an image's layers out of the store for the analysis: each layer's tar-split
(``<root>/layerdb/<cache_id>.tar-split.gz``, read only) and the history line that made it."""

from __future__ import annotations

from scow.analyze.entries import Entry, read_layer
from scow.analyze.report import Analysis, analyze
from scow.errors import IntegrityError
from scow.ids import chain_ids
from scow.store.store import Store


def analyze_image(store: Store, image_id: str, name: str) -> Analysis:
    config = store.images.config(image_id)
    diff_ids = list(config.diff_ids)
    layers: list[list[Entry]] = []
    for chain in chain_ids(diff_ids):
        layer = store.layers.get(chain)
        path = store.layers.tar_split_path(layer.cache_id)
        try:
            with open(path, "rb") as f:
                layers.append(read_layer(f.read()))
        except FileNotFoundError:
            raise IntegrityError(
                f"analyze image {image_id.removeprefix('sha256:')[:12]}: layer "
                f"{chain.removeprefix('sha256:')[:12]} has no tar-split") from None
    created_by = [h.created_by for h in config.history() if not h.empty_layer]
    created_by += ["(missing)"] * (len(diff_ids) - len(created_by))
    return analyze(image_id, name, layers, created_by, diff_ids)
