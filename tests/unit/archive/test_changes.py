from __future__ import annotations

import io
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from scow.archive.changes import Change, changes_dirs, changes_size, export_changes


@pytest.fixture
def trees(tmp_path: Path) -> tuple[Path, Path]:
    old = tmp_path / "old"
    (old / "etc").mkdir(parents=True)
    (old / "etc" / "passwd").write_bytes(b"root\n")
    (old / "etc" / "hosts").write_bytes(b"hosts")
    (old / "var" / "cache" / "apt").mkdir(parents=True)
    (old / "var" / "cache" / "apt" / "pkg").write_bytes(b"p")
    (old / "bin").mkdir()
    (old / "bin" / "sh").write_bytes(b"sh")
    for p in old.rglob("*"):
        os.utime(p, ns=(0, 1_700_000_000_000_000_000))  # whole seconds, as extracted layers
    new = tmp_path / "new"
    shutil.copytree(old, new, symlinks=True)
    return new, old


def kinds(changes: list[Change]) -> list[str]:
    return [str(c) for c in changes]


def test_identical_trees_have_no_changes(trees: tuple[Path, Path]) -> None:
    assert changes_dirs(str(trees[0]), str(trees[1])) == []


def test_add_change_delete_with_parent_listed_first(trees: tuple[Path, Path]) -> None:
    new, old = trees
    (new / "etc" / "passwd").write_bytes(b"root\nuser\n")
    (new / "etc" / "new.d").mkdir()
    (new / "etc" / "new.d" / "conf").write_bytes(b"c")
    shutil.rmtree(new / "var" / "cache")
    assert kinds(changes_dirs(str(new), str(old))) == [
        "C /etc", "A /etc/new.d", "A /etc/new.d/conf", "C /etc/passwd", "C /var",
        "D /var/cache"]


def test_metadata_only_change(trees: tuple[Path, Path]) -> None:
    new, old = trees
    os.chmod(new / "bin" / "sh", 0o4755)
    os.chown(new / "etc" / "hosts", 1, 1)
    assert kinds(changes_dirs(str(new), str(old))) == [
        "C /bin", "C /bin/sh", "C /etc", "C /etc/hosts"]


def test_same_size_same_second_content_change_with_nanoseconds(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "f").write_bytes(b"aaaa")
    (new / "f").write_bytes(b"bbbb")
    os.utime(old / "f", ns=(0, 1_700_000_000_100_000_000))
    os.utime(new / "f", ns=(0, 1_700_000_000_200_000_000))
    assert kinds(changes_dirs(str(new), str(old))) == ["C /f"]
    os.utime(old / "f", ns=(0, 1_700_000_000_000_000_000))  # a whole-second lower layer
    assert changes_dirs(str(new), str(old)) == []  # moby's rule for that case


def test_no_old_means_everything_added(trees: tuple[Path, Path]) -> None:
    new, _ = trees
    got = kinds(changes_dirs(str(new), None))
    assert got[:3] == ["A /bin", "A /bin/sh", "A /etc"] and len(got) == 9


def test_hardlinks_are_sized_once(trees: tuple[Path, Path]) -> None:
    new, old = trees
    (new / "big").write_bytes(b"x" * 1000)
    os.link(new / "big", new / "big2")
    changes = changes_dirs(str(new), str(old))
    assert kinds(changes) == ["A /big", "A /big2"]
    assert changes_size(str(new), changes) == 1000


def test_export_changes_writes_whiteouts_and_files(trees: tuple[Path, Path]) -> None:
    new, old = trees
    (new / "etc" / "hosts").unlink()
    (new / "etc" / "passwd").write_bytes(b"changed")
    buf = io.BytesIO()
    export_changes(str(new), changes_dirs(str(new), str(old)), buf)
    ms = list(tarfile.open(fileobj=io.BytesIO(buf.getvalue())))
    assert [(m.name, m.type) for m in ms] == [
        ("etc", tarfile.DIRTYPE), ("etc/.wh.hosts", tarfile.REGTYPE),
        ("etc/passwd", tarfile.REGTYPE)]
    assert ms[2].size == len(b"changed")
