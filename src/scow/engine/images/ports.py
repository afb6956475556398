"""owns: what the image service needs of the services that move and make images — the
distribution service (pull, push, save, load) and the build service (build) — as Protocols,
so `ImageService` offers docker-py's `images.pull/push/build/load/save` while those services
use it (to resolve names, to tag) without an import cycle. `Engine` hands it both, late
bound (each is built on first use)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, Protocol

if TYPE_CHECKING:
    from scow.engine.distribution.ports import Progress
    from scow.ids import Digest, ImageID


class Distribution(Protocol):
    def pull(self, name: str, *, platform: str | None = None, all_tags: bool = False,
             progress: Progress | None = None) -> ImageID: ...

    def push(self, name: str, *, all_tags: bool = False, progress: Progress | None = None,
             compression: Literal["gzip", "zstd"] = "gzip") -> list[Digest]: ...

    def save(self, names: list[str], out: BinaryIO | str, *,
             format: Literal["docker", "oci-archive", "oci-dir"] = "docker") -> None: ...

    def load(self, stream: BinaryIO, *, progress: Progress | None = None) -> list[str]: ...


class Builds(Protocol):
    def stream(self, path: str | None = None, *, tag: str | list[str] | None = None,
               dockerfile: str | None = None, fileobj: BinaryIO | None = None,
               buildargs: dict[str, str] | None = None, labels: dict[str, str] | None = None,
               target: str | None = None, nocache: bool = False, squash: bool = False,
               network_mode: str = "host") -> Iterator[dict[str, Any]]: ...
