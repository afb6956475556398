"""owns: the image service: import, list, history, inspect, tag, remove and prune, with
docker's rules for naming images and `<missing>` history rows; removal and prune, with
docker's conflict rules, are removal.py (loaded by those two verbs only)."""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterator

from scow.engine.images.naming import (
    check_filters,
    familiar_or_raw,
    is_hex,
    match_repository,
    ref_matches,
)
from scow.engine.images.records import HistoryRow, ImageSummary
from scow.errors import ImageNotFound, InvalidArgument, NotFound, Unsupported
from scow.ids import Digest, ImageID, chain_ids
from scow.oci.image import history_entry, make_config, parse_time, rfc3339_nano
from scow.oci.reference import Reference, parse_reference
from scow.osutil import faults
from scow.store.images import ImageRecord
from scow.store.store import Store

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, BinaryIO, Literal

    from scow.engine.images.model import Image  # docker-py's: loaded by get()

if TYPE_CHECKING:
    from scow.analyze.report import Analysis
    from scow.engine.distribution.ports import Progress
    from scow.engine.images.layers import ImageLayer
    from scow.engine.images.ports import Builds, Distribution

if TYPE_CHECKING:  # an alias for annotations only
    ProgressCallback = Callable[[dict[str, Any]], None]

# (container short ID, running) of the containers made from an image ID
ContainersUsing = Callable[[str], list[tuple[str, bool]]]


def go_arch() -> str:
    import platform

    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}.get(
        machine, machine)


