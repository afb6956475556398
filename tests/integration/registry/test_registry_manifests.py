"""Manifests, indexes and tags against a real registry (set-up A)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from scow.ids import digest_of
from scow.registry.client import ManifestNotFound, RegistryClient
from scow.registry.manifest import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    Descriptor,
    Index,
    Manifest,
    Platform,
    PlatformNotFound,
    parse_document,
    parse_platform,
    serialize_index,
)

pytestmark = pytest.mark.registry


@pytest.fixture
def client(registry_plain: Any) -> Iterator[RegistryClient]:
    with RegistryClient(registry_plain.domain) as c:
        yield c


def test_manifest_round_trip_by_tag_and_digest(client: RegistryClient,
                                               push: Callable[..., Any]) -> None:
    img = push(client, "lib/app", "1.0")
    assert img.digest == digest_of(img.manifest)
    for ref in ("1.0", img.digest):
        data, media_type, digest = client.get_manifest("lib/app", ref)
        assert (data, media_type, digest) == (img.manifest, DOCKER_MANIFEST, img.digest)
    assert client.head_manifest("lib/app", "1.0") == (img.digest, DOCKER_MANIFEST)
    doc = parse_document(img.manifest, DOCKER_MANIFEST)
    assert isinstance(doc, Manifest)
    assert client.fetch_blob("lib/app", doc.config.digest, doc.config.size) == img.config


def test_resolve_plain_manifest(client: RegistryClient, push: Callable[..., Any]) -> None:
    img = push(client, "lib/app", "latest")
    got = client.resolve("lib/app", "latest")
    assert got.digest == got.top_digest == img.digest
    assert got.manifest.layers[0].digest == digest_of(img.layer)


def test_unknown_tag_is_manifest_not_found(client: RegistryClient) -> None:
    with pytest.raises(ManifestNotFound, match="manifest unknown") as info:
        client.get_manifest("lib/app", "nope")
    assert "\n" not in str(info.value)
    assert client.head_manifest("lib/app", "nope") is None


def test_list_tags(client: RegistryClient, push: Callable[..., Any]) -> None:
    push(client, "lib/tags", "a")
    push(client, "lib/tags", "b")
    assert sorted(client.list_tags("lib/tags")) == ["a", "b"]


def _push_index(client: RegistryClient, push: Callable[..., Any]) -> tuple[Any, Any, str]:
    amd = push(client, "lib/multi", "amd", arch="amd64")
    arm = push(client, "lib/multi", "arm", arch="arm64", variant="v8")
    index = Index(OCI_INDEX, (
        Descriptor(DOCKER_MANIFEST, amd.digest, len(amd.manifest), Platform("linux", "amd64")),
        Descriptor(DOCKER_MANIFEST, arm.digest, len(arm.manifest),
                   Platform("linux", "arm64", "v8")),
    ))
    data = serialize_index(index)
    return amd, arm, client.put_manifest("lib/multi", "multi", data, OCI_INDEX)


def test_index_platform_selection(client: RegistryClient, push: Callable[..., Any]) -> None:
    amd, arm, index_digest = _push_index(client, push)
    default = client.resolve("lib/multi", "multi")
    assert (default.digest, default.top_digest) == (amd.digest, index_digest)
    chosen = client.resolve("lib/multi", "multi", parse_platform("linux/arm64/v8"))
    assert chosen.digest == arm.digest
    assert client.resolve("lib/multi", "multi", parse_platform("linux/aarch64")).digest == \
        arm.digest
    with pytest.raises(PlatformNotFound, match="linux/s390x.*linux/amd64, linux/arm64/v8"):
        client.resolve("lib/multi", "multi", parse_platform("linux/s390x"))


def test_unknown_digest_is_not_found(client: RegistryClient) -> None:
    with pytest.raises(ManifestNotFound):
        client.get_manifest("lib/app", digest_of(b"other"))
