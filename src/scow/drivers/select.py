"""owns: choosing and opening the storage driver of a store, as dockerd does
(daemon/graphdriver/driver.go New, driver_linux.go priority).

- An explicitly requested driver is opened or refused with a one-line reason.
- Otherwise a prior driver wins: a non-empty ``<root>/<driver>`` folder (two of them is an
  error; the user must choose).
- Otherwise a root on btrfs gets the btrfs driver, and a root on a ZFS dataset (kernel module
  or zfs-fuse) the zfs driver (O(1) snapshots are the native copy-on-write of those
  filesystems; docker picks zfs on a ZFS root too). Docker differs here: its priority
  "overlay2,fuse-overlayfs,btrfs,zfs,vfs" gives overlay2 on btrfs since kernel 4.7, and btrfs
  only when configured.
- Otherwise the first of PRIORITY that works here: overlay2 (kernel overlay, d_type, a test
  mount), vfs.

Driver modules are imported only when chosen.
"""

from __future__ import annotations

import os

from scow.drivers.base import PRIORITY, Driver
from scow.errors import Conflict, DriverUnsupported

REMOVED = ("aufs", "devicemapper", "overlay")
KNOWN = (*PRIORITY, "zfs")


def open_driver(root: str, name: str | None = None) -> Driver:
    """The driver for the store at `root`: `name` if given, else Docker's choice."""
    if name:  # (SCOW_STORAGE_DRIVER, -s): the test mount only while its folder is empty
        return _open(root, name, prior=_holds_data(os.path.join(root, name)))
    prior = prior_drivers(root)
    if len(prior) > 1:
        raise Conflict(f"open storage: found data of several storage drivers "
                       f"({', '.join(prior)}) under {root}; choose one with --storage-driver")
    if prior:
        return _open(root, prior[0], prior=True)
    native = _native_driver(root)
    if native:
        try:
            return _open(root, native)
        except DriverUnsupported:
            pass
    for candidate in PRIORITY:
        try:
            return _open(root, candidate)
        except DriverUnsupported:
            continue
    raise DriverUnsupported(f"open storage: no storage driver works under {root}")


def _native_driver(root: str) -> str | None:
    """btrfs or zfs when the nearest existing folder of `root` is on that filesystem."""
    from scow.osutil import zfs
    from scow.osutil.fs import backing_filesystem

    path = root
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    if backing_filesystem(path) == "btrfs":
        return "btrfs"
    return "zfs" if zfs.dataset_of(path) is not None else None


def prior_drivers(root: str) -> list[str]:
    """Drivers that already hold data under `root` (a non-empty <root>/<driver> folder)."""
    return [name for name in (*KNOWN, *REMOVED) if _holds_data(os.path.join(root, name))]


def _holds_data(path: str) -> bool:
    try:
        with os.scandir(path) as it:
            return next(it, None) is not None
    except OSError:
        return False


def _open(root: str, name: str, *, prior: bool = False) -> Driver:
    if name in REMOVED:
        raise DriverUnsupported(f"the {name} storage driver has been deprecated and removed; "
                                "use overlay2")
    if name == "vfs":
        from scow.drivers.vfs import VfsDriver

        return VfsDriver(root)
    if name == "overlay2":
        return _open_overlay2(root, prior)
    if name == "btrfs":
        from scow.drivers.btrfs import BtrfsDriver

        return BtrfsDriver(root)
    if name == "zfs":
        from scow.drivers.zfs import ZfsDriver

        return ZfsDriver(root)
    raise DriverUnsupported(f"unknown storage driver {name!r} (known: {', '.join(KNOWN)})")


def _overlay_listed() -> bool:
    """overlay in /proc/filesystems: the check of a store that used overlay2 before, without
    the probe's module (overlay2_probe.kernel_has_overlay, with its modprobe, when not)."""
    with open("/proc/filesystems", "rb") as f:  # bytes: no text codec loaded (start-up)
        return any(line.split()[-1] == b"overlay" for line in f if line.strip())


def _open_overlay2(root: str, prior: bool) -> Driver:
    from scow.drivers import overlay2

    home = os.path.join(root, overlay2.Overlay2Driver.name)
    if prior and _overlay_listed():  # it worked here before: the test mount is for new stores
        reason = None
    elif prior:
        from scow.drivers import overlay2_probe

        reason = None if overlay2_probe.kernel_has_overlay() else "the kernel has no overlay"
    else:
        from scow.drivers import overlay2_probe

        existed = os.path.isdir(home)
        from scow.drivers.overlay2_mount import mount_options

        reason = overlay2_probe.unsupported_reason(home, mount_options())
        if reason and not existed:
            from scow.osutil.fs import remove_tree

            remove_tree(home)  # leave no empty home behind: it would count as a prior driver
    if reason:
        raise DriverUnsupported(f"overlay2 is not supported on this host: {reason}")
    return overlay2.Overlay2Driver(root)

