"""The image store end to end on a real driver: identities as docker computes them, layers
shared by ChainID and reference-counted, byte-exact export, removal and recovery."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_tar

from scow.errors import Conflict, ImageNotFound
from scow.ids import chain_id

Engine = Any


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_import_identities_match_docker(engine: Engine, busybox_tar: Path) -> None:
    data = busybox_tar.read_bytes()
    image_id = engine.images.import_image(io.BytesIO(data), reference="acme/base:1.0")
    config_bytes = engine.store.images.config_bytes(image_id)
    assert image_id == sha256(config_bytes)  # image ID = digest of the exact config bytes
    info = engine.images.inspect("acme/base:1.0")
    assert info["RootFS"] == {"Type": "layers", "Layers": [sha256(data)]}  # DiffID
    assert info["RepoTags"] == ["acme/base:1.0"]
    assert info["Size"] > 1_000_000
    layer = engine.store.layers.get(sha256(data))
    assert layer.chain_id == layer.diff_id == sha256(data)  # ChainID of a base layer


def test_chain_ids_of_a_stack() -> None:
    a, b = sha256(b"a"), sha256(b"b")
    expected = "sha256:" + hashlib.sha256(f"{a} {b}".encode()).hexdigest()
    assert chain_id([a, b]) == expected
    assert chain_id([a]) == a


def test_same_layer_is_stored_once(engine: Engine, busybox_tar: Path) -> None:
    data = busybox_tar.read_bytes()
    first = engine.images.import_image(io.BytesIO(data), reference="one:1")
    second = engine.images.import_image(io.BytesIO(data), reference="two:1")
    assert first != second  # different created times → different configs
    assert len(engine.store.layers.all()) == 1
    folders = engine.store.driver.list_ids()
    assert len(folders) == 1
    engine.images.remove("one:1")
    assert len(engine.store.layers.all()) == 1  # still used by two:1
    records = engine.images.remove("two:1")
    assert {"Deleted": sha256(data)} in records  # the layer's ChainID is reported
    assert engine.store.layers.all() == []
    assert engine.store.driver.list_ids() == []


def test_export_is_byte_identical(engine: Engine) -> None:
    data = make_tar({"etc/": None, "etc/hostname": b"box\n", "bin/sh": "busybox",
                     "x" * 120: b"long name"}) + b"\0" * 4096
    engine.images.import_image(io.BytesIO(data), reference="t:1")
    out = io.BytesIO()
    engine.store.layers.tar_stream(sha256(data), out)
    assert out.getvalue() == data


def test_history_and_missing_rule(engine: Engine) -> None:
    image_id = engine.images.import_image(io.BytesIO(make_tar({"a": b"1"})), reference="h:1",
                                          changes=['CMD ["/bin/sh"]'])
    rows = engine.images.history("h:1")
    assert len(rows) == 1
    assert rows[0].id == image_id and rows[0].comment == "Imported from -"
    assert rows[0].size == 1
    assert engine.images.inspect("h:1")["Config"] == {"Cmd": ["/bin/sh"]}


def test_tag_resolve_and_remove_rules(engine: Engine) -> None:
    image_id = engine.images.import_image(io.BytesIO(make_tar({"a": b"1"})), reference="r:1")
    engine.images.tag("r:1", "other/r:2")
    assert engine.images.resolve(image_id[7:19]) == image_id  # short ID prefix
    with pytest.raises(Conflict, match="referenced in multiple repositories"):
        engine.images.remove(image_id[7:19])
    assert engine.images.remove("other/r:2") == [{"Untagged": "other/r:2"}]
    records = engine.images.remove("r:1")
    assert records[0] == {"Untagged": "r:1:latest"} or records[0] == {"Untagged": "r:1"}
    with pytest.raises(ImageNotFound, match="No such image: r:1"):
        engine.images.resolve("r:1")


def test_images_list_and_filters(engine: Engine) -> None:
    engine.images.import_image(io.BytesIO(make_tar({"a": b"1"})), reference="keep:1")
    dangling = engine.images.import_image(io.BytesIO(make_tar({"b": b"2"})))
    listed = engine.images.list_images()
    assert [s.repo_tags for s in listed] == [[], ["keep:1"]]
    only = engine.images.list_images(filters={"dangling": ["true"]})
    assert [s.id for s in only] == [dangling]
    assert [s.repo_tags for s in engine.images.list_images(filters={"reference": ["kee*"]})] == \
        [["keep:1"]]
    records, reclaimed = engine.images.prune()
    assert {"Deleted": dangling} in records and reclaimed == 1
    assert [s.repo_tags for s in engine.images.list_images()] == [["keep:1"]]


def test_recover_rolls_back_a_dead_owners_layer(engine: Engine) -> None:
    store = engine.store
    store.driver.create("a" * 64, None)
    with store.db.write() as tx:
        tx.execute("INSERT INTO layers(cache_id, state, owner, created) "
                   "VALUES (?, 'incomplete', 'owner-1-dead', 0)", ("a" * 64,))
    assert store.driver.exists("a" * 64)
    done = store.recover()
    assert done and not store.driver.exists("a" * 64)
    assert store.db.query("SELECT count(*) FROM layers")[0][0] == 0


def test_hostile_tar_is_refused_and_nothing_is_registered(engine: Engine,
                                                          tmp_path: Path) -> None:
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("../escape")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    from scow.errors import ScowError

    with pytest.raises(ScowError) as err:
        engine.images.import_image(io.BytesIO(buf.getvalue()), reference="bad:1")
    assert "\n" not in str(err.value)
    assert engine.store.layers.all() == [] and engine.images.list_images(all=True) == []
    assert engine.store.driver.list_ids() == []
    assert not (tmp_path / "escape").exists() and not (tmp_path / "root" / "escape").exists()
