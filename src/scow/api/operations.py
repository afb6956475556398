"""owns: the owner token of each operation of the service. The store marks what a write has
under way (an incomplete layer or container row, a lease) with its process's owner token, and
rolls it back once that token's process is gone (store/recovery.py). A CLI process is one
operation; the service lives on, so a write done with its long-lived Engine would leave such
marks for as long as the service runs. Each write route therefore works on its own Engine
(`operation`): a Store with its own owner token, released when the operation finishes or
fails, so whatever a failed request left is recovered by the next writer (in the service or
in any scow process). Reads use the app's Engine (no token is ever taken for them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from aiohttp import web

from scow.api.app import ENGINE
from scow.api.blocking import run_blocking
from scow.engine.engine import Engine

T = TypeVar("T")


@contextmanager
def operation(engine: Engine) -> Iterator[Engine]:
    """An Engine on `engine`'s root and settings with an owner token of its own; closed
    (the token released) on the way out, whatever happened. It shares `engine`'s metadata
    database (SQLite connections per thread, opened once, their schema and statements
    parsed once): a connection of its own cost each write request ~1 ms of CPU."""
    settings = engine.settings
    op = Engine(engine.root, settings.storage_driver, settings.runtime, share_db=engine)
    try:
        yield op
    finally:
        op.close()


def in_operation(request: web.Request, fn: Callable[[Engine], T]) -> Callable[[], T]:
    """`fn` run in its own operation on the request's engine (for a worker thread)."""
    engine = request.app[ENGINE]

    def work() -> T:
        with operation(engine) as op:
            return fn(op)
    return work


async def run_operation(request: web.Request, fn: Callable[[Engine], T]) -> T:
    """`fn(engine)` on the thread pool, in its own operation."""
    return await run_blocking(in_operation(request, fn))
