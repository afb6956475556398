"""owns: one blob upload session: `POST /v2/<repo>/blobs/uploads/` (202 + Location), then
either one `PUT <location>&digest=` carrying the whole blob (monolithic) or `PATCH`es with
`Content-Range: <start>-<end>` followed by an empty `PUT ...&digest=` (chunked). Locations may
be relative and carry state in their query (`_state=`), which is kept; each PATCH answers the
next location. The sent bytes are hashed and counted: a stream that is not the promised
digest/size is refused (DigestMismatch/SizeMismatch) and the session cancelled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import quote

from scow.errors import DigestMismatch, RegistryUnavailable, ScowError, SizeMismatch
from scow.ids import short_id
from scow.registry.auth import push_scope
from scow.registry.reader import CHUNK
from scow.registry.transport import Session, discard, resolve_url

if TYPE_CHECKING:
    import urllib3


class Upload:
    def __init__(self, session: Session, repo: str, digest: str, size: int,
                 progress: Callable[[int], None] | None) -> None:
        self._s = session
        self._repo = repo
        self._digest = digest
        self._size = size
        self._progress = progress
        self._scopes = [push_scope(repo)]
        self._verb = f"push blob {short_id(digest)} to {repo}"
        self._sent = 0
        self._patched = 0
        self._hash = hashlib.sha256()

    def run(self, stream_factory: Callable[[], BinaryIO], chunk_size: int | None) -> None:
        location = self._start()
        try:
            if chunk_size:
                location = self._patch_all(stream_factory, chunk_size, location)
                self._check_sent()
                self._finish(location, None)
            else:
                self._finish(location, stream_factory)
        except BaseException:
            self._cancel(location)
            raise

    def _start(self) -> str:
        resp = self._s.request("POST", f"/v2/{self._repo}/blobs/uploads/", verb=self._verb,
                               scopes=self._scopes, body=lambda: b"")
        discard(resp)
        if resp.status != 202 or not resp.headers.get("Location"):
            raise self._s.fail(resp, self._verb)
        return self._next(resp, self._s.base_url())

    def _next(self, resp: urllib3.BaseHTTPResponse, current: str) -> str:
        location = resp.headers.get("Location")
        if not location:
            raise RegistryUnavailable(f"{self._verb}: registry gave no upload location")
        return resolve_url(current, location, f"{self._verb}: upload location")

    def _stream(self, stream_factory: Callable[[], BinaryIO]) -> Iterator[bytes]:
        """The blob's bytes, hashed and counted as they go (restarts count from zero)."""
        self._sent, self._hash = 0, hashlib.sha256()
        stream = stream_factory()
        try:
            while chunk := stream.read(CHUNK):
                self._sent += len(chunk)
                if self._sent > self._size:
                    raise SizeMismatch(f"{self._verb}: stream is longer than {self._size} bytes")
                self._hash.update(chunk)
                if self._progress:
                    self._progress(self._sent)
                yield chunk
        finally:
            stream.close()

    def _check_sent(self) -> None:
        if self._sent != self._size:
            raise SizeMismatch(f"{self._verb}: stream has {self._sent} bytes, "
                               f"want {self._size}")
        got = "sha256:" + self._hash.hexdigest()
        if got != self._digest:
            raise DigestMismatch(f"{self._verb}: stream has digest {short_id(got)}")

    def _patch_all(self, stream_factory: Callable[[], BinaryIO], chunk_size: int,
                   location: str) -> str:
        pending = b""
        for piece in self._stream(stream_factory):
            pending += piece
            while len(pending) >= chunk_size:
                location = self._patch(location, pending[:chunk_size])
                pending = pending[chunk_size:]
        if pending:
            location = self._patch(location, pending)
        return location

    def _patch(self, location: str, data: bytes) -> str:
        start = self._patched
        headers = {"Content-Type": "application/octet-stream",
                   "Content-Range": f"{start}-{start + len(data) - 1}",
                   "Content-Length": str(len(data))}
        resp = self._s.request("PATCH", location, verb=self._verb, scopes=self._scopes,
                               headers=headers, body=lambda: data)
        discard(resp)
        if resp.status != 202:
            raise self._s.fail(resp, self._verb)
        self._patched += len(data)
        return self._next(resp, location)

    def _finish(self, location: str, stream_factory: Callable[[], BinaryIO] | None) -> None:
        url = location + ("&" if "?" in location else "?") + "digest=" + quote(self._digest)
        headers = {"Content-Type": "application/octet-stream",
                   "Content-Length": str(self._size if stream_factory else 0)}

        def body() -> Iterator[bytes] | bytes:
            return self._stream(stream_factory) if stream_factory else b""

        try:
            resp = self._s.request("PUT", url, verb=self._verb, scopes=self._scopes,
                                   headers=headers, body=body)
        except RegistryUnavailable:
            if stream_factory:
                self._check_sent()  # a lying stream explains the broken PUT best
            raise
        discard(resp)
        if stream_factory:
            self._check_sent()
        if resp.status != 201:
            raise self._s.fail(resp, self._verb)

    def _cancel(self, location: str) -> None:
        try:
            discard(self._s.request("DELETE", location, verb=self._verb, scopes=self._scopes))
        except ScowError:
            pass  # the registry expires abandoned sessions
