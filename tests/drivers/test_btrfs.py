"""What only the btrfs driver does: subvolumes and O(1) snapshots on a loopback btrfs, nested
subvolume removal, the snapshot shortcut of its changes, and how it is chosen."""

from __future__ import annotations

import os
import subprocess

import pytest
from layertar import M, apply

from scow.archive.changes import changes_dirs
from scow.drivers.btrfs import BtrfsDriver
from scow.drivers.btrfs_changes import snapshot_changes
from scow.drivers.select import open_driver, prior_drivers
from scow.errors import DriverUnsupported
from scow.osutil import btrfs

pytestmark = pytest.mark.root

A, B, C = ("a" * 64, "b" * 64, "c" * 64)


@pytest.fixture
def bdriver(btrfs_root: str) -> BtrfsDriver:
    return BtrfsDriver(btrfs_root)


def _used_bytes(path: str) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def _sync(path: str) -> None:
    subprocess.run(["sync", "-f", path], check=True)


def test_layers_are_subvolumes_and_children_share_blocks(bdriver: BtrfsDriver) -> None:
    bdriver.create(A, None)
    base = bdriver.get(A)
    assert btrfs.is_subvolume(base) and oct(os.stat(base).st_mode & 0o777) == oct(0o755)
    with open(os.path.join(base, "big"), "wb") as f:
        f.write(os.urandom(64 << 20))
    _sync(base)
    before = _used_bytes(base)
    bdriver.create(B, A)
    bdriver.create_rw(C, B)
    _sync(base)
    assert btrfs.is_subvolume(bdriver.get(C))
    assert _used_bytes(base) - before < 8 << 20  # two snapshots of 64 MiB cost ~nothing
    with open(os.path.join(bdriver.get(C), "big"), "rb") as f:
        assert len(f.read()) == 64 << 20
    with open(os.path.join(bdriver.get(C), "new"), "wb") as f:
        f.write(b"only in C")
    assert not os.path.exists(os.path.join(bdriver.get(B), "new"))
    assert bdriver.metadata(C) == {} and not bdriver.is_mounted(C)


def test_remove_destroys_nested_subvolumes(bdriver: BtrfsDriver) -> None:
    bdriver.create(A, None)
    bdriver.create_rw(B, A)
    top = bdriver.get(B)
    os.makedirs(os.path.join(top, "var/lib"))
    btrfs.create_subvolume(os.path.join(top, "var/lib/inner"))
    btrfs.create_subvolume(os.path.join(top, "var/lib/inner/deeper"))
    with open(os.path.join(top, "var/lib/inner/deeper/f"), "wb") as f:
        f.write(b"x")
    assert btrfs.nested_subvolumes(top) == [os.path.join(top, "var/lib/inner"),
                                            os.path.join(top, "var/lib/inner/deeper")]
    bdriver.remove(B)
    bdriver.remove(B)
    assert not bdriver.exists(B) and bdriver.list_ids() == [A]


def test_snapshot_changes_match_the_full_comparison(bdriver: BtrfsDriver) -> None:
    apply(bdriver, A, None, M("etc", "d"), M("etc/a", data=b"1"), M("etc/b", data=b"2"),
          M("etc/c", data=b"3"), M("bin", "d"), M("bin/l", "l", link="a"),
          M("bin/keep", data=b"k"))
    bdriver.create_rw(B, A)
    top = bdriver.get(B)
    with open(os.path.join(top, "etc/a"), "r+b") as f:  # same size, same second
        f.write(b"9")
    os.utime(os.path.join(top, "etc/a"), ns=(1_700_000_000_000_000_000,) * 2)  # mtime pinned
    os.chmod(os.path.join(top, "etc/b"), 0o600)
    os.unlink(os.path.join(top, "etc/c"))
    os.unlink(os.path.join(top, "bin/l"))
    os.symlink("b", os.path.join(top, "bin/l"))
    found = snapshot_changes(top, bdriver.get(A))
    assert [str(c) for c in found] == [str(c) for c in changes_dirs(top, bdriver.get(A))]
    assert {str(c) for c in found} >= {"C /etc/b", "D /etc/c", "C /bin/l"}
    assert "C /bin/keep" not in {str(c) for c in found}


def test_unchanged_inodes_skip_the_xattr_reads(bdriver: BtrfsDriver,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    apply(bdriver, A, None, *(M(f"f{i}", data=b"x") for i in range(50)))
    bdriver.create_rw(B, A)
    with open(os.path.join(bdriver.get(B), "f7"), "wb") as f:
        f.write(b"changed")
    read: list[str] = []
    real = os.getxattr

    def counting(path: str, name: str, **kw: bool) -> bytes:
        read.append(path)
        return real(path, name, **kw)

    monkeypatch.setattr(os, "getxattr", counting)
    assert [str(c) for c in bdriver.changes(B, A)] == ["C /f7"]
    assert read == []  # f7 differs by size; the 49 others are the same inodes


def test_info_and_status_show_the_backing_filesystem(bdriver: BtrfsDriver) -> None:
    info = bdriver.info()
    assert (info.name, info.backing_filesystem, info.native_diff) == ("btrfs", "btrfs", False)
    assert bdriver.status() == [("Backing Filesystem", "btrfs")]


def test_btrfs_on_another_filesystem_is_refused(root: str) -> None:
    with pytest.raises(DriverUnsupported, match=r"^btrfs needs a btrfs filesystem: .* is on "):
        open_driver(root, "btrfs")
    assert os.listdir(root) == []


def test_a_new_store_on_btrfs_gets_btrfs(btrfs_root: str) -> None:
    assert open_driver(btrfs_root).name == "btrfs"  # the choice (docker: overlay2)
    open_driver(btrfs_root, "btrfs").create(A, None)
    assert prior_drivers(btrfs_root) == ["btrfs"]
    assert open_driver(btrfs_root).name == "btrfs"  # a prior btrfs store stays btrfs


def test_a_prior_overlay2_store_on_btrfs_stays_overlay2(btrfs_root: str) -> None:
    open_driver(btrfs_root, "overlay2").create(A, None)
    assert open_driver(btrfs_root).name == "overlay2"


def test_btrfs_is_next_when_overlay2_is_refused(btrfs_root: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from scow.drivers import overlay2_probe

    monkeypatch.setattr(overlay2_probe, "unsupported_reason", lambda *a: "no overlay here")
    assert open_driver(btrfs_root).name == "btrfs"
