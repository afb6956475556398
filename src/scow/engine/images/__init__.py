"""owns: the images noun — `ImageService` (service.py: import, list, history, inspect, tag,
remove, prune, squash, analyze) and its records; inspect.py (docker's JSON), squash.py,
changes.py (`--change`), analyze.py (the entry into scow.analyze)."""

from scow.engine.images.service import HistoryRow, ImageService, ImageSummary

__all__ = ["HistoryRow", "ImageService", "ImageSummary"]
