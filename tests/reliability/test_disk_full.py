"""A full disk: the root on a 64 MiB loopback ext4. A failing import says so in one line,
leaves nothing half-made, and the store works again once space is freed."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.reliability.conftest import FIGURES, assert_clean, ok, scow
from tests.tools import require_root, require_tool


@pytest.fixture
def small_root(tmp_path: Path) -> Iterator[Path]:
    require_root()
    require_tool("mkfs.ext4", package="e2fsprogs")
    image, mnt = tmp_path / "fs.img", tmp_path / "mnt"
    subprocess.run(["truncate", "-s", "64M", str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True, capture_output=True)
    mnt.mkdir()
    subprocess.run(["mount", "-o", "loop", str(image), str(mnt)], check=True)
    try:
        yield mnt / "root"
    finally:
        subprocess.run(["umount", "-R", "-l", str(mnt)], check=False)


def test_import_on_a_full_disk(small_root: Path, small_tar: Path, tmp_path: Path) -> None:
    ok(small_root, "import", str(small_tar), "small:1", driver="vfs")
    big = tmp_path / "big.tar"
    with open(big, "wb") as f:
        f.write(subprocess.run(["tar", "-cf", "-", "-C", "/usr/lib", "python3"],
                               capture_output=True).stdout[:200 << 20])
    filler = small_root.parent / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M", "count=40"],
                   capture_output=True)
    proc = scow(small_root, "import", str(big), "big:1", driver="vfs")
    FIGURES["disk-full failures"] += 1
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert lines and "no space left on device" in lines[0].lower() and "Traceback" not in \
        proc.stderr, proc.stderr
    assert "big" not in ok(small_root, "images", driver="vfs")
    filler.unlink()
    assert_clean(small_root, "vfs")
    assert len(os.listdir(small_root / "vfs" / "dir")) == 1
    ok(small_root, "import", str(small_tar), "again:1", driver="vfs")
    assert_clean(small_root, "vfs", quick=False)
