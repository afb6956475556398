"""owns: making a RUN step's ``--mount``s real for runc: the OCI mount entries, the secret
files and variables, the cache folders held for the step, and the mount points the step had
to create, removed from its rootfs before the diff (as BuildKit's mount stubs cleanup).

Where the content comes from, and where it never goes::

    bind     the context folder or a stage/image rootfs (a read-only driver mount); a
             read-write bind gets a private copy in <root>/tmp/<owner>.bind-*, dropped after
             the step (or by the next writer's recovery)
    cache    <root>/cachemounts/ (store/cache_mounts.py), seeded from ``from`` when new
    tmpfs    runc's tmpfs (``size=``)
    secret   a file in a private folder on /dev/shm (memory), removed after the step; the
             value is read from `Secret` (file or variable) only here. With ``env=`` the
             value is in the process env, so the step's config.json is written there too
             (the bundle's config.json is a symlink to it)
    ssh      the agent socket (``--ssh``; for key files, the build's own agent: ssh_agent.py),
             bind-mounted

None of it is in the step's layer: mounts are not part of the rootfs runc diffs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from scow.build.ports import RunMount, Secret, SshSource
from scow.errors import InvalidArgument, NotFound
from scow.ids import ChainID, random_id

if TYPE_CHECKING:
    from scow.store.store import Store

Entry = dict[str, object]


class MountHost(Protocol):
    """What a step's mounts need of the build's engine (`StoreBuildEngine`)."""

    store: Store
    secrets: tuple[Secret, ...]
    ssh: tuple[SshSource, ...]

    def open_rootfs(self, chain: ChainID | None) -> AbstractContextManager[str]: ...


class StepMounts:
    """The mounts of one step; enter `prepare` in an ExitStack that outlives the run."""

    def __init__(self, engine: MountHost, stack: contextlib.ExitStack) -> None:
        self.engine = engine
        self.stack = stack
        self.entries: list[Entry] = []
        self.env: list[str] = []
        self._secret_dir = ""

    def prepare(self, mounts: tuple[RunMount, ...]) -> None:
        for m in mounts:
            handler: Callable[[RunMount], None] = getattr(self, "_" + m.type)
            handler(m)

    def _add(self, target: str, source: str, kind: str, options: list[str]) -> None:
        self.entries.append({"destination": target, "type": kind, "source": source,
                             "options": options})

    def _bind_opts(self, readonly: bool) -> list[str]:
        return ["rbind", "rprivate", "ro" if readonly else "rw"]

    def _source_path(self, m: RunMount) -> str:
        """A host path holding a bind's or a cache's ``from`` source."""
        if m.source_dir:
            root = m.source_dir
        else:
            root = self.stack.enter_context(self.engine.open_rootfs(m.source_chain))
        from scow.build.context import SourceRoot

        path = SourceRoot(root, strict=False).resolve(m.source.lstrip("/"))
        if not os.path.lexists(path):
            raise NotFound(f"RUN --mount: source {m.source or '/'!r}: not found")
        return path

    def _bind(self, m: RunMount) -> None:
        path = self._source_path(m)
        if not m.readonly or m.only is not None:  # rw writes are discarded: a copy
            tmp = self.engine.store.tmp_path(f"bind-{random_id()[:12]}")  # owned staging
            os.makedirs(tmp, mode=0o700)
            self.stack.callback(shutil.rmtree, tmp, True)
            copy = os.path.join(tmp, "src")
            if m.only is not None:
                _copy_only(path, copy, m.only)
            elif os.path.isdir(path):
                shutil.copytree(path, copy, symlinks=True)
            else:
                shutil.copy2(path, copy)
            path = copy
        self._add(m.target, path, "bind", self._bind_opts(m.readonly))

    def _cache(self, m: RunMount) -> None:
        def init(data: str) -> None:
            if m.has_source:
                src = self._source_path(m)
                if os.path.isdir(src):
                    shutil.copytree(src, data, symlinks=True, dirs_exist_ok=True)
            os.chmod(data, m.mode if m.mode is not None else 0o755)
            os.chown(data, m.uid, m.gid)

        path = self.stack.enter_context(self.engine.store.cache_mounts.acquire(
            m.id, m.sharing, init))
        self._add(m.target, path, "bind", self._bind_opts(m.readonly))

    def _tmpfs(self, m: RunMount) -> None:
        opts = ["nosuid", "nodev"] + ([f"size={m.size}"] if m.size else [])
        self._add(m.target, "tmpfs", "tmpfs", opts)

    def _secret(self, m: RunMount) -> None:
        value = read_secret(self.engine.secrets, m.id)
        if value is None:
            if m.required:
                raise NotFound(f"secret {m.id}: not found")
            return
        if m.env:
            self.env.append(f"{m.env}={value.decode('utf-8', 'surrogateescape')}")
        if not m.target:
            return
        path = os.path.join(self.secrets_dir(), f"{len(self.entries)}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(value)
        os.chown(path, m.uid, m.gid)
        os.chmod(path, m.mode if m.mode is not None else 0o400)
        self._add(m.target, path, "bind", ["rbind", "rprivate", "ro"])

    def secrets_dir(self) -> str:
        """A private folder in memory (/dev/shm) for secret files and a spec holding a
        secret's value (``env=``), removed with the step."""
        if not self._secret_dir:
            shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
            self._secret_dir = self.stack.enter_context(tempfile.TemporaryDirectory(
                prefix="scow-secrets-", dir=shm))
            os.chmod(self._secret_dir, 0o700)
        return self._secret_dir

    def _ssh(self, m: RunMount) -> None:
        sock = ssh_socket(self.engine.ssh, m.id)
        if sock is None:
            if m.required:
                raise NotFound(f"ssh agent {m.id}: not found (build with --ssh {m.id})")
            return
        self._add(m.target, sock, "bind", ["rbind", "rprivate", "rw"])


