"""Fixtures for moving images: engines on fresh roots (one per "machine"), a progress writer
in docker's plain (not a terminal) mode, and two-layer images sharing a base layer."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_tar, require_driver
from tests.integration.distribution.archives import legacy_archive

from scow.format.progress import ProgressWriter

BASE = make_tar({"bin/": None, "bin/tool": b"base tool\n" * 100, "etc/": None,
                 "etc/motd": b"hello\n"})
TOP_A = make_tar({"app/": None, "app/a.txt": b"application a\n" * 50})
TOP_B = make_tar({"app/": None, "app/b.txt": b"application b\n" * 50})


class Plain:
    """A ProgressWriter in docker's plain mode that keeps what it printed."""

    def __init__(self) -> None:
        self.buf = io.StringIO()
        self.writer = ProgressWriter(self.buf, tty=False)

    def update(self, id: str, status: str, current: int | None = None,
               total: int | None = None) -> None:
        self.writer.update(id, status, current, total)

    def line(self, text: str, id: str | None = None) -> None:
        self.writer.line(text, id)

    @property
    def lines(self) -> list[str]:
        return self.buf.getvalue().splitlines()

    def statuses(self) -> list[str]:
        """The status part of every `<id>: <status>` row."""
        return [line.split(": ", 1)[1] for line in self.lines if ": " in line]


@pytest.fixture
def plain() -> Callable[[], Plain]:
    return Plain


@pytest.fixture(params=["vfs"])
def driver(request: pytest.FixtureRequest) -> str:
    require_driver(request.param)
    return str(request.param)


@pytest.fixture
def machines(tmp_path: Path, driver: str) -> Iterator[Callable[[str], Any]]:
    """machines("a") -> an Engine on <tmp>/a (the same one for the same name)."""
    from scow import Engine

    made: dict[str, Engine] = {}

    def machine(name: str) -> Engine:
        if name not in made:
            made[name] = Engine(root=str(tmp_path / "roots" / name), storage_driver=driver)
        return made[name]

    yield machine
    for eng in made.values():
        eng.close()
    with open("/proc/self/mountinfo") as f:
        mounts = f.read()
    assert str(tmp_path / "roots") not in mounts, "mounts left behind"


def load_images(engine: Any, images: list[tuple[list[bytes], list[str]]], **kw: Any) -> None:
    engine.distribution.load(io.BytesIO(legacy_archive(images, **kw)))


def tmp_entries(engine: Any) -> list[str]:
    folder = os.path.join(engine.root, "tmp")
    return os.listdir(folder) if os.path.isdir(folder) else []
