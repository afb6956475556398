"""Push and pull through a real registry (Debian's docker-registry on loopback): identities
survive the trip, shared layers are shared on the wire, corrupted blobs are refused."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from tests.integration.distribution.archives import image_config
from tests.integration.distribution.conftest import (
    BASE,
    TOP_A,
    TOP_B,
    load_images,
    tmp_entries,
)

from scow.errors import DigestMismatch
from scow.ids import digest_of

pytestmark = pytest.mark.registry


def diff_ids(engine: Any, name: str) -> list[str]:
    return list(engine.images.inspect(name)["RootFS"]["Layers"])


@pytest.mark.parametrize("driver", ["vfs", "overlay2"], indirect=True)
def test_push_then_pull_keeps_identity(machines: Any, registry_plain: Any, busybox_tar: Path,
                                       plain: Any) -> None:
    a, b = machines("a"), machines("b")
    name = f"{registry_plain.domain}/busybox:1.0"
    with open(busybox_tar, "rb") as f:
        image_id = a.images.import_image(f, reference=name)
    pushed = plain()
    [digest] = a.distribution.push(name, progress=pushed)
    assert pushed.lines[0] == f"The push refers to repository [{registry_plain.domain}/busybox]"
    assert pushed.statuses()[:2] == ["Preparing", "Pushed"]
    size = len(pushed_manifest(registry_plain, "busybox", digest))
    assert pushed.lines[-1] == f"1.0: digest: {digest} size: {size}"

    pulled = plain()
    assert b.distribution.pull(name, progress=pulled) == image_id
    assert diff_ids(b, name) == diff_ids(a, name)
    row = pulled.lines[1].split(":")[0]
    assert pulled.lines[0] == "1.0: Pulling from busybox"
    assert pulled.lines[1:] == [f"{row}: Pulling fs layer", f"{row}: Verifying Checksum",
                                f"{row}: Download complete", f"{row}: Pull complete",
                                f"Digest: {digest}",
                                f"Status: Downloaded newer image for {name}"]
    assert b.images.inspect(name)["RepoDigests"] == [f"{registry_plain.domain}/busybox@{digest}"]

    again = plain()
    b.distribution.pull(name, progress=again)
    assert again.lines[-1] == f"Status: Image is up to date for {name}"
    assert not tmp_entries(b)


def pushed_manifest(registry: Any, repo: str, digest: str) -> bytes:
    from scow.registry.client import RegistryClient

    with RegistryClient(registry.domain) as client:
        return client.get_manifest(repo, digest)[0]


def test_shared_base_is_shared_on_push_and_pull(machines: Any, registry_plain: Any,
                                                plain: Any) -> None:
    a, b = machines("a"), machines("b")
    reg = registry_plain.domain
    load_images(a, [([BASE, TOP_A], [f"{reg}/app-a:1"]), ([BASE, TOP_B], [f"{reg}/app-b:1"])])
    a.images.tag(f"{reg}/app-b:1", f"{reg}/app-a:2")
    a.distribution.push(f"{reg}/app-a:1", progress=plain())
    mounted = plain()
    a.distribution.push(f"{reg}/app-b:1", progress=mounted)
    assert "Mounted from app-a" in mounted.statuses()
    exists = plain()
    a.distribution.push(f"{reg}/app-a:2", progress=exists)
    assert exists.statuses().count("Layer already exists") == 1
    assert exists.statuses().count("Mounted from app-b") == 1

    b.distribution.pull(f"{reg}/app-a:1", progress=plain())
    second = plain()
    b.distribution.pull(f"{reg}/app-b:1", progress=second)
    assert second.statuses().count("Already exists") == 1
    assert second.statuses().count("Pull complete") == 1
    assert diff_ids(b, f"{reg}/app-b:1") == diff_ids(a, f"{reg}/app-b:1")
    assert len(b.store.layers.all()) == 3


def test_repush_of_pulled_image_uploads_nothing(machines: Any, registry_plain: Any,
                                                plain: Any) -> None:
    a, b = machines("a"), machines("b")
    reg = registry_plain.domain
    load_images(a, [([BASE, TOP_A], [f"{reg}/app:1"])])
    [first] = a.distribution.push(f"{reg}/app:1", progress=plain())
    b.distribution.pull(f"{reg}/app:1", progress=plain())
    again = plain()
    [second] = b.distribution.push(f"{reg}/app:1", progress=again)
    assert second == first
    assert again.statuses().count("Layer already exists") == 2
    assert "Pushed" not in again.statuses()
    # an unchanged local layer pushed again (no registry hint): same compressed bytes
    c_reg = f"{reg}/copy:1"
    a.images.tag(f"{reg}/app:1", c_reg)
    [third] = a.distribution.push(c_reg, progress=plain())
    assert third == first


def test_zstd_push_is_an_oci_manifest(machines: Any, registry_plain: Any, plain: Any) -> None:
    from scow.registry.manifest import OCI_LAYER_ZSTD, OCI_MANIFEST

    a, b = machines("a"), machines("b")
    reg = registry_plain.domain
    load_images(a, [([BASE, TOP_A], [f"{reg}/z:1"])])
    [digest] = a.distribution.push(f"{reg}/z:1", compression="zstd", progress=plain())
    doc = json.loads(pushed_manifest(registry_plain, "z", digest))
    assert doc["mediaType"] == OCI_MANIFEST
    assert {layer["mediaType"] for layer in doc["layers"]} == {OCI_LAYER_ZSTD}
    assert b.distribution.pull(f"{reg}/z:1") == a.images.resolve(f"{reg}/z:1")


def test_manifest_list_picks_the_platform(machines: Any, registry_plain: Any,
                                          plain: Any) -> None:
    from scow.registry.client import RegistryClient
    from scow.registry.manifest import (
        DOCKER_MANIFEST,
        OCI_INDEX,
        Descriptor,
        Index,
        Platform,
        serialize_index,
    )

    a, b = machines("a"), machines("b")
    reg = registry_plain.domain
    load_images(a, [([BASE, TOP_A], [f"{reg}/multi:amd64"])])
    load_images(a, [([BASE, TOP_B], [f"{reg}/multi:arm64"])], arch="arm64")
    [amd] = a.distribution.push(f"{reg}/multi:amd64", progress=plain())
    [arm] = a.distribution.push(f"{reg}/multi:arm64", progress=plain())
    with RegistryClient(reg) as client:
        sizes = {d: len(client.get_manifest("multi", d)[0]) for d in (amd, arm)}
        index = serialize_index(Index(OCI_INDEX, (
            Descriptor(DOCKER_MANIFEST, arm, sizes[arm], Platform("linux", "arm64")),
            Descriptor(DOCKER_MANIFEST, amd, sizes[amd], Platform("linux", "amd64")))))
        client.put_manifest("multi", "latest", index, OCI_INDEX)
    assert b.distribution.pull(f"{reg}/multi") == a.images.resolve(f"{reg}/multi:amd64")
    assert b.distribution.pull(f"{reg}/multi", platform="linux/arm64") == \
        a.images.resolve(f"{reg}/multi:arm64")
    assert b.images.inspect(f"{reg}/multi")["Architecture"] == "arm64"


def test_corrupted_blob_is_refused_and_leaves_nothing(machines: Any, registry_plain: Any,
                                                      plain: Any) -> None:
    a, b = machines("a"), machines("b")
    reg = registry_plain.domain
    load_images(a, [([BASE, TOP_A], [f"{reg}/bad:1"])])
    [digest] = a.distribution.push(f"{reg}/bad:1", progress=plain())
    manifest = json.loads(pushed_manifest(registry_plain, "bad", digest))
    top = manifest["layers"][1]["digest"].split(":")[1]
    data = registry_plain.root / "storage/docker/registry/v2/blobs/sha256" / top[:2] / top / "data"
    blob = bytearray(data.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    data.write_bytes(bytes(blob))
    with pytest.raises(DigestMismatch):
        b.distribution.pull(f"{reg}/bad:1", progress=plain())
    assert b.store.layers.all() == []
    assert b.store.images.all() == []
    assert b.store.refs.all() == {}
    assert not tmp_entries(b)


def test_lying_config_diff_ids_are_refused(machines: Any, registry_plain: Any,
                                           plain: Any) -> None:
    """A manifest whose blobs are honest but whose config names other DiffIDs."""
    import io

    from scow.errors import IntegrityError
    from scow.registry.client import RegistryClient
    from scow.registry.manifest import (
        DOCKER_CONFIG,
        DOCKER_LAYER,
        DOCKER_MANIFEST,
        Manifest,
        descriptor_of,
        serialize_manifest,
    )

    b = machines("b")
    config = image_config(["sha256:" + "ab" * 32])
    with RegistryClient(registry_plain.domain) as client:
        for blob in (BASE, config):
            client.upload_blob("liar", lambda x=blob: io.BytesIO(x), digest_of(blob), len(blob))
        client.put_manifest("liar", "1", serialize_manifest(Manifest(
            DOCKER_MANIFEST, descriptor_of(config, DOCKER_CONFIG),
            (descriptor_of(BASE, DOCKER_LAYER),))), DOCKER_MANIFEST)
    with pytest.raises(IntegrityError, match="don't match image configuration"):
        b.distribution.pull(f"{registry_plain.domain}/liar:1", progress=plain())
    assert b.store.layers.all() == []
    assert not tmp_entries(b)
    assert not os.listdir(os.path.join(b.root, "layerdb"))


def test_images_pull_and_push_with_a_progress_callback(machines: Any, registry_plain: Any,
                                                       busybox_tar: Path) -> None:
    """docker-py's way: images.push/pull by repository and tag, progress as docker's JSON
    messages to a callback, the pulled Image returned."""
    from scow.engine.images import Image

    a, b = machines("a"), machines("b")
    repo = f"{registry_plain.domain}/cb"
    with open(busybox_tar, "rb") as f:
        a.images.import_image(f, reference=f"{repo}:2")
    pushed: list[dict[str, Any]] = []
    [digest] = a.images.push(repo, "2", progress=pushed.append)
    assert {"id", "status", "progressDetail"} <= pushed[1].keys()
    pulled: list[dict[str, Any]] = []
    image = b.images.pull(repo, "2", progress=pulled.append)
    assert isinstance(image, Image) and image.tags == [f"{repo}:2"]
    assert image.attrs["RepoDigests"] == [f"{repo}@{digest}"]
    assert pulled[0] == {"status": "Pulling from cb", "id": "2"}  # as docker sends it
    assert {"status": f"Digest: {digest}"} in pulled
