"""owns: `pull`: a registry image into the store, with docker's progress lines.

Order of work (moby's xfer/download.go, pipelined): resolve the reference (an index → the
platform's manifest), fetch and verify the config, then bottom-up: layers whose ChainID is
present say `Already exists`; from the first missing one on, blobs download three at a time to
temp files under ``<root>/tmp`` (digest and size verified while streaming, resumed with Range),
and the main thread registers each one — decompressed by its magic bytes while it is applied —
as soon as its file is complete and its parent is registered, so extraction overlaps the
downloads of the layers above it. Nothing is published before its digest is verified.

The registered DiffIDs must equal ``config.rootfs.diff_ids``; otherwise the pull is refused
and every layer it registered is released (deleted). The image is created from the config
bytes verbatim (its ID is the config digest), then tagged, and ``name@<manifest digest>`` is
recorded as a RepoDigest.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from scow.errors import (
    Conflict,
    IntegrityError,
    InvalidArgument,
    NotFound,
    Unavailable,
    from_oserror,
)
from scow.ids import ChainID, DiffID, ImageID, chain_ids, hex_of, random_id, short_id
from scow.oci.reference import Reference, parse_reference

if TYPE_CHECKING:
    from scow.engine.distribution.ports import Progress, Registries
    from scow.registry.client import RegistryClient, ResolvedManifest
    from scow.registry.manifest import Descriptor
    from scow.store.layers import Layer

DOWNLOADS = 3  # docker's max-concurrent-downloads
_CHUNK = 1024 * 1024


class PullCancelled(Unavailable):
    """A download stopped because another part of the pull failed."""


class Puller:
    def __init__(self, service: Registries, progress: Progress) -> None:
        self.svc = service
        self.store = service.store
        self.progress = progress

    def pull(self, name: str, *, platform: str | None, all_tags: bool) -> ImageID:
        from scow.registry.manifest import DEFAULT_PLATFORM, parse_platform

        ref = parse_reference(name, default_tag=not all_tags)
        plat = parse_platform(platform) if platform else DEFAULT_PLATFORM
        self.store.recover()
        with self.svc.client(ref.domain) as client:
            if not all_tags:
                return self._pull_one(client, ref, plat)
            if ref.tag or ref.digest:
                raise InvalidArgument("tag can't be used with --all-tags/-a")
            last: ImageID | None = None
            for tag in client.list_tags(ref.path):
                last = self._pull_one(client, ref.with_tag(tag), plat)
            if last is None:
                raise NotFound(f"pull {ref.familiar_name}: the repository has no tags")
            return last

    def _pull_one(self, client: RegistryClient, ref: Reference, plat: object) -> ImageID:
        from scow.registry.manifest import InvalidManifest, parse_config

        target = ref.digest or ref.tag or "latest"
        self.progress.line(f"Pulling from {ref.path}", id=target)
        resolved = client.resolve(ref.path, target, plat)  # type: ignore[arg-type]
        m = resolved.manifest
        config_bytes = client.fetch_blob(ref.path, m.config.digest, m.config.size)
        diff_ids = [DiffID(d) for d in parse_config(config_bytes)["rootfs"]["diff_ids"]]
        if len(diff_ids) != len(m.layers):
            raise InvalidManifest(f"pull {ref.familiar()}: the manifest has {len(m.layers)} "
                                  f"layers, the image config {len(diff_ids)} diff_ids")
        image_id = ImageID(m.config.digest)
        if self.store.images.find(image_id) is None:
            self._fetch(client, ref, m.layers, diff_ids, config_bytes)
        updated = self._tag(ref, image_id, resolved)
        self.svc.manifests.record(resolved.digest, image_id, resolved.media_type, resolved.data,
                                  ref.name)
        self.progress.line(f"Digest: {resolved.top_digest}")
        verdict = "Downloaded newer image" if updated else "Image is up to date"
        self.progress.line(f"Status: {verdict} for {ref.familiar()}")
        return image_id

    def _tag(self, ref: Reference, image_id: ImageID, resolved: ResolvedManifest) -> bool:
        refs = self.store.refs
        updated = True
        if ref.tag and not ref.digest:
            updated = refs.find(ref) != image_id
            refs.add(ref, image_id)
        digest_ref = ref.with_digest(resolved.top_digest)
        if ref.digest:
            updated = refs.find(digest_ref) != image_id
        with contextlib.suppress(Conflict):  # a digest reference is never re-pointed
            refs.add(digest_ref, image_id)
        return updated

    # -- layers -------------------------------------------------------------------------------
    def _fetch(self, client: RegistryClient, ref: Reference, layers: tuple[Descriptor, ...],
               diff_ids: list[DiffID], config_bytes: bytes) -> None:
        chains = chain_ids(diff_ids)
        start = 0
        while start < len(layers) and self.store.layers.find(chains[start]) is not None:
            self.progress.update(short_id(layers[start].digest), "Already exists")
            start += 1
        leases: list[ChainID] = []
        if start:
            self.store.layers.take_lease(chains[start - 1])
            leases.append(chains[start - 1])
        paths: dict[int, str] = {}
        stop = threading.Event()
        try:
            self._fetch_missing(client, ref, layers, diff_ids, start, paths, leases, stop)
            self.store.images.create(config_bytes)
        finally:
            stop.set()
            for path in paths.values():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            for chain in reversed(leases):
                self.store.layers.release_lease(chain)

    def _fetch_missing(self, client: RegistryClient, ref: Reference,
                       layers: tuple[Descriptor, ...], diff_ids: list[DiffID], start: int,
                       paths: dict[int, str], leases: list[ChainID],
                       stop: threading.Event) -> None:
        todo = range(start, len(layers))
        for i in todo:
            self.progress.update(short_id(layers[i].digest), "Pulling fs layer")
        for n, i in enumerate(todo):
            if n >= DOWNLOADS:
                self.progress.update(short_id(layers[i].digest), "Waiting")
        for i in todo:
            paths[i] = self.store.tmp_path(f"pull-{hex_of(layers[i].digest)[:12]}-"
                                           f"{random_id()[:8]}")
        pool = ThreadPoolExecutor(DOWNLOADS, thread_name_prefix="scow-pull")
        try:
            futures: dict[int, Future[None]] = {
                i: pool.submit(self._download, client, ref.path, layers[i], paths[i], stop)
                for i in todo}
            parent: ChainID | None = leases[-1] if leases else None
            for i in todo:
                futures[i].result()
                layer = self._register(paths[i], parent, layers[i])
                leases.append(layer.chain_id)
                if layer.diff_id != diff_ids[i]:
                    raise IntegrityError(
                        f"pull {ref.familiar()}: layer {short_id(layers[i].digest)} has diff "
                        f"ID {short_id(layer.diff_id)}, the image config says "
                        f"{short_id(diff_ids[i])}: layers from manifest don't match image "
                        "configuration")
                os.unlink(paths[i])
                self.svc.metadata.record(layer.diff_id, layers[i].digest,
                                         layers[i].media_type, ref.name, layers[i].size)
                self.progress.update(short_id(layers[i].digest), "Pull complete")
                parent = layer.chain_id
        except BaseException:
            stop.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        for i in range(start):
            self.svc.metadata.record(diff_ids[i], layers[i].digest, layers[i].media_type,
                                     ref.name, layers[i].size)

    def _download(self, client: RegistryClient, repo: str, desc: Descriptor, path: str,
                  stop: threading.Event) -> None:
        row = short_id(desc.digest)
        if stop.is_set():
            raise PullCancelled(f"download {row}: cancelled")
        try:
            with client.open_blob(repo, desc.digest, desc.size) as reader, \
                    open(path, "wb") as f:
                done = 0
                while chunk := reader.read(_CHUNK):
                    if stop.is_set():
                        raise PullCancelled(f"download {row}: cancelled")
                    f.write(chunk)
                    done += len(chunk)
                    self.progress.update(row, "Downloading", done, desc.size)
                self.progress.update(row, "Verifying Checksum")
        except OSError as exc:
            raise from_oserror(f"download {row}", exc) from exc
        self.progress.update(row, "Download complete")

    def _register(self, path: str, parent: ChainID | None, desc: Descriptor) -> Layer:
        from scow.archive.compression import decompressed

        row = short_id(desc.digest)
        try:
            f = open(path, "rb")
        except OSError as exc:
            raise from_oserror(f"open download of {row}", exc) from exc
        with f:
            counted = _Counting(f, lambda n: self.progress.update(row, "Extracting", n,
                                                                   desc.size))
            stream = io.BufferedReader(counted, _CHUNK)
            return self.store.layers.register(decompressed(cast(BinaryIO, stream)), parent)


class _Counting(io.RawIOBase):
    """A reader that reports how far it has been read (for the `Extracting` bar)."""

    def __init__(self, inner: BinaryIO, report: Callable[[int], None]) -> None:
        self._inner = inner
        self._report = report
        self._done = 0
        self._next = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self._inner.readinto(b)  # type: ignore[attr-defined]
        self._done += n
        if self._done >= self._next:
            self._next = self._done + _CHUNK
            self._report(self._done)
        return int(n)
