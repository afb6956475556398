"""`system check` finds each kind of damage and `--repair` fixes what loses nothing finished;
`system prune -af` leaves no layer folder and no mount behind."""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_tar
from tests.reliability.conftest import mounts_under, ok, scow

LAYER = make_tar({"etc/": None, "etc/a": b"a" * 1000, "etc/b": b"bbb"})


def _image(engine: Any, tag: str = "t:1", content: bytes = LAYER) -> str:
    return str(engine.images.import_image(io.BytesIO(content), reference=tag))


def _kinds(engine: Any, **kw: bool) -> list[str]:
    return sorted({p.kind for p in engine.system.check(**kw).problems})


def test_clean_store_is_clean(engine: Any) -> None:
    _image(engine)
    report = engine.system.check()
    assert report.exit_code == 0 and report.summary().startswith("No problems found")


def test_orphan_folder_and_tar_split_are_repaired(engine: Any) -> None:
    _image(engine)
    engine.store.driver.create("f" * 64, None)
    Path(engine.store.layers.tar_split_path("e" * 64)).write_bytes(b"x")
    os.chmod(engine.store.layers.tar_split_path("e" * 64), 0o600)  # as scow writes it
    assert _kinds(engine) == ["orphan-file", "orphan-folder"]
    assert engine.system.check().exit_code == 1  # repairable: needs --repair
    report = engine.system.check(repair=True)
    assert report.exit_code == 0 and len(report.repaired) == 2
    assert engine.system.check().exit_code == 0
    assert not engine.store.driver.exists("f" * 64)


def test_dangling_ref_and_unused_layer_and_orphan_blob(engine: Any) -> None:
    image_id = _image(engine)
    with engine.store.db.write() as tx:  # an rmi killed between its steps
        tx.execute("DELETE FROM images WHERE id = ?", (image_id,))
    report = engine.system.check()
    assert sorted((p.kind, p.state) for p in report.problems) == [
        ("dangling-ref", "repairable"), ("orphan-blob", "pending"), ("unused-layer", "pending")]
    assert report.exit_code == 1
    assert engine.system.check(repair=True).exit_code == 0
    assert engine.system.check().exit_code == 0
    assert engine.store.driver.list_ids() == []


def test_interrupted_row_of_dead_owner(engine: Any) -> None:
    with engine.store.db.write() as tx:
        tx.execute("INSERT INTO layers(cache_id, state, owner, created) VALUES "
                   "(?, 'incomplete', 'owner-1-dead', 0)", ("a" * 64,))
    engine.store.driver.create("a" * 64, None)
    report = engine.system.check()
    assert [(p.kind, p.state) for p in report.problems] == [("interrupted", "pending")]
    assert report.exit_code == 0  # the next write recovers it: the store is sound
    assert report.lines()[0].startswith("pending: interrupted: layers row ")
    assert engine.system.check(repair=True).exit_code == 0
    assert engine.system.check().exit_code == 0 and engine.store.driver.list_ids() == []


def test_missing_layer_folder_is_damage(engine: Any) -> None:
    _image(engine)
    layer = engine.store.layers.all()[0]
    engine.store.driver.remove(layer.cache_id)
    report = engine.system.check(repair=True)
    assert report.exit_code == 2 and "missing-layer" in {p.kind for p in report.remaining}
    assert engine.images.find("t:1") is not None  # the image is never deleted by a repair


def test_modified_content_found_by_full_check_only(engine: Any) -> None:
    _image(engine)
    layer = engine.store.layers.all()[0]
    with open(os.path.join(engine.store.driver.layer_path(layer.cache_id), "etc/b"), "wb") as f:
        f.write(b"BBB")
    assert engine.system.check(quick=True).exit_code == 0
    report = engine.system.check()
    assert report.exit_code == 2 and [p.kind for p in report.problems] == ["corrupt-layer"]


def test_corrupt_unused_blob_is_deleted(engine: Any) -> None:
    path = Path(engine.store.blobs.home) / ("0" * 64)
    path.write_bytes(b"junk")
    path.chmod(0o600)  # as scow writes it (a wider mode is a loose-mode finding besides)
    assert _kinds(engine) == ["corrupt-blob"]
    assert engine.system.check().exit_code == 1
    assert engine.system.check(repair=True).exit_code == 0 and not path.exists()