def _copy_only(src: str, dest: str, only: tuple[str, ...]) -> None:
    """Copy the entries `only` (paths under `src`, parents listed first) of folder `src`."""
    os.mkdir(dest)
    shutil.copystat(src, dest)
    for rel in only:
        s, d = os.path.join(src, rel), os.path.join(dest, rel)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if os.path.islink(s):
            os.symlink(os.readlink(s), d)
        elif os.path.isdir(s):
            os.makedirs(d, exist_ok=True)
            shutil.copystat(s, d)
        elif os.path.isfile(s):
            shutil.copy2(s, d)


def read_secret(secrets: tuple[Secret, ...], secret_id: str) -> bytes | None:
    """The value of `secret_id` from its file or variable; None when it was not given."""
    found = next((s for s in secrets if s.id == secret_id), None)
    if found is None:
        return None
    if found.env:
        value = os.environ.get(found.env)
        return None if value is None else value.encode("utf-8", "surrogateescape")
    try:
        with open(found.src, "rb") as f:
            return f.read()
    except OSError as exc:
        raise InvalidArgument(f"secret {secret_id}: read {found.src}: {exc.strerror}") from None


def ssh_socket(sources: tuple[SshSource, ...], ssh_id: str) -> str | None:
    found = next((s for s in sources if s.id == ssh_id), None)
    if found is None:
        return None
    if found.keys and not found.path:  # BuildService.build starts their agent (ssh_agent.py)
        raise InvalidArgument(f"ssh {ssh_id}: its key files' agent is not running")
    path = found.path or os.environ.get("SSH_AUTH_SOCK", "")
    if not path:
        raise InvalidArgument(f"ssh {ssh_id}: SSH_AUTH_SOCK is not set")
    return path


# -- mount points the step had to create ------------------------------------------------------
def missing_stubs(rootfs: str, targets: list[str]) -> list[tuple[str, str, float]]:
    """For each target absent from `rootfs`: (target, first missing folder, parent mtime)."""
    stubs = []
    for target in targets:
        parts = [p for p in target.split("/") if p]
        for i in range(len(parts)):
            path = os.path.join(rootfs, *parts[: i + 1])
            if os.path.islink(path):
                break
            if not os.path.lexists(path):
                parent = os.path.dirname(path)
                stubs.append((target, "/".join(parts[: i + 1]), os.lstat(parent).st_mtime))
                break
    return stubs


def remove_stubs(rootfs: str, stubs: list[tuple[str, str, float]]) -> None:
    """Remove the empty mount points of `missing_stubs` and the folders made for them."""
    for target, first, mtime in stubs:
        parts = [p for p in target.split("/") if p]
        stop = len([p for p in first.split("/") if p])
        for depth in range(len(parts), stop - 1, -1):
            path = os.path.join(rootfs, *parts[:depth])
            with contextlib.suppress(OSError):
                if os.path.isdir(path) and not os.path.islink(path):
                    os.rmdir(path)
                elif os.path.isfile(path) and os.path.getsize(path) == 0:
                    os.unlink(path)
        parent = os.path.dirname(os.path.join(rootfs, first))
        with contextlib.suppress(OSError):
            os.utime(parent, (mtime, mtime), follow_symlinks=False)
