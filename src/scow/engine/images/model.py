"""owns: docker-py's `Image` object over the image service: typed attributes (id, short_id,
tags, labels), docker's JSON as `.attrs` (refreshed by `.reload()`), and `history()`,
`tag()`, `save()`. It holds the service through `ImageVerbs`, the narrow port it needs.

    image = engine.images.pull("registry.local:5000/busybox:1")
    print(image.tags, image.attrs["Size"])

No dataclasses here: `scow images` imports this module on its start-up path.
"""

from __future__ import annotations

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, BinaryIO, Protocol
else:
    from scow.typeshim import Protocol

if TYPE_CHECKING:
    from scow.engine.images.records import HistoryRow


class ImageVerbs(Protocol):
    """What an Image needs of the image service (ImageService fits)."""

    def inspect(self, name: str) -> dict[str, Any]: ...

    def history(self, name: str) -> list[HistoryRow]: ...

    def tag(self, source: str, target: str) -> None: ...

    def save(self, names: list[str], out: BinaryIO | str) -> None: ...


class Image:
    """One image, docker-py's way."""

    def __init__(self, service: ImageVerbs, attrs: dict[str, Any]) -> None:
        self._service = service
        self.attrs = attrs

    def __repr__(self) -> str:
        return f"<Image: {', '.join(self.tags) or self.short_id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Image) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def id(self) -> str:
        """The image ID, `sha256:<hex>`."""
        return str(self.attrs["Id"])

    @property
    def short_id(self) -> str:
        """The first 12 hex digits of the ID."""
        return self.id.removeprefix("sha256:")[:12]

    @property
    def tags(self) -> list[str]:
        """Its `repo:tag` names (RepoTags)."""
        return list(self.attrs.get("RepoTags") or [])

    @property
    def labels(self) -> dict[str, str]:
        """Its config's labels."""
        return dict((self.attrs.get("Config") or {}).get("Labels") or {})

    def reload(self) -> None:
        """Read `attrs` again from the store."""
        self.attrs = self._service.inspect(self.id)

    def history(self) -> list[HistoryRow]:
        """docker history of the image: one row per history entry, newest first."""
        return self._service.history(self.id)

    def tag(self, repository: str, tag: str | None = None) -> bool:
        """Name the image `repository[:tag]` (docker-py returns True)."""
        self._service.tag(self.id, f"{repository}:{tag}" if tag else repository)
        self.reload()
        return True

    def save(self, out: BinaryIO | str) -> None:
        """A docker-archive of this image, to a stream or a file path."""
        self._service.save([self.id], out)
