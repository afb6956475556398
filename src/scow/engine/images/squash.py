"""owns: flattening an image's layers into one (`scow image squash IMAGE [--from N] [-t TAG]`)
and the layer-depth limit a container can be stacked on.

Depth: overlay2 mounts with the new mount API ("lowerdir+" one at a time), so the only limit is
the kernel's overlay stack, 500 lower layers (OVL_MAX_STACK). A container stacks its image's
layers plus its init layer as lowers, so images up to 499 layers run (Docker stops at 125 with
mount(2)'s one-page option string). Deeper images are refused by ``check_depth`` with a one-line
error naming the image and the two remedies: ``scow image squash IMAGE [--from N]`` or
``scow build --squash``. btrfs and vfs have no such limit.

Squash (``squash``): the layers from index N (0-based, default 0) to the top become one layer.
The chain's top is mounted (driver.get) and diffed with the naive diff against layer N-1 (or
against nothing for N=0), the tar is registered as one layer on the chain up to N-1, and a new
config is written: the same container config, ``rootfs.diff_ids[:N]`` plus the new DiffID, and
every history entry kept, the squashed ones marked ``empty_layer`` except the last of them,
which carries the new layer (Docker's own build --squash also keeps the entries, but appends a
"merge X to Y" entry for the new layer instead). The result is a new image ID; the source image
is left as it was.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

from scow.errors import InvalidArgument
from scow.ids import ImageID, chain_ids, short_id
from scow.oci.image import go_json, rfc3339_nano
from scow.store.store import Store

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

OVERLAY_MAX_LOWERS = 500  # the kernel's OVL_MAX_STACK


class ImageTooDeep(InvalidArgument):
    """An image has more layers than the storage driver can stack under a container."""


def max_image_layers(store: Store) -> int | None:
    """How many layers an image may have for a container to run on it (None: no limit)."""
    if store.driver.name != "overlay2":
        return None
    from scow.drivers.overlay2 import MAX_DEPTH

    return min(MAX_DEPTH, OVERLAY_MAX_LOWERS) - 1  # the container's init layer is a lower too


def check_depth(store: Store, layers: int, name: str) -> None:
    """Raise ImageTooDeep if a container cannot be stacked on the image `name` of `layers`
    layers (create loads this module only for an image of SHALLOW_IMAGE layers or more)."""
    limit = max_image_layers(store)
    if limit is None:
        return
    if layers > limit:
        raise ImageTooDeep(
            f"image {name} has {layers} layers, more than the {limit} a container can stack on "
            f"{store.driver.name} (the kernel's overlay limit is {OVERLAY_MAX_LOWERS} lower "
            f"layers): flatten it with `scow image squash {name} --from {limit - 1}` "
            "or build it with `scow build --squash`")


def squash(store: Store, image_id: ImageID, start: int = 0) -> ImageID:
    """A new image whose layers from index `start` up are one layer (see the module doc)."""
    config = store.images.config(image_id)
    diff_ids = config.diff_ids
    if not diff_ids:
        raise InvalidArgument(f"squash image {short_id(image_id)}: the image has no layers")
    if not 0 <= start < len(diff_ids):
        raise InvalidArgument(f"squash image {short_id(image_id)}: --from {start} is out of "
                              f"range: the image has {len(diff_ids)} layers (0 to "
                              f"{len(diff_ids) - 1})")
    chains = chain_ids(diff_ids)
    base = chains[start - 1] if start else None
    top_cache = store.layers.get(chains[-1]).cache_id
    base_cache = store.layers.get(base).cache_id if base else None
    store.recover()
    staging = store.tmp_path("squash.tar")
    try:
        with open(staging, "w+b") as out:
            store.driver.diff(top_cache, base_cache, out)
            out.seek(0)
            layer = store.layers.register(out, base)
        try:
            doc = _squashed_config(config.doc, diff_ids[:start] + [layer.diff_id], start)
            record = store.images.create(go_json(doc))
        finally:
            store.layers.release_lease(layer.chain_id)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staging)
    return record.id


def _squashed_config(doc: dict[str, Any], diff_ids: Sequence[str], start: int) -> dict[str, Any]:
    out = dict(doc)
    out["created"] = rfc3339_nano()
    out["rootfs"] = {"type": "layers", "diff_ids": list(diff_ids)}
    history = [dict(h) for h in doc.get("history") or []]
    carrying = [i for i, h in enumerate(history) if not h.get("empty_layer")]
    squashed = carrying[start:]
    for i in squashed[:-1]:
        history[i]["empty_layer"] = True
    if not squashed:  # no history for these layers: say where the layer came from
        history.append({"created": out["created"], "comment": "squashed layers"})
    out["history"] = history
    return {k: out[k] for k in sorted(out)}
