"""Whiteouts and opaque dirs in both formats, and overlay <-> OCI conversion on real overlayfs."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from archive_helpers import M, make_tar

from scow.archive.extract import apply_layer
from scow.archive.tarstream import LayerReader
from scow.archive.writer import write_tree

pytestmark = pytest.mark.root


def apply(dest: Path, data: bytes, mode: str) -> None:
    reader = LayerReader(io.BytesIO(data))
    apply_layer(str(dest), reader.entries(), whiteouts=mode)  # type: ignore[arg-type]
    reader.finish()


def lower(tmp: Path) -> Path:
    root = tmp / "root"
    (root / "etc" / "sub").mkdir(parents=True)
    (root / "etc" / "old").write_bytes(b"old")
    (root / "etc" / "sub" / "deep").write_bytes(b"deep")
    (root / "gone").mkdir()
    (root / "gone" / "x").write_bytes(b"x")
    (root / "file").write_bytes(b"f")
    return root


LAYER = [M("etc/", "dir", mode=0o755), M("etc/new", data=b"new"),
         M("etc/.wh..wh..opq", data=b""), M(".wh.gone"), M(".wh.file", uid=5, gid=6)]


def test_oci_whiteouts_remove_and_opaque_keeps_this_layers_writes(tmp_path: Path) -> None:
    root = lower(tmp_path)
    apply(root, make_tar(LAYER), "oci")
    assert sorted(os.listdir(root)) == ["etc"]
    assert sorted(os.listdir(root / "etc")) == ["new"]
    assert (root / "etc" / "new").read_bytes() == b"new"


def test_oci_opaque_before_siblings_also_keeps_later_entries(tmp_path: Path) -> None:
    root = lower(tmp_path)
    apply(root, make_tar([M("etc/.wh..wh..opq"), M("etc/sub/newer", data=b"n")]), "oci")
    assert sorted(os.listdir(root / "etc")) == ["sub"]
    assert os.listdir(root / "etc" / "sub") == ["newer"]


def test_overlay_whiteouts_become_char_devices_and_opaque_xattr(tmp_path: Path) -> None:
    root = tmp_path / "upper"
    root.mkdir()
    apply(root, make_tar(LAYER), "overlay")
    for name, owner in (("gone", (0, 0)), ("file", (5, 6))):
        st = os.lstat(root / name)
        assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
        assert (st.st_uid, st.st_gid) == owner
    assert os.getxattr(root / "etc", "trusted.overlay.opaque") == b"y"
    assert not (root / "etc" / ".wh..wh..opq").exists()


def test_overlay_form_converts_back_to_the_same_oci_entries(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    upper.mkdir()
    apply(upper, make_tar(LAYER), "overlay")
    buf = io.BytesIO()
    write_tree(str(upper), buf, whiteouts="overlay")
    names = [(m.name, m.type, m.size) for m in tarfile.open(fileobj=io.BytesIO(buf.getvalue()))]
    assert names == [("etc", tarfile.DIRTYPE, 0), ("etc/.wh..wh..opq", tarfile.REGTYPE, 0),
                     ("etc/new", tarfile.REGTYPE, 3), (".wh.file", tarfile.REGTYPE, 0),
                     (".wh.gone", tarfile.REGTYPE, 0)]  # walk order of the upper's names


@pytest.fixture
def overlay(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    low = lower(tmp_path)
    upper, work, merged = tmp_path / "upper", tmp_path / "work", tmp_path / "merged"
    for d in (upper, work, merged):
        d.mkdir()
    opts = f"lowerdir={low},upperdir={upper},workdir={work}"
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", opts, str(merged)], check=True)
    try:
        yield merged, upper
    finally:
        subprocess.run(["umount", str(merged)], check=True)


@pytest.mark.overlay
def test_real_overlay_upper_round_trips_through_oci(tmp_path: Path,
                                                   overlay: tuple[Path, Path]) -> None:
    merged, upper = overlay
    (merged / "file").unlink()
    subprocess.run(["rm", "-rf", str(merged / "etc")], check=True)
    (merged / "etc").mkdir()  # a new dir over a removed one: overlayfs marks it opaque
    (merged / "etc" / "fresh").write_bytes(b"fresh")
    buf = io.BytesIO()
    write_tree(str(upper), buf, whiteouts="overlay")
    names = {m.name for m in tarfile.open(fileobj=io.BytesIO(buf.getvalue()))}
    assert {".wh.file", "etc", "etc/.wh..wh..opq", "etc/fresh"} <= names
    copy = lower(tmp_path / "copy")
    apply(copy, buf.getvalue(), "oci")
    assert sorted(os.listdir(copy)) == sorted(os.listdir(merged))
    assert sorted(os.listdir(copy / "etc")) == ["fresh"]
