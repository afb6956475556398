"""owns: `save`: images out of the store as a docker-archive exactly laid out as docker 25+
writes it (moby's daemon/internal/image/tarexport/save.go), or as an OCI image layout (a tar
of it, "oci-archive", or a folder, "oci-dir").

Archive layout (entries in this order, directories first, mtime 0)::

    blobs/sha256/<diff_id hex>      each layer's tar, uncompressed, re-exported byte-exactly
                                    from its tar-split (so its digest is its DiffID)
    blobs/sha256/<image id hex>     the config bytes, verbatim
    blobs/sha256/<manifest hex>     an OCI image manifest per image (Go's compact JSON)
    index.json                      OCI index; one entry per tag, annotated with
                                    io.containerd.image.name and org.opencontainers.image.ref.name
    manifest.json                   docker: [{"Config","RepoTags","Layers","LayerSources"}]
    oci-layout                      {"imageLayoutVersion": "1.0.0"}
    repositories                    docker: {"name": {"tag": "<top diff_id hex>"}}

Layers are staged in ``<root>/tmp`` (their size must be known before their tar header).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tarfile
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from scow.errors import ImageNotFound, InvalidArgument, from_oserror
from scow.ids import ImageID, chain_ids, digest_of, hex_of, random_id
from scow.oci.image import ImageConfig, go_json
from scow.oci.reference import Reference, parse_reference
from scow.store.store import Store

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
IMAGE_NAME = "io.containerd.image.name"
REF_NAME = "org.opencontainers.image.ref.name"
LAYOUT = b'{"imageLayoutVersion": "1.0.0"}'


@dataclass
class _Image:
    id: ImageID
    refs: list[Reference] = field(default_factory=list)


def collect(store: Store, names: list[str]) -> list[_Image]:
    """The images `names` mean, as docker's parseNames: a bare repository name means all of
    its tags; a tag adds that tag; an ID adds the image untagged."""
    from scow.engine.images import ImageService

    found: dict[str, _Image] = {}

    def add(image_id: str, ref: Reference | None) -> None:
        item = found.setdefault(image_id, _Image(ImageID(image_id)))
        if ref is not None and ref.tag and ref not in item.refs:
            item.refs.append(ref)

    for name in names:
        try:
            ref: Reference | None = parse_reference(name, default_tag=False)
        except InvalidArgument:
            ref = None
        if ref is not None and not ref.tag and not ref.digest:
            tagged = [(i, r) for i, rs in store.refs.all().items() for r in rs
                      if r.name == ref.name and r.tag and not r.digest]
            for image_id, r in tagged:
                add(image_id, r)
            if tagged:
                continue
        record = ImageService(store).find(name)
        if record is None:
            raise ImageNotFound(f"No such image: {name}")
        named = ref.with_tag(ref.tag or "latest") if ref is not None and not ref.digest else None
        add(record.id, named if named and store.refs.find(named) == record.id else None)
    if not found:
        raise InvalidArgument("save: no images named")
    return list(found.values())


def save(store: Store, names: list[str], out: BinaryIO | str, *, format: str = "docker") -> None:
    if format not in ("docker", "oci-archive", "oci-dir"):
        raise InvalidArgument(f"save: unknown format {format!r} (want docker, oci-archive "
                              "or oci-dir)")
    images = collect(store, names)
    staging = store.tmp_path(f"save-{random_id()[:12]}")
    try:
        os.makedirs(staging)
        files = _stage(store, images, staging, docker=format == "docker")
        if format == "oci-dir":
            if not isinstance(out, str):
                raise InvalidArgument("save: the oci-dir format needs an output folder (-o)")
            _write_dir(files, out)
        elif isinstance(out, str):
            try:
                with open(out, "wb") as f:
                    _write_tar(files, f)
            except OSError as exc:
                raise from_oserror(f"save to {out}", exc) from exc
        else:
            _write_tar(files, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# name in the archive -> bytes, or the path of a staged file
Files = dict[str, "bytes | str"]


def _stage(store: Store, images: list[_Image], staging: str, *, docker: bool) -> Files:
    files: Files = {}
    manifest: list[dict[str, Any]] = []
    repositories: dict[str, dict[str, str]] = {}
    index: list[dict[str, Any]] = []
    for image in images:
        config_bytes = store.images.config_bytes(image.id)
        diff_ids = ImageConfig(config_bytes).diff_ids
        if not diff_ids:
            raise InvalidArgument(f"save {image.id}: empty export - not implemented")
        sources: dict[str, dict[str, Any]] = {}
        for diff_id, chain in zip(diff_ids, chain_ids(diff_ids), strict=True):
            name = f"blobs/sha256/{hex_of(diff_id)}"
            if name not in files:
                files[name] = _stage_layer(store, chain, os.path.join(staging, hex_of(diff_id)))
            size = os.path.getsize(str(files[name]))
            sources[diff_id] = {"mediaType": OCI_LAYER, "digest": diff_id, "size": size}
        files[f"blobs/sha256/{hex_of(image.id)}"] = config_bytes
        data = go_json({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                        "config": {"mediaType": OCI_CONFIG, "digest": image.id,
                                   "size": len(config_bytes)},
                        "layers": [sources[d] for d in diff_ids]})
        files[f"blobs/sha256/{hex_of(digest_of(data))}"] = data
        desc = {"mediaType": OCI_MANIFEST, "digest": digest_of(data), "size": len(data)}
        index += [{**desc, "annotations": {IMAGE_NAME: str(r), REF_NAME: r.tag}}
                  for r in image.refs] or [desc]
        for r in image.refs:
            repositories.setdefault(r.familiar_name, {})[r.tag or ""] = hex_of(diff_ids[-1])
        manifest.append({"Config": f"blobs/sha256/{hex_of(image.id)}",
                         "RepoTags": [r.familiar() for r in image.refs] or None,
                         "Layers": [f"blobs/sha256/{hex_of(d)}" for d in diff_ids],
                         "LayerSources": sources})
    files["index.json"] = go_json({"schemaVersion": 2, "mediaType": OCI_INDEX,
                                   "manifests": index})
    files["oci-layout"] = LAYOUT
    if docker:
        files["manifest.json"] = go_json(manifest) + b"\n"
        if repositories:
            files["repositories"] = go_json(repositories) + b"\n"
    return files


def _stage_layer(store: Store, chain: str, path: str) -> str:
    try:
        with open(path, "wb") as f:
            store.layers.tar_stream(chain, f)
    except OSError as exc:
        raise from_oserror(f"export layer {hex_of(chain)[:12]}", exc) from exc
    return path


def _write_tar(files: Files, out: BinaryIO) -> None:
    names = sorted(files)
    dirs = sorted({n.rsplit("/", 1)[0] for n in names if "/" in n} |
                  {n.split("/", 1)[0] for n in names if "/" in n})
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(dirs + names):
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if name in dirs:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
                continue
            info.mode = 0o644
            content = files[name]
            if isinstance(content, bytes):
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
            else:
                info.size = os.path.getsize(content)
                with open(content, "rb") as f:
                    tar.addfile(info, f)


def _write_dir(files: Files, folder: str) -> None:
    """An OCI layout folder (blobs are never overwritten: they are content-addressed)."""
    try:
        os.makedirs(os.path.join(folder, "blobs", "sha256"), exist_ok=True)
        for name, content in sorted(files.items()):
            target = os.path.join(folder, *name.split("/"))
            if name.startswith("blobs/") and os.path.exists(target):
                continue
            if isinstance(content, bytes):
                with open(target, "wb") as f:
                    f.write(content)
            else:
                shutil.copyfile(content, target)
    except OSError as exc:
        raise from_oserror(f"save to {folder}", exc) from exc
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o755)
