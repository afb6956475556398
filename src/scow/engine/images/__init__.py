"""owns: the images noun — `ImageService` (service.py: import, list, history, inspect, tag,
remove, prune, squash, analyze, and docker-py's get/list/pull/push/build/load/save) and its
records; model.py (docker-py's `Image`), ports.py (the distribution and build ports),
inspect.py (docker's JSON), squash.py, changes.py (`--change`)."""

from scow.engine.images.model import Image
from scow.engine.images.service import HistoryRow, ImageService, ImageSummary

__all__ = ["HistoryRow", "Image", "ImageService", "ImageSummary"]
