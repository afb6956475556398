"""Digests that survive a round trip (issue 19): skopeo puts an image in a real registry (its
own manifest bytes, its own compression), scow pulls it and pushes it elsewhere, and
`skopeo inspect --raw` shows the same manifest bytes in both places."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.integration.conftest import start_registry
from tests.integration.distribution.conftest import BASE, TOP_A, load_images
from tests.tools import require_tool

pytestmark = [pytest.mark.registry]


def skopeo(*args: str) -> bytes:
    tool = require_tool("skopeo")
    return subprocess.run([tool, "--insecure-policy", *args], check=True, capture_output=True,
                          timeout=120).stdout


def raw(ref: str) -> bytes:
    return skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{ref}")


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_skopeo_made_manifest_keeps_its_bytes_in_another_repository(
        machines: Any, registry_plain: Any, tmp_path: Path, plain: Any) -> None:
    a, b = machines("a"), machines("b")
    reg = registry_plain.domain
    load_images(a, [([BASE, TOP_A], ["app:1"])])
    a.distribution.save(["app:1"], str(tmp_path / "app.tar"))
    skopeo("copy", "-q", "--dest-tls-verify=false", f"docker-archive:{tmp_path / 'app.tar'}",
           f"docker://{reg}/src/app:1")
    original = raw(f"{reg}/src/app:1")
    b.distribution.pull(f"{reg}/src/app:1", progress=plain())
    b.images.tag(f"{reg}/src/app:1", f"{reg}/dst/app:1")
    progress = plain()
    [digest] = b.distribution.push(f"{reg}/dst/app:1", progress=progress)
    assert raw(f"{reg}/dst/app:1") == original and digest == sha(original)
    assert progress.lines[-1] == f"1: digest: {sha(original)} size: {len(original)}"
    assert "Mounted from src/app" in progress.statuses()
    assert b.images.inspect(f"{reg}/dst/app:1")["RepoDigests"] == [
        f"{reg}/dst/app@{sha(original)}", f"{reg}/src/app@{sha(original)}"]
    # pull by that digest from the new place: the same image, nothing to fetch
    assert b.distribution.pull(f"{reg}/dst/app@{sha(original)}") == \
        b.images.resolve(f"{reg}/src/app:1")


def test_oci_manifest_keeps_its_bytes_in_another_registry(
        machines: Any, registry_plain: Any, tmp_path: Path, plain: Any) -> None:
    """skopeo converts a scow-pushed image to an OCI layout (its own manifest and config
    bytes, the blobs unchanged): pushed to a registry that has none of its blobs, scow re-makes
    each blob byte for byte from tar-split and the manifest keeps its digest."""
    a, b = machines("a"), machines("b")
    reg = registry_plain.domain
    (tmp_path / "other").mkdir()
    other = start_registry(tmp_path / "other")
    try:
        load_images(a, [([BASE, TOP_A], [f"{reg}/made:1"])])
        a.distribution.push(f"{reg}/made:1", progress=plain())
        layout = tmp_path / "layout"
        skopeo("copy", "-q", "--src-tls-verify=false", f"docker://{reg}/made:1",
               f"oci:{layout}:1")
        skopeo("copy", "-q", "--dest-tls-verify=false", f"oci:{layout}:1",
               f"docker://{reg}/oci/app:1")
        original = raw(f"{reg}/oci/app:1")
        assert b'"application/vnd.oci.image.manifest.v1+json"' in original
        b.distribution.pull(f"{reg}/oci/app:1", progress=plain())
        b.images.tag(f"{reg}/oci/app:1", f"{other.domain}/copy/app:1")
        [digest] = b.distribution.push(f"{other.domain}/copy/app:1", progress=plain())
        assert raw(f"{other.domain}/copy/app:1") == original and digest == sha(original)
    finally:
        other.stop()


def test_from_an_index_the_platform_manifest_is_pushed_with_its_digest(
        machines: Any, registry_plain: Any, tmp_path: Path, plain: Any) -> None:
    from scow.engine.images.service import go_arch
    from scow.registry.client import RegistryClient
    from scow.registry.manifest import OCI_INDEX, Descriptor, Index, Platform, serialize_index

    a, b = machines("a"), machines("b")
    reg = registry_plain.domain
    load_images(a, [([BASE, TOP_A], ["app:1"])], arch=go_arch())
    a.distribution.save(["app:1"], str(tmp_path / "app.tar"))
    skopeo("copy", "-q", "--dest-tls-verify=false", f"docker-archive:{tmp_path / 'app.tar'}",
           f"docker://{reg}/multi:one")
    platform_manifest = raw(f"{reg}/multi:one")
    media_type = str(__import__("json").loads(platform_manifest)["mediaType"])
    with RegistryClient(reg) as client:
        index = serialize_index(Index(OCI_INDEX, (Descriptor(
            media_type, sha(platform_manifest), len(platform_manifest),  # type: ignore[arg-type]
            Platform("linux", go_arch())),)))
        client.put_manifest("multi", "latest", index, OCI_INDEX)
    b.distribution.pull(f"{reg}/multi", progress=plain())
    b.images.tag(f"{reg}/multi", f"{reg}/single:latest")
    [digest] = b.distribution.push(f"{reg}/single:latest", progress=plain())
    assert digest == sha(platform_manifest) and raw(f"{reg}/single:latest") == platform_manifest
    assert f"{reg}/multi@{sha(index)}" in b.images.inspect(f"{reg}/multi")["RepoDigests"]


def test_a_manifest_that_cannot_be_kept_falls_back_with_one_line(
        machines: Any, registry_plain: Any, tmp_path: Path, plain: Any) -> None:
    """skopeo's own gzip cannot be re-made here: pushed to a registry without its blobs, the
    image gets a new manifest (docker's behaviour) and the push says why."""
    a, b = machines("a"), machines("b")
    reg = registry_plain.domain
    (tmp_path / "other").mkdir()
    other = start_registry(tmp_path / "other")
    try:
        load_images(a, [([BASE, TOP_A], ["app:1"])])
        a.distribution.save(["app:1"], str(tmp_path / "app.tar"))
        skopeo("copy", "-q", "--dest-tls-verify=false",
               f"docker-archive:{tmp_path / 'app.tar'}", f"docker://{reg}/src/app:1")
        original = raw(f"{reg}/src/app:1")
        b.distribution.pull(f"{reg}/src/app:1", progress=plain())
        b.images.tag(f"{reg}/src/app:1", f"{other.domain}/app:1")
        progress = plain()
        [digest] = b.distribution.push(f"{other.domain}/app:1", progress=progress)
        assert digest != sha(original)
        assert any(line.startswith(f"cannot keep manifest {sha(original)[7:19]}: blob ")
                   for line in progress.lines)
        assert b.images.resolve(f"{other.domain}/app:1") == b.images.resolve(
            f"{reg}/src/app:1")
    finally:
        other.stop()
