"""owns: the typed records the image service returns: `ImageSummary` (a row of `docker
images`) and `HistoryRow` (of `docker history`); NamedTuples, as `scow images` imports them
on its start-up path."""

from __future__ import annotations

from collections.abc import Sequence

from scow.ids import ImageID

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from scow.typeshim import NamedTuple


class ImageSummary(NamedTuple):
    id: ImageID
    repo_tags: list[str]
    repo_digests: list[str]
    parent: str
    created: float
    size: int
    labels: dict[str, str]
    dangling: bool
    intermediate: bool

    @property
    def attrs(self) -> dict[str, Any]:
        """docker's JSON of the row (the Engine API's GET /images/json)."""
        return {"Id": self.id, "ParentId": self.parent, "RepoTags": list(self.repo_tags),
                "RepoDigests": list(self.repo_digests), "Created": int(self.created),
                "Size": self.size, "Labels": dict(self.labels)}


class HistoryRow(NamedTuple):
    id: str  # image ID or "<missing>"
    created: float
    created_by: str
    size: int
    comment: str
    tags: Sequence[str] = ()

    @property
    def attrs(self) -> dict[str, Any]:
        """docker's JSON of the row (GET /images/{name}/history)."""
        return {"Id": self.id, "Created": int(self.created), "CreatedBy": self.created_by,
                "Tags": list(self.tags) or None, "Size": self.size, "Comment": self.comment}
