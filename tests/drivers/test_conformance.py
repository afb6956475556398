"""The storage-driver conformance suite: every test runs on each driver (overlay2, vfs, btrfs on
a loopback btrfs, zfs on a pool on a file served by zfs-fuse) on a temp root, against the real
kernel (and the real ZFS)."""

from __future__ import annotations

import io
import os
import stat

import pytest
from layertar import CAP, M, apply, snapshot

from scow.drivers.base import Driver
from scow.drivers.select import open_driver
from scow.errors import LayerNotFound
from scow.osutil import mounts

pytestmark = pytest.mark.root

A, B, C, D = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)


def mounts_of(driver: Driver) -> list[str]:
    """Mounts under the driver's home that get() made (zfs: a layer's own dataset is mounted
    by ZFS while it exists, as a btrfs subvolume is always reachable: it does not count)."""
    found = mounts.mounts_under(driver.home)
    if driver.name == "zfs":
        graph = os.path.join(driver.home, "graph")
        found = [m for m in found
                 if not (os.path.dirname(m) == graph and driver.exists(os.path.basename(m)))]
    return found


def write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def zfs_fuse_limit(driver: Driver, request: pytest.FixtureRequest, limit: str) -> None:
    """Mark the test an expected failure on zfs-fuse (not the kernel module) for `limit`."""
    if driver.name == "zfs" and mounts.fs_type_of(driver.layer_path(A)) == "fuse.zfs":
        request.applymarker(pytest.mark.xfail(reason=f"zfs-fuse limit: {limit}", strict=True))


def xattrs_held(path: str) -> bool:
    try:
        os.setxattr(path, "user.scow-probe", b"1")
    except OSError:
        return False
    os.removexattr(path, "user.scow-probe")
    return True


# -- lifecycle --------------------------------------------------------------------------------
def test_create_get_put_remove(driver: Driver) -> None:
    driver.create(A, None)
    write(os.path.join(driver.layer_path(A), "base"), b"1")
    driver.create(B, A)
    assert driver.exists(A) and driver.exists(B)
    assert driver.list_ids() == [A, B]
    top = driver.get(B)
    assert os.listdir(top) == ["base"]
    assert driver.is_mounted(B) == (driver.name == "overlay2")
    driver.put(B)
    assert not driver.is_mounted(B)
    assert mounts_of(driver) == []
    driver.remove(B)
    driver.remove(B)  # idempotent
    driver.remove(A)
    assert driver.list_ids() == []
    left = [p for p, _, files in os.walk(driver.home) for p in files]
    assert not [f for f in left if not f.startswith((".", "native"))]
    if driver.name == "overlay2":
        assert os.listdir(os.path.join(driver.home, "l")) == []


def test_get_of_missing_layer_is_not_found(driver: Driver) -> None:
    with pytest.raises(LayerNotFound):
        driver.get(C)


def test_remove_while_mounted_unmounts(driver: Driver) -> None:
    driver.create(A, None)
    driver.create_rw(B, A)
    driver.get(B)
    driver.remove(B)
    assert mounts_of(driver) == [] and not driver.exists(B)


def test_refcount_survives_another_process(driver: Driver) -> None:
    driver.create(A, None)
    driver.create_rw(B, A)
    other = open_driver(os.path.dirname(driver.home), driver.name)  # a second scow process
    top = driver.get(B)
    assert other.get(B) == top
    driver.put(B)
    assert driver.is_mounted(B) == (driver.name == "overlay2")
    assert os.path.isdir(top)
    other.put(B)
    assert not driver.is_mounted(B) and mounts_of(driver) == []


@pytest.mark.parametrize("driver", ["overlay2"], indirect=True)  # only overlay2 counts mounts
def test_stale_mount_count_is_recovered(driver: Driver) -> None:
    driver.create(A, None)
    driver.create_rw(B, A)
    write(os.path.join(driver.home, B, "mountcount"), b"7\n")  # a killed process's count
    top = driver.get(B)
    assert driver.is_mounted(B) and os.path.isdir(top)
    driver.put(B)
    assert not driver.is_mounted(B)


