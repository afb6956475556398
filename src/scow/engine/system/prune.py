"""owns: `system prune`: stopped containers, then unused volumes (when asked), then dangling
images (all unused images with `all`), in the order docker's daemon prunes them, so that the
images the removed containers used become unused in the same run.

    result = system_prune(engine, all=True, volumes=True)
    result.containers, result.volumes, result.images, result.reclaimed
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scow.engine.engine import Engine


@dataclass
class PruneResult:
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)  # {"Untagged"|"Deleted": ...}
    reclaimed: int = 0


def system_prune(engine: Engine, *, all: bool = False, volumes: bool = False) -> PruneResult:
    engine.store.recover()
    result = PruneResult()
    result.containers, reclaimed = engine.containers.prune()
    result.reclaimed += reclaimed
    if volumes:
        result.volumes, reclaimed = prune_volumes(engine)
        result.reclaimed += reclaimed
    result.images, reclaimed = engine.images.prune(all=all)
    result.reclaimed += reclaimed
    return result


def volume_users(engine: Engine) -> dict[str, list[str]]:
    """Volume name → IDs of the containers that mount it."""
    users: dict[str, list[str]] = {}
    for record in engine.store.containers.all(include_incomplete=True):
        for mount in record.doc.get("MountPoints", []):
            if mount.get("Name"):
                users.setdefault(mount["Name"], []).append(record.id)
    return users


def prune_volumes(engine: Engine, *, all: bool = False) -> tuple[list[str], int]:
    """Anonymous volumes (all volumes with `all`) that no container mounts."""
    users = volume_users(engine)
    removed, reclaimed = [], 0
    for volume in engine.volumes.all():
        if volume.name in users or not (all or volume.anonymous):
            continue
        reclaimed += engine.volumes.size(volume.name)
        engine.volumes.remove(volume.name)
        removed.append(volume.name)
    return removed, reclaimed
