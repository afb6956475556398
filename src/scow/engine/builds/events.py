"""owns: `BuildService.stream`'s event stream — docker-py's `images.build` way of watching a
build: the build runs in a worker thread and each BuildKit plain progress line comes out as
``{"stream": line}`` while it runs, then ``{"aux": {"ID": image_id}}``; a failed build raises
its error (scow.errors) from the iterator after the lines that led to it. Closing the
iterator early cancels the build (sets its `cancel` event: the API client went away) and
waits for it to end (its worker uses the caller's store)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from typing import Any

_DONE = object()


class _Lines:
    """A text stream whose writes become {"stream": text} events on `put`."""

    def __init__(self, put: Callable[[object], None]) -> None:
        self.put = put

    def write(self, text: str) -> int:
        if text:
            self.put({"stream": text})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def stream_events(run: Callable[[_Lines], str], cancel: threading.Event | None = None
                  ) -> Generator[dict[str, Any], None, None]:
    """Run `run(lines)` (a build writing its progress to `lines`, returning the image ID) in
    a thread; yield its events as they come (see the module doc); `cancel`: the build's."""
    events: queue.Queue[object] = queue.Queue()
    outcome: list[BaseException | str] = []

    def work() -> None:
        try:
            outcome.append(run(_Lines(events.put)))
        except BaseException as exc:  # noqa: BLE001 - raised again by the reader
            outcome.append(exc)
        finally:
            events.put(_DONE)

    worker = threading.Thread(target=work, name="scow-build", daemon=True)
    worker.start()
    try:
        while (event := events.get()) is not _DONE:
            yield event  # type: ignore[misc]
    finally:
        # a reader that stops early (the API client went away) cancels the build, and must
        # not close the store under it: the build ends (soon, when cancellable), events dropped
        if event is not _DONE and cancel is not None:
            cancel.set()
        while event is not _DONE:
            event = events.get()
        worker.join()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    yield {"aux": {"ID": outcome[0]}}
