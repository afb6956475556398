"""A btrfs filesystem on a sparse loop file, for tests: made with mkfs.btrfs, mounted with
``mount -o loop`` (autoclear: the loop device is detached by the unmount), always unmounted."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator

from tests.tools import skip_missing_kernel_feature


def unavailable_reason() -> str | None:
    """Why a loopback btrfs cannot be made here, or None."""
    if os.geteuid() != 0:
        return "missing privilege: root (for a loopback btrfs)"
    if shutil.which("mkfs.btrfs") is None:
        return "missing tool: mkfs.btrfs (btrfs-progs)"
    if not os.path.exists("/dev/loop-control"):
        return "missing kernel feature: loop devices (/dev/loop-control)"
    return None


@contextlib.contextmanager
def loop_btrfs(base: str, size: str = "1G") -> Iterator[str]:
    """Mount a fresh btrfs at `<base>/mnt` for the block; unmount and detach afterwards."""
    image, mnt = os.path.join(base, "btrfs.img"), os.path.join(base, "mnt")
    os.makedirs(mnt, exist_ok=True)
    subprocess.run(["truncate", "-s", size, image], check=True)
    subprocess.run(["mkfs.btrfs", "-q", image], check=True, capture_output=True)
    proc = subprocess.run(["mount", "-o", "loop", image, mnt], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        _detach(image)
        os.unlink(image)
        skip_missing_kernel_feature(f"btrfs on a loop device ({proc.stderr.strip()[-300:]})")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", mnt], check=False)
        if os.path.ismount(mnt):
            subprocess.run(["umount", "-l", mnt], check=False)
        _detach(image)
        with contextlib.suppress(OSError):
            os.unlink(image)


def _detach(image: str) -> None:
    """Detach a loop device still backed by `image` (autoclear normally did it)."""
    out = subprocess.run(["losetup", "-j", image], capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        device = line.split(":", 1)[0]
        if device.startswith("/dev/loop"):
            subprocess.run(["losetup", "-d", device], check=False)
