"""What only overlay2 has: Docker's on-disk layout, mount(2) with the relative-path fallback,
read-only mounts of committed layers, the upper-folder changes."""

from __future__ import annotations

import os
import re

import pytest
from tests.tools import require_overlay

from scow.drivers.base import Driver
from scow.drivers.select import open_driver
from scow.osutil import mounts

pytestmark = [pytest.mark.root, pytest.mark.overlay]

A, B, C = ("a" * 64, "b" * 64, "c" * 64)


def read(path: str) -> str:
    with open(path, encoding="ascii") as f:
        return f.read()


@pytest.fixture
def overlay(root: str) -> Driver:
    require_overlay(root)
    return open_driver(root, "overlay2")


def test_layout_is_dockers(overlay: Driver) -> None:
    home = overlay.home
    overlay.create(A, None)
    overlay.create(B, A)
    lid_a = read(os.path.join(home, A, "link"))
    lid_b = read(os.path.join(home, B, "link"))
    assert re.fullmatch(r"[A-Z2-7]{26}", lid_a) and lid_a != lid_b
    assert os.readlink(os.path.join(home, "l", lid_a)) == f"../{A}/diff"
    assert read(os.path.join(home, B, "lower")) == f"l/{lid_a}"
    assert os.path.exists(os.path.join(home, A, "committed"))
    assert not os.path.exists(os.path.join(home, A, "lower"))
    assert sorted(os.listdir(os.path.join(home, B))) == ["diff", "link", "lower", "work"]
    overlay.create(C, B)
    assert read(os.path.join(home, C, "lower")) == f"l/{lid_b}:l/{lid_a}"


def test_base_layer_get_is_its_diff(overlay: Driver) -> None:
    overlay.create(A, None)
    assert overlay.get(A) == os.path.join(overlay.home, A, "diff")
    assert not overlay.is_mounted(A)
    overlay.put(A)


def test_committed_layer_mounts_read_only(overlay: Driver) -> None:
    overlay.create(A, None)
    overlay.create(B, A)
    overlay.create(C, B)  # makes B committed
    top = overlay.get(B)
    try:
        with pytest.raises(OSError):
            open(os.path.join(top, "x"), "wb").close()
    finally:
        overlay.put(B)


def test_mount2_relative_fallback_mounts_130_layers(overlay: Driver,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mounts, "has_lowerdir_append", lambda: False)
    ids = [f"{i:064x}" for i in range(130)]
    parent = None
    for i, id in enumerate(ids):
        overlay.create(id, parent)
        open(os.path.join(overlay.layer_path(id), f"f{i}"), "wb").close()
        parent = id
    overlay.create_rw(B, ids[-1])
    cwd = os.getcwd()
    top = overlay.get(B)
    try:
        assert os.getcwd() == cwd  # the chdir happened on a thread of its own
        assert len(os.listdir(top)) == 130
        open(os.path.join(top, "new"), "wb").close()
        assert os.path.exists(os.path.join(overlay.layer_path(B), "new"))
    finally:
        overlay.put(B)


def test_opaque_dir_changes(overlay: Driver, archive: None) -> None:
    overlay.create(A, None)
    base = overlay.layer_path(A)
    os.makedirs(os.path.join(base, "d/sub"))
    for name in ("d/one", "d/two", "d/sub/three"):
        open(os.path.join(base, name), "wb").close()
    overlay.create_rw(B, A)
    top = overlay.get(B)
    try:
        import shutil

        shutil.rmtree(os.path.join(top, "d"))
        os.mkdir(os.path.join(top, "d"))
        open(os.path.join(top, "d", "one"), "wb").close()
        changes = overlay.changes(B, A)
    finally:
        overlay.put(B)
    kinds = {c.path: str(getattr(c.kind, "value", c.kind)) for c in changes}
    assert kinds == {"/d": "C", "/d/one": "A", "/d/two": "D", "/d/sub": "D"}


