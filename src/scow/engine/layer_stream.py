"""owns: streaming a tar that a producer writes (a driver's diff, a tar built on the fly)
through a pipe with no temporary copy, and registering it as a layer; used by `commit`,
`build` and `cp`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from scow.errors import ScowError

if TYPE_CHECKING:
    from scow.store.layers import Layer
    from scow.store.store import Store


@contextlib.contextmanager
def piped(produce: Callable[[BinaryIO], None]) -> Iterator[BinaryIO]:
    """A readable stream of what `produce` writes in a thread. Leaving the block joins the
    thread (a read end closed early stops the writer at once, with EPIPE) and raises the
    producer's error; when the reader failed with a ScowError and the producer with one
    too, the producer's is raised: it is the cause, the reader only saw a cut stream."""
    r, w = os.pipe()
    failure: list[BaseException] = []

    def writer() -> None:
        try:
            with os.fdopen(w, "wb", buffering=1 << 20) as out:
                produce(out)
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
            failure.append(exc)

    thread = threading.Thread(target=writer, name="scow-tar-producer", daemon=True)
    thread.start()
    try:
        with os.fdopen(r, "rb", buffering=1 << 20) as stream:
            yield stream
    except ScowError:
        thread.join()
        if failure and isinstance(failure[0], ScowError):
            raise failure[0] from None
        raise
    finally:
        thread.join()
    if failure:
        raise failure[0]


def register_from(store: Store, produce: Callable[[BinaryIO], None],
                  parent: str | None) -> Layer:
    """Register the tar that `produce` writes on `parent`; the layer comes with a lease held
    by this process (release it once an image names the layer)."""
    layer: Layer | None = None
    try:
        with piped(produce) as stream:
            layer = store.layers.register(stream, parent)
    except BaseException:
        if layer is not None:  # the producer failed after the tar's end: not a whole layer
            store.layers.release_lease(layer.chain_id)
        raise
    return layer
