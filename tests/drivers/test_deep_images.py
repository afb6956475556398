"""Images deeper than Docker's 125 layers on overlay2 (the new mount API stacks up to the
kernel's 500 lowers), the clear error above that, and `scow image squash` as its remedy."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import make_tar
from tests.tools import require_root, require_runc

from scow import Engine
from scow.oci.image import history_entry, make_config, rfc3339_nano
from scow.osutil import mounts

pytestmark = pytest.mark.root

SRC = str(Path(__file__).resolve().parents[2] / "src")


def scow(root: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "scow", "--root", root, *args],
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=SRC),
                          timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"scow {' '.join(args)} failed: {proc.stderr}")
    return proc


def add_layers(engine: Engine, image: str, first: int, last: int, tag: str) -> str:
    """Tag `tag`: `image` plus one layer per i in [first, last) adding /layers/f<i>, with a
    history entry each and an empty (ENV) entry every 50 layers."""
    store = engine.store
    config = store.images.config(engine.images.resolve(image))
    diff_ids, history = list(config.diff_ids), [dict(h) for h in config.doc["history"]]
    parent = store.images.get(engine.images.resolve(image)).top_layer
    created = rfc3339_nano()
    for i in range(first, last):
        layer = store.layers.register(io.BytesIO(make_tar({f"layers/f{i}": b"%d" % i})), parent)
        if parent != store.images.get(engine.images.resolve(image)).top_layer:
            store.layers.release_lease(parent)  # type: ignore[arg-type]
        parent = layer.chain_id
        diff_ids.append(layer.diff_id)
        history.append(history_entry(created, f"/bin/sh -c echo {i} > /layers/f{i}"))
        if i % 50 == 0:
            history.append(history_entry(created, f"/bin/sh -c #(nop) ENV AT={i}",
                                         empty_layer=True))
    record = store.images.create(make_config(diff_ids=diff_ids, history=history,
                                             config=config.config, created=created))
    store.layers.release_lease(parent)  # type: ignore[arg-type]
    engine.images.tag(record.id, tag)
    return record.id


@pytest.fixture(scope="module")
def deep_root(tmp_path_factory: pytest.TempPathFactory, busybox_tar: Path) -> Iterator[str]:
    """A store (overlay2) with deep:200 (busybox + 199 one-file layers) and deep:501."""
    require_root()
    base = str(tmp_path_factory.mktemp("deep"))
    root = os.path.join(base, "root")
    with Engine(root=root, storage_driver="overlay2") as engine:
        with open(busybox_tar, "rb") as f:
            engine.images.import_image(f, reference="busybox:deep",
                                       changes=['CMD ["sh"]'])
        add_layers(engine, "busybox:deep", 1, 200, "deep:200")
        add_layers(engine, "deep:200", 200, 501, "deep:501")
    yield root
    left = mounts.mounts_under(base)
    mounts.unmount_all_under(base)
    assert left == [], f"mounts left behind: {left}"


def _listing(root: str, image: str) -> list[str]:
    require_runc()
    out = scow(root, "run", "--rm", image, "ls", "/layers").stdout.split()
    return sorted(out, key=lambda n: int(n[1:]))


def test_200_layers_register_mount_and_run(deep_root: str) -> None:
    with Engine(root=deep_root) as engine:
        config = engine.store.images.config(engine.images.resolve("deep:200"))
        assert len(config.diff_ids) == 200
        top = engine.store.layers.get(engine.store.images.get(
            engine.images.resolve("deep:200")).top_layer or "")
        merged = engine.store.driver.get(top.cache_id)
        try:
            assert len(os.listdir(os.path.join(merged, "layers"))) == 199
            assert os.path.exists(os.path.join(merged, "bin/busybox"))
        finally:
            engine.store.driver.put(top.cache_id)
    assert _listing(deep_root, "deep:200") == [f"f{i}" for i in range(1, 200)]


def test_squash_keeps_files_and_every_history_entry(deep_root: str) -> None:
    new_id = scow(deep_root, "image", "squash", "--from", "1", "-t", "deep:squashed",
                  "deep:200").stdout.strip()
    with Engine(root=deep_root) as engine:
        assert engine.images.resolve("deep:squashed") == new_id
        old = engine.store.images.config(engine.images.resolve("deep:200"))
        new = engine.store.images.config(new_id)
    assert new_id != old and len(new.diff_ids) == 2 and new.diff_ids[0] == old.diff_ids[0]
    assert [h.created_by for h in new.history()] == [h.created_by for h in old.history()]
    carrying = [h.created_by for h in new.history() if not h.empty_layer]
    assert carrying == [old.history()[0].created_by, "/bin/sh -c echo 199 > /layers/f199"]
    fmt = "{{.CreatedBy}}"
    lines = scow(deep_root, "history", "--no-trunc", "--format", fmt, "deep:squashed").stdout
    assert len(lines.splitlines()) == len(old.history())
    assert "/bin/sh -c echo 7 > /layers/f7" in lines.splitlines()
    assert _listing(deep_root, "deep:squashed") == [f"f{i}" for i in range(1, 200)]


def test_squash_of_everything_and_bad_from(deep_root: str) -> None:
    new_id = scow(deep_root, "image", "squash", "deep:200").stdout.strip()
    with Engine(root=deep_root) as engine:
        assert len(engine.store.images.config(new_id).diff_ids) == 1
    bad = scow(deep_root, "image", "squash", "--from", "200", "deep:200", check=False)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert "--from 200 is out of range: the image has 200 layers" in bad.stderr


def test_too_deep_image_fails_with_the_remedy_and_squash_fixes_it(deep_root: str) -> None:
    proc = scow(deep_root, "create", "deep:501", check=False)
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "image deep:501 has 501 layers, more than the 499" in proc.stderr
    assert "scow image squash deep:501 --from 498" in proc.stderr
    assert "scow build --squash" in proc.stderr
    scow(deep_root, "image", "squash", "--from", "400", "-t", "deep:501s", "deep:501")
    assert _listing(deep_root, "deep:501s") == [f"f{i}" for i in range(1, 501)]
