"""`scow cp`'s fd-only reading (engine/cp_source.py) and fd-only removal (osutil/at.py) on a
plain folder standing in for a container's root, with the swaps made deterministic: the
folder is changed right after it was listed, before its entries are opened. The real race,
with a container and runc, is tests/integration/containers/test_cp_race.py."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from scow.archive.writer import write_tree
from scow.engine.containers.cp_source import open_source, write_source
from scow.errors import NotFound
from scow.osutil.at import remove_tree_at


@pytest.fixture
def root(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    folder = tmp_path / "root"
    (folder / "w" / "d").mkdir(parents=True)
    (folder / "w" / "d" / "inside").write_text("inside\n")
    (folder / "w" / "f").write_text("file\n")
    os.link(folder / "w" / "f", folder / "w" / "hard")
    os.symlink("/w/d", folder / "w" / "abs")
    (folder / "etc").mkdir()
    (folder / "etc" / "passwd").write_text("container\n")
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    yield folder, fd
    os.close(fd)


def _tar(root_fd: int, path: str, arcname: str | None = None, follow: bool = False) -> bytes:
    src = open_source(root_fd, path, follow=follow, shown=f"c:{path}")
    try:
        out = io.BytesIO()
        name = ("" if src.contents_only else src.base) if arcname is None else arcname
        write_source(out, src, name, ids=None)
        return out.getvalue()
    finally:
        os.close(src.fd)


def _names(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.getnames()


def test_same_bytes_as_write_tree(root: tuple[Path, int]) -> None:
    folder, fd = root
    out = io.BytesIO()
    write_tree(str(folder), out)
    assert _tar(fd, "/") == out.getvalue()


def test_symlinks_resolve_in_the_root(root: tuple[Path, int], tmp_path: Path) -> None:
    _, fd = root
    os.symlink("../../../../../../etc", root[0] / "w" / "up")
    assert _names(_tar(fd, "/w/abs")) == ["abs"]
    assert _names(_tar(fd, "/w/abs", follow=True)) == ["abs", "abs/inside"]
    assert _names(_tar(fd, "/w/up/")) == ["up", "up/passwd"]
    with pytest.raises(NotFound):
        _tar(fd, "/w/nope")


def test_folder_swapped_for_a_symlink_after_listing(root: tuple[Path, int], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder, fd = root
    host = tmp_path / "host"
    host.mkdir()
    (host / "host-secret").write_text("host\n")
    real_listdir = os.listdir

    def listdir_then_swap(path: int | str = ".") -> list[str]:
        names = real_listdir(path)
        if "d" in names and (folder / "w" / "d").is_dir():
            os.rename(folder / "w" / "d", folder / "w" / "d.moved")
            os.symlink(host, folder / "w" / "d")
            os.rename(folder / "w" / "f", folder / "w" / "f.moved")
            os.mkfifo(folder / "w" / "f")  # opening it for reading would block
        return names

    monkeypatch.setattr(os, "listdir", listdir_then_swap)
    data = _tar(fd, "/w")
    monkeypatch.undo()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert tar.getmember("w/d").issym() and tar.getmember("w/f").isfifo()
        assert not any("host-secret" in n for n in tar.getnames())


def test_deep_trees_need_no_recursion(tmp_path: Path) -> None:
    deep = tmp_path / "deep"
    deep.mkdir()
    fd = os.open(deep, os.O_RDONLY | os.O_DIRECTORY)
    try:
        cur = fd
        for _ in range(1500):  # deeper than Python's recursion limit
            os.mkdir("d", dir_fd=cur)
            nxt = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=cur)
            if cur != fd:
                os.close(cur)
            cur = nxt
        os.symlink("/", "loop", dir_fd=cur)
        os.close(cur)
        names = _names(_tar(fd, "/d"))
        assert len(names) == 1501 and names[-1].endswith("/loop")
        remove_tree_at(fd, "d")
        assert os.listdir(fd) == []
    finally:
        os.close(fd)


def test_remove_tree_at_unlinks_a_symlink_in_place_of_a_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("keep")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "sub").mkdir()
    os.symlink(outside, tmp_path / "in" / "sub" / "link")
    os.symlink(outside, tmp_path / "in" / "top")
    fd = os.open(tmp_path / "in", os.O_RDONLY | os.O_DIRECTORY)
    try:
        remove_tree_at(fd, "top")
        remove_tree_at(fd, "sub")
    finally:
        os.close(fd)
    assert os.listdir(tmp_path / "in") == [] and os.listdir(outside) == ["keep"]