def lose_records(driver: Driver, id: str) -> None:
    """What a power loss may leave of a layer `create_rw` made: its records written without
    a sync gone (overlay2: link, lower and the l/ link; vfs, btrfs, zfs keep none)."""
    if driver.name != "overlay2":
        return
    folder = os.path.join(driver.home, id)
    with open(os.path.join(folder, "link"), encoding="ascii") as f:
        os.unlink(os.path.join(driver.home, "l", f.read()))
    for name in ("link", "lower"):
        os.unlink(os.path.join(folder, name))


def test_repair_rebuilds_a_container_layer_from_its_parent(driver: Driver) -> None:
    """The contract of drivers/base.py `repair`: what create_rw wrote unsynced is rebuilt
    from the parent alone, the init layer first, then the writable layer over it."""
    init = B + "-init"
    driver.create(A, None)
    write(os.path.join(driver.layer_path(A), "base"), b"1")
    driver.create_rw(init, A)
    driver.create_rw(B, init)
    assert driver.repair(init, A) == [] and driver.repair(B, init) == []  # whole: nothing
    for id in (init, B):
        lose_records(driver, id)
    lost = driver.repair(init, A, dry_run=True) + driver.repair(B, init, dry_run=True)
    assert lost == (["link", "lower", "link", "lower"] if driver.name == "overlay2" else [])
    assert driver.repair(init, A) + driver.repair(B, init) == lost
    assert driver.repair(init, A) + driver.repair(B, init) == []
    top = driver.get(B)
    try:
        assert os.listdir(top) == ["base"]
    finally:
        driver.put(B)
    driver.remove(B)
    driver.remove(init)
    driver.remove(A)
    if driver.name == "overlay2":
        assert os.listdir(os.path.join(driver.home, "l")) == []


def test_deep_stack_mounts(driver: Driver) -> None:
    ids = [f"{i:064x}" for i in range(130)]
    parent = None
    for i, id in enumerate(ids):
        driver.create(id, parent)
        write(os.path.join(driver.layer_path(id), f"f{i}"), str(i).encode())
        parent = id
    top = driver.get(ids[-1])
    try:
        assert sorted(os.listdir(top)) == sorted(f"f{i}" for i in range(130))
        with open(os.path.join(top, "f0"), "rb") as f:
            assert f.read() == b"0"
    finally:
        driver.put(ids[-1])


# -- layers from tars -------------------------------------------------------------------------
BASE = (
    M("etc", "d"), M("etc/passwd", data=b"root:x:0:0\n"), M("etc/keep", data=b"k"),
    M("bin", "d"), M("bin/tool", data=b"#!", mode=0o4755, xattrs={"security.capability": CAP}),
    M("bin/same", "h", link="bin/tool", mode=0o4755, xattrs={"security.capability": CAP}),
    M("bin/sh", "l", link="/bin/tool"),
    M("tmp", "d", mode=0o1777),
    M("dev", "d"), M("dev/null", "c", mode=0o666, dev=(1, 3)), M("dev/pipe", "p", mode=0o600),
    M("data", "d", xattrs={"user.note": b"dir"}), M("data/old1", data=b"o1"),
    M("data/sub", "d"), M("data/sub/old2", data=b"o2"),
    M("home", "d", uid=1000, gid=1000), M("home/u", data=b"u", uid=1000, gid=1000,
                                            xattrs={"user.tag": b"x"}),
)
CHILD = (
    M("etc", "d"), M("etc/passwd", data=b"root:x:0:0\nme:x:1\n"), M("etc/.wh.keep"),
    M("data", "d", xattrs={"user.note": b"dir"}), M("data/.wh..wh..opq"),
    M("data/new", data=b"n"), M("added", data=b"hello"),
)


