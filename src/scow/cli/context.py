"""owns: what every command gets: the global settings, the output streams, and the Engine,
opened only when a command first asks for it."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import TextIO

if TYPE_CHECKING:
    from scow.engine.engine import Engine


class Context:
    def __init__(self, *, root: str | None, storage_driver: str | None, runtime: str | None,
                 debug: bool, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.root = root
        self.storage_driver = storage_driver
        self.runtime = runtime
        self.debug = debug
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from scow.engine.engine import Engine
            from scow.errors import from_oserror

            try:
                self._engine = Engine(self.root, self.storage_driver, self.runtime)
            except OSError as exc:  # the root cannot be made or opened (/proc/x, read-only)
                root = self.root or os.environ.get("SCOW_ROOT") or "(default)"
                raise from_oserror(f"open root {root}", exc) from exc
        return self._engine

    def out(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
