"""owns: the distribution noun — `DistributionService` (service.py): pull, push, save, load,
login/logout; the progress port (progress.py)."""

from scow.engine.distribution.ports import NullProgress, Progress
from scow.engine.distribution.service import DistributionService, SaveFormat

__all__ = ["DistributionService", "NullProgress", "Progress", "SaveFormat"]
