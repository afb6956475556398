"""Thread-safety as engine/engine.py states it: one Engine used from many threads at once,
and several Engines on one root in one process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scow import Engine

THREADS = 20


def _lifecycle(engine: Engine, n: int) -> tuple[int, bytes]:
    c = engine.containers.create("bb:1", ["sh", "-c", f"echo {n}"], name=f"t{n}")
    c.start()
    code = c.wait()["StatusCode"]
    out = c.logs()
    c.remove()
    return code, out  # type: ignore[return-value]


def test_twenty_containers_from_twenty_threads_on_one_engine(bb_engine: Engine) -> None:
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda n: _lifecycle(bb_engine, n), range(THREADS)))
    assert results == [(0, f"{n}\n".encode()) for n in range(THREADS)]
    assert bb_engine.containers.list(all=True) == []
    assert bb_engine.system.check().exit_code == 0


def test_several_engines_on_one_root_in_one_process(bb_engine: Engine) -> None:
    engines = [Engine(root=bb_engine.root, storage_driver="vfs") for _ in range(4)]
    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda n: _lifecycle(engines[n % 4], n), range(8)))
    finally:
        for e in engines:
            e.close()
    assert [code for code, _ in results] == [0] * 8
    assert bb_engine.containers.list(all=True) == []


def test_store_writes_from_many_threads_at_once(vfs_engine: Engine, tmp_path: Path) -> None:
    """No runtime needed: tags, volumes and lookups from 20 threads on one Engine."""
    from tests.conftest import make_tar

    layer = tmp_path / "layer.tar"
    layer.write_bytes(make_tar({"etc/": None, "etc/hello": b"hi"}))
    with open(layer, "rb") as f:
        image_id = vfs_engine.images.import_image(f, reference="base:1")

    def work(n: int) -> None:
        for i in range(5):
            vfs_engine.images.tag(image_id, f"t{n}:{i}")
            vfs_engine.volumes.create(f"v{n}-{i}")
            assert vfs_engine.images.get(f"t{n}:{i}").id == image_id
            vfs_engine.volumes.remove(f"v{n}-{i}")

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(work, range(THREADS)))
    tags = {t for image in vfs_engine.images.list() for t in image.tags}
    assert len(tags) == THREADS * 5 + 1
    assert vfs_engine.volumes.list() == []
