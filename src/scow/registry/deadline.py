"""owns: the total deadline of a registry's small answers: manifests, indexes, image configs,
tag lists and token answers must arrive whole within `SCOW_REGISTRY_DEADLINE` seconds (60 by
default), however slowly the server drips them. Blobs (layers) have no total deadline: their
progress shows, and the per-read timeout of the session gives up on a silent server.

A per-read timeout alone never gives up on a server that sends one byte a second, in its
headers or its body. So while a deadline is open (`within`, per thread), every connection that
connects (the TLS handshake included) or waits for a response arms a timer; at the deadline
the timer shuts the socket down (through a dup of its fd, checked to be the same connection:
during a handshake the TLS socket is nowhere else to be found), the blocked read ends, and
`within` turns whatever error that caused into one line: `get manifest x:1: no complete answer
within 60 s`. Deadlines do not nest: a token fetched inside a manifest request counts against the
manifest's deadline.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from scow.errors import InvalidArgument, RegistryUnavailable, ScowError

if TYPE_CHECKING:
    import urllib3

DEFAULT_DEADLINE = 60.0
ENV = "SCOW_REGISTRY_DEADLINE"
_local = threading.local()


def default_deadline() -> float:
    """`SCOW_REGISTRY_DEADLINE` seconds, else DEFAULT_DEADLINE."""
    text = os.environ.get(ENV, "")
    if not text:
        return DEFAULT_DEADLINE
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1e6:
        raise InvalidArgument(f"read {ENV}: {text!r} is not a number of seconds")
    return value


class DeadlineExceeded(RegistryUnavailable):
    """A small answer did not arrive whole within the deadline."""


class _Watch:
    def __init__(self, at: float) -> None:
        self.at = at
        self.fired = False
        self.timers: list[threading.Timer] = []


@contextmanager
def within(seconds: float, verb: str) -> Iterator[None]:
    """Bound every response awaited in this block (this thread) by one total deadline."""
    if getattr(_local, "watch", None) is not None:
        yield  # the outer deadline holds
        return
    watch = _Watch(time.monotonic() + seconds)
    _local.watch = watch
    late = f"{verb}: no complete answer within {seconds:g} s"
    try:
        yield
    except ScowError as exc:
        if watch.fired or time.monotonic() >= watch.at:
            raise DeadlineExceeded(late) from exc
        raise
    finally:
        _local.watch = None
        for timer in watch.timers:
            timer.cancel()
    if watch.fired:  # a cut answer may still parse (headers cut short): never use it
        raise DeadlineExceeded(late)


def _abort(conn: Any, watch: _Watch) -> None:
    """Shut down the socket `conn` made (by its fd: during a TLS handshake the SSL socket is
    nowhere else to be found), if the fd still is that socket."""
    if getattr(conn, "_scow_watch", None) is not watch:
        return  # the connection went back to the pool and serves someone else now
    watch.fired = True
    ident = getattr(conn, "_scow_socket", None)
    if ident is None:
        return
    fd, local, peer = ident
    try:
        dup = socket.socket(fileno=os.dup(fd))
    except OSError:
        return  # closed already
    with dup:
        try:
            if dup.getsockname() == local and dup.getpeername() == peer:
                dup.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Armed:
    """Mixed into urllib3's connections: `connect` (the TLS handshake too) and `getresponse`
    arm the open deadline's timer, once per deadline."""

    def connect(self) -> None:
        self._scow_arm()
        super().connect()  # type: ignore[misc]

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        self._scow_socket = (sock.fileno(), sock.getsockname(), sock.getpeername())
        return sock

    def getresponse(self) -> Any:
        self._scow_arm()
        return super().getresponse()  # type: ignore[misc]

    def _scow_arm(self) -> None:
        watch: _Watch | None = getattr(_local, "watch", None)
        if watch is None:
            self._scow_watch = None  # no deadline, and no older timer may touch it now
            return
        left = watch.at - time.monotonic()
        if left <= 0:  # a reconnect after the timer fired, or a late retry
            watch.fired = True
            raise TimeoutError("deadline passed")
        if getattr(self, "_scow_watch", None) is watch:
            return  # armed for this deadline already
        self._scow_watch = watch
        timer = threading.Timer(left, _abort, (self, watch))
        timer.daemon = True
        timer.start()
        watch.timers.append(timer)


def install(pool: urllib3.PoolManager) -> None:
    """Make `pool` open connections that honour `within`."""
    from urllib3 import connection, connectionpool

    class HTTPConnection(_Armed, connection.HTTPConnection):
        pass

    class HTTPSConnection(_Armed, connection.HTTPSConnection):
        pass

    class HTTPPool(connectionpool.HTTPConnectionPool):
        ConnectionCls = HTTPConnection

    class HTTPSPool(connectionpool.HTTPSConnectionPool):
        ConnectionCls = HTTPSConnection

    pool.pool_classes_by_scheme = {"http": HTTPPool, "https": HTTPSPool}
