"""The rows that moved into the store: volumes, the build cache (also on a root made before
its table was in the schema), and a container document patched in one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from scow.errors import ImageNotFound
from scow.oci.reference import parse_reference
from scow.osutil.locks import OwnerToken
from scow.store.build_cache import BuildCacheStore
from scow.store.containers import ContainerStore
from scow.store.db import Database
from scow.store.refs import ReferenceStore
from scow.store.volumes import VolumeStore


def test_volume_rows(tmp_path: Path) -> None:
    volumes = VolumeStore(Database(str(tmp_path / "scow.db")))
    volumes.add("v1", {"k": "v"}, False)
    volumes.add("v1", {}, True)  # creating an existing volume keeps it (docker)
    first = volumes.find("v1")
    assert first is not None and first.labels == {"k": "v"} and not first.anonymous
    volumes.add("a0", {}, True)
    assert [v.name for v in volumes.all()] == ["a0", "v1"]
    volumes.delete("v1")
    assert volumes.find("v1") is None


def test_build_cache_rows(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "scow.db"))  # migration 2 made the table
    rows = BuildCacheStore(db)
    rows.put("step", None, "sha256:d", "sha256:c")
    assert rows.find("step") == ("sha256:d", "sha256:c")
    assert rows.prune() == 1 and rows.find("step") is None  # its layer is not in the store
    rows.put("image:x", None, "sha256:i", "")
    assert rows.prune() == 0


def test_patch_doc_changes_only_its_fields(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "scow.db"))
    owner = OwnerToken(str(tmp_path / "locks"))
    containers = ContainerStore(db, owner)
    containers.reserve("c" * 64, "n", "sha256:i", {"Mounted": False, "Name": "/n"})
    other_view = ContainerStore(Database(str(tmp_path / "scow.db")), owner)
    other_view.patch_doc("c" * 64, {"RestartCount": 2})  # another process's change
    assert containers.patch_doc("c" * 64, {"Mounted": True})
    assert containers.doc_of("c" * 64) == {"Mounted": True, "Name": "/n", "RestartCount": 2}
    assert not containers.patch_doc("d" * 64, {"Mounted": True})
    owner.release()


def test_a_ref_never_names_an_image_that_is_gone(tmp_path: Path) -> None:
    """A tag written after a concurrent prune removed its image is refused, not left dangling
    (the stress mix's import + system prune found it); the image store tags with its create."""
    refs = ReferenceStore(Database(str(tmp_path / "scow.db")))
    with pytest.raises(ImageNotFound, match="removed while same:1 was being tagged"):
        refs.add(parse_reference("same:1"), "sha256:" + "0" * 64)
    assert refs.find(parse_reference("same:1")) is None


def test_containers_dir_is_made_once_per_store(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`ps` asks for the folder once per listed container: made (two stats) only once."""
    from scow.store import store as store_module

    store = store_module.Store(str(tmp_path / "root"))
    made: list[str] = []
    real = store_module.os.makedirs
    monkeypatch.setattr(store_module.os, "makedirs",
                        lambda path, *a, **k: (made.append(path), real(path, *a, **k)))
    paths = {store.containers_dir() for _ in range(3)}
    assert paths == {str(tmp_path / "root" / "containers")} and len(made) == 1
    assert (tmp_path / "root" / "containers").is_dir()
    store.close()
