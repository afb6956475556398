"""Driver selection as dockerd does it: explicit choice, prior driver, priority order."""

from __future__ import annotations

import os

import pytest

from scow.drivers.select import open_driver, prior_drivers
from scow.errors import Conflict, DriverUnsupported

pytestmark = pytest.mark.root


def test_default_on_ext4_is_overlay2(root: str) -> None:
    assert open_driver(root).name == "overlay2"
    assert prior_drivers(root) == ["overlay2"]


def test_prior_driver_wins(root: str) -> None:
    open_driver(root, "vfs").create("a" * 64, None)
    assert open_driver(root).name == "vfs"


def test_two_prior_drivers_is_an_error(root: str) -> None:
    open_driver(root, "vfs").create("a" * 64, None)
    open_driver(root, "overlay2")
    with pytest.raises(Conflict, match="several storage drivers"):
        open_driver(root)


@pytest.mark.parametrize("name", ["aufs", "devicemapper", "overlay"])
def test_removed_drivers_are_refused(root: str, name: str) -> None:
    with pytest.raises(DriverUnsupported, match="removed"):
        open_driver(root, name)


def test_zfs_and_btrfs_explain_themselves(root: str) -> None:
    with pytest.raises(DriverUnsupported, match="^zfs is not available on this host: "):
        open_driver(root, "zfs")
    with pytest.raises(DriverUnsupported, match="btrfs"):
        open_driver(root, "btrfs")
    with pytest.raises(DriverUnsupported, match="unknown storage driver"):
        open_driver(root, "bogus")
    assert os.listdir(root) == []
