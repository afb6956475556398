"""What one `scow rm` of a stopped container costs in fsyncs on overlay2 (issue 18): only
its durable ``removing`` mark (the store's first WAL commit: the WAL, its folder, the
commit) and SQLite's checkpoint at close (the WAL, the database). The layer's and the row's
removal commits do not wait for the disk: a power loss leaves the row ``removing`` of a dead
owner, which recovery finishes (tests/reliability/test_crash.py kills `rm` at each point)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow
from tests.integration.containers.test_create_cost import _counts
from tests.tools import require_overlay

pytestmark = [pytest.mark.root, pytest.mark.overlay]

MAX_FSYNCS = 5  # the mark's commit (3: the WAL's first) + the checkpoint at close (2)


def test_rm_syncs_only_its_removing_mark(tmp_path: Path, busybox_tar: Path) -> None:
    require_overlay(str(tmp_path))
    scow = Scow(tmp_path / "root", "overlay2")
    scow("import", str(busybox_tar), "bb:1")
    scow("create", "--name", "c1", "--network", "none", "bb:1", "true")
    counts = _counts(scow.argv("rm", "c1"), tmp_path / "strace.out")
    assert counts.get("fsync", 0) + counts.get("fdatasync", 0) <= MAX_FSYNCS, counts
    assert scow("ps", "-aq").stdout.strip() == ""
    assert not list((tmp_path / "root" / "containers").iterdir())


def test_recovery_finishes_what_a_power_loss_during_rm_leaves(tmp_path: Path,
                                                             busybox_tar: Path) -> None:
    """The worst a power loss after rm's durable mark leaves: the row ``removing`` of a dead
    owner, the writable layers' rows still ``ready`` (their commits were not synced), their
    files and the container's folder half gone. The next write finishes the removal."""
    require_overlay(str(tmp_path))
    root = tmp_path / "root"
    scow = Scow(root, "overlay2")
    scow("import", str(busybox_tar), "bb:1")
    cid = scow("create", "--name", "c1", "--network", "none", "bb:1", "true").stdout.strip()
    db = sqlite3.connect(root / "scow.db")
    with db:
        mount_id = db.execute("SELECT mount_id FROM containers WHERE id = ?",
                              (cid,)).fetchone()[0]
        db.execute("UPDATE containers SET state = 'removing', owner = 'owner-1-dead' "
                   "WHERE id = ?", (cid,))
    db.close()
    layer = root / "overlay2" / mount_id
    (root / "overlay2" / "l" / (layer / "link").read_text()).unlink()
    for name in ("link", "lower"):
        (layer / name).unlink()
    (layer / "diff").rmdir()
    (root / "containers" / cid / "hostname").unlink()
    scow("create", "--name", "c2", "--network", "none", "bb:1", "true")  # a write: recovery
    assert scow("ps", "-a", "--format", "{{.Names}}").stdout.split() == ["c2"]
    assert not (root / "containers" / cid).exists()
    assert not [p for p in (root / "overlay2").iterdir() if p.name.startswith(mount_id)]
