"""A container's init layer filled in place (driver.folders + engine/containers/initlayer.py,
no mount) shows the same merged tree as the same layer filled through a mount (moby's way), on
every driver: an image whose paths the init layer touches are symlinks, whiteouts, opaque
folders, folders with their own mode/owner/xattrs in two layers, a file where a folder goes."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import cast

import pytest
from layertar import M, apply, snapshot

from scow.drivers.base import Driver
from scow.engine.containers import initlayer

pytestmark = pytest.mark.root

A, B, NEW, MOUNTED = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)
IMAGE_TIME = 1_700_000_000  # every member's mtime (layertar.M)
DIRS = ("/data/a/b/c", "/opt/vol", "/srv/x", "/proc/sub")
FILES = ("/bin/tool", "/data/a/f.conf")


def _image(driver: Driver) -> None:
    xattrs = {} if driver.name == "zfs" else {"user.origin": b"lower"}
    apply(driver, A, None,
          M("bin", "d"), M("bin/sh", data=b"sh"),
          M("dev", "d", mode=0o750, uid=1, gid=2, xattrs=xattrs), M("dev/keep", data=b"k"),
          M("etc", "d", mode=0o711, uid=5, gid=6), M("etc/hosts", data=b"127.0.0.1 img\n"),
          M("etc/resolv.conf", "l", link="../run/x"), M("etc/a-only", data=b"a"),
          M("data", "d", mode=0o700, uid=7, gid=7), M("data/a", "d", mode=0o751, uid=8, gid=8),
          M("data/a/old", data=b"old"), M("srv", data=b"a file where a volume goes"),
          M("sys", "d"), M("sys/old", data=b"hidden by the next layer"),
          M("proc", "l", link="/tmp"),
          M("opt", "d"), M("opt/hidden", data=b"under an opaque folder"))
    apply(driver, B, A,
          M(".wh.sys"),  # a whiteout: /sys is made anew
          M("etc", "d", mode=0o755, uid=3, gid=4), M("etc/b-only", data=b"b"),
          M("opt", "d", mode=0o705), M("opt/.wh..wh..opq"), M("opt/b", data=b"b"))


def _dir_times(top: str) -> dict[str, str]:
    """Each folder's mtime as `image` (kept from the layer below) or `new` (written)."""
    out = {}
    for folder, dirs, _ in os.walk(top):
        for name in dirs:
            path = os.path.join(folder, name)
            image = int(os.lstat(path).st_mtime) == IMAGE_TIME
            out[os.path.relpath(path, top)] = "image" if image else "new"
    return out


def _view(driver: Driver, id: str, made: tuple[float, float]
          ) -> tuple[dict[str, tuple[object, ...]], dict[str, str]]:
    path = driver.get(id)
    try:
        return _made_when(snapshot(path), made), _dir_times(path)
    finally:
        driver.put(id)


def _made_when(snap: dict[str, tuple[object, ...]], made: tuple[float, float]
               ) -> dict[str, tuple[object, ...]]:
    """`snap` with each non-folder's mtime (whole seconds, the last field) as `image` (the
    layer's, exactly) or `new`: written by the init layer's setup, which ran between the
    times `made`, so its mtime is a second in that window. The two views are set up at two
    moments: their new entries' seconds differ when a second starts in between (a flake on
    zfs-fuse, whose slower setup crossed one more often; the test now always waits for one)."""
    out = {}
    for rel, entry in snap.items():
        mtime = entry[-1]
        if mtime is not None and mtime != IMAGE_TIME:
            # the kernel stamps with its coarse clock, up to a tick behind time.time()
            assert int(made[0] - 0.1) <= cast(int, mtime) <= made[1], (rel, mtime, made)
            mtime = "new"
        elif mtime is not None:
            mtime = "image"
        out[rel] = (*entry[:-1], mtime)
    return out


def _set_up(setup: Callable[[], None]) -> tuple[float, float]:
    """When `setup` ran: the times before and after it."""
    start = time.time()
    setup()
    return start, time.time()


def test_init_layer_in_place_is_the_mounted_one(driver: Driver, archive: None) -> None:
    _image(driver)
    driver.create_rw(MOUNTED, B)
    path = driver.get(MOUNTED)
    try:  # moby's way: through the merged view
        mounted_made = _set_up(lambda: initlayer.setup(path, [], DIRS, FILES))
    finally:
        driver.put(MOUNTED)
    driver.create_rw(NEW, B)
    assert not driver.is_mounted(NEW)
    time.sleep(1.01 - time.time() % 1)  # a new second: the two setups' seconds differ
    new_made = _set_up(lambda: initlayer.setup(*driver.folders(NEW), DIRS, FILES))
    assert not driver.is_mounted(NEW)

    new, new_times = _view(driver, NEW, new_made)
    mounted, mounted_times = _view(driver, MOUNTED, mounted_made)
    assert new == mounted
    assert new_times == mounted_times
    # and what that view is, fixed
    assert new["etc/resolv.conf"][0] == oct(0o10) and new["etc/resolv.conf"][4] == b""
    assert new["bin/sh"][-1] == "image" and new["bin/tool"][-1] == "new"
    assert new["etc/hosts"][4] == b"127.0.0.1 img\n"
    assert new["etc/mtab"][4] == "/proc/mounts"
    assert new["etc"][1:4] == (oct(0o755), 3, 4)  # the uppermost layer's folder
    assert {"etc/a-only", "etc/b-only", "etc/hostname", "dev/keep", "dev/console",
            "dev/pts", "dev/shm", ".dockerenv", "data/a/old", "data/a/b/c", "data/a/f.conf",
            "bin/sh", "bin/tool", "opt/b", "opt/vol", "proc/sub", "sys"} <= set(new)
    assert new["dev"][1:4] == (oct(0o750), 1, 2) and new["data/a"][1:4] == (oct(0o751), 8, 8)
    if driver.name != "zfs":
        assert new["dev"][6] == {"user.origin": b"lower"}
    assert "sys/old" not in new and "opt/hidden" not in new and "srv/x" not in new
    assert new["proc"][0] == oct(0o4)  # the symlink replaced by a folder
    assert new_times["data"] == "image" and new_times["data/a"] == "new"


def test_in_place_overlay_upper_copies_folders_up_not_opaque(root: str, archive: None) -> None:
    """overlay2's upper folder holds copied-up folders merged with the lower ones (no opaque
    mark), new folders over a hidden name opaque, as the kernel's own writes leave them."""
    from tests.tools import require_overlay

    from scow.drivers.select import open_driver

    require_overlay(root)
    driver = open_driver(root, "overlay2")
    _image(driver)
    driver.create_rw(NEW, B)
    diff, lowers = driver.folders(NEW)
    assert len(lowers) == 2
    initlayer.setup(diff, lowers, DIRS, FILES)

    def opaque(rel: str) -> bool:
        return initlayer.OPAQUE in os.listxattr(os.path.join(diff, rel), follow_symlinks=False)

    assert not any(opaque(rel) for rel in ("dev", "etc", "data", "data/a", "opt"))
    assert opaque("sys") and opaque("proc")  # over a whiteout; over a replaced symlink
    assert not opaque("dev/pts") and not opaque("data/a/b")
    assert not os.path.exists(os.path.join(diff, "dev", "keep"))  # only what was written
