"""owns: `push`: an image's layers, config and manifest to a registry, with docker's lines.

Per layer (five at a time, as docker), rows keyed by the DiffID's short form: `Preparing`;
then the cheapest way to have the blob in the target repository —

1. distribution metadata knows a compressed blob of this DiffID in the same repository and
   the registry still has it (HEAD): `Layer already exists`, the blob is reused as it is;
2. a blob in a sibling repository of the same registry: cross-repository mount,
   `Mounted from <repo>`;
3. otherwise the layer is re-exported byte-exactly from its tar-split (`tar_stream`),
   compressed (isal gzip by default, zstd on request) to a temp file under ``<root>/tmp``
   while its digest is computed; a registry that already has that digest says
   `Layer already exists`, else the file is uploaded (`Pushing`, `Pushed`).

Every blob used is recorded in distribution metadata, so pushing the same image again uploads
nothing and gives the same manifest digest. Then the config blob and the manifest: Docker v2
schema 2 for gzip, an OCI manifest for zstd; the last line is `<tag>: digest: <d> size: <n>`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, BinaryIO, Literal, cast

from scow.errors import Conflict, InvalidArgument, NotFound, from_oserror
from scow.ids import ChainID, DiffID, Digest, chain_ids, hex_of, random_id, short_id
from scow.oci.image import ImageConfig
from scow.oci.reference import Reference, parse_reference
from scow.store.distribution import BlobSource

if TYPE_CHECKING:
    from scow.engine.distribution.ports import Progress, Registries
    from scow.registry.client import RegistryClient
    from scow.registry.manifest import Descriptor

UPLOADS = 5  # docker's max-concurrent-uploads


class Pusher:
    def __init__(self, service: Registries, progress: Progress,
                 compression: Literal["gzip", "zstd"]) -> None:
        if compression not in ("gzip", "zstd"):
            raise InvalidArgument(f"push: unknown compression {compression!r} "
                                  "(want gzip or zstd)")
        self.svc = service
        self.store = service.store
        self.metadata = service.metadata  # made here: workers must not create its table
        self.progress = progress
        self.compression = compression

    def push(self, name: str, *, all_tags: bool) -> list[Digest]:
        ref = parse_reference(name, default_tag=False)
        if ref.digest:
            raise InvalidArgument(f"push {name}: cannot push a digest reference")
        if all_tags and ref.tag:
            raise InvalidArgument("tag can't be used with --all-tags/-a")
        if all_tags:
            refs = [r for refs in self.store.refs.all().values() for r in refs
                    if r.name == ref.name and r.tag and not r.digest]
            if not refs:
                raise NotFound(f"An image does not exist locally with the tag: "
                               f"{ref.familiar_name}")
        else:
            refs = [ref if ref.tag else ref.with_tag("latest")]
        self.store.recover()
        self.progress.line(f"The push refers to repository [{ref.name}]")
        with self.svc.client(ref.domain) as client:
            return [self._push_one(client, r) for r in sorted(refs, key=str)]

    def _push_one(self, client: RegistryClient, ref: Reference) -> Digest:
        from scow.engine.distribution.push_original import push_original
        from scow.registry.manifest import (
            DOCKER_CONFIG,
            DOCKER_MANIFEST,
            OCI_CONFIG,
            OCI_MANIFEST,
            Manifest,
            descriptor_of,
            serialize_manifest,
        )

        image_id = self.store.refs.find(ref)
        if image_id is None:
            raise NotFound(f"An image does not exist locally with the tag: {ref.familiar()}")
        config_bytes = self.store.images.config_bytes(image_id)
        kept = push_original(self, client, ref, image_id, config_bytes)
        if kept is not None:
            data, media_type = kept
        else:
            diff_ids = ImageConfig(config_bytes).diff_ids
            layers = self._push_layers(client, ref, diff_ids)
            if client.head_blob(ref.path, image_id) is None:
                client.upload_blob(ref.path, lambda: io.BytesIO(config_bytes), image_id,
                                   len(config_bytes))
            oci = self.compression == "zstd"
            config = descriptor_of(config_bytes, OCI_CONFIG if oci else DOCKER_CONFIG)
            media_type = OCI_MANIFEST if oci else DOCKER_MANIFEST
            data = serialize_manifest(Manifest(media_type, config, tuple(layers)))
        digest = client.put_manifest(ref.path, ref.tag or "latest", data, media_type)
        with contextlib.suppress(Conflict):
            self.store.refs.add(ref.with_digest(digest), image_id)
        self.progress.line(f"{ref.tag}: digest: {digest} size: {len(data)}")
        return digest

    def _push_layers(self, client: RegistryClient, ref: Reference,
                     diff_ids: list[DiffID]) -> list[Descriptor]:
        chains = chain_ids(diff_ids)
        unique: dict[DiffID, ChainID] = {}
        for diff_id, chain in zip(diff_ids, chains, strict=True):
            unique.setdefault(diff_id, chain)
        for diff_id in reversed(unique):
            self.progress.update(short_id(diff_id), "Preparing")
        for n, diff_id in enumerate(reversed(unique)):
            if n >= UPLOADS:
                self.progress.update(short_id(diff_id), "Waiting")
        for chain in unique.values():
            self.store.layers.get(chain)  # fail early on a broken store
        done: dict[DiffID, tuple[Descriptor, BlobSource | None]] = {}
        with ThreadPoolExecutor(UPLOADS, thread_name_prefix="scow-push") as pool:
            futures: dict[DiffID, Future[tuple[Descriptor, BlobSource | None]]] = {
                d: pool.submit(self._push_layer, client, ref, d, c)
                for d, c in reversed(unique.items())}
            try:
                for diff_id, future in futures.items():
                    done[diff_id] = future.result()
            except BaseException:
                for future in futures.values():
                    future.cancel()
                raise
        for diff_id, (desc, new) in done.items():
            if new is not None:
                self.metadata.record(diff_id, desc.digest, new.media_type, new.repo_name,
                                         desc.size)
        return [done[d][0] for d in diff_ids]

    def _media_types(self) -> tuple[str, ...]:
        from scow.registry.manifest import DOCKER_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD

        return (OCI_LAYER_ZSTD,) if self.compression == "zstd" else (DOCKER_LAYER,
                                                                      OCI_LAYER_GZIP)

    def _push_layer(self, client: RegistryClient, ref: Reference, diff_id: DiffID,
                    chain: ChainID) -> tuple[Descriptor, BlobSource | None]:
        """The descriptor of the layer's blob in the target repository, and the metadata
        record to remember (None when nothing new was learned)."""
        from scow.registry.manifest import Descriptor

        row = short_id(diff_id)
        media_type = self._media_types()[0]
        sources = sorted(self.metadata.sources(diff_id),
                         key=lambda s: (s.repo_name != ref.name, s.domain != ref.domain))
        for src in sources:
            if src.media_type not in self._media_types():
                continue
            desc = Descriptor(media_type, src.blob_digest, src.size)
            if src.repo_name == ref.name or src.domain != ref.domain:
                if client.head_blob(ref.path, src.blob_digest) is not None:
                    self.progress.update(row, "Layer already exists")
                    return desc, _source(diff_id, desc, ref)
                continue
            if client.mount_blob(ref.path, src.blob_digest, src.path):
                self.progress.update(row, f"Mounted from {src.path}")
                return desc, _source(diff_id, desc, ref)
        return self._upload(client, ref, diff_id, chain, row, media_type)

    def _upload(self, client: RegistryClient, ref: Reference, diff_id: DiffID, chain: ChainID,
                row: str, media_type: str) -> tuple[Descriptor, BlobSource | None]:
        from scow.registry.manifest import Descriptor

        path = self.store.tmp_path(f"push-{hex_of(diff_id)[:12]}-{random_id()[:8]}")
        try:
            digest, size = self._compress(chain, path)
            desc = Descriptor(media_type, digest, size)
            if client.head_blob(ref.path, digest) is not None:
                self.progress.update(row, "Layer already exists")
                return desc, _source(diff_id, desc, ref)
            client.upload_blob(ref.path, lambda: open(path, "rb"), digest, size,
                               progress=lambda n: self.progress.update(row, "Pushing", n, size))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        self.progress.update(row, "Pushed")
        return desc, _source(diff_id, desc, ref)

    def _compress(self, chain: ChainID, path: str) -> tuple[Digest, int]:
        """Re-export the layer from tar-split, compressed into `path`: (digest, size)."""
        from scow.archive.compression import compressor

        try:
            with open(path, "wb") as f:
                hashing = _HashingFile(f)
                writer = compressor(cast(BinaryIO, hashing), self.compression)
                try:
                    self.store.layers.tar_stream(chain, writer)
                finally:
                    writer.close()
                return hashing.digest(), hashing.size
        except OSError as exc:
            raise from_oserror(f"compress layer {short_id(chain)}", exc) from exc


def _source(diff_id: DiffID, desc: Descriptor, ref: Reference) -> BlobSource:
    return BlobSource(diff_id, desc.digest, desc.media_type, ref.name, desc.size)


class _HashingFile:
    """A writer that hashes and counts what goes through to `out`."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.out.write(data)

    def flush(self) -> None:
        self.out.flush()

    def digest(self) -> Digest:
        return Digest("sha256:" + self.hash.hexdigest())
