"""owns: the typed records the image service returns: `ImageSummary` (a row of `docker
images`) and `HistoryRow` (of `docker history`); NamedTuples, as `scow images` imports them
on its start-up path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from scow.ids import ImageID


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


class HistoryRow(NamedTuple):
    id: str  # image ID or "<missing>"
    created: float
    created_by: str
    size: int
    comment: str
    tags: Sequence[str] = ()
