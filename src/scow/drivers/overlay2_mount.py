"""owns: mounting one overlay2 layer: the options scow always passes (index=off and
redirect_dir=off where the kernel knows them, so the upper folder stays a plain record of the
layer's changes; `volatile` for a layer made not durable) and the mount of merged/ over the
layer's lower stack, writable or, for a committed layer, read-only.

Loaded by the mount itself (a layer's first `get`), the native-diff probe and a new store's
support check; the mount count, its flock and the unmount stay with the driver (overlay2.py).
"""

from __future__ import annotations

import contextlib
import os

from scow.errors import MountError


def mount_options() -> dict[str, str]:
    """index=off and redirect_dir=off where the kernel knows them (Docker adds index=off the
    same way); both keep the upper folder a plain record of changes."""
    opts: dict[str, str] = {}
    for key in ("index", "redirect_dir"):
        if os.path.exists(f"/sys/module/overlay/parameters/{key}"):
            opts[key] = "off"
    return opts


def _rw_options(path: str, volatile: bool) -> dict[str, str]:
    """A writable mount's options: ``volatile`` (no syncs of the upper file system, not even
    at unmount) for a layer made not durable (`volatile`: a build step's throw-away layers),
    where the kernel has it (5.10+; the flag is in overlay's parameters only as of 6.x, so test the
    release)."""
    opts = mount_options()
    if volatile and _kernel_at_least(5, 10):
        from scow.osutil import fs  # a build step's layer only (start-up of `start`)

        opts["volatile"] = ""
        # a volatile mount leaves work/work/incompat/volatile; the kernel refuses a remount
        # until it is gone (the layer's data is throw-away, so a remount may reuse it)
        with contextlib.suppress(OSError):
            fs.remove_tree(os.path.join(path, "work", "work", "incompat", "volatile"))
    return opts


def _kernel_at_least(major: int, minor: int) -> bool:
    parts = os.uname().release.split(".")
    try:
        return (int(parts[0]), int(parts[1].split("-")[0])) >= (major, minor)
    except (IndexError, ValueError):
        return False


def mount(home: str, id: str, path: str, merged: str, lowers: list[str], *, readonly: bool,
          volatile: bool) -> None:
    """Mount layer `id` (its folder `path`) on `merged`: over `lowers` (uppermost first) with
    diff/ as the upper and work/ as the workdir, or, `readonly`, with diff/ as one more lower
    (a committed layer's form)."""
    from scow.osutil import mounts

    diff, work = os.path.join(path, "diff"), os.path.join(path, "work")
    try:
        os.makedirs(merged, mode=0o700, exist_ok=True)
        if readonly:
            mounts.mount_overlay(merged, [diff] + lowers, options=mount_options(),
                                 relative_to=home)
        else:
            mounts.mount_overlay(merged, lowers, diff, work, options=_rw_options(path, volatile),
                                 relative_to=home)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.rmdir(merged)
        raise MountError(f"mount layer {id[:12]}: {exc.strerror or exc}") from exc
