"""owns: the typed records the container service returns (`ContainerSummary`, a row of
`docker ps`); NamedTuples, as they are on `scow ps`'s start-up path."""

from __future__ import annotations

from typing import NamedTuple


class ContainerSummary(NamedTuple):
    id: str
    name: str
    image: str
    image_id: str
    command: str
    created: float
    state: str  # created | running | paused | exited
    status: str
    exit_code: int
    labels: dict[str, str]
    mounts: list[str]
    size_rw: int | None = None
    size_root_fs: int | None = None
