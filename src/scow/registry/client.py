"""owns: RegistryClient, the Docker Registry HTTP API v2 / OCI distribution operations on one
registry: manifests (get, head, resolve through an index for a platform, put), blobs (head,
verified streaming get with resume, monolithic and chunked upload, cross-repository mount),
tags. It returns bytes and streams and never writes to disk; the caller stores what it gets.

Thread-safe: one client serves a pool of workers (docker: 3 downloads, 5 uploads at once).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import quote

from scow.errors import (
    BlobNotFound,
    DigestMismatch,
    NotFound,
    RegistryUnavailable,
    SizeMismatch,
)
from scow.ids import Digest, digest_of, short_id
from scow.oci.jsondoc import MAX_DOCUMENT_SIZE
from scow.registry.auth import pull_scope, push_scope
from scow.registry.credentials import Credentials
from scow.registry.manifest import (
    ACCEPT_ALL,
    DEFAULT_PLATFORM,
    Index,
    InvalidManifest,
    Manifest,
    Platform,
    load_json,
    parse_document,
    select_platform,
)
from scow.registry.reader import CHUNK, BlobReader
from scow.registry.transport import (
    DEFAULT_USER_AGENT,
    Session,
    discard,
    read_capped,
    resolve_url,
)

if TYPE_CHECKING:
    import urllib3

MAX_TAG_PAGES = 1000  # distribution serves up to 1000 tags a page: a million tags
StreamFactory = Callable[[], BinaryIO]  # a fresh stream of the blob from byte 0, each call
Progress = Callable[[int], None]  # bytes sent so far


class ManifestNotFound(NotFound):
    pass


@dataclass(frozen=True, slots=True)
class ResolvedManifest:
    """The image manifest chosen for a reference and a platform."""

    digest: Digest  # of `data`
    media_type: str
    data: bytes
    manifest: Manifest
    top_digest: Digest  # what the tag points at: the index's digest for a multi-arch image


def _ref_text(repo: str, ref: str) -> str:
    return f"{repo}@{ref}" if ref.startswith("sha256:") else f"{repo}:{ref}"


class RegistryClient:
    def __init__(self, domain: str, *, insecure: bool = False,
                 credentials: Credentials | None = None, ca_file: str | None = None,
                 user_agent: str = DEFAULT_USER_AGENT, timeout: float = 60.0,
                 deadline: float | None = None) -> None:
        """`timeout`: seconds a read may wait (blobs); `deadline`: seconds a manifest, config,
        tag list or token may take in all (default: $SCOW_REGISTRY_DEADLINE, else 60)."""
        self.domain = domain
        self._s = Session(domain, insecure=insecure, ca_file=ca_file, credentials=credentials,
                          user_agent=user_agent, timeout=timeout, deadline=deadline)

    def close(self) -> None:
        self._s.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ping(self) -> None:
        """Check the registry answers the v2 API; learn its auth challenge."""
        self._s.ping()

    def check_login(self) -> None:
        """Raise RegistryUnauthorized unless the credentials are accepted (docker login)."""
        verb = f"log in to {self._s.host}"
        if self._s.ping() == 401 or self._s.auth.scheme is not None:
            with self._s.bounded(verb):
                resp = self._s.request("GET", "/v2/", verb=verb)
                if resp.status != 200:
                    raise self._s.fail(resp, verb)
                discard(resp)

    # -- manifests ----------------------------------------------------------------------------
    def get_manifest(self, repo: str, ref: str,
                     accept: str = ACCEPT_ALL) -> tuple[bytes, str, Digest]:
        """(bytes, media type, digest) of a manifest or index; by digest it is verified."""
        verb = f"get manifest {_ref_text(repo, ref)}"
        with self._s.bounded(verb):
            resp = self._s.request("GET", f"/v2/{repo}/manifests/{ref}", verb=verb,
                                   scopes=[pull_scope(repo)], headers={"Accept": accept})
            if resp.status != 200:
                raise self._s.fail(resp, verb, not_found=ManifestNotFound)
            length = resp.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > MAX_DOCUMENT_SIZE:
                discard(resp)
                raise InvalidManifest(f"{verb}: {length} bytes exceeds the "
                                      f"{MAX_DOCUMENT_SIZE} byte limit")
            data = read_capped(resp, MAX_DOCUMENT_SIZE, verb)
        if len(data) > MAX_DOCUMENT_SIZE:
            raise InvalidManifest(f"{verb}: exceeds the {MAX_DOCUMENT_SIZE} byte limit")
        digest = digest_of(data)
        claimed = ref if ref.startswith("sha256:") else resp.headers.get("Docker-Content-Digest")
        if claimed and claimed != digest:
            raise DigestMismatch(f"{verb}: content has digest {short_id(digest)}, "
                                 f"want {short_id(claimed)}")
        media_type = resp.headers.get("Content-Type", "").split(";")[0].strip()
        return data, media_type, digest

    def head_manifest(self, repo: str, ref: str) -> tuple[Digest, str] | None:
        """(digest, media type) of what `ref` points at, or None when it does not exist."""
        verb = f"check manifest {_ref_text(repo, ref)}"
        with self._s.bounded(verb):
            resp = self._s.request("HEAD", f"/v2/{repo}/manifests/{ref}", verb=verb,
                                   scopes=[pull_scope(repo)], headers={"Accept": ACCEPT_ALL})
            discard(resp)
        if resp.status == 404:
            return None
        if resp.status != 200:
            raise self._s.fail(resp, verb)
        digest = resp.headers.get("Docker-Content-Digest", "")
        if not digest.startswith("sha256:"):  # no header: learn it the long way
            _, media_type, digest = self.get_manifest(repo, ref)
            return Digest(digest), media_type
        return Digest(digest), resp.headers.get("Content-Type", "").split(";")[0].strip()

    def resolve(self, repo: str, ref: str,
                platform: Platform = DEFAULT_PLATFORM) -> ResolvedManifest:
        """The image manifest for `ref`, following an index to the `platform` entry."""
        data, media_type, digest = self.get_manifest(repo, ref)
        top = digest
        doc = parse_document(data, media_type, f"manifest {_ref_text(repo, ref)}")
        if isinstance(doc, Index):
            desc = select_platform(doc, platform)
            data, media_type, digest = self.get_manifest(repo, desc.digest)
            if len(data) != desc.size:
                raise SizeMismatch(f"get manifest {repo}@{desc.digest}: {len(data)} bytes, "
                                   f"the index says {desc.size}")
            doc = parse_document(data, media_type or desc.media_type,
                                 f"manifest {repo}@{desc.digest}")
            if isinstance(doc, Index):
                raise InvalidManifest(f"resolve {_ref_text(repo, ref)}: nested index")
        return ResolvedManifest(digest, doc.media_type, data, doc, top)

    def put_manifest(self, repo: str, ref: str, data: bytes, media_type: str) -> Digest:
        """Upload a manifest or index under a tag (or its digest); returns its digest."""
        digest = digest_of(data)
        verb = f"put manifest {_ref_text(repo, ref)}"
        resp = self._s.request("PUT", f"/v2/{repo}/manifests/{ref}", verb=verb,
                               scopes=[push_scope(repo)], headers={"Content-Type": media_type},
                               body=lambda: data)
        if resp.status not in (200, 201):
            raise self._s.fail(resp, verb)
        discard(resp)
        answered = resp.headers.get("Docker-Content-Digest")
        if answered and answered != digest:
            raise DigestMismatch(f"{verb}: registry stored {short_id(answered)}, "
                                 f"sent {short_id(digest)}")
        return digest

    def list_tags(self, repo: str) -> list[str]:
        """Every tag of `repo`, following `Link: <...>; rel="next"` pages."""
        verb = f"list tags of {repo}"
        path: str | None = f"/v2/{repo}/tags/list"
        tags: list[str] = []
        seen: set[str] = set()
        while path:
            if path in seen or len(seen) >= MAX_TAG_PAGES:
                raise InvalidManifest(f"{verb}: the registry's pages never end (a page links "
                                      f"back, or more than {MAX_TAG_PAGES} pages)")
            seen.add(path)
            with self._s.bounded(verb):
                resp = self._s.request("GET", path, verb=verb, scopes=[pull_scope(repo)])
                if resp.status != 200:
                    raise self._s.fail(resp, verb, not_found=NotFound)
                data = read_capped(resp, MAX_DOCUMENT_SIZE, verb)
            link = resp.headers.get("Link", "")
            doc = load_json(data, "tag list")
            page = doc.get("tags") or []
            if not isinstance(page, list) or not all(isinstance(t, str) for t in page):
                raise InvalidManifest(f"{verb}: 'tags' must be a list of strings")
            tags += page
            path = link.split(";")[0].strip(" <>") if 'rel="next"' in link else None
            path = resolve_url(self._s.url(f"/v2/{repo}/tags/list"), path,
                               f"{verb}: next page") if path else None
        return tags

    # -- blobs --------------------------------------------------------------------------------
    def head_blob(self, repo: str, digest: str) -> int | None:
        """The size of a blob in `repo`, or None when the registry does not have it there."""
        verb = f"check blob {short_id(digest)} in {repo}"
        resp = self._s.request("HEAD", f"/v2/{repo}/blobs/{digest}", verb=verb,
                               scopes=[pull_scope(repo)])
        discard(resp)
        if resp.status == 404:
            return None
        if resp.status != 200:
            raise self._s.fail(resp, verb)
        length = resp.headers.get("Content-Length", "")
        return int(length) if length.isdigit() else 0

    def open_blob(self, repo: str, digest: str, size: int | None = None) -> BlobReader:
        """A reader of the blob that checks digest and size and resumes dropped downloads."""
        verb = f"get blob {short_id(digest)} from {repo}"

        def open_at(offset: int) -> urllib3.BaseHTTPResponse:
            headers = {"Range": f"bytes={offset}-"} if offset else {}
            resp = self._s.request("GET", f"/v2/{repo}/blobs/{digest}", verb=verb,
                                   scopes=[pull_scope(repo)], headers=headers)
            if resp.status == 200 or (offset and resp.status == 206):
                return resp
            raise self._s.fail(resp, verb, not_found=BlobNotFound)

        return BlobReader(open_at, digest, size, verb=verb)

    def fetch_blob(self, repo: str, digest: str, size: int | None = None,
                   max_size: int = MAX_DOCUMENT_SIZE) -> bytes:
        """A small blob (a config) in memory, returned only once verified, within the
        session's total deadline."""
        verb = f"get blob {short_id(digest)} from {repo}"
        if size is not None and size > max_size:
            raise InvalidManifest(f"{verb}: {size} bytes exceeds the {max_size} byte limit")
        with self._s.bounded(verb), self.open_blob(repo, digest, size) as reader:
            if reader.size is not None and reader.size > max_size:
                raise InvalidManifest(f"{verb}: {reader.size} bytes exceeds the limit")
            parts: list[bytes] = []
            total = 0
            while chunk := reader.read(CHUNK):
                total += len(chunk)
                if total > max_size:
                    raise InvalidManifest(f"{verb}: exceeds the {max_size} byte limit")
                parts.append(chunk)
        return b"".join(parts)

    def mount_blob(self, repo: str, digest: str, from_repo: str) -> bool:
        """Cross-repository mount; False when the registry declines (the caller uploads)."""
        verb = f"mount blob {short_id(digest)} from {from_repo} to {repo}"
        path = f"/v2/{repo}/blobs/uploads/?mount={quote(digest)}&from={quote(from_repo)}"
        resp = self._s.request("POST", path, verb=verb,
                               scopes=[push_scope(repo), pull_scope(from_repo)])
        discard(resp)
        if resp.status == 201:
            return True
        if resp.status == 202:
            self._cancel(resp.headers.get("Location"), repo, verb)
            return False
        raise self._s.fail(resp, verb)

    def upload_blob(self, repo: str, stream_factory: StreamFactory, digest: str, size: int, *,
                    chunk_size: int | None = None, progress: Progress | None = None) -> None:
        """Upload a blob in one PUT, or in PATCHes of `chunk_size` bytes. The bytes sent are
        hashed: a stream that is not `digest`/`size` is refused before the upload commits."""
        from scow.registry.upload import Upload

        Upload(self._s, repo, digest, size, progress).run(stream_factory, chunk_size)

    def _cancel(self, location: str | None, repo: str, verb: str) -> None:
        if not location:
            return
        try:
            resp = self._s.request("DELETE", resolve_url(self._s.base_url(), location, verb),
                                   verb=verb, scopes=[push_scope(repo)])
            discard(resp)
        except RegistryUnavailable:
            pass  # the registry expires abandoned sessions

