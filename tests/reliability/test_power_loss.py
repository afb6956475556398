"""A power loss right after `create`: a container layer's driver records (overlay2's link and
lower files and l/ links) are written without a sync, as moby writes them, so the disk may
come back with them empty or gone. The container must still start, with its image's files,
and `system check` must find the loss and be clean once a mount or `--repair` rebuilt it
(drivers/base.py `repair`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.reliability.conftest import ok, scow
from tests.tools import require_overlay, require_runc

pytestmark = [pytest.mark.root, pytest.mark.overlay]


def _lose(root: Path, mount_id: str, how: str) -> None:
    """What a power loss leaves of the init and writable layers' records: `truncated`, the
    files' names on disk but not their bytes (ext4's delayed allocation); `removed`, neither
    the files nor the l/ symlinks (a file system that orders no metadata)."""
    home = root / "overlay2"
    for layer in (home / f"{mount_id}-init", home / mount_id):
        lid = (layer / "link").read_text()
        for name in ("link", "lower"):
            if how == "truncated":
                (layer / name).write_bytes(b"")
            else:
                (layer / name).unlink()
        if how == "removed":
            (home / "l" / lid).unlink()


def _created(tmp_path: Path, busybox_tar: Path) -> tuple[Path, str]:
    require_overlay(str(tmp_path))
    root = tmp_path / "root"
    ok(root, "import", "-c", 'CMD ["sh"]', str(busybox_tar), "bb", driver="overlay2")
    ok(root, "create", "--network", "none", "--name", "pl", "bb", "head", "-1", "/etc/passwd",
       driver="overlay2")
    upper = ok(root, "inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", "pl",
               driver="overlay2").strip()
    return root, os.path.basename(os.path.dirname(upper))


@pytest.mark.parametrize("how", ["truncated", "removed"])
def test_container_starts_after_a_power_loss_took_its_layer_records(
        tmp_path: Path, busybox_tar: Path, no_leaked_mounts: Path, how: str) -> None:
    require_runc()
    root, mount_id = _created(tmp_path, busybox_tar)
    _lose(root, mount_id, how)
    check = scow(root, "system", "check", "--quick", driver="overlay2")
    assert check.returncode == 1 and "lost-records" in check.stdout, check.stdout
    out = ok(root, "start", "-a", "pl", driver="overlay2")
    assert out == "root:x:0:0:root:/root:/bin/sh\n"  # the image's file, through the lowers
    check = scow(root, "system", "check", "--quick", driver="overlay2")
    assert check.returncode == 0, check.stdout
    ok(root, "rm", "pl", driver="overlay2")  # no l/ link of the rebuilt layers left behind
    assert len(os.listdir(root / "overlay2" / "l")) == 1  # the image layer's
    assert scow(root, "system", "check", "--quick", driver="overlay2").returncode == 0


def test_system_check_repair_rebuilds_lost_layer_records(
        tmp_path: Path, busybox_tar: Path, no_leaked_mounts: Path) -> None:
    root, mount_id = _created(tmp_path, busybox_tar)
    _lose(root, mount_id, "removed")
    repair = scow(root, "system", "check", "--quick", "--repair", driver="overlay2")
    assert repair.returncode == 0, repair.stdout
    assert scow(root, "system", "check", "--quick", driver="overlay2").returncode == 0
    assert ok(root, "diff", "pl", driver="overlay2") == ""  # a native diff: lower names init


@pytest.mark.parametrize("how", ["truncated", "removed"])
def test_sizes_after_a_power_loss_took_layer_records(
        tmp_path: Path, busybox_tar: Path, no_leaked_mounts: Path, how: str) -> None:
    """`ps --size` and `inspect --size` read the writable layer's diff against its init
    layer; with the records gone they repair them (they failed on the mount before)."""
    root, mount_id = _created(tmp_path, busybox_tar)
    _lose(root, mount_id, how)
    listed = ok(root, "ps", "-a", "--size", "--format", "{{.Size}}", driver="overlay2")
    assert listed.startswith("0B"), listed
    _lose(root, mount_id, how)
    assert ok(root, "inspect", "--size", "-f", "{{.SizeRw}}", "pl", driver="overlay2") == "0\n"
    assert scow(root, "system", "check", "--quick", driver="overlay2").returncode == 0
