"""owns: resolving docker's `--user` value against the image's /etc/passwd and /etc/group.

Docker's rules (moby/sys/user `GetExecUser`): "" is root; "name" or "uid" looks the user up in
/etc/passwd (a numeric uid absent from passwd is used as is, with gid 0); "user:group" takes the
group from /etc/group (a numeric gid absent from it is used as is); supplementary groups come
from /etc/group only in the implicit form (no group given) for a user found by name or uid.

Both files are opened inside the rootfs without letting a symlink lead out of it: with
openat2(RESOLVE_IN_ROOT) (scow.osutil.openat2), or where the kernel lacks it by walking every
component with O_NOFOLLOW and resolving symlinks by hand against the rootfs (absolute targets
restart at the rootfs, ".." stops at it), like filepath-securejoin.
"""

from __future__ import annotations

import errno
import os
import stat

from scow.errors import NotFound, from_oserror

TYPE_CHECKING = False  # mypy honours the name; dataclasses costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass
else:
    from scow.typeshim import dataclass

_MAX_LINKS = 40


@dataclass(frozen=True)
class ExecUser:
    uid: int
    gid: int
    additional_gids: tuple[int, ...]
    home: str
    name: str


def open_in_rootfs(rootfs: str, path: str) -> int:
    """Open the regular file `path` (read-only) as seen from inside `rootfs`; symlinks cannot
    escape it (openat2 RESOLVE_IN_ROOT where the kernel has it, else a component walk)."""
    from scow.osutil.openat2 import open_in_root, resolve_in_root_supported

    if not resolve_in_root_supported():
        return _open_walking(rootfs, path)
    root_fd = os.open(rootfs, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = open_in_root(root_fd, path, os.O_PATH | os.O_CLOEXEC)
    finally:
        os.close(root_fd)
    return _reopen_regular(fd, path)


def _reopen_regular(fd: int, path: str) -> int:
    """Turn an O_PATH fd of a regular file into a readable one (never opening a FIFO)."""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        return os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(fd)


def _open_walking(rootfs: str, path: str) -> int:
    parts = [p for p in path.split("/") if p]
    fds = [os.open(rootfs, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)]
    links = 0
    try:
        while parts:
            name = parts.pop(0)
            if name == ".":
                continue
            if name == "..":
                if len(fds) > 1:
                    os.close(fds.pop())
                continue
            flags = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(name, flags, dir_fd=fds[-1])
            if stat.S_ISLNK(os.fstat(fd).st_mode):
                target = os.readlink(name, dir_fd=fds[-1])
                os.close(fd)
                links += 1
                if links > _MAX_LINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
                if target.startswith("/"):
                    while len(fds) > 1:
                        os.close(fds.pop())
                parts = [p for p in target.split("/") if p] + parts
                continue
            fds.append(fd)
        if len(fds) == 1:
            raise OSError(errno.EINVAL, "not a regular file", path)
        return _reopen_regular(fds.pop(), path)
    finally:
        for fd in fds:
            os.close(fd)


def _read_db(rootfs: str, path: str) -> list[list[str]]:
    """The colon-separated entries of a passwd/group file; [] when it is missing."""
    try:
        fd = open_in_rootfs(rootfs, path)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise from_oserror(f"read {path} in the container", exc) from exc
    with os.fdopen(fd, "rb") as f:
        data = f.read(4 << 20)
    rows = []
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rows.append(line.split(":"))
    return rows


def _int(s: str) -> int | None:
    return int(s) if s.isdigit() else None


def resolve_user(rootfs: str, user: str) -> ExecUser:
    """Resolve docker's `user`, `uid`, `user:group`, `uid:gid` against the rootfs."""
    user_arg, _, group_arg = user.partition(":")
    uid_num = _int(user_arg)
    uid, gid, home, name = 0, 0, "/", "root" if not user_arg else user_arg
    matched = None
    for row in _read_db(rootfs, "/etc/passwd"):
        if len(row) < 6 or _int(row[2]) is None or _int(row[3]) is None:
            continue
        if not user_arg:
            wanted = row[2] == "0"
        elif uid_num is not None:
            wanted = row[2] == str(uid_num)
        else:
            wanted = row[0] == user_arg
        if wanted:
            matched = row
            break
    if matched:
        name, uid, gid, home = matched[0], int(matched[2]), int(matched[3]), matched[5] or "/"
    elif uid_num is not None:
        uid = uid_num
    elif user_arg:
        raise NotFound(f"unable to find user {user_arg}: no matching entries in passwd file")
    gid, sgids = _groups(rootfs, name if matched else None, group_arg, gid)
    return ExecUser(uid=uid, gid=gid, additional_gids=sgids, home=home, name=name)


def _groups(
    rootfs: str, user_name: str | None, group_arg: str, gid: int
) -> tuple[int, tuple[int, ...]]:
    if not group_arg and user_name is None:
        return gid, ()
    gid_num = _int(group_arg)
    hits: list[int] = []
    for row in _read_db(rootfs, "/etc/group"):
        if len(row) < 3 or _int(row[2]) is None:
            continue
        if not group_arg:
            members = row[3].split(",") if len(row) > 3 else []
            ok = user_name in members
        elif gid_num is not None:
            ok = row[2] == str(gid_num)
        else:
            ok = row[0] == group_arg
        if ok:
            hits.append(int(row[2]))
    if group_arg:
        if hits:
            return hits[0], ()
        if gid_num is None:
            raise NotFound(f"unable to find group {group_arg}: no matching entries in group file")
        return gid_num, ()
    return gid, tuple(hits)
