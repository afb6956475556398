"""Fixtures of the driver conformance suite: a real driver on a temp root per test (btrfs: a
root on a loopback btrfs made once per session; zfs: a root on its own dataset of a pool on a
file made once per session, served by zfs-fuse), and a guard that no mount outlives a test
(leftovers are detached, then the test fails)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator

import pytest
from loopback import loop_btrfs, unavailable_reason
from tests.tools import require_overlay, require_root
from zfspool import destroy_dataset, file_pool, make_dataset, require_zfs, zfs_daemon

from scow.drivers.base import Driver
from scow.drivers.select import open_driver
from scow.osutil import mounts

DRIVERS = ["overlay2", "vfs", "btrfs", "zfs"]


@pytest.fixture
def root(tmp_path: os.PathLike[str]) -> Iterator[str]:
    path = os.path.join(os.fspath(tmp_path), "root")
    os.makedirs(path)
    yield path
    left = mounts.mounts_under(os.fspath(tmp_path))
    mounts.unmount_all_under(os.fspath(tmp_path))
    assert left == [], f"mounts left behind: {left}"


@pytest.fixture(scope="session")
def btrfs_mount(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A loopback btrfs shared by the session's tests (each uses its own folder on it)."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    with loop_btrfs(os.fspath(tmp_path_factory.mktemp("btrfs"))) as mnt:
        yield mnt


@pytest.fixture
def btrfs_root(btrfs_mount: str, root: str) -> str:
    """A fresh store root on the loopback btrfs (named after the per-test `root`)."""
    path = os.path.join(btrfs_mount, os.path.basename(os.path.dirname(root)), "root")
    os.makedirs(path)
    return path


@pytest.fixture(scope="session")
def zfs_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A pool on a file shared by the session's tests (each uses its own dataset in it), and
    a zfs-fuse daemon if none runs (stopped afterwards, by its pid)."""
    require_zfs()
    base = os.fspath(tmp_path_factory.mktemp("zfs"))
    with zfs_daemon(base), file_pool(base) as pool:
        yield pool


@pytest.fixture
def zfs_root(zfs_pool: tuple[str, str], root: str) -> Iterator[str]:
    """A fresh store root on its own dataset (named after the per-test `root`), destroyed with
    everything in it after the test."""
    name, path = make_dataset(*zfs_pool, os.path.basename(os.path.dirname(root)))
    try:
        yield os.path.join(path, "root")
    finally:
        destroy_dataset(name)


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest, root: str) -> Driver:
    require_root()
    if request.param == "btrfs":
        root = request.getfixturevalue("btrfs_root")
    elif request.param == "zfs":
        root = request.getfixturevalue("zfs_root")
    elif request.param == "overlay2":
        require_overlay(root)
    return open_driver(root, request.param)  # the kernel can: scow refusing is a failure


@pytest.fixture
def archive() -> None:
    """Imports scow.archive's extract/writer/changes/tarstream (a missing one fails the test:
    it is scow's own code, never a reason to skip)."""
    for mod in ("extract", "writer", "changes", "tarstream"):
        importlib.import_module(f"scow.archive.{mod}")