class ImageService:
    """docker's image verbs over the store, and docker-py's (get, list, pull, push, build,
    load, save: the last five through the distribution and build services, ports.py)."""

    def __init__(self, store: Store, containers_using: ContainersUsing | None = None, *,
                 distribution: Callable[[], Distribution] | None = None,
                 builds: Callable[[], Builds] | None = None) -> None:
        self.store = store
        self.containers_using: ContainersUsing = containers_using or (lambda _id: [])
        self.distribution = distribution  # late bound: they use this service too
        self.builds = builds

    # -- naming ---------------------------------------------------------------------------
    def resolve(self, name: str) -> ImageID:
        """The image a user means by `name`: a full ID, a reference, or a unique ID prefix."""
        return self.record(name).id

    def record(self, name: str) -> ImageRecord:
        """The record of the image `name` names (as `resolve`); ImageNotFound if none."""
        record = self.find(name)
        if record is None:
            raise ImageNotFound(f"No such image: {familiar_or_raw(name)}")
        return record

    def find(self, name: str) -> ImageRecord | None:
        """The record of the image `name` names (as `resolve`), or None."""
        images = self.store.images
        if name.startswith("sha256:") and len(name) == 71:
            return images.find(name)
        if len(name) == 64 and is_hex(name):
            return images.find("sha256:" + name)
        try:
            ref = parse_reference(name)
        except InvalidArgument:
            ref = None
        if ref is not None:
            image_id = self.store.refs.find(ref)
            if image_id is not None:
                return images.find(image_id)
        matches = images.search(name)
        if len(matches) > 1:
            raise InvalidArgument(f"ambiguous image ID prefix {name!r}: {len(matches)} images")
        return matches[0] if matches else None

    # -- import ---------------------------------------------------------------------------
    def import_image(self, stream: BinaryIO, *, reference: str | None = None,
                     changes: list[str] | None = None, message: str = "",
                     source: str = "-") -> ImageID:
        """Import a root filesystem tar (gzip/zstd/plain) as a one-layer image."""
        from scow.archive.compression import decompressed
        from scow.engine.images.changes import apply_changes

        ref = parse_reference(reference) if reference else None
        config = apply_changes({}, changes or [])
        self.store.recover()
        layer = self.store.layers.register(decompressed(stream), None)
        try:
            created = rfc3339_nano()
            comment = message or f"Imported from {source}"
            config_bytes = make_config(
                diff_ids=[layer.diff_id], config=config, created=created,
                history=[history_entry(created, comment=comment)], architecture=go_arch(),
                extra={"comment": comment})
            faults.point("images.import.after_layer")
            record = self.store.images.create(config_bytes, built_locally=True, ref=ref)
        finally:
            self.store.layers.release_lease(layer.chain_id)
        faults.point("images.import.after_image")
        if ref is not None:  # tagged with its creation (no prune in between)
            self._tagged(record.id, ref)
        self.event(record.id, "import", record.id)  # docker: after the tag
        return record.id

    # -- listing --------------------------------------------------------------------------
    def list_images(self, *, all: bool = False, filters: dict[str, list[str]] | None = None,
             repository: str | None = None) -> list[ImageSummary]:
        """docker images: the tagged images (every one with `all`), filtered by `dangling`,
        `reference`, `before`, `since` and `label`, and by `repository`."""
        filters = filters or {}
        check_filters(filters, ("dangling", "reference", "before", "since", "label"))
        refs = self.store.refs.all()
        records = self.store.images.all()
        parents = {r.parent for r in records if r.parent}
        sizes: dict[str | None, int] = {}
        out = []
        for rec in records:
            tags = [r.familiar() for r in refs.get(rec.id, []) if not r.digest]
            digests = [r.familiar() for r in refs.get(rec.id, []) if r.digest]
            intermediate = not tags and not digests and rec.id in parents
            if intermediate and not all:
                continue
            if rec.top_layer not in sizes:
                sizes[rec.top_layer] = self.store.layers.size(rec.top_layer)
            labels = self.store.images.config(rec.id).config.get("Labels") or {}
            out.append(ImageSummary(rec.id, tags, digests, rec.parent or "", rec.created,
                                    sizes[rec.top_layer], labels, not tags and not digests,
                                    intermediate))
        out = [s for s in out if self._keep(s, filters)]
        if repository:
            out = match_repository(out, repository)
        return out

    def _keep(self, s: ImageSummary, filters: dict[str, list[str]]) -> bool:
        for value in filters.get("dangling", []):
            if value.lower() not in ("true", "false", "1", "0"):
                raise InvalidArgument(f"invalid filter 'dangling={value}'")
            if (value.lower() in ("true", "1")) != s.dangling:
                return False
        patterns = filters.get("reference", [])
        if patterns and not any(ref_matches(p, t) for p in patterns for t in s.repo_tags):
            return False
        for name in filters.get("before", []):
            if s.created >= self.store.images.get(self.resolve(name)).created:
                return False
        for name in filters.get("since", []):
            if s.created <= self.store.images.get(self.resolve(name)).created:
                return False
        for label in filters.get("label", []):
            key, sep, value = label.partition("=")
            if key not in s.labels or (sep and s.labels[key] != value):
                return False
        return True

    # -- history and inspect --------------------------------------------------------------
    def history(self, name: str) -> list[HistoryRow]:
        """docker history: one row per history entry of the image, newest first."""
        image_id = self.resolve(name)
        config = self.store.images.config(image_id)
        chains = chain_ids(config.diff_ids)
        rows: list[HistoryRow] = []
        layer_index = 0
        for h in config.history():
            size = 0
            if not h.empty_layer:
                if layer_index >= len(chains):
                    raise InvalidArgument("too many non-empty layers in History section")
                size = self.store.layers.get(chains[layer_index]).size
                layer_index += 1
            rows.insert(0, HistoryRow("<missing>", parse_time(h.created), h.created_by, size,
                                      h.comment))
        self._fill_history_ids(rows, image_id)
        return rows

    def _fill_history_ids(self, rows: list[HistoryRow], image_id: str) -> None:
        current: str | None = image_id
        for i, row in enumerate(rows):
            if current is None:
                break
            tags = [r.familiar() for r in self.store.refs.refs_of(current) if not r.digest]
            rows[i] = HistoryRow(current, row.created, row.created_by, row.size, row.comment, tags)
            record = self.store.images.find(current)
            current = record.parent if record else None

    def inspect(self, name: str) -> dict[str, Any]:
        """docker image inspect's object, keys in docker's order."""
        from scow.engine.images.inspect import image_inspect

        image_id = self.resolve(name)
        return image_inspect(self.store, image_id)

    def layers(self, name: str) -> builtins.list[ImageLayer]:
        """The image's layers, bottom first, each listing and reading its files without
        extracting the layer (from its tar-split); see `scow.engine.images.layers`."""
        from scow.engine.images.layers import image_layers

        return image_layers(self.store, self.resolve(name))

    # -- tagging and removal --------------------------------------------------------------
    def tag(self, source: str, target: str) -> None:
        """docker tag: make `target` name the image `source` names."""
        image_id = self.resolve(source)
        ref = parse_reference(target)
        if ref.digest:
            raise InvalidArgument("refusing to create a tag with a digest reference")
        self.store.recover()  # a write: what dead processes left goes first (as every writer)
        self._tag(image_id, ref)

    def _tag(self, image_id: str, ref: Reference) -> None:
        self.store.refs.add(ref, image_id)
        self._tagged(image_id, ref)

    def _tagged(self, image_id: str, ref: Reference) -> None:
        """What follows a tag: the image's LastTagTime and docker's `tag` event."""
        self.store.images.set_last_tag_time(image_id, time.time())
        self.event(image_id, "tag", ref.familiar())

    def event(self, image_id: str, action: str, name: str = "") -> None:
        """Append docker's image event `action` (with the image's labels while it exists,
        and `name`) to the root's event log."""
        from scow.engine.events import image_event

        labels: dict[str, str] = {}
        if self.store.images.find(image_id) is not None:
            labels = dict(self.store.images.config(image_id).config.get("Labels") or {})
        image_event(self.store, image_id, action, name, labels)

    def remove(self, name: str, *, force: bool = False, prune: bool = True) -> list[dict[str, str]]:
        """docker rmi: untag, and delete the image when nothing else names it (removal.py)."""
        from scow.engine.images import removal

        return removal.remove(self, name, force=force, prune=prune)

    def prune(self, *, all: bool = False, filters: dict[str, list[str]] | None = None
              ) -> tuple[list[dict[str, str]], int]:
        """docker image prune: dangling images (all unused ones with `all`; removal.py)."""
        from scow.engine.images import removal

        return removal.prune(self, all=all, filters=filters)

    def squash(self, name: str, start: int = 0, tag: str | None = None) -> ImageID:
        """scow image squash: the image's layers from index `start` up as one layer, in a new
        image (tagged `tag` if given); returns its ID. The source image is left as it was."""
        from scow.engine.images.squash import squash

        squashed = squash(self.store, self.resolve(name), start)
        if tag:
            self.tag(squashed, tag)
        return squashed

    def analyze(self, name: str) -> Analysis:
        """scow image analyze: dive's figures and copy-up findings of the image `name`, read
        from the layers' tar-split metadata (no layer is extracted)."""
        from scow.analyze.image import analyze_image

        return analyze_image(self.store, self.resolve(name), name)

    # -- docker-py's object model ------------------------------------------------------------
    def get(self, name: str) -> Image:
        """docker-py's images.get: the Image a name, ID or ID prefix means."""
        from scow.engine.images.model import Image

        return Image(self, self.inspect(name))

    def list(self, name: str | None = None, *, all: bool = False,
             filters: dict[str, builtins.list[str]] | None = None) -> builtins.list[Image]:
        """docker-py's images.list: images (of repository `name` if given)."""
        return [self.get(s.id) for s in self.list_images(all=all, filters=filters,
                                                         repository=name)]

    def pull(self, repository: str, tag: str | None = None, *, platform: str | None = None,
             all_tags: bool = False, progress: Progress | ProgressCallback | None = None
             ) -> Image:
        """docker pull through the distribution service; `progress` is a Progress or a
        callback given docker's JSON progress messages (distribution/ports.py)."""
        name = f"{repository}:{tag}" if tag and not all_tags else repository
        image_id = self._distribution().pull(name, platform=platform, all_tags=all_tags,
                                             progress=_progress(progress))
        return self.get(image_id)

    def push(self, repository: str, tag: str | None = None, *, all_tags: bool = False,
             progress: Progress | ProgressCallback | None = None,
             compression: Literal["gzip", "zstd"] = "gzip") -> builtins.list[Digest]:
        """docker push; the manifest digests pushed."""
        name = f"{repository}:{tag}" if tag else repository
        return self._distribution().push(name, all_tags=all_tags, progress=_progress(progress),
                                         compression=compression)

    def save(self, names: builtins.list[str], out: BinaryIO | str, *,
             format: Literal["docker", "oci-archive", "oci-dir"] = "docker") -> None:
        """docker save: a docker-archive (or oci-archive, or OCI layout folder) of `names`."""
        self._distribution().save(names, out, format=format)

    def load(self, data: bytes | BinaryIO, *,
             progress: Progress | ProgressCallback | None = None) -> builtins.list[Image]:
        """docker load: the images of an archive (docker or OCI), as docker-py's list."""
        import io

        stream = io.BytesIO(data) if isinstance(data, bytes) else data
        lines = self._distribution().load(stream, progress=_progress(progress))
        names = [line.split(": ", 1)[1] for line in lines if ": " in line]
        return [self.get(name) for name in dict.fromkeys(names)]

    def build(self, path: str | None = None, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """docker-py's images.build: yields {"stream": line} progress events, then
        {"aux": {"ID": image_id}} (keywords: tag, dockerfile, fileobj, buildargs, labels,
        target, nocache, squash, network_mode; builds/service.py)."""
        return self._builds().stream(path, **kwargs)

    def _distribution(self) -> Distribution:
        if self.distribution is None:
            raise Unsupported("this image service has no distribution service")
        return self.distribution()

    def _builds(self) -> Builds:
        if self.builds is None:
            raise Unsupported("this image service has no build service")
        return self.builds()



__all__ = ["ImageService", "ImageSummary", "HistoryRow", "NotFound"]


def _progress(progress: Progress | ProgressCallback | None) -> Progress | None:
    """A Progress as given, or one that calls the callback (docker's JSON messages)."""
    if progress is None or not callable(progress):
        return progress
    from scow.engine.distribution.ports import CallbackProgress

    return CallbackProgress(progress)
