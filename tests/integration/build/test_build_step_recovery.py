"""A build step's writable layer against other processes' recovery and against a kill -9:
a concurrent scow's recovery never takes a live step's layer, and a killed build leaves
nothing that the next command does not remove (its runc container included)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_tar

from scow.engine.build_run import run_in_container
from scow.store.store import Store

SRC = str(Path(__file__).resolve().parents[3] / "src")


class _InstantRunc:
    """The process seam: a `runc run` that exits 0 at once (the step changes nothing)."""

    def __init__(self, root: str) -> None:
        self.root = root

    def argv(self, *args: str, log: str | None = None) -> list[str]:
        return ["true"]


@contextlib.contextmanager
def _recovering_after_each_write(mine: Store, other: Store) -> Iterator[list[str]]:
    """After every write transaction `mine` commits, `other` (another process on the root,
    with its own owner token) runs its recovery: every moment between two of `mine`'s steps
    is a moment another scow may start."""
    real = mine.db.write
    seen: list[str] = []

    @contextlib.contextmanager
    def write() -> Iterator[Any]:
        with real() as tx:
            yield tx
        other._recovered = False
        seen.extend(other.recover())

    mine.db.write = write  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        mine.db.write = real  # type: ignore[method-assign]


def test_concurrent_recovery_never_takes_a_live_steps_layer(engine: Any) -> None:
    import io
    import threading

    from scow.build.ports import RunSpec

    image = engine.images.import_image(io.BytesIO(make_tar({"etc/": None, "etc/a": b"a"})),
                                       reference="base:1")
    top = engine.store.images.get(image).top_layer
    other = Store(engine.root, driver_name=engine.store.driver.name)
    try:
        with _recovering_after_each_write(engine.store, other) as seen:
            spec = RunSpec(argv=("true",), env=(), user="", workdir="/", network="none",
                           epoch=None)
            outcome = run_in_container(engine.store, _InstantRunc(engine.root + "/runc"),
                                       threading.RLock(), top, spec, lambda b: None)
        assert outcome.exit_code == 0 and outcome.layer is not None
        assert not [line for line in seen if "container layer" in line], seen
    finally:
        other.close()
