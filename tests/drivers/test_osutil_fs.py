"""The tree primitives the drivers stand on: copy_tree (vfs layers), dir_size (overlay2 sizes),
remove_tree (layer removal), mount table queries."""

from __future__ import annotations

import os
import subprocess

import pytest
from layertar import CAP, snapshot

from scow.osutil import fs, mounts, syscalls, treesize

pytestmark = pytest.mark.root


def make_tree(top: str) -> None:
    os.makedirs(os.path.join(top, "a/b"))
    with open(os.path.join(top, "a/f"), "wb") as f:
        f.write(b"data" * 1000)
    os.link(os.path.join(top, "a/f"), os.path.join(top, "a/g"))
    os.symlink("../f", os.path.join(top, "a/b/l"))
    os.mkfifo(os.path.join(top, "p"))
    os.mknod(os.path.join(top, "null"), 0o20666, os.makedev(1, 3))
    os.chown(os.path.join(top, "a/b"), 1000, 1001)
    os.chmod(os.path.join(top, "a/b"), 0o1777)
    os.setxattr(os.path.join(top, "a/f"), "security.capability", CAP)
    os.setxattr(os.path.join(top, "a/f"), "user.x", b"1")
    os.setxattr(os.path.join(top, "a"), "trusted.overlay.opaque", b"y")
    os.setxattr(os.path.join(top, "a/b/l"), "trusted.t", b"on-link", follow_symlinks=False)
    os.chmod(os.path.join(top, "a/f"), 0o4755)
    os.utime(os.path.join(top, "a"), ns=(1, 1_000_000_123))


def test_copy_tree_keeps_everything(tmp_path: os.PathLike[str]) -> None:
    src, dst = os.path.join(tmp_path, "src"), os.path.join(tmp_path, "dst")
    make_tree(src)
    fs.copy_tree(src, dst)
    assert snapshot(dst) == snapshot(src)
    assert os.stat(os.path.join(dst, "a")).st_mtime_ns == 1_000_000_123
    assert os.stat(os.path.join(dst, "a/f")).st_ino == os.stat(os.path.join(dst, "a/g")).st_ino


def test_copy_tree_without_reflink_or_copy_range(tmp_path: os.PathLike[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise OSError(95, "not supported")

    monkeypatch.setattr(syscalls, "ficlone", refuse)
    monkeypatch.setattr(os, "copy_file_range", refuse)
    src, dst = os.path.join(tmp_path, "src"), os.path.join(tmp_path, "dst")
    make_tree(src)
    fs.copy_tree(src, dst)
    assert snapshot(dst) == snapshot(src)


def test_dir_size_counts_hardlinks_once(tmp_path: os.PathLike[str]) -> None:
    make_tree(os.fspath(tmp_path))
    assert treesize.dir_size(os.fspath(tmp_path)) == 4000 + len("../f")


def test_remove_tree_unmounts_and_clears_immutable(tmp_path: os.PathLike[str]) -> None:
    top = os.path.join(tmp_path, "t")
    make_tree(top)
    os.mkdir(os.path.join(top, "m"))
    syscalls.mount("tmpfs", os.path.join(top, "m"), "tmpfs", 0, "size=1m")
    assert mounts.is_mountpoint(os.path.join(top, "m"))
    assert mounts.mounts_under(os.fspath(tmp_path)) == [os.path.join(top, "m")]
    chattr = subprocess.run(["chattr", "+i", os.path.join(top, "a/f")], check=False)
    fs.remove_tree(top)
    assert not os.path.exists(top) and mounts.mounts_under(os.fspath(tmp_path)) == []
    assert chattr.returncode in (0, 1)


def test_backing_filesystem_and_d_type(tmp_path: os.PathLike[str]) -> None:
    assert fs.backing_filesystem("/proc") == "<unknown>"
    top = os.path.join(tmp_path, "m")
    os.mkdir(top)
    syscalls.mount("tmpfs", top, "tmpfs", 0, "size=1m")
    try:
        assert fs.backing_filesystem(top) == "tmpfs"
        assert fs.supports_d_type(top)
        assert mounts.fs_type_of(top) == "tmpfs"
    finally:
        syscalls.umount2(top, syscalls.MNT_DETACH)


def _reference_size(top: str) -> int:
    """moby's directory.Size, written plainly (os.walk + lstat): what dir_size must equal."""
    total, seen = 0, set()
    for folder, dirs, files in os.walk(top):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            st = os.lstat(os.path.join(folder, name))
            if st.st_nlink > 1 and (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += st.st_size
    return total


def test_dir_size_nested_links_sparse_and_deep(tmp_path: os.PathLike[str]) -> None:
    top = os.fspath(tmp_path)
    make_tree(top)
    deep = top
    for i in range(treesize._MAX_OPEN_DIRS + 20):  # deeper than the descriptors it keeps open
        deep = os.path.join(deep, f"d{i % 3}")
        os.mkdir(deep)
        with open(os.path.join(deep, "f"), "wb") as f:
            f.write(b"x" * i)
    os.link(os.path.join(top, "a/f"), os.path.join(deep, "same-inode"))
    with open(os.path.join(top, "a/b/sparse"), "wb") as f:
        f.truncate(1 << 30)  # st_size counts, as docker's walk counts it
    os.symlink("a", os.path.join(top, "dirlink"))  # a link to a folder is not followed
    for i in range(300):
        os.mkdir(os.path.join(top, f"wide{i}"))
    expected = _reference_size(top)
    assert expected > 1 << 30
    assert treesize.dir_size(top) == expected
    assert treesize.dir_size(os.path.join(top, "missing")) == 0


def test_dir_size_walks_without_leaking_descriptors(tmp_path: os.PathLike[str]) -> None:
    before = len(os.listdir("/proc/self/fd"))
    for i in range(50):
        os.makedirs(os.path.join(tmp_path, f"x{i}", "y"))
    assert treesize.dir_size(os.fspath(tmp_path)) == 0
    assert len(os.listdir("/proc/self/fd")) == before
