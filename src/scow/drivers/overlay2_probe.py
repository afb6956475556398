"""owns: the kernel feature probes of overlay2: can this host run it at all (moby's
supportsOverlay + d_type + a test mount), and is the upper folder a faithful diff (moby's
doesSupportNativeDiff). Each probe mounts in a temp folder under home and always unmounts.

On disk::

    <root>/overlay2.probe    "<boot id> true|false": the native-diff answer of this boot

dockerd probes native diff once per daemon start; scow has no daemon and a probe mount costs
10-30 ms, so the answer is kept for the boot it was measured in (a reboot may bring another
kernel or other overlay module parameters: a different boot id re-probes). It is a property
of the kernel, not of any layer, so it lives beside the driver folder, not in it: once every
layer is gone, `<root>/overlay2` holds only `l/` (as Docker's).
"""

from __future__ import annotations

import contextlib
import errno
import os

from scow.osutil.atomic import atomic_write

_UNSUPPORTED_BACKING = ("aufs", "zfs", "overlayfs", "ecryptfs")
PROBE_FILE = "overlay2.probe"
OPAQUE = "trusted.overlay.opaque"  # overlay2_changes.py's too (not loaded for a probe)


def kernel_has_overlay() -> bool:
    """overlay in /proc/filesystems (after a modprobe attempt, as dockerd does)."""
    def listed() -> bool:
        with open("/proc/filesystems", encoding="ascii") as f:
            return any(line.split()[-1] == "overlay" for line in f if line.strip())

    if listed():
        return True
    import subprocess

    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(["modprobe", "overlay"], capture_output=True, timeout=10, check=False)
    return listed()


def _scratch(home: str) -> contextlib.AbstractContextManager[str]:
    from scow.osutil import fs

    return fs.scratch_dir(home, ".probe-")


def unsupported_reason(home: str, options: dict[str, str]) -> str | None:
    """Why overlay2 cannot work with `home`, in one line, or None when it can."""
    from scow.osutil import fs, mounts  # not for a store that ran overlay2 before (`create`)

    if not kernel_has_overlay():
        return "the kernel has no overlay filesystem"
    os.makedirs(home, mode=0o710, exist_ok=True)
    backing = fs.backing_filesystem(home)
    if backing in _UNSUPPORTED_BACKING:
        return f"overlay2 is not supported over {backing}"
    if not fs.supports_d_type(home):
        return (f"the backing {backing} filesystem is formatted without d_type support "
                "(xfs needs ftype=1)")
    with _scratch(home) as tmp:
        for name in ("lower1", "lower2", "upper", "work", "merged"):
            os.mkdir(os.path.join(tmp, name))
        merged = os.path.join(tmp, "merged")
        try:
            mounts.mount_overlay(merged, [os.path.join(tmp, "lower2"), os.path.join(tmp, "lower1")],
                                 os.path.join(tmp, "upper"), os.path.join(tmp, "work"),
                                 options=options)
        except OSError as exc:
            return f"a test overlay mount failed: {exc.strerror or exc}"
        mounts.unmount_all_under(merged)
    return None


def supports_native_diff(home: str, options: dict[str, str]) -> bool:
    """False when the kernel copies the opaque flag up (< 4.8) or renames folders by
    redirect (the upper folder would then not hold a renamed folder's files)."""
    from scow.osutil import mounts

    with _scratch(home) as tmp:
        p = {n: os.path.join(tmp, n) for n in ("l1", "l2", "l3", "work", "merged")}
        for name in p.values():
            os.mkdir(name)
        os.makedirs(os.path.join(p["l1"], "d"))
        os.makedirs(os.path.join(p["l1"], "d1"))
        os.makedirs(os.path.join(p["l2"], "d"))
        os.setxattr(os.path.join(p["l2"], "d"), OPAQUE, b"y")
        try:
            mounts.mount_overlay(p["merged"], [p["l2"], p["l1"]], p["l3"], p["work"],
                                 options=options)
        except OSError:
            return False
        try:
            open(os.path.join(p["merged"], "d", "f"), "wb").close()
            with contextlib.suppress(OSError):
                if os.getxattr(os.path.join(p["l3"], "d"), OPAQUE) == b"y":
                    return False
            try:
                os.rename(os.path.join(p["merged"], "d1"), os.path.join(p["merged"], "d2"))
            except OSError as exc:
                return exc.errno == errno.EXDEV
            with contextlib.suppress(OSError):
                os.getxattr(os.path.join(p["l3"], "d2"), "trusted.overlay.redirect")
                return False
            return True
        finally:
            mounts.unmount_all_under(p["merged"])


def native_diff(root: str, home: str) -> bool:
    """supports_native_diff, cached in <root>/overlay2.probe for this boot (see above). A
    cached answer is read as bytes: no text codec and no mount option read for it."""
    boot = _boot_id()
    cache = os.path.join(root, PROBE_FILE)
    with contextlib.suppress(OSError, ValueError):
        with open(cache, "rb") as f:
            seen_boot, answer = f.read().split()
        if boot and seen_boot == boot and answer in (b"true", b"false"):
            return answer == b"true"
    from scow.drivers.overlay2_mount import mount_options

    result = supports_native_diff(home, mount_options())
    if boot:
        with contextlib.suppress(OSError):  # a read-only root probes each time
            atomic_write(cache, boot + (b" true\n" if result else b" false\n"), 0o600)
    return result


def _boot_id() -> bytes:
    try:
        with open("/proc/sys/kernel/random/boot_id", "rb") as f:
            return f.read().strip()
    except OSError:
        return b""
