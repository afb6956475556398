"""owns: `scow build` over the store: ``BuildService.build`` (the API and CLI entry point) and
``StoreBuildEngine``, the builder's ``BuildEngine`` port made real: local (or pulled) base
images, RUN in a runc container, COPY/ADD/WORKDIR as layer tars, the build cache, committing
and tagging the image.

    result = engine.builds.build(BuildContext.from_dir("."), BuildOptions(tags=("app:1",)),
                                make_progress(sys.stderr, "plain"))

Every layer a build makes or reuses is held by a lease of this process until the image is
committed; then all are released, so even a failed build leaves only what its image names and the
build cache holds (each finished step's row holds its layer, intermediate stages' included, so
a rebuild reuses them); then the cache's size/age policy runs (gc.py).
Store access is serialized by one lock (the store's SQLite connection is shared); containers
of independent stages run in parallel.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Generator, Iterator

from scow.build.ports import (
    CopySpec,
    ImageView,
    OutputSpec,
    RunResult,
    RunSpec,
    Secret,
    SshSource,
)
from scow.errors import BuildCancelled, InvalidArgument, Unavailable
from scow.fastjson import dumps, loads
from scow.ids import ChainID, DiffID, ImageID, chain_id
from scow.typeshim import replace  # dataclasses' (inspect, ast) is not on a build's path

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, BinaryIO

    from scow.build.builder import BuildResult, CheckResult
    from scow.build.context import BuildContext
    from scow.build.ports import BuildOptions
    from scow.build.progress import Progress
    from scow.engine.builds.cache import BuildCache
    from scow.engine.builds.gc import CacheUsage, PruneReport
    from scow.engine.builds.remote_cache import Imported, Record
    from scow.engine.distribution import DistributionService
    from scow.engine.images import ImageService
    from scow.runtime.runc import Runc
    from scow.store.layers import Layer
    from scow.store.store import Store


class BuildService:
    """docker build over the store; built by `Engine` with the store, the image service, and
    the factories of the distribution service (base images to pull, registry caches: its
    modules load only then) and of the runtime (RUN steps)."""

    def __init__(self, store: Store, images: ImageService,
                 distribution: Callable[[], DistributionService],
                 runtime: Callable[[], Runc]) -> None:
        self.store = store
        self.images = images
        self.distribution = distribution
        self.runtime = runtime

    def build(self, context: BuildContext | None, options: BuildOptions, progress: Progress,
              *, squash: bool = False, cancel: threading.Event | None = None) -> BuildResult:
        """Build the Dockerfile of `options` in `context`; the image is stored and tagged.
        `cancel`, once set (by another thread), stops the build: the RUN step running then
        is killed, the next step raises BuildCancelled, and what the build made is released
        as for any failed build."""
        from scow.build.builder import build
        from scow.engine.builds import cache_io
        from scow.engine.builds.gc import policy
        policy(self.store.root)  # a bad [builder.gc] fails the build before, not after, it
        port = StoreBuildEngine(self.store, self.images, self.distribution, self.runtime,
                                epoch=options.epoch, pull=options.pull)
        port.secrets = tuple(options.secrets)
        port.cancel = cancel if cancel is not None else threading.Event()  # stop_steps sets it
        try:  # --ssh key files: private agents, stopped when the build ends (ssh_agent.py)
            with self._ssh_agents(tuple(options.ssh)) as port.ssh:
                cache_io.prepare(port, options)
                if not squash:
                    result = build(port, context, options, progress)
                else:
                    result = build(port, context, replace(options, tags=()), progress)
                    squashed = self._squash(port, result)
                cache_io.export(port, options, result)
        finally:
            port.close()
        self.collect_cache()
        if not squash:
            return replace(result, reused=port.reused) if port.reused else result
        for tag in options.tags:
            self.images.tag(squashed, tag)
        return replace(result, image_id=squashed)

    def _ssh_agents(self, sources: tuple[SshSource, ...]
                    ) -> contextlib.AbstractContextManager[tuple[SshSource, ...]]:
        """`ssh_agent.key_agents` when a source names key files (its modules load only
        then: subprocess, signal, tempfile), else `sources` as they are."""
        if not any(s.keys for s in sources):
            return contextlib.nullcontext(sources)
        from scow.engine.builds.ssh_agent import key_agents

        return key_agents(self.store, sources)

    def collect_cache(self) -> None:
        """The build cache's size/age policy (gc.py), after a build."""
        from scow.engine.builds.gc import collect

        collect(self.store)

    def prune_cache(self, *, all: bool = False, until: float | None = None,
                    keep_storage: int | None = None) -> PruneReport:
        """`builder prune`: release build cache records (gc.py ``prune``) and the idle
        RUN --mount=type=cache folders (gc.py ``prune_mounts``)."""
        from scow.engine.builds.gc import PruneReport, prune, prune_mounts

        report = prune(self.store, all=all, until=until, keep_storage=keep_storage)
        mounts = prune_mounts(self.store)
        parsed = self.store.parsed_dockerfiles.clear() if all else 0
        return PruneReport(report.ids + mounts.ids,
                           report.reclaimed + mounts.reclaimed + parsed)

    def cache_usage(self) -> list[CacheUsage]:
        """The build cache's records for `system df`."""
        from scow.engine.builds.gc import usage

        return usage(self.store)

    def check(self, context: BuildContext | None, options: BuildOptions) -> CheckResult:
        """`build --check`: BuildKit's frontend checks on the Dockerfile, nothing built (base
        images are looked up, and pulled when missing, for the UndefinedVar rule)."""
        from scow.build.builder import check

        port = StoreBuildEngine(self.store, self.images, self.distribution, self.runtime)
        try:
            return check(port, context, options)
        finally:
            port.close()

    def stream(self, path: str | None = None, *, tag: str | list[str] | None = None,
               dockerfile: str | None = None, fileobj: BinaryIO | None = None,
               buildargs: dict[str, str] | None = None, labels: dict[str, str] | None = None,
               target: str | None = None, nocache: bool = False, squash: bool = False,
               network_mode: str = "host", cache_from: list[str] | None = None,
               extra_hosts: tuple[tuple[str, str], ...] = (), shm_size: int | None = None,
               cancel: threading.Event | None = None) -> Generator[dict[str, Any], None, None]:
        """docker-py's images.build: build the folder `path` (or the context tar `fileobj`)
        and yield progress events, {"stream": line} then {"aux": {"ID": image_id}}
        (builds/events.py); the image is stored and tagged `tag` (one or several);
        `cache_from`: images whose inline build cache is used (remote_cache.py);
        `extra_hosts` ((name, ip) pairs) and `shm_size` (bytes) to every RUN; `cancel`
        stops the build as `build`'s does, and closing the iterator early sets it."""
        from scow.build.context import BuildContext
        from scow.build.ports import BuildOptions, RunExtras
        from scow.build.progress import PlainProgress
        from scow.engine.builds.events import stream_events

        tags = (tag,) if isinstance(tag, str) else tuple(tag or ())
        options = BuildOptions(dockerfile=dockerfile or "Dockerfile", tags=tags,
                               target=target, build_args=dict(buildargs or {}),
                               labels=dict(labels or {}), no_cache=nocache,
                               network=network_mode,
                               run_extras=RunExtras(add_hosts=tuple(extra_hosts),
                                                    shm_size=shm_size))
        options.cache_from = tuple(cache_from or ())  # docker-py's cache_from: images

        def run(lines: Any) -> str:
            if fileobj is not None:
                context = BuildContext.from_tar(fileobj, dockerfile)
            elif path is not None:
                context = BuildContext.from_dir(path, dockerfile)
            else:
                raise InvalidArgument("build: give a path or a fileobj")
            with context:
                return self.build(context, options, PlainProgress(lines),
                                  squash=squash, cancel=cancel).image_id

        return stream_events(run, cancel)

    def _squash(self, port: StoreBuildEngine, result: BuildResult) -> ImageID:
        """`build --squash`: the layers this build added over its base image, as one."""
        from scow.engine.images.squash import squash

        diff_ids = loads(self.store.images.config_bytes(result.image_id)).get(
            "rootfs", {}).get("diff_ids") or []
        base = max((n for n in port.base_layers if diff_ids[:n] == port.base_diff_ids[n]),
                   default=0)
        if base >= len(diff_ids):
            return result.image_id  # nothing new to squash
        return squash(self.store, result.image_id, base)


