"""owns: the content-addressed blob store: image configs and manifests, named by digest.

On-disk layout::

    <root>/blobs/sha256/<64 hex>     the exact bytes; the name is their sha256

Puts are idempotent and atomic (temp file, fsync, rename); gets re-verify the digest, so a blob
changed on disk is an IntegrityError, never silently wrong data.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from scow.errors import BlobNotFound, DigestMismatch, from_oserror
from scow.ids import Digest, hex_of, sha256_hex, short_id, validate_digest
from scow.osutil.atomic import atomic_write


class BlobStore:
    def __init__(self, root: str) -> None:
        self.home = os.path.join(root, "blobs", "sha256")
        # private, as docker's image/ (the table: scow.store.modes)
        os.makedirs(os.path.dirname(self.home), mode=0o700, exist_ok=True)
        os.makedirs(self.home, mode=0o700, exist_ok=True)

    def path(self, digest: str) -> str:
        return os.path.join(self.home, hex_of(validate_digest(digest)))

    def put(self, data: bytes, expected: str | None = None) -> Digest:
        """Store `data`; returns its digest. `expected` is checked before anything is written."""
        import hashlib  # here, not at the top: it loads OpenSSL (start-up)

        digest = Digest("sha256:" + hashlib.sha256(data).hexdigest())
        if expected is not None and expected != digest:
            raise DigestMismatch(f"put blob {short_id(expected)}: content has digest {digest}")
        path = self.path(digest)
        try:
            # an existing blob is touched: recovery deletes only unused blobs older than
            # itself, so a blob being reused right now is never taken from under its user
            os.utime(path)
        except FileNotFoundError:
            try:
                atomic_write(path, data, 0o600)
            except OSError as exc:
                raise from_oserror(f"write blob {short_id(digest)}", exc) from exc
        except OSError as exc:
            raise from_oserror(f"write blob {short_id(digest)}", exc) from exc
        return digest

    def get(self, digest: str) -> bytes:
        try:
            with open(self.path(digest), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise BlobNotFound(f"get blob {short_id(digest)}: not found") from None
        if "sha256:" + sha256_hex(data) != digest:
            raise DigestMismatch(f"get blob {short_id(digest)}: content does not match its digest",
                                 hint="run `scow system check`")
        return data

    def exists(self, digest: str) -> bool:
        return os.path.exists(self.path(digest))

    def size(self, digest: str) -> int:
        try:
            return os.stat(self.path(digest)).st_size
        except FileNotFoundError:
            raise BlobNotFound(f"stat blob {short_id(digest)}: not found") from None

    def delete(self, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path(digest))

    def walk(self) -> Iterator[Digest]:
        for name in os.listdir(self.home):
            if len(name) == 64 and not name.startswith("."):
                yield Digest("sha256:" + name)