def test_overlay_links(tmp_path: Path, no_leaked_mounts: Path) -> None:
    from scow import Engine

    with Engine(root=str(no_leaked_mounts / "root"), storage_driver="overlay2") as engine:
        _image(engine)
        home = engine.store.driver.home
        os.symlink("../nothing/diff", os.path.join(home, "l", "DANGLING"))
        cache_id = engine.store.layers.all()[0].cache_id
        lid = Path(home, cache_id, "link").read_text().strip()
        os.unlink(os.path.join(home, "l", lid))
        assert _kinds(engine) == ["missing-link", "orphan-link"]
        assert engine.system.check().exit_code == 1
        assert engine.system.check(repair=True).exit_code == 0
        assert engine.system.check().exit_code == 0
        assert os.readlink(os.path.join(home, "l", lid)) == f"../{cache_id}/diff"


def test_stale_mount_is_unmounted(tmp_path: Path, no_leaked_mounts: Path) -> None:
    from scow import Engine

    root = no_leaked_mounts / "root"
    with Engine(root=str(root), storage_driver="overlay2") as engine:
        _image(engine)
        rw = engine.store.layers.create_rw(engine.store.layers.all()[0].chain_id, "c" * 64)
        engine.store.driver.get(rw.mount_id)  # a process that died holding a mount
        kinds = _kinds(engine)
        assert "stale-mount" in kinds
        engine.system.check(repair=True)
        assert mounts_under(root) == []
        engine.store.layers.remove_rw(rw.mount_id)


def test_cli_exit_codes(tmp_path: Path) -> None:
    root = tmp_path / "root"
    tar = tmp_path / "l.tar"
    tar.write_bytes(LAYER)
    ok(root, "import", str(tar), "t:1", driver="vfs")
    assert scow(root, "system", "check", driver="vfs").returncode == 0
    db = sqlite3.connect(root / "scow.db")
    db.execute("INSERT INTO refs VALUES ('docker.io/library/gone:1', 'docker.io/library/gone', "
               "'sha256:" + "1" * 64 + "', 0, 0)")
    db.commit()
    db.close()
    proc = scow(root, "system", "check", driver="vfs")
    assert proc.returncode == 1  # needs --repair
    assert proc.stdout.splitlines()[0].startswith("repairable: dangling-ref: reference ")
    proc = scow(root, "system", "check", "--repair", driver="vfs")
    assert proc.returncode == 0 and "1 repaired, 0 remaining" in proc.stdout
    assert scow(root, "system", "check", driver="vfs").returncode == 0


@pytest.mark.parametrize("driver", ["overlay2", "vfs"])
def test_prune_all_leaves_nothing(driver: str, busybox_tar: Path, no_leaked_mounts: Path) -> None:
    root = no_leaked_mounts / "root"
    ok(root, "import", "-c", 'CMD ["sh"]', str(busybox_tar), "bb", driver=driver)
    ok(root, "run", "--name", "ca", "bb", "sh", "-c", "echo hi > /f", driver=driver)
    ok(root, "commit", "ca", "bb2", driver=driver)
    ok(root, "run", "--name", "cb", "-v", "/data", "bb2", "true", driver=driver)
    ok(root, "run", "-d", "--name", "up", "bb", "sleep", "30", driver=driver)
    try:
        out = ok(root, "system", "prune", "-af", "--volumes", driver=driver)
        assert "Deleted Containers:" in out and "Deleted Volumes:" in out
        assert out.rstrip().splitlines()[-1].startswith("Total reclaimed space: ")
        assert "untagged: bb:latest" not in out  # a running container uses it
    finally:
        ok(root, "rm", "-f", "up", driver=driver)
    out = ok(root, "system", "prune", "-af", driver=driver)
    assert "untagged: bb:latest" in out
    home = root / driver
    leftover = [n for n in os.listdir(home) if not n.startswith(".") and n not in ("l", "dir")]
    assert leftover == [] and os.listdir(root / "layerdb") == []
    if driver == "vfs":
        assert os.listdir(home / "dir") == []
    else:
        assert os.listdir(home / "l") == []
    assert mounts_under(root) == []
    assert scow(root, "system", "check", driver=driver).returncode == 0