class StoreBuildEngine:
    """``scow.build.ports.BuildEngine`` over one Engine's store, for one build."""

    def __init__(self, store: Store, images: ImageService,
                 distribution: Callable[[], DistributionService],
                 runtime: Callable[[], Runc], *, epoch: int | None = None,
                 pull: bool = False) -> None:
        self.store = store
        self.images = images
        self._distribution = distribution
        self.runtime = runtime
        self.epoch = epoch  # SOURCE_DATE_EPOCH: the mtime of folders WORKDIR creates
        self.lock = threading.RLock()
        self.leases: list[ChainID] = []
        self.local = threading.local()  # .made: (parent, layer) of this thread's last step
        self.built = 0  # layer steps run (not cache hits) in this build
        self.reused = False  # the image committed is an earlier all-cached build's
        self.base_diff_ids: dict[int, list[str]] = {}  # diff_ids of the images FROM names
        self.pull = pull  # --pull: each base image pulled once per build, even when present
        self.pulled: dict[str, str] = {}
        self.secrets: tuple[Secret, ...] = ()  # --secret: read by RUN --mount=type=secret
        self.ssh: tuple[SshSource, ...] = ()  # --ssh
        self.imported: Imported | None = None  # --cache-from records
        self.used: dict[str, Record] = {}  # keys this build hit or stored, for --cache-to
        self.inline = False  # --cache-to type=inline: the cache config in the image config
        self.record_used = False  # --cache-to: `used` is kept (cache_io.prepare)
        self.cancel: threading.Event | None = None  # set: the build stops (BuildService.build)
        with self.lock:
            self.store.recover()

    def stop_steps(self) -> None:
        if self.cancel is not None:
            self.cancel.set()

    def check_cancel(self) -> None:
        """Raise BuildCancelled once the build's `cancel` is set (at each step's start)."""
        if self.cancel is not None and self.cancel.is_set():
            raise BuildCancelled("build: cancelled")

    @property
    def distribution(self) -> DistributionService:
        """Made on first use: a build whose base images are all local never loads it."""
        return self._distribution()

    @property
    def cache(self) -> BuildCache:
        from scow.engine.builds.cache import BuildCache

        with self.lock:
            if not hasattr(self, "_cache"):
                self._cache = BuildCache(self.store.layers, self.store.build_cache)
            return self._cache

    def close(self) -> None:
        """Mark the cache hits used (one commit) and release every lease this build took
        (what no image names is deleted)."""
        with self.lock:
            try:
                if hasattr(self, "_cache"):
                    self._cache.touch()
            finally:  # the leases go even when the stamp failed
                leases, self.leases = self.leases, []
                self.store.layers.release_leases(leases[::-1])
                if self.imported is not None:
                    self.imported.close()

    # -- images -----------------------------------------------------------------------------
    def get_image(self, ref: str) -> ImageView:
        self.check_cancel()
        with self.lock:  # a pull writes to the store too: under the store lock
            if self.pull:
                if ref not in self.pulled:
                    self.pulled[ref] = self.distribution.pull(ref)
                image_id = self.pulled[ref]
            else:
                record = self.images.find(ref)
                image_id = record.id if record else self.distribution.ensure_image(ref)
            config = loads(self.store.images.config_bytes(image_id))
            diffs = config.get("rootfs", {}).get("diff_ids") or []
            if diffs:
                self._lease(chain_id(diffs))
            self.base_diff_ids[len(diffs)] = list(diffs)  # for --squash
        return ImageView(ImageID(image_id), config)

    @property
    def base_layers(self) -> list[int]:
        return list(self.base_diff_ids)

    def commit_image(self, config: bytes) -> ImageID:
        """Store the image; a build whose every step was a cache hit gives the image such a
        build gave before (same ID), when it still exists."""
        self.check_cancel()
        doc = loads(config)
        with self.lock:
            if self.inline:
                config = self._with_inline_cache(doc)
            if not self.built:
                earlier = self.cache.image_lookup(doc, self.store.images)
                if earlier is not None:
                    self.reused = True
                    return ImageID(earlier)
            record = self.store.images.create(config, built_locally=True)
            self.cache.image_store(doc, record.id, record.top_layer)
            return record.id

    def _with_inline_cache(self, doc: dict[str, Any]) -> bytes:
        from scow.engine.builds.remote_cache import INLINE_KEY, in_image, inline_value

        diffs = doc.get("rootfs", {}).get("diff_ids") or []
        doc[INLINE_KEY] = inline_value(in_image(list(self.used.values()), diffs, "min"),
                                       self.store)
        return dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    def tag(self, image_id: ImageID, ref: str) -> None:
        with self.lock:
            self.images.tag(image_id, ref)

    def export_rootfs(self, chain: ChainID | None, output: OutputSpec) -> None:
        """``-o type=local|tar``: the filesystem of `chain` written there (builds/export.py)."""
        from scow.engine.builds.export import export

        with self.open_rootfs(chain) as rootfs:
            export(rootfs, output)

    # -- steps ------------------------------------------------------------------------------
    def run_step(self, parent: ChainID | None, spec: RunSpec,
                 output: Callable[[bytes], None]) -> RunResult:
        from scow.engine.builds.mounts import StepMounts
        from scow.engine.builds.run import run_in_container

        self.check_cancel()
        with contextlib.ExitStack() as stack:
            mounts = StepMounts(self, stack)
            mounts.prepare(spec.mounts)
            outcome = run_in_container(self.store, self.runtime(), self.lock, parent,
                                       spec, output, mounts, self.cancel)
        if outcome.layer is None:
            return RunResult(outcome.exit_code, None)
        return RunResult(0, self._made(parent, outcome.layer))

    def copy_step(self, parent: ChainID | None, spec: CopySpec) -> DiffID:
        from scow.engine.builds.layers import write_copy

        self.check_cancel()
        with contextlib.ExitStack() as stack:
            rootfs = stack.enter_context(self.open_rootfs(parent))
            # --link: the layer is written as on an empty rootfs (owner names still come
            # from the parent's passwd/group), so its bytes do not depend on the base
            base = stack.enter_context(self.open_rootfs(None)) if spec.link else rootfs
            return self._register(parent, lambda out: write_copy(out, rootfs, spec, base))

    def mkdir_step(self, parent: ChainID | None, path: str, user: str) -> DiffID:
        from scow.engine.builds.layers import resolve_owner, write_mkdir

        self.check_cancel()
        with self.open_rootfs(parent) as rootfs:
            owner = resolve_owner(rootfs, user)
            return self._register(parent, lambda out: write_mkdir(out, rootfs, path, owner,
                                                                  self.epoch))

    def _register(self, parent: ChainID | None, produce: Callable[[BinaryIO], None]) -> DiffID:
        from scow.engine.layer_stream import register_from

        with self.lock:
            layer = register_from(self.store, produce, parent)
            return self._made(parent, layer)

    def _made(self, parent: ChainID | None, layer: Layer) -> DiffID:
        with self.lock:
            self.leases.append(layer.chain_id)
            self.built += 1
        self.local.made = (parent, layer)
        return layer.diff_id

    @contextlib.contextmanager
    def open_rootfs(self, chain: ChainID | None) -> Iterator[str]:
        if chain is None:
            import tempfile

            with tempfile.TemporaryDirectory(prefix="scow-scratch-") as empty:
                yield empty
            return
        with self.lock:
            self._lease(chain)
            cache_id = self.store.layers.get(chain).cache_id
            path = self.store.driver.get(cache_id)
        try:
            yield path
        finally:
            with self.lock:
                self.store.driver.put(cache_id)

    def _lease(self, chain: str) -> None:
        self.store.layers.take_lease(chain)
        self.leases.append(ChainID(chain))

    # -- cache ------------------------------------------------------------------------------
    def cache_lookup(self, key: str) -> DiffID | None:
        with self.lock:
            hit = self.cache.lookup(key) or self._imported(key)
            if hit is None:
                return None
            self.leases.append(hit[1])
            self._used(key, hit[0], hit[1])
            return hit[0]

    def cache_store(self, key: str, diff_id: DiffID) -> None:
        made: tuple[ChainID | None, Layer] | None = getattr(self.local, "made", None)
        if made is None or made[1].diff_id != diff_id:
            return
        with self.lock:
            self.cache.store(key, made[0], diff_id, made[1].chain_id)
            self._used(key, diff_id, made[1].chain_id)

    def cached_parse(self, key: str) -> bytes | None:
        return self.store.parsed_dockerfiles.get(key)

    def keep_parse(self, key: str, data: bytes) -> None:
        self.store.parsed_dockerfiles.put(key, data)

    # -- --cache-from / --cache-to (remote_cache.py) ----------------------------------------
    def _imported(self, key: str) -> tuple[DiffID, ChainID] | None:
        """A key of a ``--cache-from`` source: its chain in the store, held by a cache row
        and leased like a local hit."""
        from scow.engine.builds.remote_cache import materialize

        found = self.imported.find(key) if self.imported is not None else None
        hit = materialize(self.store, *found, self.leases.append) if found else None
        if hit is None:
            return None
        self.cache.store(key, self.store.layers.get(hit[1]).parent, hit[0], hit[1])
        self.store.layers.take_lease(hit[1])
        return hit

    def _used(self, key: str, diff_id: DiffID, chain: ChainID) -> None:
        if not self.record_used:
            return
        from scow.engine.builds.remote_cache import Record

        self.used[key] = Record(key, self.store.layers.get(chain).parent, diff_id, chain)

    # -- ADD <git source> -------------------------------------------------------------------
    def fetch_git(self, remote: str, ref: str | None, dest_dir: str) -> tuple[str, str]:
        from scow.engine.builds.git import checkout

        return checkout(remote, ref, dest_dir)

    # -- ADD <url> --------------------------------------------------------------------------
    def download(self, url: str, dest_dir: str) -> str:
        import urllib.error
        import urllib.request

        name = os.path.basename(url.split("?", 1)[0].rstrip("/")) or "download"
        path = os.path.join(dest_dir, name)
        try:
            with urllib.request.urlopen(url, timeout=30) as resp, open(path, "wb") as f:
                while chunk := resp.read1(1 << 20):  # what came: a slow server is cancellable
                    f.write(chunk)
                    self.check_cancel()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise Unavailable(f"download {url}: {reason}") from None
        return path

