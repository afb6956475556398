"""owns: BlobReader, the stream of one blob from a registry: sha256 and size checked while
reading, the connection resumed with `Range: bytes=<offset>-` when it drops (at most
MAX_ATTEMPTS connections in all).

Contract: bytes come out as they arrive, so they are *not yet good*; the read that reaches the
end raises DigestMismatch or SizeMismatch instead of returning b"" when the blob is not what its
digest says. A caller writes to a temp file and keeps it only after a clean b"".
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING

from scow.errors import DigestMismatch, RegistryUnavailable, SizeMismatch
from scow.ids import short_id

if TYPE_CHECKING:
    import urllib3

MAX_ATTEMPTS = 5
_BACKOFF = 0.2  # seconds, times the number of failed attempts so far
CHUNK = 1024 * 1024

# offset -> a response whose body starts at byte `offset` of the blob (206) or at 0 (200)
Opener = Callable[[int], "urllib3.BaseHTTPResponse"]


class BlobReader:
    def __init__(self, opener: Opener, digest: str, size: int | None, *, verb: str) -> None:
        import urllib3

        self._open = opener
        self.digest = digest
        self.size = size
        self.offset = 0
        self.attempts = 1
        self._verb = verb
        self._hash = hashlib.sha256()
        self._done = False
        self._errors: tuple[type[BaseException], ...] = (
            urllib3.exceptions.HTTPError, OSError)
        self._resp: urllib3.BaseHTTPResponse | None = opener(0)
        length = self._resp.headers.get("Content-Length", "")
        if length.isdigit():
            if size is not None and int(length) != size:
                self.close()
                raise SizeMismatch(f"{verb}: registry announces {length} bytes, "
                                   f"the descriptor says {size}")
            self.size = int(length) if size is None else size

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK):
            yield chunk

    def close(self) -> None:
        if self._resp is not None:
            self._resp.release_conn() if self._done else self._resp.close()
            self._resp = None

    def read(self, n: int = CHUNK) -> bytes:
        """Up to `n` bytes; b"" only at the end of a blob whose digest and size are right."""
        if self._done:
            return b""
        n = CHUNK if n is None or n < 0 else n
        while True:
            if self._resp is None:
                raise RegistryUnavailable(f"{self._verb}: reader is closed")
            try:
                data = self._resp.read(n, decode_content=False)
            except self._errors as exc:
                self._resume(exc)
                continue
            if data:
                return self._take(data)
            if self.size is not None and self.offset < self.size:
                self._resume(None)  # the server ended early without saying so
                continue
            self._finish()
            return b""

    def _take(self, data: bytes) -> bytes:
        self.offset += len(data)
        if self.size is not None and self.offset > self.size:
            self.close()
            raise SizeMismatch(f"{self._verb}: more than the expected {self.size} bytes")
        self._hash.update(data)
        return data

    def _finish(self) -> None:
        got = "sha256:" + self._hash.hexdigest()
        if got != self.digest:
            self.close()
            raise DigestMismatch(f"{self._verb}: content has digest {short_id(got)}, "
                                 f"want {short_id(self.digest)}")
        self._done = True
        self.close()

    def _resume(self, exc: BaseException | None) -> None:
        from scow.registry.transport import failure_reason

        reason = failure_reason(exc) if exc else "connection closed early"
        if self._resp is not None:
            self._resp.close()
            self._resp = None
        while True:
            if self.attempts >= MAX_ATTEMPTS:
                raise RegistryUnavailable(
                    f"{self._verb}: {reason} (gave up after {self.attempts} attempts)") from exc
            time.sleep(_BACKOFF * (self.attempts - 1))
            self.attempts += 1
            try:
                resp = self._open(self.offset)
                if resp.status == 200 and self.offset:
                    self._skip(resp, self.offset)  # Range ignored: start over, skip ahead
            except RegistryUnavailable as again:
                reason, exc = again.message, again
                continue
            self._resp = resp
            return

    def _skip(self, resp: urllib3.BaseHTTPResponse, count: int) -> None:
        from scow.registry.transport import failure_reason

        try:
            while count:
                data = resp.read(min(count, CHUNK), decode_content=False)
                if not data:
                    raise RegistryUnavailable(f"{self._verb}: blob shorter on retry")
                count -= len(data)
        except self._errors as exc:
            resp.close()
            raise RegistryUnavailable(f"{self._verb}: {failure_reason(exc)}") from exc
