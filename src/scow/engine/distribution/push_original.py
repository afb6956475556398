"""owns: pushing a pulled image as it was pulled — its kept manifest bytes (scow.store.manifests)
— so the manifest digest, and any signature made for it, is the same in the new repository or
registry.

The kept manifest names compressed blobs by digest; each must be made present in the target
repository without changing a byte, in the cheapest way that works:

1. the registry already has it there (HEAD): `Layer already exists`;
2. distribution metadata knows it in a sibling repository of the same registry: a
   cross-repository mount, `Mounted from <repo>`;
3. re-exporting the layer from tar-split and compressing it as push does gives the same digest
   (a blob scow made): it is uploaded, `Pushed`.

When one blob can be made in none of these ways (a foreign registry's compression, pushed to
another registry), the kept manifest cannot be used: the push says so in one line and falls
back to a new manifest of re-compressed layers (a new digest), as docker does. A kept manifest
is also passed over when its layers' compression is not the one asked for (`--compression`).
"""

from __future__ import annotations

import contextlib
import io
import os
from typing import TYPE_CHECKING, Protocol

from scow.ids import ChainID, DiffID, Digest, chain_ids, hex_of, random_id, short_id
from scow.oci.image import ImageConfig

if TYPE_CHECKING:
    from scow.engine.distribution.ports import Progress, Registries
    from scow.oci.reference import Reference
    from scow.registry.client import RegistryClient
    from scow.registry.manifest import Descriptor
    from scow.store.distribution import DistributionMetadata
    from scow.store.store import Store


class Pusher(Protocol):
    """What this module needs of push.py's Pusher (which calls it)."""

    svc: Registries
    store: Store
    metadata: DistributionMetadata
    progress: Progress

    def _media_types(self) -> tuple[str, ...]: ...

    def _compress(self, chain: ChainID, path: str) -> tuple[Digest, int]: ...


def push_original(pusher: Pusher, client: RegistryClient, ref: Reference, image_id: str,
                  config_bytes: bytes) -> tuple[bytes, str] | None:
    """Make the blobs of the image's kept manifest present in `ref`'s repository and upload
    its config; returns (manifest bytes, media type), or None to push a new manifest."""
    from scow.registry.manifest import Manifest, parse_document

    diff_ids = ImageConfig(config_bytes).diff_ids
    for kept in pusher.svc.manifests.of_image(image_id):
        doc = parse_document(kept.data, kept.media_type,
                             f"kept manifest {short_id(kept.digest)}")
        if (not isinstance(doc, Manifest) or doc.config.digest != image_id
                or len(doc.layers) != len(diff_ids)
                or any(d.media_type not in pusher._media_types() for d in doc.layers)):
            continue
        for diff_id in reversed(dict.fromkeys(diff_ids)):
            pusher.progress.update(short_id(diff_id), "Preparing")
        chains = chain_ids(diff_ids)
        for desc, diff_id, chain in zip(doc.layers, diff_ids, chains, strict=True):
            if not _provide(pusher, client, ref, desc, diff_id, chain):
                pusher.progress.line(
                    f"cannot keep manifest {short_id(kept.digest)}: blob "
                    f"{short_id(desc.digest)} is not in {ref.domain} and cannot be re-made "
                    "byte for byte; pushing a new manifest")
                return None
        if client.head_blob(ref.path, image_id) is None:
            client.upload_blob(ref.path, lambda: io.BytesIO(config_bytes), image_id,
                               len(config_bytes))
        return kept.data, kept.media_type
    return None


def _provide(pusher: Pusher, client: RegistryClient, ref: Reference, desc: Descriptor,
             diff_id: DiffID, chain: ChainID) -> bool:
    row = short_id(diff_id)
    if client.head_blob(ref.path, desc.digest) is not None:
        pusher.progress.update(row, "Layer already exists")
        return _remember(pusher, ref, desc, diff_id)
    for src in pusher.metadata.sources(diff_id):
        if (src.blob_digest == desc.digest and src.domain == ref.domain
                and src.repo_name != ref.name
                and client.mount_blob(ref.path, desc.digest, src.path)):
            pusher.progress.update(row, f"Mounted from {src.path}")
            return _remember(pusher, ref, desc, diff_id)
    path = pusher.store.tmp_path(f"push-{hex_of(diff_id)[:12]}-{random_id()[:8]}")
    try:
        digest, size = pusher._compress(chain, path)
        if digest != desc.digest or size != desc.size:
            return False
        client.upload_blob(ref.path, lambda: open(path, "rb"), digest, size,
                           progress=lambda n: pusher.progress.update(row, "Pushing", n, size))
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    pusher.progress.update(row, "Pushed")
    return _remember(pusher, ref, desc, diff_id)


def _remember(pusher: Pusher, ref: Reference, desc: Descriptor, diff_id: DiffID) -> bool:
    pusher.metadata.record(diff_id, desc.digest, desc.media_type, ref.name, desc.size)
    return True
