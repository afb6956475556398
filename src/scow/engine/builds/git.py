"""owns: ``ADD <git source>``: a checkout of one ref of a remote repository with the
machine's ``git``, into a private temp folder of the build step.

Only the ``http``, ``https``, ``ssh`` and ``git`` transports are allowed (GIT_ALLOW_PROTOCOL:
no ``ext::`` or ``file://``); no terminal prompt; no hooks run (a clone runs none); the
repository's own config is never applied to this machine's git (it stays in the checkout).
"""

from __future__ import annotations

import os
import subprocess

from scow.errors import NotFound, Unavailable

_TIMEOUT = 600


def checkout(remote: str, ref: str | None, dest_dir: str) -> tuple[str, str]:
    """Clone `remote` into `dest_dir`/git and check out `ref` (default HEAD), detached;
    return (the checkout's path, the commit ID)."""
    path = os.path.join(dest_dir, "git")
    _git(remote, "clone", "--quiet", "--no-checkout", "--", remote, path)
    commit = "HEAD"
    if ref is not None:
        commit = _resolve(remote, path, ref)
    _git(remote, "-C", path, "-c", "advice.detachedHead=false", "checkout", "--quiet",
         "--detach", commit)
    return path, _git(remote, "-C", path, "rev-parse", "HEAD").strip()


def _resolve(remote: str, path: str, ref: str) -> str:
    for candidate in (f"refs/remotes/origin/{ref}", f"refs/tags/{ref}", ref):
        try:
            return _git(remote, "-C", path, "rev-parse", "--verify", "--quiet",
                        f"{candidate}^{{commit}}").strip()
        except Unavailable:
            continue
    raise NotFound(f"git {remote}: ref {ref!r} not found")


def _git(remote: str, *args: str) -> str:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ALLOW_PROTOCOL="http:https:ssh:git",
               GIT_CONFIG_NOSYSTEM="1")
    try:
        proc = subprocess.run(["git", *args], capture_output=True, env=env, timeout=_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"git {remote}: {exc}") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        raise Unavailable(f"git {remote}: {lines[-1] if lines else 'failed'}")
    return proc.stdout.decode(errors="replace")
