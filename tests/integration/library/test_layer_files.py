"""`engine.images.layers(name)`: a layer's files listed from its tar-split and read in place,
on every driver: the list equals what tarfile reads from the layer tar itself (PAX long names,
links, devices-free special entries, whiteouts), and a read is checked against tar-split's
CRC-64."""

from __future__ import annotations

import io
import os
import tarfile
from typing import Any

import pytest

from scow.errors import DigestMismatch, InvalidArgument, NotFound

LONG = "deep/" + "d" * 120 + "/file-with-a-name-longer-than-ustar-allows-" + "x" * 60


def _layer_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def add(name: str, kind: bytes, data: bytes = b"", **attrs: Any) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mtime, info.mode = kind, 1700000000, attrs.pop("mode", 0o644)
            for key, value in attrs.items():
                setattr(info, key, value)
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if data else None)

        add("etc/", tarfile.DIRTYPE, mode=0o755)
        add("etc/passwd", tarfile.REGTYPE, b"root:x:0:0:root:/root:/bin/sh\n")
        add("etc/empty", tarfile.REGTYPE, b"", uid=1000, gid=100)
        add("etc/link", tarfile.SYMTYPE, linkname="passwd")
        add("etc/hard", tarfile.LNKTYPE, linkname="etc/passwd")
        add("deep/", tarfile.DIRTYPE, mode=0o755)
        add("deep/" + "d" * 120 + "/", tarfile.DIRTYPE, mode=0o700)
        add(LONG, tarfile.REGTYPE, b"long\n" * 1000, mode=0o4755)
        add("etc/.wh.shadow", tarfile.REGTYPE, b"")
    return buf.getvalue()


@pytest.fixture
def image(engine: Any) -> tuple[Any, bytes]:
    data = _layer_tar()
    engine.images.import_image(io.BytesIO(data), reference="files:1")
    return engine, data


def test_the_file_list_is_the_layer_tar_s_own(image: tuple[Any, bytes]) -> None:
    engine, data = image
    [layer] = engine.images.layers("files:1")
    assert layer.diff_id == engine.images.inspect("files:1")["RootFS"]["Layers"][0]
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        expected = [("/" + m.name.strip("/"), m.size, m.mode, m.uid, m.gid, m.linkname)
                    for m in tar]
    files = layer.files()
    assert [(f.path, f.size, f.mode, f.uid, f.gid, f.linkname) for f in files] == expected
    kinds = {f.path: f.type for f in files}
    assert (kinds["/etc"], kinds["/etc/passwd"], kinds["/etc/link"], kinds["/etc/hard"]) == \
        ("dir", "file", "symlink", "hardlink")
    assert [f.path for f in files if f.whiteout] == ["/etc/.wh.shadow"]


def test_read_returns_a_file_s_bytes_without_extracting(image: tuple[Any, bytes]) -> None:
    engine, _ = image
    [layer] = engine.images.layers("files:1")
    assert layer.read("/etc/passwd") == b"root:x:0:0:root:/root:/bin/sh\n"
    assert layer.read(LONG) == b"long\n" * 1000
    assert layer.read("etc/empty") == b""
    with pytest.raises(NotFound, match=r"^read layer [0-9a-f]{12}: no such file: /etc/nope$"):
        layer.read("/etc/nope")
    with pytest.raises(InvalidArgument, match="/etc/link: not a regular file"):
        layer.read("/etc/link")


def test_a_modified_layer_file_is_refused_on_read(image: tuple[Any, bytes]) -> None:
    engine, _ = image
    [layer] = engine.images.layers("files:1")
    cache_id = engine.store.layers.get(layer.chain_id).cache_id
    path = os.path.join(engine.store.driver.layer_path(cache_id), "etc/passwd")
    with open(path, "r+b") as f:
        f.write(b"ROOT")
    with pytest.raises(DigestMismatch, match="/etc/passwd: checksum mismatch"):
        layer.read("/etc/passwd")


def test_layers_of_an_unknown_image_is_not_found(engine: Any) -> None:
    with pytest.raises(NotFound, match="No such image: nothing:1"):
        engine.images.layers("nothing:1")


def test_a_damaged_tar_split_is_a_one_line_error(image: tuple[Any, bytes]) -> None:
    import gzip

    from scow.errors import ScowError

    engine, _ = image
    [layer] = engine.images.layers("files:1")
    cache_id = engine.store.layers.get(layer.chain_id).cache_id
    path = engine.store.layers.tar_split_path(cache_id)
    for damage in (b"not gzip", gzip.compress(b'{"type":2,"payload":"AAAA","position":0}\n')):
        with open(path, "wb") as f:
            f.write(damage)
        with pytest.raises(ScowError) as caught:
            layer.files()
        assert "\n" not in str(caught.value)
        assert str(caught.value).startswith(f"read layer {layer.diff_id[7:19]}: "), caught.value
    os.unlink(path)
    with pytest.raises(ScowError, match="tar-split data is missing"):
        layer.read("/etc/passwd")
