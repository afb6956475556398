"""owns: ``--cache-to type=registry,ref=R`` and ``--cache-from type=registry,ref=R`` when R
is a cache manifest: BuildKit's registry cache, an image index whose ``manifests`` are the
layer blobs and the ``application/vnd.buildkit.cacheconfig.v0`` config (remote_cache.py
writes the same index into a layout folder; this module pushes that folder's blobs and index
and reads one back, layer blobs fetched only when a key needs them)."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from scow.errors import InvalidArgument

if TYPE_CHECKING:
    from scow.engine.builds.remote_cache import Record
    from scow.engine.distribution import DistributionService
    from scow.store.store import Store

Opener = Callable[[str], contextlib.AbstractContextManager[BinaryIO]]


def push(distribution: DistributionService, ref_text: str, records: list[Record],
         store: Store) -> None:
    """Write the layout in a temporary folder of the store, push its blobs, tag its index."""
    from scow.engine.builds.remote_cache import write_local
    from scow.oci.reference import parse_reference

    ref = parse_reference(ref_text)
    with store.temp_folder("cache-export-") as tmp:
        write_local(tmp, records, store)
        with open(os.path.join(tmp, "index.json"), "rb") as f:
            top = json.load(f)["manifests"][0]
        blob_dir = os.path.join(tmp, "blobs", "sha256")
        with open(os.path.join(blob_dir, top["digest"][7:]), "rb") as f:
            index_bytes = f.read()
        with distribution.client(ref.domain) as client:
            for desc in json.loads(index_bytes)["manifests"]:
                if client.head_blob(ref.path, desc["digest"]) is None:
                    path = os.path.join(blob_dir, desc["digest"][7:])
                    client.upload_blob(ref.path, lambda p=path: open(p, "rb"),  # type: ignore[misc]
                                       desc["digest"], desc["size"])
            client.put_manifest(ref.path, ref.tag or "latest", index_bytes, top["mediaType"])


def pull_config(distribution: DistributionService, ref_text: str,
                closers: list[Callable[[], None]]) -> tuple[dict[str, Any], Opener] | None:
    """The cache config of the cache manifest `ref_text` and an opener of its layer blobs
    (gunzipped; the client's close goes to `closers`); None when `ref_text` is not a cache
    manifest (an image: its inline cache)."""
    from scow.engine.builds.remote_cache import CACHE_CONFIG
    from scow.oci.reference import parse_reference

    ref = parse_reference(ref_text)
    client = distribution.client(ref.domain)
    closers.append(client.close)
    data, _, _ = client.get_manifest(ref.path, ref.digest or ref.tag or "latest")
    try:
        doc = json.loads(data)
        conf = next((d for d in doc.get("manifests") or []
                     if isinstance(d, dict) and d.get("mediaType") == CACHE_CONFIG), None)
    except (ValueError, AttributeError):
        raise InvalidArgument(f"import build cache {ref_text}: manifest is not JSON") from None
    if conf is None:
        return None
    config = json.loads(client.fetch_blob(ref.path, str(conf["digest"]), conf.get("size")))

    @contextlib.contextmanager
    def opener(digest: str) -> Iterator[BinaryIO]:
        with client.open_blob(ref.path, digest) as reader:
            blob: Any = reader
            with gzip.GzipFile(fileobj=blob) as gz:
                yield gz  # type: ignore[misc]

    return config, opener
