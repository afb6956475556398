"""owns: reading an image's layers out of the store for the analysis: each layer's tar-split
(``<root>/layerdb/<cache_id>.tar-split.gz``, read only) and the history line that made it.

`image_findings` is the findings alone (what a build prints after it): the first layer, which
a finding never blames, is read only at the paths the layers above it touch and their parent
folders, which is all a finding looks at there (a Debian base's 13,000 entries are not parsed
for a 1-RUN build's warnings)."""

from __future__ import annotations

from scow.analyze.entries import read_layer
from scow.analyze.findings import Finding, find
from scow.analyze.layers import layer_changes
from scow.analyze.report import Analysis, analyze
from scow.errors import IntegrityError
from scow.ids import chain_ids
from scow.store.store import Store


def analyze_image(store: Store, image_id: str, name: str) -> Analysis:
    diff_ids, created_by = _history(store, image_id)
    layers = [read_layer(_tar_split(store, image_id, c)) for c in chain_ids(diff_ids)]
    return analyze(image_id, name, layers, created_by, diff_ids)


def image_findings(store: Store, image_id: str) -> list[Finding]:
    """`analyze_image(...).findings`, reading of the first layer only what they need."""
    diff_ids, created_by = _history(store, image_id)
    chains = chain_ids(diff_ids)
    if not chains:
        return []
    upper = [read_layer(_tar_split(store, image_id, c)) for c in chains[1:]]
    keep: set[str] = set()
    for layer in upper:
        for entry in layer:
            keep.add(entry.path)
            parts = (entry.path.rpartition("/")[0] if entry.is_opaque else entry.target
                     ).split("/")
            keep.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))  # + folders
    layers = [read_layer(_tar_split(store, image_id, chains[0]), keep), *upper]
    _changes, stack = layer_changes(layers)
    return find(layers, stack, created_by)


def _history(store: Store, image_id: str) -> tuple[list[str], list[str]]:
    config = store.images.config(image_id)
    diff_ids = [str(d) for d in config.diff_ids]
    created_by = [h.created_by for h in config.history() if not h.empty_layer]
    created_by += ["(missing)"] * (len(diff_ids) - len(created_by))
    return diff_ids, created_by


def _tar_split(store: Store, image_id: str, chain: str) -> bytes:
    layer = store.layers.get(chain)
    try:
        with open(store.layers.tar_split_path(layer.cache_id), "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise IntegrityError(
            f"analyze image {image_id.removeprefix('sha256:')[:12]}: layer "
            f"{chain.removeprefix('sha256:')[:12]} has no tar-split") from None
