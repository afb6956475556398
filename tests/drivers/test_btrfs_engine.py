"""The engine on a btrfs store: images imported and containers created, run, committed, diffed
and removed through the btrfs driver on a loopback btrfs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.tools import require_runc

from scow import Engine
from scow.osutil import btrfs

pytestmark = pytest.mark.root

SRC = str(Path(__file__).resolve().parents[2] / "src")


def scow(root: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "scow", "--root", root, *args],
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=SRC),
                          timeout=120)
    assert proc.returncode == 0, f"scow {' '.join(args)} failed: {proc.stderr}"
    return proc.stdout


@pytest.fixture
def store_root(btrfs_root: str, busybox_tar: Path) -> str:
    """A store on the loopback btrfs with busybox imported; chosen as btrfs by the flag, then
    by the prior driver folder."""
    with Engine(root=btrfs_root, storage_driver="btrfs") as engine:
        with open(busybox_tar, "rb") as f:
            engine.images.import_image(f, reference="busybox:b", changes=['CMD ["sh"]'])
    return btrfs_root


def test_info_shows_btrfs_and_its_backing_filesystem(store_root: str) -> None:
    out = scow(store_root, "info")
    assert "Storage Driver: btrfs" in out and "Backing Filesystem: btrfs" in out


def test_container_run_commit_diff_and_remove(store_root: str) -> None:
    require_runc()
    assert scow(store_root, "run", "--rm", "busybox:b", "cat", "/etc/hostname").strip()
    cid = scow(store_root, "create", "--name", "c1", "busybox:b", "sh", "-c",
               "echo hi > /greeting; rm /bin/ls").strip()
    scow(store_root, "start", "-a", "c1")
    diff = scow(store_root, "diff", "c1").splitlines()
    assert "A /greeting" in diff and "D /bin/ls" in diff
    with Engine(root=store_root) as engine:
        assert engine.store.driver.name == "btrfs"
        mount_id = engine.containers.records.get(cid).mount_id or ""
        assert btrfs.is_subvolume(engine.store.driver.get(mount_id))
    scow(store_root, "commit", "c1", "busybox:changed")
    out = scow(store_root, "run", "--rm", "busybox:changed", "sh", "-c",
               "cat /greeting; test -e /bin/ls || echo gone")
    assert out.split() == ["hi", "gone"]
    scow(store_root, "rm", "c1")
    with Engine(root=store_root) as engine:
        assert not engine.store.driver.exists(mount_id)
