"""The cache-mount folders (store/cache_mounts.py): sharing rules, seeding, listing, removal."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from scow.store.cache_mounts import CacheMountStore


def _seed(path: str) -> None:
    Path(path, "seeded").write_text("x")


def test_private_takes_a_free_instance_and_shared_shares(tmp_path: Path) -> None:
    store = CacheMountStore(str(tmp_path))
    with store.acquire("pip", "private", _seed) as first:
        with store.acquire("pip", "private", _seed) as second:
            assert first != second and os.path.basename(second) == "data.1"
            assert Path(second, "seeded").exists()
    with store.acquire("pip", "shared", _seed) as a, store.acquire("pip", "shared", _seed) as b:
        assert a == b == store.data_path("pip")
    with store.acquire("pip", "private", _seed) as again:
        assert again == first  # free again: reused


def test_locked_waits_and_remove_skips_a_held_mount(tmp_path: Path) -> None:
    store = CacheMountStore(str(tmp_path))
    order: list[str] = []

    def later() -> None:
        with store.acquire("apt", "locked", _seed):
            order.append("second")

    with store.acquire("apt", "locked", _seed) as path:
        Path(path, "blob").write_bytes(b"z" * 10000)
        waiter = threading.Thread(target=later)
        waiter.start()
        time.sleep(0.3)
        order.append("first")
        [held] = store.list()
        assert held.id == "apt" and held.in_use and store.remove("apt") == 0
    waiter.join()
    assert order == ["first", "second"]
    [free] = store.list()
    assert not free.in_use and free.size >= 10000
    assert store.remove("apt") >= 10000 and store.list() == []
