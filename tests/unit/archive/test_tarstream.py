from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from archive_helpers import M, make_tar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scow.archive import tarsplit
from scow.archive.tarheader import Kind
from scow.archive.tarstream import LayerReader
from scow.errors import DigestMismatch, MalformedArchive, Unsupported


def read_all(data: bytes) -> tuple[LayerReader, list[tuple[object, bytes]]]:
    reader = LayerReader(io.BytesIO(data))
    got = [(e.header, e.read()) for e in reader.entries()]
    reader.finish()
    return reader, got


def assemble(reader: LayerReader, files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    tarsplit.assemble(reader.tar_split, lambda n: io.BytesIO(files[n]), out)
    return out.getvalue()


@pytest.mark.parametrize("trailer", [b"", bytes(10240), b"junk after eof" * 100])
def test_diff_id_covers_every_byte_including_trailing_junk(trailer: bytes) -> None:
    data = make_tar([M("etc/", "dir"), M("etc/passwd", data=b"root:x:0:0\n")]) + trailer
    reader, got = read_all(data)
    assert reader.diff_id == "sha256:" + hashlib.sha256(data).hexdigest()
    assert reader.size == len(data)
    assert [h.name for h, _ in got] == ["etc", "etc/passwd"]  # type: ignore[attr-defined]
    assert assemble(reader, {"etc/passwd": b"root:x:0:0\n"}) == data


def test_headers_carry_pax_fields_and_xattrs() -> None:
    data = make_tar([
        M("a/b", data=b"x", mode=0o4755, uid=3_000_000, gid=7, mtime=1_700_000_000.25,
          pax={"SCHILY.xattr.security.capability": "cap", "SCHILY.xattr.user.k": "v"}),
        M("dev", "char", devmajor=1, devminor=3),
        M("l", "symlink", linkname="/abs/target" + "x" * 120),
    ])
    _, got = read_all(data)
    (h, body), (dev, _), (link, _) = got
    assert body == b"x"
    assert (h.kind, h.mode, h.uid, h.gid) == (Kind.REG, 0o4755, 3_000_000, 7)  # type: ignore
    assert h.mtime == pytest.approx(1_700_000_000.25)  # type: ignore[attr-defined]
    assert h.xattrs == {"security.capability": b"cap", "user.k": b"v"}  # type: ignore
    assert (dev.kind, dev.devmajor, dev.devminor) == (Kind.CHAR, 1, 3)  # type: ignore
    assert link.linkname == "/abs/target" + "x" * 120  # type: ignore[attr-defined]


def test_gnu_base256_numbers_and_long_names() -> None:
    long = "d" * 90 + "/" + "f" * 120
    data = make_tar([M(long, data=b"z", uid=1 << 40, linkname="")], fmt=tarfile.GNU_FORMAT)
    reader, got = read_all(data)
    assert got[0][0].name == long and got[0][0].uid == 1 << 40  # type: ignore[attr-defined]
    assert assemble(reader, {long: b"z"}) == data


def test_duplicate_paths_are_refused() -> None:
    data = make_tar([M("a/b", data=b"1"), M("a//b/", "dir")])
    with pytest.raises(MalformedArchive, match="duplicate path a/b"):
        read_all(data)


def test_truncated_and_garbage_tars_are_one_line_errors() -> None:
    data = make_tar([M("f", data=os.urandom(5000))])
    for bad in (data[:700], data[:512 + 100], data[:300], b"\x01" * 2048):
        with pytest.raises(MalformedArchive) as info:
            read_all(bad)
        assert "\n" not in str(info.value)


def test_bad_checksum_is_refused() -> None:
    data = bytearray(make_tar([M("f", data=b"abc")]))
    data[0] ^= 1
    with pytest.raises(MalformedArchive, match="checksum"):
        read_all(bytes(data))


def test_sparse_entries_are_unsupported() -> None:
    data = make_tar([M("s", data=b"a", pax={"GNU.sparse.major": "1",
                                            "GNU.sparse.minor": "0"})])
    with pytest.raises(Unsupported, match="sparse"):
        read_all(data)


def test_assemble_detects_a_modified_file() -> None:
    data = make_tar([M("f", data=b"original")])
    reader, _ = read_all(data)
    with pytest.raises(DigestMismatch, match="verify layer file f: checksum mismatch"):
        assemble(reader, {"f": b"modified"})


def test_tar_split_is_moby_ndjson() -> None:
    data = make_tar([M("d/", "dir"), M("d/<&>", data=b"hi")], fmt=tarfile.USTAR_FORMAT)
    reader, _ = read_all(data)
    lines = tarsplit_lines(reader.tar_split)
    assert lines[0].startswith('{"type":2,"payload":"') and lines[0].endswith('","position":0}')
    assert lines[1] == '{"type":1,"name":"d/","payload":null,"position":1}'
    assert lines[3].startswith('{"type":1,"name":"d/\\u003c\\u0026\\u003e","size":2,"payload":"')
    assert list(tarsplit.entry_names(reader.tar_split)) == [("d/", 0), ("d/<&>", 2)]


def tarsplit_lines(blob: bytes) -> list[str]:
    import gzip
    return gzip.decompress(blob).decode().splitlines()


def _gnu_tree(root: Path) -> None:
    (root / "d").mkdir()
    (root / "d" / "file").write_bytes(os.urandom(3000))
    deep = root / ("l" * 60) / ("m" * 60) / ("n" * 60)
    deep.mkdir(parents=True)
    (deep / ("f" * 110)).write_bytes(b"long name\n")
    os.symlink("t" * 150, root / "longlink")
    os.symlink("d/file", root / "sym")
    os.link(root / "d" / "file", root / "hard")
    os.mkfifo(root / "fifo")
    os.mknod(root / "null", 0o20666, os.makedev(1, 3))
    os.setxattr(root / "d" / "file", "user.note", b"value")
    (root / "empty").write_bytes(b"")


@pytest.mark.root
@pytest.mark.parametrize("fmt", ["gnu", "posix", "ustar"])
def test_gnu_tar_archives_reassemble_byte_for_byte(tmp_path: Path, fmt: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _gnu_tree(src)
    names = ["."] if fmt != "ustar" else ["./d", "./sym", "./hard", "./fifo", "./null", "./empty"]
    extra = ["--xattrs"] if fmt == "posix" else []
    tar = subprocess.run(["tar", f"--format={fmt}", *extra, "-cf", "-", "-C", str(src), *names],
                         check=True, capture_output=True).stdout + bytes(4096)
    reader, _ = read_all(tar)
    assert reader.diff_id == "sha256:" + hashlib.sha256(tar).hexdigest()
    out = io.BytesIO()
    tarsplit.assemble(reader.tar_split, lambda n: open(src / n, "rb"), out)
    assert out.getvalue() == tar


_component = st.text(alphabet="abcxyz_-.é", min_size=1, max_size=40).filter(
    lambda s: s not in (".", ".."))


@st.composite
def archives(draw: st.DrawFn) -> tuple[bytes, dict[str, bytes]]:
    fmt = draw(st.sampled_from([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT]))
    paths = draw(st.lists(st.lists(_component, min_size=1, max_size=4).map("/".join),
                          max_size=12, unique=True))
    members, files = [], {}
    for i, path in enumerate(paths):
        if fmt == tarfile.USTAR_FORMAT and (len(path) > 100 or not path.isascii()):
            continue
        kind = draw(st.sampled_from(["reg", "reg", "dir", "symlink"]))
        data = draw(st.binary(max_size=3000)) if kind == "reg" else b""
        members.append(M(path, kind, data=data, linkname="target" if kind == "symlink" else "",
                         mtime=draw(st.integers(0, 2**33 - 1)), uid=i))
        files[path] = data
    trailer = draw(st.sampled_from([b"", bytes(512), bytes(9216), b"\x00junk"]))
    return make_tar(members, fmt=fmt) + trailer, files


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(archives())
def test_property_random_archives_reassemble_exactly(arch: tuple[bytes, dict[str, bytes]]) -> None:
    data, files = arch
    reader, got = read_all(data)
    assert reader.diff_id == "sha256:" + hashlib.sha256(data).hexdigest()
    ref = [m for m in tarfile.open(fileobj=io.BytesIO(data))]
    assert [h.name for h, _ in got] == [m.name.rstrip("/") for m in ref]  # type: ignore
    assert [body for _, body in got] == [files.get(m.name.rstrip("/"), b"") for m in ref]
    assert assemble(reader, files) == data


def test_payload_is_skipped_when_unread_and_stale_entries_read_nothing() -> None:
    data = make_tar([M("a", data=b"A" * 5000), M("b", data=b"B" * 10)])
    reader = LayerReader(io.BytesIO(data))
    it = reader.entries()
    first = next(it)
    assert first.read(3) == b"AAA"
    second = next(it)
    assert first.read() == b"" and second.read() == b"B" * 10
    reader.finish()
    out = io.BytesIO()
    tarsplit.assemble(reader.tar_split, lambda n: io.BytesIO({"a": b"A" * 5000,
                                                              "b": b"B" * 10}[n]), out)
    assert out.getvalue() == data
