"""save and load: docker 25+'s archive layout, round trips that keep every digest, archives
of older dockers and OCI layouts, compressed layers, and hostile archives refused whole."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from typing import Any

import pytest
from tests.integration.distribution.archives import (
    image_config,
    legacy_archive,
    members,
    sha,
    symlink,
    tar_of,
)
from tests.integration.distribution.conftest import BASE, TOP_A, TOP_B, load_images, tmp_entries

from scow.errors import DigestMismatch, IntegrityError, MalformedArchive, UnsafeArchive


def saved(engine: Any, names: list[str], fmt: str = "docker") -> bytes:
    out = io.BytesIO()
    engine.distribution.save(names, out, format=fmt)
    return out.getvalue()


def test_save_writes_docker_25_layout(machines: Any) -> None:
    a = machines("a")
    load_images(a, [([BASE, TOP_A], ["app:1"])])
    image_id = a.images.resolve("app:1")
    archive = saved(a, ["app:1"])
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        names = tar.getnames()
    files = members(archive)
    layer_names = [f"blobs/sha256/{sha(BASE)}", f"blobs/sha256/{sha(TOP_A)}"]
    assert names[:2] == ["blobs", "blobs/sha256"]
    assert names[-4:] == ["index.json", "manifest.json", "oci-layout", "repositories"]
    assert json.loads(files["manifest.json"]) == [{
        "Config": f"blobs/sha256/{image_id[7:]}", "RepoTags": ["app:1"], "Layers": layer_names,
        "LayerSources": {f"sha256:{sha(t)}": {
            "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": f"sha256:{sha(t)}",
            "size": len(t)} for t in (BASE, TOP_A)}}]
    assert files[layer_names[0]] == BASE and files[layer_names[1]] == TOP_A
    assert json.loads(files["repositories"]) == {"app": {"1": sha(TOP_A)}}
    assert files["oci-layout"] == b'{"imageLayoutVersion": "1.0.0"}'
    [desc] = json.loads(files["index.json"])["manifests"]
    assert desc["annotations"] == {"io.containerd.image.name": "docker.io/library/app:1",
                                   "org.opencontainers.image.ref.name": "1"}
    manifest = files[f"blobs/sha256/{desc['digest'][7:]}"]
    assert hashlib.sha256(manifest).hexdigest() == desc["digest"][7:]
    assert json.loads(manifest)["config"]["digest"] == image_id


@pytest.mark.parametrize("driver", ["vfs", "overlay2"], indirect=True)
def test_save_load_round_trip_is_byte_exact(machines: Any, busybox_tar: Any) -> None:
    a, b = machines("a"), machines("b")
    with open(busybox_tar, "rb") as f:
        a.images.import_image(f, reference="busybox:latest")
    load_images(a, [([BASE, TOP_A], ["app:1"]), ([BASE, TOP_B], ["app:2"])])
    first = saved(a, ["busybox", "app"])
    lines = b.distribution.load(io.BytesIO(first))
    assert sorted(lines) == ["Loaded image: app:1", "Loaded image: app:2",
                             "Loaded image: busybox:latest"]
    for name in ("busybox:latest", "app:1", "app:2"):
        assert b.images.resolve(name) == a.images.resolve(name)
        assert b.images.inspect(name)["RootFS"] == a.images.inspect(name)["RootFS"]
    again = members(saved(b, ["busybox", "app"]))
    assert {k: v for k, v in members(first).items() if k.startswith("blobs/")} == \
        {k: v for k, v in again.items() if k.startswith("blobs/")}
    assert len(b.store.layers.all()) == 4
    assert not tmp_entries(b)


@pytest.mark.parametrize("fmt", ["oci-archive", "oci-dir"])
def test_oci_formats_load_back(machines: Any, tmp_path: Any, fmt: str) -> None:
    a, b = machines("a"), machines("b")
    load_images(a, [([BASE, TOP_A], ["registry.example/app:1"])])
    if fmt == "oci-dir":
        a.distribution.save(["registry.example/app:1"], str(tmp_path / "layout"), format=fmt)
        archive = tar_of([(str(p.relative_to(tmp_path / "layout")), p.read_bytes())
                          for p in sorted((tmp_path / "layout").rglob("*")) if p.is_file()])
    else:
        archive = saved(a, ["registry.example/app:1"], fmt)
        assert "manifest.json" not in members(archive)
    assert b.distribution.load(io.BytesIO(archive)) == ["Loaded image: registry.example/app:1"]
    assert b.images.resolve("registry.example/app:1") == a.images.resolve("registry.example/app:1")


def test_load_legacy_layout_with_compressed_layers(machines: Any) -> None:
    from scow.archive.compression import compressor

    def zstd(data: bytes) -> bytes:
        out = io.BytesIO()
        w = compressor(out, "zstd")
        w.write(data)
        w.close()
        return out.getvalue()

    a = machines("a")
    archive = legacy_archive([([BASE], ["gz:1"])], compress=gzip.compress)
    assert a.distribution.load(io.BytesIO(archive)) == ["Loaded image: gz:1"]
    archive = legacy_archive([([BASE, TOP_B], [])], compress=zstd)
    [line] = a.distribution.load(io.BytesIO(gzip.compress(archive)))
    assert line.startswith("Loaded image ID: sha256:")
    assert a.images.inspect(line.split()[-1])["RootFS"]["Layers"] == \
        [f"sha256:{sha(BASE)}", f"sha256:{sha(TOP_B)}"]


def test_load_follows_legacy_symlinked_layers(machines: Any) -> None:
    """docker < 25 stores a layer shared by two images once and symlinks the second."""
    a = machines("a")
    config = image_config([f"sha256:{sha(BASE)}"])
    archive = tar_of([
        (f"{sha(BASE)}/layer.tar", BASE),
        symlink("other/layer.tar", f"../{sha(BASE)}/layer.tar"),
        (f"{sha(config)}.json", config),
        ("manifest.json", json.dumps([{"Config": f"{sha(config)}.json", "RepoTags": ["s:1"],
                                       "Layers": ["other/layer.tar"]}]).encode())])
    assert a.distribution.load(io.BytesIO(archive)) == ["Loaded image: s:1"]


def _manifest(config: bytes, layers: list[str]) -> bytes:
    return json.dumps([{"Config": f"{sha(config)}.json", "RepoTags": ["evil:1"],
                        "Layers": layers}]).encode()


CONFIG = image_config([f"sha256:{sha(BASE)}"])
HOSTILE = {
    "entry outside": (tar_of([("../evil", b"x"), (f"{sha(CONFIG)}.json", CONFIG),
                              ("manifest.json", _manifest(CONFIG, ["../evil"]))]),
                      UnsafeArchive, "points outside"),
    "absolute entry": (tar_of([("/etc/evil", b"x")]), UnsafeArchive, "points outside"),
    "manifest path out": (tar_of([("l.tar", BASE), (f"{sha(CONFIG)}.json", CONFIG),
                                  ("manifest.json", _manifest(CONFIG, ["../../etc/passwd"]))]),
                          UnsafeArchive, "points outside"),
    "symlink out": (tar_of([symlink("l.tar", "../../../etc/passwd"),
                            (f"{sha(CONFIG)}.json", CONFIG),
                            ("manifest.json", _manifest(CONFIG, ["l.tar"]))]),
                    UnsafeArchive, "symlink"),
    "lying diff id": (tar_of([("l.tar", TOP_A), (f"{sha(CONFIG)}.json", CONFIG),
                              ("manifest.json", _manifest(CONFIG, ["l.tar"]))]),
                      IntegrityError, "does not match"),
    "lying blob name": (tar_of([(f"blobs/sha256/{sha(b'other')}", CONFIG), ("l.tar", BASE),
                                ("manifest.json", json.dumps([{
                                    "Config": f"blobs/sha256/{sha(b'other')}",
                                    "Layers": ["l.tar"]}]).encode())]),
                        DigestMismatch, "has digest"),
    "oversized json": (tar_of([("manifest.json", b" " * (5 * 1024 * 1024))]),
                       MalformedArchive, "too large"),
    "not json": (tar_of([("manifest.json", b"{nope")]), MalformedArchive, "not valid JSON"),
    "not an archive": (b"hello" * 300, MalformedArchive, "not a"),
    "missing layer": (tar_of([(f"{sha(CONFIG)}.json", CONFIG),
                              ("manifest.json", _manifest(CONFIG, ["gone.tar"]))]),
                      MalformedArchive, "missing"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_are_refused(machines: Any, case: str) -> None:
    a = machines("a")
    archive, error, text = HOSTILE[case]
    with pytest.raises(error, match=text) as info:
        a.distribution.load(io.BytesIO(archive))
    assert "\n" not in str(info.value)
    assert a.store.layers.all() == [] and a.store.images.all() == []
    assert not tmp_entries(a)
