"""owns: questions about this mount namespace's mount table (/proc/self/mountinfo) and
unmounting everything under a folder.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os

from scow.osutil import syscalls


def _unescape(field: str) -> str:
    """A mountinfo field with its octal escapes (`\\040`) decoded."""
    if "\\" not in field:
        return field
    import re  # only for an escaped path: `re` costs start-up

    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mount_points() -> list[str]:
    """Every mount point of this namespace, in mount order (parents before children)."""
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        return [_unescape(line.split(" ", 5)[4]) for line in f if line.strip()]


def fs_type_of(path: str) -> str | None:
    """The filesystem type of the mount whose mount point is exactly `path`, or None."""
    path = os.path.realpath(path)
    found: str | None = None
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            fields = line.split(" ")
            if _unescape(fields[4]) == path:
                found = fields[fields.index("-") + 1]  # the last one stacked wins
    return found


def is_mountpoint(path: str) -> bool:
    """True when something is mounted exactly on `path` (symlinks resolved)."""
    real = os.path.realpath(path)
    return real in mount_points()


def mounts_under(prefix: str) -> list[str]:
    """Mount points at or below `prefix`, deepest first (the order to unmount them in)."""
    real = os.path.realpath(prefix).rstrip("/") or "/"
    inner = real + "/" if real != "/" else "/"
    found = [m for m in mount_points() if m == real or m.startswith(inner)]
    return sorted(set(found), key=lambda m: (-m.count("/"), m))


def unmount_all_under(prefix: str) -> None:
    """Lazily unmount every mount at or below `prefix`; already-gone mounts are fine."""
    targets = mounts_under(prefix)
    if not targets:
        return  # the common case (rm of a stopped container): one read of the mount table
    for target in targets:
        try:
            syscalls.umount2(target, syscalls.MNT_DETACH)
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOENT):
                raise
    for _ in range(16):  # stacked mounts on one point need one umount each
        left = mounts_under(prefix)
        if not left:
            return
        with contextlib.suppress(OSError):
            syscalls.umount2(left[0], syscalls.MNT_DETACH)


# -- overlay mounts ----------------------------------------------------------------------------
@functools.cache
def has_lowerdir_append() -> bool:
    """Whether the kernel takes overlay lower layers one per fsconfig call ("lowerdir+", 6.8+).
    Probed once per process: a context that accepts "lowerdir+" is simply closed."""
    try:
        fd = syscalls.fsopen("overlay")
    except OSError:
        return False
    try:
        syscalls.fsconfig(fd, syscalls.FSCONFIG_SET_STRING, "lowerdir+", "/")
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _fs_log(fd: int) -> str:
    """The kernel's messages about a failed fsconfig (the last "e ..." line), or ""."""
    last = ""
    with contextlib.suppress(OSError):
        for _ in range(16):
            msg = os.read(fd, 4096).decode(errors="replace").strip()
            if msg.startswith("e "):
                last = msg[2:]
    return last


def _mount_overlay_fsconfig(target: str, lowers: list[str], upper: str | None,
                            work: str | None, options: dict[str, str]) -> None:
    fd = syscalls.fsopen("overlay")
    try:
        try:
            for lower in lowers:
                syscalls.fsconfig(fd, syscalls.FSCONFIG_SET_STRING, "lowerdir+", lower)
            if upper is not None and work is not None:
                syscalls.fsconfig(fd, syscalls.FSCONFIG_SET_STRING, "upperdir", upper)
                syscalls.fsconfig(fd, syscalls.FSCONFIG_SET_STRING, "workdir", work)
            for key, value in options.items():  # "" : a flag (volatile)
                if value:
                    syscalls.fsconfig(fd, syscalls.FSCONFIG_SET_STRING, key, value)
                else:
                    syscalls.fsconfig(fd, syscalls.FSCONFIG_SET_FLAG, key)
            syscalls.fsconfig(fd, syscalls.FSCONFIG_CMD_CREATE)
        except OSError as exc:
            detail = _fs_log(fd)
            if detail:
                raise OSError(exc.errno, f"{os.strerror(exc.errno or 0)} ({detail})",
                              target) from exc
            raise
        mfd = syscalls.fsmount(fd)
        try:
            syscalls.move_mount(mfd, target)
        finally:
            os.close(mfd)
    finally:
        os.close(fd)


def _overlay_data(lowers: list[str], upper: str | None, work: str | None,
                  options: dict[str, str]) -> str:
    parts = [f"{k}={v}" if v else k for k, v in options.items()]
    parts += ["lowerdir=" + ":".join(lowers)]
    if upper is not None and work is not None:
        parts += [f"upperdir={upper}", f"workdir={work}"]
    return ",".join(parts)


def _mount_from(cwd: str, target: str, data: str) -> None:
    """mount(2) with relative paths in `data`, resolved from `cwd`, on a thread of its own that
    unshares its cwd (CLONE_FS) so the process's cwd never moves; the thread then exits."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            syscalls.unshare(syscalls.CLONE_FS)
            os.chdir(cwd)
            syscalls.mount("overlay", target, "overlay", 0, data)
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)

    import threading  # only for a mount relative to a folder (start-up of inspect, rm)

    thread = threading.Thread(target=run, name="scow-mount-from")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def mount_overlay(target: str, lowers: list[str], upper: str | None = None,
                  work: str | None = None, *, options: dict[str, str] | None = None,
                  relative_to: str | None = None) -> None:
    """Mount an overlay on `target`: `lowers` uppermost first; no `upper` gives a read-only
    overlay. An option whose value is "" is a flag (``volatile``). Uses the new mount API
    ("lowerdir+", any depth) when the kernel has it, else
    mount(2), whose option data must fit in one page: when it doesn't, the paths are made
    relative to `relative_to` and mounted from there (dockerd's mountFrom)."""
    opts = dict(options or {})
    if has_lowerdir_append():
        _mount_overlay_fsconfig(target, lowers, upper, work, opts)
        return
    limit = syscalls.page_size() - 1
    data = _overlay_data(lowers, upper, work, opts)
    if len(data) <= limit:
        syscalls.mount("overlay", target, "overlay", 0, data)
        return
    if relative_to is None:
        raise OSError(errno.E2BIG, "overlay mount options exceed one page", target)

    def rel(p: str | None) -> str | None:
        return None if p is None else os.path.relpath(p, relative_to)

    data = _overlay_data([os.path.relpath(p, relative_to) for p in lowers], rel(upper),
                         rel(work), opts)
    if len(data) > limit:
        raise OSError(errno.E2BIG, "overlay mount options exceed one page (too many layers)",
                      target)
    _mount_from(relative_to, os.path.abspath(target), data)
