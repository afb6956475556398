"""owns: the inputs of the benchmarks, made on this machine (nothing is pulled): the busybox
rootfs tar, a tar of part of /usr/share, and docker-save archives (legacy layout, which docker,
podman and scow all load) of many-layer images.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

from bench.engines import REPO


def busybox_tar(data: Path) -> Path:
    out = data / "busybox.tar"
    if not out.exists():
        subprocess.run(["bash", str(REPO / "demo" / "make-busybox-rootfs.sh"), str(out)],
                       check=True)
    return out


def usr_share_tar(data: Path, max_files: int, max_mb: int) -> tuple[Path, int, int]:
    """A GNU tar of whole /usr/share subfolders, up to about max_files entries and max_mb.

    Returns (path, entries, bytes of payload)."""
    out = data / f"usr-share-{max_files}.tar"
    picked: list[str] = []
    entries = size = 0
    for name in sorted(os.listdir("/usr/share")):
        n = s = 0
        for dirpath, dirs, files in os.walk(os.path.join("/usr/share", name)):
            n += 1 + len(dirs) + len(files)
            for f in files:
                try:
                    s += os.lstat(os.path.join(dirpath, f)).st_size
                except OSError:
                    pass
        if entries + n > max_files * 1.1 or size + s > max_mb * 1.1e6:
            continue
        picked.append(f"usr/share/{name}")
        entries, size = entries + n, size + s
        if entries >= max_files or size >= max_mb * 1e6:
            break
    if not out.exists():
        subprocess.run(["tar", "--numeric-owner", "-C", "/", "-cf", str(out), *picked],
                       check=True)
    return out, entries, size


def files_in_chunks(top: str, chunk_bytes: int, chunks: int) -> list[list[str]]:
    """Regular files under `top` (sorted walk) cut into `chunks` groups of ~chunk_bytes."""
    groups: list[list[str]] = [[]]
    acc = 0
    for dirpath, dirs, files in os.walk(top):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            if not os.path.isfile(p) or os.path.islink(p):
                continue
            groups[-1].append(p.lstrip("/"))
            acc += os.path.getsize(p)
            if acc >= chunk_bytes:
                if len(groups) == chunks:
                    return groups
                groups.append([])
                acc = 0
    return groups


def _layer_from_files(path: Path, files: list[str]) -> None:
    listing = path.with_suffix(".list")
    listing.write_text("\n".join(files) + "\n")
    subprocess.run(["tar", "--numeric-owner", "-C", "/", "-cf", str(path), "-T", str(listing)],
                   check=True)


def _tiny_layer(path: Path, i: int) -> None:
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tf:
        d = tarfile.TarInfo("layers")
        d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 1704067200
        tf.addfile(d)
        body = f"layer {i}\n".encode()
        f = tarfile.TarInfo(f"layers/{i:03d}")
        f.size, f.mode, f.mtime = len(body), 0o644, 1704067200
        tf.addfile(f, io.BytesIO(body))


def save_archive(out: Path, layer_tars: list[Path], repo_tag: str) -> Path:
    """A `docker save` archive (legacy layout) of an image made of `layer_tars`."""
    work = out.with_suffix(".d")
    work.mkdir(parents=True, exist_ok=True)
    diff_ids, names = [], []
    for i, lt in enumerate(layer_tars):
        h = hashlib.sha256()
        with open(lt, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        diff_ids.append("sha256:" + h.hexdigest())
        name = f"{i:03d}-{h.hexdigest()[:12]}/layer.tar"
        (work / name).parent.mkdir(exist_ok=True)
        if not (work / name).exists():
            os.link(lt, work / name)
        names.append(name)
    config = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
              "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/bin:/bin:/usr/sbin:/sbin"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids},
              "history": [{"created": "2024-01-01T00:00:00Z", "created_by": f"layer {i}"}
                          for i in range(len(layer_tars))]}
    raw = json.dumps(config).encode()
    cname = hashlib.sha256(raw).hexdigest() + ".json"
    (work / cname).write_bytes(raw)
    manifest = [{"Config": cname, "RepoTags": [repo_tag], "Layers": names}]
    (work / "manifest.json").write_text(json.dumps(manifest))
    subprocess.run(["tar", "-C", str(work), "-cf", str(out), "manifest.json", cname,
                    *names], check=True)
    return out


def big_image(data: Path, layer_mb: int, layers: int, repo_tag: str) -> tuple[Path, int]:
    """A save archive of busybox + (layers-1) layers of real files from /usr/lib."""
    out = data / f"big-{layers}x{layer_mb}.tar"
    tars = [busybox_tar(data)]
    groups = files_in_chunks("/usr/lib", layer_mb << 20, layers - 1)
    for i, files in enumerate(groups):
        lt = data / f"big-{layer_mb}-{i}.tar"
        if not lt.exists():
            _layer_from_files(lt, files)
        tars.append(lt)
    if not out.exists():
        save_archive(out, tars, repo_tag)
    return out, sum(t.stat().st_size for t in tars)


def many_layer_image(data: Path, layers: int, repo_tag: str) -> Path:
    out = data / f"layers-{layers}.tar"
    tars = [busybox_tar(data)]
    for i in range(1, layers):
        lt = data / f"tiny-{i:03d}.tar"
        if not lt.exists():
            _tiny_layer(lt, i)
        tars.append(lt)
    if not out.exists():
        save_archive(out, tars, repo_tag)
    return out


def single_layer_image(data: Path, layer: Path, repo_tag: str) -> Path:
    out = data / (layer.stem + "-image.tar")
    if not out.exists():
        save_archive(out, [layer], repo_tag)
    return out
