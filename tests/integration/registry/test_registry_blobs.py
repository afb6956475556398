"""Blobs against a real registry (set-up A, plain HTTP on loopback)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest

from scow.errors import BlobNotFound, DigestMismatch, SizeMismatch
from scow.ids import digest_of
from scow.registry.client import RegistryClient

pytestmark = pytest.mark.registry


@pytest.fixture
def client(registry_plain: object) -> Iterator[RegistryClient]:
    with RegistryClient(registry_plain.domain) as c:  # type: ignore[attr-defined]
        yield c


def _read_all(client: RegistryClient, repo: str, digest: str, size: int | None) -> bytes:
    with client.open_blob(repo, digest, size) as reader:
        return b"".join(reader)


def test_monolithic_push_then_pull_verifies(client: RegistryClient) -> None:
    blob = os.urandom(3 * 1024 * 1024 + 17)
    digest = digest_of(blob)
    sent: list[int] = []
    client.upload_blob("app/one", lambda: io.BytesIO(blob), digest, len(blob),
                       progress=sent.append)
    assert sent[-1] == len(blob)
    assert client.head_blob("app/one", digest) == len(blob)
    assert _read_all(client, "app/one", digest, len(blob)) == blob


def test_chunked_push_then_pull(client: RegistryClient) -> None:
    blob = os.urandom(2 * 1024 * 1024 + 5)
    digest = digest_of(blob)
    client.upload_blob("app/two", lambda: io.BytesIO(blob), digest, len(blob),
                       chunk_size=512 * 1024)
    assert client.fetch_blob("app/two", digest, len(blob), max_size=len(blob)) == blob


def test_head_of_absent_blob_is_none(client: RegistryClient) -> None:
    assert client.head_blob("app/none", digest_of(b"nothing here")) is None


def test_get_absent_blob_is_not_found(client: RegistryClient) -> None:
    with pytest.raises(BlobNotFound, match="blob unknown"):
        client.open_blob("app/none", digest_of(b"nothing here"))


def test_cross_repository_mount(client: RegistryClient) -> None:
    blob = os.urandom(10000)
    digest = digest_of(blob)
    client.upload_blob("src/repo", lambda: io.BytesIO(blob), digest, len(blob))
    assert client.mount_blob("dst/repo", digest, "src/repo") is True
    assert client.head_blob("dst/repo", digest) == len(blob)


def test_mount_of_unknown_blob_falls_back(client: RegistryClient) -> None:
    digest = digest_of(b"never pushed")
    assert client.mount_blob("dst/repo", digest, "src/repo") is False
    assert client.head_blob("dst/repo", digest) is None


@pytest.mark.parametrize("chunk", [None, 1000], ids=["monolithic", "chunked"])
def test_upload_of_a_lying_stream_is_refused(client: RegistryClient, chunk: int | None) -> None:
    blob = os.urandom(5000)
    claimed = digest_of(b"something else")
    with pytest.raises(DigestMismatch):
        client.upload_blob("app/lie", lambda: io.BytesIO(blob), claimed, len(blob),
                           chunk_size=chunk)
    assert client.head_blob("app/lie", claimed) is None


def test_upload_with_wrong_size_is_refused(client: RegistryClient) -> None:
    blob = os.urandom(5000)
    with pytest.raises(SizeMismatch):
        client.upload_blob("app/size", lambda: io.BytesIO(blob), digest_of(blob), 4000,
                           chunk_size=1000)
    assert client.head_blob("app/size", digest_of(blob)) is None


def test_parallel_pulls_share_one_client(client: RegistryClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    blobs = [os.urandom(300_000 + i) for i in range(6)]
    with ThreadPoolExecutor(5) as pool:
        list(pool.map(lambda b: client.upload_blob(
            "app/par", lambda: io.BytesIO(b), digest_of(b), len(b)), blobs))
    with ThreadPoolExecutor(3) as pool:
        got = list(pool.map(lambda b: _read_all(client, "app/par", digest_of(b), len(b)), blobs))
    assert got == blobs