def test_mount_made_by_a_process_that_exited_is_put_by_another(overlay: Driver,
                                                               root: str) -> None:
    import subprocess
    import sys

    overlay.create(A, None)
    overlay.create_rw(B, A)
    code = (f"from scow.drivers.select import open_driver; "
            f"print(open_driver({root!r}, 'overlay2').get({B!r}))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    top = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, env=env).stdout.strip()
    assert overlay.is_mounted(B) and top == os.path.join(overlay.home, B, "merged")
    assert overlay.get(B) == top  # count 2
    overlay.put(B)
    assert overlay.is_mounted(B)
    overlay.put(B)
    assert not overlay.is_mounted(B) and not os.path.exists(top)


def test_uncounted_mount_is_adopted_not_stacked(overlay: Driver) -> None:
    overlay.create(A, None)
    overlay.create_rw(B, A)
    top = overlay.get(B)
    os.unlink(os.path.join(overlay.home, B, "mountcount"))  # the count got lost
    assert overlay.get(B) == top
    assert mounts.mounts_under(top) == [top]  # one mount, not two stacked
    overlay.put(B)
    assert not overlay.is_mounted(B)


def test_removing_every_layer_leaves_only_l(overlay: Driver, root: str) -> None:
    """Mount counts live in their layer folder and the native-diff probe beside the driver
    folder, so a store emptied of layers leaves only an empty l/ (Docker's)."""
    overlay.create(A, None)
    overlay.create_rw(B, A)
    overlay.get(B)
    assert overlay.native_diff() in (True, False)  # probed and cached
    overlay.put(B)
    overlay.remove(B)
    overlay.remove(A)
    assert sorted(os.listdir(overlay.home)) == ["l"]
    assert os.listdir(os.path.join(overlay.home, "l")) == []
    again = open_driver(root, "overlay2")  # the next process reads the cache
    assert again.native_diff() == overlay.native_diff()
    assert sorted(os.listdir(overlay.home)) == ["l"]


def test_native_diff_probe_is_kept_for_this_boot_only(overlay: Driver, root: str) -> None:
    cache = os.path.join(root, "overlay2.probe")
    answer = overlay.native_diff()
    with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
        assert read(cache) == f"{f.read().strip()} {str(answer).lower()}\n"
    with open(cache, "w", encoding="ascii") as f:  # measured in another boot: probed again
        f.write(f"another-boot {str(not answer).lower()}\n")
    assert open_driver(root, "overlay2").native_diff() == answer


def test_counts_of_the_old_layout_are_moved_into_their_layer(overlay: Driver, root: str
                                                             ) -> None:
    overlay.create(A, None)
    overlay.create_rw(B, A)
    top = overlay.get(B)
    os.unlink(os.path.join(overlay.home, B, "mountcount"))  # as a root of the old layout had it
    legacy = os.path.join(overlay.home, ".mountcount")
    os.mkdir(legacy)
    with open(os.path.join(legacy, B), "w", encoding="ascii") as f:
        f.write("2\n")  # a running container and one more user
    with open(os.path.join(overlay.home, ".native-diff"), "w", encoding="ascii") as f:
        f.write("true")
    old = open_driver(root, "overlay2")
    assert not os.path.exists(os.path.join(overlay.home, ".native-diff"))
    old.put(B)
    assert old.is_mounted(B) and not os.path.exists(legacy)  # 1 left, the count moved
    assert read(os.path.join(overlay.home, B, "mountcount")) == "1\n"
    old.put(B)
    assert not os.path.exists(top)


def test_container_layer_records_are_not_synced(overlay: Driver,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """An image layer's link, lower and folder are synced; a container layer's are not:
    `repair` rebuilds them (test_conformance.py, tests/reliability/test_power_loss.py)."""
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    overlay.create(A, None)
    overlay.create(B, A)
    assert len(synced) == 5  # link of A, its folder; link and lower of B, its folder
    synced.clear()
    overlay.create_rw(C + "-init", B)
    overlay.create_rw(C, C + "-init")
    assert synced == []


@pytest.mark.parametrize("loss", ["emptied", "symlink", "work"])
def test_repair_keeps_what_survived(overlay: Driver, loss: str) -> None:
    """A link ID that still names a symlink (or that a symlink still names) is kept, so the
    writable layer's lower stays as it was; a lost work/ is made again."""
    init = C + "-init"
    overlay.create(A, None)
    overlay.create_rw(init, A)
    overlay.create_rw(C, init)
    lid = read(os.path.join(overlay.home, init, "link"))
    lower = read(os.path.join(overlay.home, C, "lower"))
    if loss == "emptied":  # the file's name survived, not its bytes; the symlink did
        open(os.path.join(overlay.home, init, "link"), "w").close()
    elif loss == "symlink":
        os.unlink(os.path.join(overlay.home, "l", lid))
    else:
        os.rmdir(os.path.join(overlay.home, C, "work"))
    want = {"emptied": ["link"], "symlink": ["link"], "work": []}[loss]
    assert overlay.repair(init, A) == want
    assert overlay.repair(C, init) == ([] if want else ["work"])
    assert read(os.path.join(overlay.home, init, "link")) == lid
    assert read(os.path.join(overlay.home, C, "lower")) == lower
    assert os.readlink(os.path.join(overlay.home, "l", lid)) == f"../{init}/diff"
    overlay.get(C)
    overlay.put(C)
