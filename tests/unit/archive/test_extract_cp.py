"""The extractor as `scow cp` uses it: the root given as an fd, `.wh.` names as plain files
(whiteouts="none"), and replacing what is in the way below a subfolder (the parent's fd must
stay open across the removal: it was closed, and its number could be handed to another thread's
open before the write that used it)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from archive_helpers import M, make_tar

from scow.archive.extract import apply_layer
from scow.archive.tarstream import LayerReader

pytestmark = pytest.mark.root


def apply(dest: Path | int, data: bytes, mode: str) -> None:
    reader = LayerReader(io.BytesIO(data))
    root = dest if isinstance(dest, int) else str(dest)
    apply_layer(root, reader.entries(), whiteouts=mode)  # type: ignore[arg-type]
    reader.finish()


def test_root_as_an_fd_stays_the_callers(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        apply(fd, make_tar([M("a/f", data=b"x")]), "none")
        os.fstat(fd)  # still open
    finally:
        os.close(fd)
    assert (tmp_path / "a" / "f").read_bytes() == b"x"


def test_whiteout_names_are_plain_files_with_none(tmp_path: Path) -> None:
    (tmp_path / "keep").write_bytes(b"k")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mine").write_bytes(b"m")
    apply(tmp_path, make_tar([M(".wh.keep", data=b"w"), M("sub/.wh..wh..opq", data=b"o")]),
          "none")
    assert (tmp_path / "keep").read_bytes() == b"k"
    assert (tmp_path / "sub" / "mine").read_bytes() == b"m"
    assert (tmp_path / ".wh.keep").read_bytes() == b"w"
    assert (tmp_path / "sub" / ".wh..wh..opq").read_bytes() == b"o"


@pytest.mark.parametrize("mode", ["oci", "overlay", "none"])
def test_replacing_below_a_subfolder(tmp_path: Path, mode: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_bytes(b"k")
    dest = tmp_path / "dest"
    (dest / "a" / "dir" / "deep").mkdir(parents=True)
    (dest / "a" / "dir" / "deep" / "f").write_bytes(b"old")
    os.symlink(outside, dest / "a" / "dir" / "out")
    os.symlink(outside, dest / "a" / "link")
    apply(dest, make_tar([M("a/first", data=b"1"), M("a/dir", data=b"file now"),
                          M("a/link", "dir"), M("a/link/in", data=b"in")]), mode)
    assert (dest / "a" / "dir").read_bytes() == b"file now"
    assert (dest / "a" / "link" / "in").read_bytes() == b"in"
    assert not (dest / "a" / "link").is_symlink()
    assert sorted(os.listdir(outside)) == ["keep"]
