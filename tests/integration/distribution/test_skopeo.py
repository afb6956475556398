"""Interoperability with skopeo (where installed): what scow pushes, skopeo copies to an OCI
layout and back; scow pulls what skopeo pushed and loads the layout skopeo wrote."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.integration.distribution.archives import tar_of
from tests.integration.distribution.conftest import BASE, TOP_A, load_images

pytestmark = [pytest.mark.registry,
              pytest.mark.skipif(shutil.which("skopeo") is None, reason="missing tool: skopeo")]


def skopeo(*args: str) -> None:
    subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", *args], check=True,
                   capture_output=True, timeout=120)


def test_skopeo_round_trip(machines: Any, registry_plain: Any, tmp_path: Path,
                           plain: Any) -> None:
    a, b, c = machines("a"), machines("b"), machines("c")
    reg = registry_plain.domain
    load_images(a, [([BASE, TOP_A], [f"{reg}/app:1"])])
    image_id = a.images.resolve(f"{reg}/app:1")
    a.distribution.push(f"{reg}/app:1", progress=plain(), compression="zstd")
    layout = tmp_path / "layout"
    skopeo("--preserve-digests", "--src-tls-verify=false", f"docker://{reg}/app:1",
           f"oci:{layout}:1")
    skopeo("--preserve-digests", "--dest-tls-verify=false", f"oci:{layout}:1",
           f"docker://{reg}/from-skopeo:1")
    assert b.distribution.pull(f"{reg}/from-skopeo:1", progress=plain()) == image_id
    assert b.images.inspect(f"{reg}/from-skopeo:1")["RootFS"]["Layers"] == \
        a.images.inspect(f"{reg}/app:1")["RootFS"]["Layers"]
    archive = tar_of([(str(p.relative_to(layout)), p.read_bytes())
                      for p in sorted(layout.rglob("*")) if p.is_file()])
    assert c.distribution.load(io.BytesIO(archive)) == [f"Loaded image ID: {image_id}"]


def test_scow_pulls_a_docker_image_skopeo_converted(machines: Any, registry_plain: Any,
                                                   tmp_path: Path, plain: Any) -> None:
    """skopeo rewrites a Docker schema 2 image into OCI form (new config digest): the layers
    scow pushed keep their DiffIDs through it."""
    a, b = machines("a"), machines("b")
    reg = registry_plain.domain
    load_images(a, [([BASE, TOP_A], [f"{reg}/app:1"])])
    a.distribution.push(f"{reg}/app:1", progress=plain())
    skopeo("--src-tls-verify=false", f"docker://{reg}/app:1", f"oci:{tmp_path / 'l'}:1")
    skopeo("--dest-tls-verify=false", f"oci:{tmp_path / 'l'}:1", f"docker://{reg}/conv:1")
    b.distribution.pull(f"{reg}/conv:1", progress=plain())
    assert b.images.inspect(f"{reg}/conv:1")["RootFS"]["Layers"] == \
        a.images.inspect(f"{reg}/app:1")["RootFS"]["Layers"]


def test_skopeo_reads_scow_archives(machines: Any, tmp_path: Path) -> None:
    a = machines("a")
    load_images(a, [([BASE, TOP_A], ["app:1"])])
    a.distribution.save(["app:1"], str(tmp_path / "docker.tar"))
    a.distribution.save(["app:1"], str(tmp_path / "oci.tar"), format="oci-archive")
    skopeo(f"docker-archive:{tmp_path / 'docker.tar'}", f"dir:{tmp_path / 'd1'}")
    skopeo(f"oci-archive:{tmp_path / 'oci.tar'}:1", f"dir:{tmp_path / 'd2'}")
    config = a.images.resolve("app:1")[7:]
    assert (tmp_path / "d1" / config).exists() and (tmp_path / "d2" / config).exists()
