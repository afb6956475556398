from __future__ import annotations

import io
import os
import socket
import tarfile
from pathlib import Path

import pytest

from scow.archive.extract import apply_layer
from scow.archive.tarheader import Kind, TarHeader
from scow.archive.tarstream import LayerReader
from scow.archive.writer import TarWriter, header_bytes, write_tree


def tar_tree(root: Path, **kw: object) -> bytes:
    buf = io.BytesIO()
    write_tree(str(root), buf, **kw)  # type: ignore[arg-type]
    return buf.getvalue()


def members(data: bytes) -> list[tarfile.TarInfo]:
    return list(tarfile.open(fileobj=io.BytesIO(data)))


def test_empty_tree_is_exactly_two_zero_blocks(tmp_path: Path) -> None:
    assert tar_tree(tmp_path) == bytes(1024)


def test_plain_entries_are_ustar_with_go_field_encodings() -> None:
    blk = header_bytes(TarHeader(name="etc", kind=Kind.DIR, mode=0o755, uid=0, gid=0, size=0,
                                 mtime=1_700_000_000.9))
    assert len(blk) == 512
    assert blk[0:4] == b"etc/" and blk[100:108] == b"0000755\0"
    assert blk[136:148] == b"%011o\0" % 1_700_000_000  # whole seconds
    assert blk[257:265] == b"ustar\x0000" and blk[265:329] == bytes(64)  # empty uname/gname
    assert blk[329:345] == b"0000000\x000000000\x00"
    assert blk[155:156] == b" " and blk[154:155] == b"\0"  # "NNNNNN\0 " checksum


def test_pax_only_for_what_needs_it() -> None:
    long = "a" * 60 + "/" + "b" * 60  # splittable into prefix/name: still USTAR
    assert len(header_bytes(TarHeader(name=long, kind=Kind.REG, mode=0o644, uid=0, gid=0,
                                      size=0, mtime=0))) == 512
    caps = header_bytes(TarHeader(name="bin/ping", kind=Kind.REG, mode=0o755, uid=0, gid=0,
                                  size=0, mtime=0,
                                  xattrs={"security.capability": b"\x01\x00\x00\x02"}))
    assert caps[156:157] == b"x" and caps[0:25] == b"bin/PaxHeaders.0/ping\0\0\0\0"
    (m,) = members(caps + bytes(1024))
    assert m.pax_headers["SCHILY.xattr.security.capability"] == "\x01\x00\x00\x02"


@pytest.mark.root
def test_tree_conventions(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "dir").mkdir(parents=True)
    (root / "dir" / "f").write_bytes(b"data")
    os.link(root / "dir" / "f", root / "hard")
    os.symlink("dir/f", root / "sym")
    os.mknod(root / "null", 0o20666, os.makedev(1, 3))
    os.chmod(root / "dir", 0o2755)
    os.setxattr(root / "dir" / "f", "user.skip", b"no")
    os.setxattr(root / "dir" / "f", "security.capability",
                bytes.fromhex("01000003" "00200000" "00000000" "00000000" "00000000"
                              "e8030000"))  # v3 with rootid 1000
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    try:
        ms = members(tar_tree(root))
    finally:
        sock.close()
    assert [(m.name, m.type) for m in ms] == [
        ("dir", tarfile.DIRTYPE), ("dir/f", tarfile.REGTYPE), ("hard", tarfile.LNKTYPE),
        ("null", tarfile.CHRTYPE), ("sym", tarfile.SYMTYPE)]
    assert ms[0].mode == 0o2755 and ms[2].linkname == "dir/f" and ms[2].size == 0
    assert (ms[3].devmajor, ms[3].devminor) == (1, 3)
    assert ms[0].uname == ms[0].gname == ""
    cap = ms[1].pax_headers["SCHILY.xattr.security.capability"].encode("utf-8",
                                                                        "surrogateescape")
    assert len(cap) == 20 and cap[:4] == bytes.fromhex("01000002")
    assert "SCHILY.xattr.user.skip" not in ms[1].pax_headers


@pytest.mark.root
def test_write_extract_write_is_byte_identical(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "usr" / "bin").mkdir(parents=True)
    (src / "usr" / "bin" / "tool").write_bytes(os.urandom(70_000))
    os.chmod(src / "usr" / "bin" / "tool", 0o4755)
    os.chown(src / "usr" / "bin" / "tool", 12, 34)
    (src / ("long" * 40)).write_bytes(b"long name")
    (src / "ünïcode").write_bytes(b"u")
    os.symlink("/abs/" + "t" * 200, src / "longlink")
    os.link(src / "usr" / "bin" / "tool", src / "usr" / "tool-hardlink")
    os.mkfifo(src / "fifo")
    os.utime(src / "fifo", ns=(1, 1_600_000_000_123_456_789))
    first = tar_tree(src)
    for i in range(2):
        dest = tmp_path / f"dest{i}"
        dest.mkdir()
        reader = LayerReader(io.BytesIO(first))
        apply_layer(str(dest), reader.entries(), whiteouts="oci")
        reader.finish()
        again = tar_tree(dest)
        assert again == first
        first = again


def test_tar_writer_pieces() -> None:
    buf = io.BytesIO()
    w = TarWriter(buf)
    w.add_bytes("etc/hostname", b"box\n", mode=0o600)
    w.add_whiteout("/var/cache/apt")
    w.close()
    ms = members(buf.getvalue())
    assert [(m.name, m.size, m.mode) for m in ms] == [("etc/hostname", 4, 0o600),
                                                      ("var/cache/.wh.apt", 0, 0)]
    assert buf.getvalue().endswith(bytes(1024))
