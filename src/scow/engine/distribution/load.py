"""owns: `load`: images into the store from a docker-archive of any docker version (the
legacy ``<id>/layer.tar`` + ``<hex>.json`` layout and docker 25+'s ``blobs/sha256/``, both
driven by ``manifest.json``) or from an OCI image layout in a tar (``index.json``); layers
plain, gzip or zstd (chosen by their magic bytes); the archive itself may be compressed.

The archive is a container of files (load_archive.py: read in place, or staged under
``<root>/tmp`` with only what the manifests name, holes as holes). Entries or manifest paths
that leave the archive (absolute, ``..``, symlinks out), JSON documents over 4 MiB or nested
over 100 levels, configs whose fields have the wrong types, blobs whose bytes are not their
digest or size, and layers whose DiffID is not the config's are each refused with one line; an
image whose layers fail is rolled back (nothing stays registered).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from scow.engine.distribution.load_archive import Archive, open_archive, parse_json
from scow.errors import (
    DigestMismatch,
    IntegrityError,
    MalformedArchive,
)
from scow.ids import ChainID, DiffID, ImageID, chain_ids, digest_of, random_id, short_id
from scow.oci.reference import parse_reference
from scow.store.store import Store

if TYPE_CHECKING:
    from scow.engine.distribution.ports import Progress

IMAGE_NAME = "io.containerd.image.name"
REF_NAME = "org.opencontainers.image.ref.name"


@dataclass(frozen=True, slots=True)
class _Item:
    config: bytes
    # (archive name, digest its bytes must have, size they must have) of each layer
    layers: Sequence[tuple[str, str | None, int | None]]
    tags: list[str]


def load(store: Store, stream: BinaryIO, progress: Progress) -> list[str]:
    store.recover()
    staging = store.tmp_path(f"load-{random_id()[:12]}")
    try:
        os.makedirs(staging)
        archive = open_archive(stream, staging)
        if archive.has("manifest.json"):
            items = _docker_items(archive)
        elif archive.has("index.json"):
            items = _oci_items(archive)
        else:
            raise MalformedArchive("load: not a docker-archive or OCI layout (no manifest.json "
                                   "or index.json)")
        lines: list[str] = []
        for item in items:
            image_id = _load_image(store, archive, item, progress)
            lines += _tag(store, image_id, item.tags)
        return lines
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _docker_items(archive: Archive) -> list[_Item]:
    doc = archive.json("manifest.json", "manifest.json")
    if not isinstance(doc, list):
        raise MalformedArchive("load: manifest.json must be a list")
    items = []
    for entry in doc:
        if not isinstance(entry, dict) or not isinstance(entry.get("Config"), str) or \
                not isinstance(entry.get("Layers"), list) or \
                not all(isinstance(x, str) for x in entry["Layers"]):
            raise MalformedArchive("load: manifest.json entries need Config and Layers")
        tags = entry.get("RepoTags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise MalformedArchive("load: manifest.json RepoTags must be a list of strings")
        config = archive.read(entry["Config"], "image config")
        _check_blob_name(entry["Config"], config)
        layers = [(archive.resolve(p, "layer"), None, None) for p in entry["Layers"]]
        items.append(_Item(config, layers, tags))
    return items


def _check_blob_name(name: str, data: bytes) -> None:
    """A `blobs/sha256/<hex>` entry must hold bytes with that digest."""
    parts = name.split("/")
    if len(parts) == 3 and parts[:2] == ["blobs", "sha256"] and \
            digest_of(data) != f"sha256:{parts[2]}":
        raise DigestMismatch(f"load: {name} has digest {short_id(digest_of(data))}")


def _oci_items(archive: Archive) -> list[_Item]:
    from scow.registry.manifest import Index, parse_descriptor, parse_document, select_platform

    index = parse_document(archive.read("index.json", "index.json"), None, "index.json")
    if not isinstance(index, Index):
        raise MalformedArchive("load: index.json is not an image index")
    raw = parse_json(archive.read("index.json", "index.json"), "index.json")
    items = []
    for desc_doc in raw.get("manifests", []):
        desc = parse_descriptor(desc_doc, "index.json")
        annotations = desc_doc.get("annotations") or {}
        data = _oci_blob(archive, desc.digest, desc.size)
        doc = parse_document(data, desc.media_type, f"manifest {short_id(desc.digest)}")
        if isinstance(doc, Index):
            chosen = select_platform(doc)
            data = _oci_blob(archive, chosen.digest, chosen.size)
            doc = parse_document(data, chosen.media_type, f"manifest {short_id(chosen.digest)}")
            if isinstance(doc, Index):
                raise MalformedArchive("load: nested index in index.json")
        config = _oci_blob(archive, doc.config.digest, doc.config.size)
        layers = [(archive.resolve(_blob_name(d.digest), "layer"), str(d.digest), d.size)
                  for d in doc.layers]
        items.append(_Item(config, layers, _oci_names(annotations)))
    return items


def _blob_name(digest: str) -> str:
    algo, _, hex_part = digest.partition(":")
    return f"blobs/{algo}/{hex_part}"


def _oci_blob(archive: Archive, digest: str, size: int) -> bytes:
    data = archive.read(_blob_name(digest), f"blob {short_id(digest)}")
    if len(data) != size or digest_of(data) != digest:
        raise DigestMismatch(f"load: blob {short_id(digest)} has digest "
                             f"{short_id(digest_of(data))} and {len(data)} bytes, want {size}")
    return data


def _oci_names(annotations: Any) -> list[str]:
    if not isinstance(annotations, dict):
        return []
    name = annotations.get(IMAGE_NAME)
    if isinstance(name, str) and name:
        return [name]
    ref = annotations.get(REF_NAME)
    if isinstance(ref, str) and ("/" in ref or ":" in ref):
        return [ref]  # a full reference; a bare tag names no repository
    return []


def _load_image(store: Store, archive: Archive, item: _Item, progress: Progress) -> ImageID:
    from scow.registry.manifest import parse_config

    doc = parse_config(item.config, "image config")
    diff_ids = [DiffID(d) for d in doc["rootfs"]["diff_ids"]]
    if len(diff_ids) != len(item.layers):
        raise MalformedArchive(f"load: the image config has {len(diff_ids)} diff_ids, the "
                               f"manifest {len(item.layers)} layers")
    chains = chain_ids(diff_ids)
    leases: list[ChainID] = []
    try:
        parent: ChainID | None = None
        for layer, diff_id, chain in zip(item.layers, diff_ids, chains, strict=True):
            if store.layers.find(chain) is None:
                _register(store, archive, layer, diff_id, parent, progress)
                leases.append(chain)
            else:
                store.layers.take_lease(chain)
                leases.append(chain)
            parent = chain
        return store.images.create(item.config).id
    finally:
        for chain in reversed(leases):
            store.layers.release_lease(chain)


def _register(store: Store, archive: Archive, layer: tuple[str, str | None, int | None],
              diff_id: DiffID, parent: ChainID | None, progress: Progress) -> None:
    from scow.archive.compression import decompressed
    from scow.engine.distribution.pull import _Counting

    member, digest, size = layer
    total = archive.size(member)
    if size is not None and total != size:
        raise DigestMismatch(f"load: layer blob {short_id(str(digest))} has {total} bytes, "
                             f"its descriptor says {size}")
    if digest is not None:
        got = _member_digest(archive, member)
        if got != digest:
            raise DigestMismatch(f"load: layer blob {short_id(digest)} has digest "
                                 f"{short_id(got)}")
    row = short_id(diff_id)
    with archive.open(member, f"layer {row}") as f:
        counted = _Counting(f, lambda n: progress.update(row, "Loading layer", n, total))
        stream = cast(BinaryIO, io.BufferedReader(counted, 1 << 20))
        got_layer = store.layers.register(decompressed(stream), parent)
    if got_layer.diff_id != diff_id:
        store.layers.release_lease(got_layer.chain_id)
        raise IntegrityError(f"load: layer {row} has diff ID {short_id(got_layer.diff_id)}, "
                             "the image config says otherwise: the archive does not match its "
                             "image configuration")


def _member_digest(archive: Archive, member: str) -> str:
    h = hashlib.sha256()
    with archive.open(member, "layer blob") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def _tag(store: Store, image_id: ImageID, tags: list[str]) -> list[str]:
    if not tags:
        return [f"Loaded image ID: {image_id}"]
    lines = []
    for tag in tags:
        ref = parse_reference(tag)
        old = store.refs.find(ref)
        if old is not None and old != image_id:
            lines.append(f"The image {ref.familiar()} already exists, renaming the old one "
                         f"with ID {old} to empty string")
        store.refs.add(ref, image_id)
        lines.append(f"Loaded image: {ref.familiar()}")
    return lines
