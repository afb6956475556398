"""owns: the images noun — `ImageService` (service.py: import, list, history, inspect, tag,
remove, prune, squash, analyze, and docker-py's get/list/pull/push/build/load/save) and its
records; model.py (docker-py's `Image`), ports.py (the distribution and build ports),
inspect.py (docker's JSON), squash.py, changes.py (`--change`)."""

from scow.engine.images.service import HistoryRow, ImageService, ImageSummary

TYPE_CHECKING = False  # mypy honours the name
if TYPE_CHECKING:
    from scow.engine.images.model import Image as Image  # re-exported (mypy)

__all__ = ["HistoryRow", "ImageService", "ImageSummary"]  # and Image, loaded on first use


def __getattr__(name: str) -> object:
    """docker-py's `Image` (model.py) on first use: the short commands never build one."""
    if name == "Image":
        from scow.engine.images.model import Image

        return Image
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
