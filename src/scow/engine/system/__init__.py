"""owns: the system noun — `SystemService` (service.py): info, df, prune (prune.py) and check
(check.py)."""

from scow.engine.system.service import DiskUsage, SystemService

__all__ = ["DiskUsage", "SystemService"]
