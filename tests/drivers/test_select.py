"""Driver selection as dockerd does it: explicit choice, prior driver, priority order."""

from __future__ import annotations

import os
from pathlib import Path

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
    with pytest.raises(DriverUnsupported, match="^zfs is not available "):
        open_driver(root, "zfs")
    with pytest.raises(DriverUnsupported, match="btrfs"):
        open_driver(root, "btrfs")
    with pytest.raises(DriverUnsupported, match="unknown storage driver"):
        open_driver(root, "bogus")
    assert os.listdir(root) == []


def _fake_tools(tmp_path: Path, zpool_exit: int) -> str:
    """A PATH holding only `zfs` and `zpool` stand-ins (the process seam) and the basics."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("zfs", "zpool"):
        script = bin_dir / tool
        script.write_text(f"#!/bin/sh\necho 'connect: No such file or directory' >&2\n"
                          f"exit {zpool_exit}\n")
        script.chmod(0o755)
    return str(bin_dir)


def test_zfs_without_its_commands_says_how_to_get_them(root: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DriverUnsupported, match="zfs and zpool commands are missing "
                       r"\(apt-get install zfs-fuse, then start zfs-fuse"):
        open_driver(root, "zfs")
    assert os.listdir(root) == []


def test_zfs_without_module_or_daemon_names_both(root: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", _fake_tools(tmp_path, zpool_exit=1))  # no daemon answers
    want = (r"neither the zfs kernel module \(/dev/zfs\) nor a running zfs-fuse daemon "
            r"\(apt-get install zfs-fuse, then start zfs-fuse")
    if os.path.exists("/dev/zfs"):  # the module needs no daemon: the root is what is wrong
        want = "not on a ZFS dataset"
    with pytest.raises(DriverUnsupported, match=want):
        open_driver(root, "zfs")
    assert os.listdir(root) == []


def test_zfs_refuses_a_root_off_zfs(root: str, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", _fake_tools(tmp_path, zpool_exit=0))  # zfs answers
    with pytest.raises(DriverUnsupported, match="^zfs is not available under .*: it is on "
                       r"\S+, not on a ZFS dataset$"):
        open_driver(root, "zfs")
    assert os.listdir(root) == []


def test_a_named_driver_with_data_skips_the_test_mount(root: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`-s overlay2` (SCOW_STORAGE_DRIVER) on a store that already holds overlay2 data takes
    the cheap check, as an unnamed prior driver does: the probe's test mount costs every
    command ~50 ms of CPU (issue 18); an empty home still gets the full probe."""
    from scow.drivers import overlay2_probe

    calls: list[str] = []
    real = overlay2_probe.unsupported_reason

    def probe(home: str, options: dict[str, str]) -> str | None:
        calls.append(home)
        return real(home, options)

    monkeypatch.setattr(overlay2_probe, "unsupported_reason", probe)
    open_driver(root, "overlay2")  # a new store: the full probe
    assert len(calls) == 1
    os.makedirs(os.path.join(root, "overlay2", "l"), exist_ok=True)
    assert open_driver(root, "overlay2").name == "overlay2"
    assert len(calls) == 1
