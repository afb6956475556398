"""The library's wait (under the API's `wait?condition=removed`) when the container goes
away while it waits: it raises NotFound instead of polling forever."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.timeout(60)
def test_wait_on_a_removed_created_container_ends(vfs_engine: Any, busybox_tar: Path) -> None:
    from scow.errors import ContainerNotFound

    with open(busybox_tar, "rb") as f:
        vfs_engine.images.import_image(f, reference="bb:1")
    c = vfs_engine.containers.create("bb:1", ["true"], network_mode="none")
    raised: list[BaseException] = []

    def wait() -> None:
        try:
            vfs_engine.containers.wait(c.id)
        except BaseException as exc:  # noqa: BLE001 - checked below
            raised.append(exc)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    time.sleep(0.5)  # the waiter is in its loop (a created container: no state yet)
    vfs_engine.containers.remove(c.id)
    waiter.join(10)
    assert not waiter.is_alive(), "wait kept polling a container that was removed"
    assert isinstance(raised[0], ContainerNotFound), repr(raised)
