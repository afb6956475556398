"""The breakout corpus of moby's go-archive (moby-storage.md §5.3) through apply_layer."""

from __future__ import annotations

import io
import os
import tarfile
import time
from pathlib import Path

import pytest
from archive_helpers import M, make_tar

from scow.archive.extract import apply_layer
from scow.archive.tarstream import LayerReader
from scow.errors import ScowError

pytestmark = pytest.mark.root
MODES = ["oci", "overlay"]


def apply(dest: Path, data: bytes, mode: str) -> int:
    reader = LayerReader(io.BytesIO(data))
    size = apply_layer(str(dest), reader.entries(), whiteouts=mode)  # type: ignore[arg-type]
    reader.finish()
    return size


class Victim:
    """moby's testBreakout harness: tmp/dest, tmp/victim/hello, dest/victim/."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.dest = tmp / "dest"
        self.victim = tmp / "victim"
        self.dest.mkdir()
        self.victim.mkdir()
        (self.dest / "victim").mkdir()
        self.hello = (self.victim / "hello")
        self.content = f"hello {time.time_ns()}".encode()
        self.hello.write_bytes(self.content)
        self.hello.chmod(0o644)
        self.before = self.snapshot()

    def snapshot(self) -> tuple[object, ...]:
        st = self.hello.stat()
        return (sorted(os.listdir(self.tmp)), sorted(os.listdir(self.victim)),
                st.st_mode, st.st_size, self.hello.read_bytes())

    def check_untouched(self) -> None:
        assert self.victim.is_dir() and not self.victim.is_symlink()
        assert self.snapshot() == self.before
        for dirpath, _dirs, files in os.walk(self.dest):
            for f in files:
                p = Path(dirpath) / f
                if p.is_file() and not p.is_symlink():
                    assert p.read_bytes() != self.content, f"{p} got the victim's content"


LOOP = M("loophole-victim", "link", linkname="../victim")
SLOOP = M("loophole-victim", "symlink", linkname="../victim")
ATTACKS: dict[str, list[M]] = {
    "dotdot-name": [M("../victim/dotdot", data=b"x")],
    "slash-dotdot-name": [M("/../victim/slash-dotdot", data=b"x")],
    "parent-traversal": [M(".."), M("../pwned", data=b"x"), M("../../pwned", data=b"x")],
    "sibling-prefix": [M("grab", "link", linkname="../dest-evil/secret")],
    "hardlink-dotdot": [M("dotdot", "link", linkname="../victim/hello")],
    "hardlink-slash-dotdot": [M("slash-dotdot", "link", linkname="/../victim/hello")],
    "hardlink-loophole-write": [LOOP, M("loophole-victim/file", data=b"x")],
    "hardlink-loophole-symlink": [LOOP, M("symlink", "symlink", linkname="loophole-victim/hello")],
    "hardlink-loophole-hardlink": [LOOP, M("hardlink", "link", linkname="loophole-victim/hello")],
    "hardlink-loophole-replace": [LOOP, M("loophole-victim", data=b"x")],
    "symlink-dotdot": [M("dotdot", "symlink", linkname="../victim/hello")],
    "symlink-slash-dotdot": [M("slash-dotdot", "symlink", linkname="/../victim/hello")],
    "symlink-loophole-write": [SLOOP, M("loophole-victim/file", data=b"x")],
    "symlink-loophole-symlink": [SLOOP, M("symlink", "symlink", linkname="loophole-victim/hello")],
    "symlink-loophole-hardlink": [SLOOP, M("hardlink", "link", linkname="loophole-victim/hello")],
    "symlink-loophole-replace": [SLOOP, M("loophole-victim", data=b"x")],
    "symlink-in-middle": [M("dir", "dir", mode=0o755),
                          M("dir/loophole", "symlink", linkname="../../victim"),
                          M("dir/loophole/newdir/newfile", data=b"x")],
    "two-hop-symlink-chain": [M("inner", "dir", mode=0o755),
                              M("inner/go_up", "symlink", linkname=".."),
                              M("inner/go_up/escape", "symlink", linkname="../victim"),
                              M("inner/go_up/escape/newfile", data=b"x")],
    "overwrite-through-hardlinked-symlink": [
        M("sym", "symlink", linkname="../victim/hello"), M("hl", "link", linkname="sym"),
        M("hl", data=b"clobber")],
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_breakout_attempts_change_nothing_outside(tmp_path: Path, attack: str, mode: str) -> None:
    v = Victim(tmp_path)
    (tmp_path / "dest-evil").mkdir()
    (tmp_path / "dest-evil" / "secret").write_bytes(v.content)
    v.before = v.snapshot()
    data = make_tar(ATTACKS[attack])
    try:
        apply(v.dest, data, mode)
    except ScowError as exc:
        assert "\n" not in str(exc)
    v.check_untouched()
    assert (tmp_path / "dest-evil" / "secret").read_bytes() == v.content


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("attack", ["dotdot-name", "slash-dotdot-name", "parent-traversal",
                                    "sibling-prefix", "hardlink-loophole-write",
                                    "symlink-loophole-write", "symlink-in-middle",
                                    "two-hop-symlink-chain"])
def test_breakouts_are_reported_as_unsafe(tmp_path: Path, attack: str, mode: str) -> None:
    from scow.errors import UnsafeArchive
    v = Victim(tmp_path)
    with pytest.raises(UnsafeArchive) as info:
        apply(v.dest, make_tar(ATTACKS[attack]), mode)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_relative_escape_before_absolute_symlink_is_refused(tmp_path: Path, mode: str) -> None:
    from scow.errors import UnsafeArchive
    v = Victim(tmp_path)
    os.symlink("..", v.dest / "escape")
    os.symlink("/target", v.dest / "absolute")
    with pytest.raises(UnsafeArchive, match="escapes"):
        apply(v.dest, make_tar([M("escape/absolute/file", data=b"x")]), mode)
    assert not (tmp_path / "target").exists()
    v.check_untouched()


@pytest.mark.parametrize("mode", MODES)
def test_hardlink_to_symlink_is_not_followed(tmp_path: Path, mode: str) -> None:
    dest = tmp_path / "d"
    dest.mkdir()
    apply(dest, make_tar([M("symlink1", "symlink", linkname="regfile"),
                          M("symlink2", "link", linkname="symlink1"),
                          M("regfile", data=b"data")]), mode)
    assert os.readlink(dest / "symlink2") == "regfile"
    assert (dest / "symlink1").lstat().st_ino == (dest / "symlink2").lstat().st_ino


@pytest.mark.parametrize("mode", MODES)
def test_absolute_hardlink_target_is_made_root_relative(tmp_path: Path, mode: str) -> None:
    dest = tmp_path / "d"
    dest.mkdir()
    apply(dest, make_tar([M("usr/bin/perlbug", data=b"perl"),
                          M("usr/bin/perlthanks", "link", linkname="/usr/bin/perlbug")]), mode)
    a, b = (dest / "usr/bin/perlbug").stat(), (dest / "usr/bin/perlthanks").stat()
    assert a.st_ino == b.st_ino and a.st_nlink == 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("existing", [True, False])
def test_through_absolute_symlink_lands_inside_root(tmp_path: Path, mode: str,
                                                    existing: bool) -> None:
    dest = tmp_path / "d"
    (dest / "var").mkdir(parents=True)
    os.symlink("/run", dest / "var" / "run")
    if existing:
        (dest / "run" / "existing").mkdir(parents=True)
    apply(dest, make_tar([M("var/run/existing/non-existing/file", data=b"in")]), mode)
    assert (dest / "run/existing/non-existing/file").read_bytes() == b"in"


@pytest.mark.parametrize("mode", MODES)
def test_hardlink_source_through_absolute_symlink(tmp_path: Path, mode: str) -> None:
    dest = tmp_path / "d"
    (dest / "var").mkdir(parents=True)
    (dest / "run").mkdir()
    os.symlink("/run", dest / "var" / "run")
    apply(dest, make_tar([M("var/run/source", data=b"s"),
                          M("var/run/link", "link", linkname="var/run/source")]), mode)
    assert (dest / "run/source").stat().st_nlink == 2
    assert (dest / "run/link").stat().st_ino == (dest / "run/source").stat().st_ino


@pytest.mark.parametrize("mode", MODES)
def test_dotdot_prefixed_file_name_is_fine(tmp_path: Path, mode: str) -> None:
    dest = tmp_path / "d"
    dest.mkdir()
    apply(dest, make_tar([M("..gitme", data=b"ok"), M("dir/..gitme", data=b"ok2")]), mode)
    assert (dest / "..gitme").read_bytes() == b"ok"
    assert (dest / "dir/..gitme").read_bytes() == b"ok2"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", [".wh.", ".wh..", ".wh...", "dir/.wh.."])
def test_invalid_whiteout_names(tmp_path: Path, mode: str, name: str) -> None:
    from scow.errors import UnsafeArchive
    dest = tmp_path / "d"
    (dest / "dir").mkdir(parents=True)
    (dest / "dir" / "keep").write_bytes(b"k")
    with pytest.raises(UnsafeArchive, match="invalid whiteout entry"):
        apply(dest, make_tar([M(name)]), mode)
    assert (dest / "dir" / "keep").read_bytes() == b"k"


@pytest.mark.parametrize("mode", MODES)
def test_out_of_range_device_numbers_are_refused(tmp_path: Path, mode: str) -> None:
    from scow.errors import MalformedArchive
    dest = tmp_path / "d"
    dest.mkdir()
    data = make_tar([M("dev", "char", devmajor=1 << 33, devminor=1)], fmt=tarfile.GNU_FORMAT)
    with pytest.raises(MalformedArchive, match="device number out of range"):
        apply(dest, data, mode)
    assert not (dest / "dev").exists()


@pytest.mark.parametrize("mode", MODES)
def test_pax_global_header_is_ignored_and_creates_nothing(tmp_path: Path, mode: str) -> None:
    dest = tmp_path / "d"
    dest.mkdir()
    data = make_tar([M("file", data=b"x")], global_pax={"comment": "hi"})
    assert data[156:157] == b"g"
    apply(dest, data, mode)
    assert sorted(os.listdir(dest)) == ["file"]


@pytest.mark.parametrize("mode", MODES)
def test_implied_parent_dirs_are_0755_whatever_the_umask(tmp_path: Path, mode: str) -> None:
    dest = tmp_path / "d"
    dest.mkdir()
    old = os.umask(0o077)
    try:
        apply(dest, make_tar([M("a/b/c", data=b"x", mode=0o666),
                              M("s", "dir", mode=0o1777), M("u", data=b"", mode=0o6755)]), mode)
    finally:
        os.umask(old)
    assert (dest / "a").stat().st_mode & 0o7777 == 0o755
    assert (dest / "a/b").stat().st_mode & 0o7777 == 0o755
    assert (dest / "a/b/c").stat().st_mode & 0o7777 == 0o666
    assert (dest / "s").stat().st_mode & 0o7777 == 0o1777
    assert (dest / "u").stat().st_mode & 0o7777 == 0o6755