def test_apply_and_merged_view(driver: Driver, archive: None,
                               request: pytest.FixtureRequest) -> None:
    driver.create(A, None)
    if not xattrs_held(driver.layer_path(A)):
        zfs_fuse_limit(driver, request, "no extended attributes, so no file capabilities, "
                       "unless the daemon runs with --enable-xattr")
    driver.remove(A)
    apply(driver, A, None, *BASE)
    apply(driver, B, A, *CHILD)
    driver.create_rw(C, B)
    top = driver.get(C)
    try:
        snap = snapshot(top)
        assert snap["etc/passwd"][4] == b"root:x:0:0\nme:x:1\n"
        assert "etc/keep" not in snap
        assert sorted(os.listdir(os.path.join(top, "data"))) == ["new"]
        assert snap["added"][4] == b"hello"
        tool = snap["bin/tool"]
        assert tool[1] == oct(0o4755) and tool[6]["security.capability"] == CAP
        assert snap["bin/same"][7] == tool[7] is not None  # one inode
        assert snap["bin/sh"][4] == "/bin/tool"
        assert snap["tmp"][1] == oct(0o1777)
        assert stat.S_ISCHR(os.lstat(os.path.join(top, "dev/null")).st_mode)
        assert snap["dev/null"][5] == os.makedev(1, 3)
        assert stat.S_ISFIFO(os.lstat(os.path.join(top, "dev/pipe")).st_mode)
        assert snap["home/u"][2:4] == (1000, 1000) and snap["home/u"][6] == {"user.tag": b"x"}
        assert snap["data"][6] == {"user.note": b"dir"}
    finally:
        driver.put(C)


def test_diff_gives_back_an_equivalent_layer(driver: Driver, archive: None) -> None:
    from scow.archive.tarstream import LayerReader

    apply(driver, A, None, *BASE)
    apply(driver, B, A, *CHILD)
    out = io.BytesIO()
    driver.diff(B, A, out)
    driver.create(D, A)
    reader = LayerReader(io.BytesIO(out.getvalue()))
    driver.apply_diff(D, A, reader.entries())
    keep = ("security.capability",)  # what layer tars carry (moby's writer)
    for want, got in ((B, D),):
        a, b = driver.get(want), driver.get(got)
        try:
            assert snapshot(a, xattrs=keep) == snapshot(b, xattrs=keep)
        finally:
            driver.put(want)
            driver.put(got)


def test_diff_of_base_layer_is_the_whole_tree(driver: Driver, archive: None) -> None:
    from scow.archive.tarstream import LayerReader

    apply(driver, A, None, *BASE)
    out = io.BytesIO()
    driver.diff(A, None, out)
    driver.create(B, None)
    driver.apply_diff(B, None, LayerReader(io.BytesIO(out.getvalue())).entries())
    keep = ("security.capability",)
    assert snapshot(driver.get(A), xattrs=keep) == snapshot(driver.get(B), xattrs=keep)
    driver.put(A)
    driver.put(B)


def test_sizes(driver: Driver, archive: None) -> None:
    size = apply(driver, A, None, M("a", data=b"x" * 100), M("b", data=b"y" * 23),
                 M("c", "h", link="a"))
    assert size == 123
    driver.create_rw(B, A)
    top = driver.get(B)
    try:
        write(os.path.join(top, "out.txt"), b"hello")
        assert driver.diff_size(B, A) == 5
    finally:
        driver.put(B)


def test_changes_of_a_rw_layer(driver: Driver, archive: None) -> None:
    apply(driver, A, None, M("etc", "d"), M("etc/conf", data=b"1"), M("etc/gone", data=b"g"),
          M("var", "d"), M("var/log", "d"), M("var/log/x", data=b"x"))
    driver.create_rw(B, A)
    top = driver.get(B)
    try:
        write(os.path.join(top, "etc/conf"), b"22")
        os.unlink(os.path.join(top, "etc/gone"))
        os.makedirs(os.path.join(top, "srv/www"))
        write(os.path.join(top, "srv/www/i"), b"i")
        found = {(c.path, _kind(c)) for c in driver.changes(B, A)}
    finally:
        driver.put(B)
    assert found == {("/etc", "C"), ("/etc/conf", "C"), ("/etc/gone", "D"), ("/srv", "A"),
                     ("/srv/www", "A"), ("/srv/www/i", "A")}


