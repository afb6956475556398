"""owns: registering a layer from a tar that a producer writes (a driver's diff, a tar built
on the fly), streamed through a pipe with no temporary copy; used by `commit` and `build`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO

from scow.errors import ScowError

if TYPE_CHECKING:
    from scow.store.layers import Layer
    from scow.store.store import Store


def register_from(store: Store, produce: Callable[[BinaryIO], None],
                  parent: str | None) -> Layer:
    """Register the tar that `produce` writes on `parent`; the layer comes with a lease held
    by this process (release it once an image names the layer)."""
    r, w = os.pipe()
    failure: list[BaseException] = []

    def writer() -> None:
        try:
            with os.fdopen(w, "wb", buffering=1 << 20) as out:
                produce(out)
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
            failure.append(exc)

    thread = threading.Thread(target=writer, name="scow-diff", daemon=True)
    thread.start()
    try:
        with os.fdopen(r, "rb", buffering=1 << 20) as stream:
            try:
                layer = store.layers.register(stream, parent)
            except ScowError:
                thread.join()
                if failure:
                    raise failure[0] from None
                raise
    finally:
        thread.join()
    if failure:
        store.layers.release_lease(layer.chain_id)
        raise failure[0]
    return layer
