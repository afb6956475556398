"""Hand-made image archives for the distribution tests: docker-archives in docker's legacy
layout (``<id>/layer.tar`` + ``<hex>.json`` + manifest.json) and raw tars with hostile entries."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def image_config(diff_ids: list[str], *, arch: str = "amd64", cmd: str = "sh") -> bytes:
    return json.dumps({
        "architecture": arch, "os": "linux", "created": "2024-01-02T03:04:05Z",
        "config": {"Cmd": [cmd], "Env": ["PATH=/bin"]},
        "history": [{"created": "2024-01-02T03:04:05Z", "created_by": f"layer {i}"}
                    for i in range(len(diff_ids))],
        "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()


def tar_of(entries: list[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    """A tar of (name, bytes) regular files and ready-made TarInfo entries (links, dirs)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
                continue
            name, data = entry
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def symlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


def legacy_archive(images: list[tuple[list[bytes], list[str]]], *, arch: str = "amd64",
                   compress: Callable[[bytes], bytes] = lambda b: b,
                   config_for: Callable[[list[str]], bytes] | None = None) -> bytes:
    """A docker-archive as docker < 25 wrote it. `images`: (layer tars, RepoTags)."""
    entries: dict[str, bytes] = {}
    manifest = []
    for layers, tags in images:
        diff_ids = ["sha256:" + sha(layer) for layer in layers]
        config = (config_for or (lambda d: image_config(d, arch=arch)))(diff_ids)
        paths = []
        for layer in layers:
            name = f"{sha(layer)}/layer.tar"
            entries[name] = compress(layer)
            entries[f"{sha(layer)}/VERSION"] = b"1.0"
            paths.append(name)
        entries[f"{sha(config)}.json"] = config
        manifest.append({"Config": f"{sha(config)}.json", "RepoTags": tags or None,
                         "Layers": paths})
    entries["manifest.json"] = json.dumps(manifest).encode()
    return tar_of(list(entries.items()))


def members(archive: bytes) -> dict[str, bytes]:
    """The regular files of a tar, by name."""
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for m in tar:
            if m.isreg():
                f = tar.extractfile(m)
                assert f is not None
                out[m.name] = f.read()
    return out