def test_same_size_rewrite_within_a_second_is_a_change(driver: Driver,
                                                       request: pytest.FixtureRequest) -> None:
    """A container rewrites a file of its image with the same size, 0.5 s after the layer
    below wrote it: a sub-second mtime tells them apart."""
    driver.create(A, None)
    zfs_fuse_limit(driver, request, "whole-second timestamps (mtime and ctime lose their "
                   "nanoseconds), so a same-size rewrite in the same second looks unchanged")
    t = (int(os.stat(driver.layer_path(A)).st_mtime) - 10) * 1_000_000_000
    path = os.path.join(driver.layer_path(A), "f")
    write(path, b"1")
    os.utime(path, ns=(t + 100_000_000, t + 100_000_000))
    driver.create_rw(B, A)
    top = driver.get(B)
    try:
        write(os.path.join(top, "f"), b"2")
        os.utime(os.path.join(top, "f"), ns=(t + 600_000_000, t + 600_000_000))
        found = {(c.path, _kind(c)) for c in driver.changes(B, A)}
    finally:
        driver.put(B)
    assert ("/f", "C") in found


def _kind(change: object) -> str:
    kind = change.kind
    return str(getattr(kind, "value", kind))


def test_metadata(driver: Driver) -> None:
    driver.create(A, None)
    driver.create(B, A)
    meta = driver.metadata(B)
    if driver.name in ("vfs", "btrfs"):
        assert meta == {}
        return
    if driver.name == "zfs":  # moby's zfs GetMetadata
        assert meta["Mountpoint"] == os.path.join(driver.home, "graph", B)
        assert meta["Dataset"].endswith("/" + B) and os.path.ismount(meta["Mountpoint"])
        return
    assert meta["UpperDir"] == os.path.join(driver.home, B, "diff")
    assert meta["WorkDir"] == os.path.join(driver.home, B, "work")
    assert meta["MergedDir"] == os.path.join(driver.home, B, "merged")
    assert meta["LowerDir"] == os.path.join(driver.home, A, "diff")
    assert "LowerDir" not in driver.metadata(A)


def test_status_and_info(driver: Driver) -> None:
    info = driver.info()
    assert info.name == driver.name and info.supports_d_type
    if driver.name == "overlay2":
        status = dict(driver.status())
        assert status["Backing Filesystem"] == info.backing_filesystem
        assert status["Native Overlay Diff"] == "true"
        assert status["Using metacopy"] == "false"


def test_diff_of_a_written_rw_layer_commits_it(driver: Driver, archive: None) -> None:
    """docker commit: a container's writes (incl. deletes and a replaced folder) exported as a
    layer and applied on the same parent give the container's tree."""
    import shutil

    from scow.archive.tarstream import LayerReader

    apply(driver, A, None, *BASE)
    driver.create_rw(B, A)
    top = driver.get(B)
    try:
        write(os.path.join(top, "etc/passwd"), b"changed")
        os.unlink(os.path.join(top, "etc/keep"))
        shutil.rmtree(os.path.join(top, "data"))
        os.makedirs(os.path.join(top, "data/fresh"))
        os.chmod(os.path.join(top, "tmp"), 0o700)
        os.symlink("passwd", os.path.join(top, "etc/link"))
    finally:
        driver.put(B)
    out = io.BytesIO()
    driver.diff(B, A, out)
    driver.create(D, A)
    driver.apply_diff(D, A, LayerReader(io.BytesIO(out.getvalue())).entries())
    keep = ("security.capability",)
    a, b = driver.get(B), driver.get(D)
    try:
        assert snapshot(a, xattrs=keep) == snapshot(b, xattrs=keep)
        assert sorted(os.listdir(os.path.join(b, "data"))) == ["fresh"]
    finally:
        driver.put(B)
        driver.put(D)
