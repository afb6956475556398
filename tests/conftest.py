"""Shared fixtures: a busybox root filesystem tar (from Debian's busybox-static), engines on a
temp root per test for every driver this kernel has, and a check that nothing stays mounted."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DRIVERS = ("overlay2", "vfs")


def _mounts_under(prefix: str) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    return [p for p in points if p == prefix or p.startswith(prefix.rstrip("/") + "/")]


@pytest.fixture
def no_leaked_mounts(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    leaked = _mounts_under(str(tmp_path))
    for point in sorted(leaked, reverse=True):
        subprocess.run(["umount", "-l", point], check=False)
    assert not leaked, f"mounts left behind: {leaked}"


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("busybox") is None:
        pytest.skip("busybox-static is not installed")
    out = tmp_path_factory.mktemp("busybox") / "busybox.tar"
    subprocess.run([str(REPO / "demo" / "make-busybox-rootfs.sh"), str(out)], check=True)
    return out


def make_tar(files: dict[str, bytes | str | None], *, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """A small layer tar: bytes → regular file, str → symlink target, None → directory."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), 0o644
                tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def driver_available(name: str) -> bool:
    if os.geteuid() != 0 and name == "overlay2":
        return False
    return True


@pytest.fixture(params=DRIVERS)
def engine(request: pytest.FixtureRequest, no_leaked_mounts: Path) -> Iterator[object]:
    from scow.engine.engine import Engine

    if not driver_available(request.param):
        pytest.skip(f"{request.param} is not available here")
    eng = Engine(root=str(no_leaked_mounts / "root"), storage_driver=request.param)
    try:
        yield eng
    finally:
        eng.close()


@pytest.fixture
def vfs_engine(no_leaked_mounts: Path) -> Iterator[object]:
    from scow.engine.engine import Engine

    eng = Engine(root=str(no_leaked_mounts / "root"), storage_driver="vfs")
    try:
        yield eng
    finally:
        eng.close()
