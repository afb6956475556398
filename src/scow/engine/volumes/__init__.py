"""owns: the volumes noun — `VolumeService` (service.py): named volumes, their users and
prune, and the parsing of `-v`/`--mount` specs."""

from scow.engine.volumes.service import (
    MountSpec,
    Volume,
    VolumeService,
    parse_mount_flag,
    parse_volume_flag,
)

__all__ = ["MountSpec", "Volume", "VolumeService", "parse_mount_flag", "parse_volume_flag"]
