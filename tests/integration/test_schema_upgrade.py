"""A root made by the first release (schema version 1; tests/fixtures/root-v1-vfs.tar.xz, see
tests/fixtures/README.md) opened by this scow: upgraded in place, `system check` clean, its
image, tag, built image, container and volume all still there, and new builds and runs work."""

from __future__ import annotations

import json
import sqlite3
import tarfile
from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow
from tests.tools import require_root, require_runc

from scow.store.db import SCHEMA_VERSION

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "root-v1-vfs.tar.xz"


def user_version(root: Path) -> int:
    with sqlite3.connect(root / "scow.db") as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


@pytest.fixture
def old_root(no_leaked_mounts: Path) -> Path:
    require_root()  # the fixture's files are root's, and keep their modes and owners
    with tarfile.open(FIXTURE, "r:xz") as tar:
        if hasattr(tarfile, "fully_trusted_filter"):  # our own fixture: trusted as it is
            tar.extraction_filter = tarfile.fully_trusted_filter
        tar.extractall(no_leaked_mounts, numeric_owner=True)
    root = no_leaked_mounts / "root"
    assert user_version(root) == 1
    return root


@pytest.fixture
def scow(old_root: Path) -> Scow:
    return Scow(old_root, "vfs")


def test_an_old_root_is_upgraded_and_keeps_everything(scow: Scow, old_root: Path) -> None:
    images = scow.out("images", "--format", "{{.Repository}}:{{.Tag}}").split()
    assert sorted(images) == ["bb:1", "built:1", "old/tagged:v1"]
    assert user_version(old_root) == SCHEMA_VERSION > 1  # upgraded in place
    assert "No problems found" in scow.out("system", "check")
    assert scow.out("inspect", "--format", "{{.Id}}", "bb:1") == scow.out(
        "inspect", "--format", "{{.Id}}", "old/tagged:v1")
    labels = json.loads(scow.out("image", "inspect", "--format", "{{json .Config.Labels}}",
                                 "built:1"))
    assert labels == {"made": "v1-fixture"}
    assert scow.out("ps", "-a", "--format", "{{.Names}} {{.Image}}").split() == [
        "keep", "built:1"]
    assert scow.out("volume", "ls", "-q").split() == ["keepvol"]
    assert (old_root / "volumes" / "keepvol" / "_data" / "kept").read_text() == "kept\n"


def test_the_upgraded_root_builds_and_runs(scow: Scow, old_root: Path, tmp_path: Path) -> None:
    require_runc()
    try:
        assert scow.out("start", "-a", "keep").split() == ["hello", "kept"]
        ctx = tmp_path / "ctx"
        ctx.mkdir()
        (ctx / "Dockerfile").write_text("FROM built:1\nRUN echo new > /new\n")
        scow("build", "-q", "-t", "new:1", str(ctx))
        assert scow.out("run", "--rm", "new:1", "cat", "/hello", "/new").split() == [
            "hello", "new"]
        assert "No problems found" in scow.out("system", "check")
    finally:
        scow.cleanup()
