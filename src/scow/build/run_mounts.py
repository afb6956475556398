"""owns: what a RUN's ``--mount``, ``--network`` and ``--security`` become for one step: each
parsed mount resolved against the stage (variables, the working folder, ``from=`` a stage,
an image or the context) into a `RunMount` for the engine plus its part of the step's cache
key, and BuildKit's entitlement rules (``network.host``, ``security.insecure``).

Cache key parts: a bind names its source's content (the context checksum of ``source``, or
the chain of the stage/image and the path); a cache mount its ID and options, never its
content; a secret or an SSH socket only its ID and target, never its value.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping

from scow.build import instructions as ins
from scow.build.ports import RunMount
from scow.build.runmount import Mount
from scow.build.shell import expand_word
from scow.errors import Forbidden, InvalidArgument, NotFound
from scow.ids import chain_id

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

    from scow.build.context import SourceRoot
    from scow.build.dispatch import StageState, StepContext

_DEFAULT_MODES = {"cache": 0o755, "secret": 0o400, "ssh": 0o600}


def resolve_mounts(state: StageState, ctx: StepContext, c: ins.Run,
                   ) -> tuple[tuple[RunMount, ...], list[dict[str, Any]]]:
    """The step's mounts and their cache-key parts, in the order given."""
    env = state.env()
    workdir = state.config.get("WorkingDir") or "/"
    mounts: list[RunMount] = []
    keys: list[dict[str, Any]] = []
    ssh_count = 0
    for m in c.mounts:
        target = _target(m, env, ctx, workdir, ssh_count)
        ssh_count += m.type == "ssh"
        mount, key = _resolve(m, target, env, ctx)
        mounts.append(mount)
        keys.append(key)
    targets = [m.target for m in mounts if m.target]
    if len(set(targets)) != len(targets):
        raise InvalidArgument("RUN --mount: two mounts have the same target")
    return tuple(mounts), keys


def _target(m: Mount, env: Mapping[str, str], ctx: StepContext, workdir: str,
            ssh_count: int) -> str:
    if m.type == "secret":
        raw = m.secret_target() if not m.target else expand_word(m.target, env, ctx.escape)
    elif m.type == "ssh" and not m.target:
        raw = f"/run/buildkit/ssh_agent.{ssh_count}"
    else:
        raw = expand_word(m.target, env, ctx.escape)
    if not raw:
        return ""
    return posixpath.normpath(posixpath.join("/", workdir, raw))


def _resolve(m: Mount, target: str, env: Mapping[str, str], ctx: StepContext,
             ) -> tuple[RunMount, dict[str, Any]]:
    ident = expand_word(m.id, env, ctx.escape) if m.id else ""
    mode = m.mode if m.mode is not None else _DEFAULT_MODES.get(m.type)
    base = {"type": m.type, "target": target, "readonly": m.readonly}
    if m.type == "tmpfs":
        return RunMount("tmpfs", target, False, size=m.size), {**base, "size": m.size}
    if m.type == "secret":
        sid = ident or expand_word(m.source, env, ctx.escape) or posixpath.basename(target)
        mount = RunMount("secret", target, True, id=sid, mode=mode, uid=m.uid or 0,
                         gid=m.gid or 0, required=m.required, env=m.env)
        return mount, {**base, "id": sid, "env": m.env, "mode": mode}
    if m.type == "ssh":
        mount = RunMount("ssh", target, True, id=ident or "default", mode=mode,
                         uid=m.uid or 0, gid=m.gid or 0, required=m.required)
        return mount, {**base, "id": mount.id}
    source = expand_word(m.source, env, ctx.escape) if m.source else ""
    src_dir, chain, digest, only = _source(m, source, ctx) if (m.from_ or m.type == "bind") \
        else ("", None, "", None)
    has_source = m.type == "bind" or bool(m.from_)
    if m.type == "bind":
        mount = RunMount("bind", target, m.readonly, source=source, source_dir=src_dir,
                         source_chain=chain, has_source=True, only=only)
        return mount, {**base, "source": digest}
    mount = RunMount("cache", target, m.readonly, source=source, source_dir=src_dir,
                     source_chain=chain, has_source=has_source, only=only,
                     id=ident or target,
                     sharing=m.sharing or "shared", mode=mode, uid=m.uid or 0, gid=m.gid or 0)
    return mount, {**base, "id": mount.id, "sharing": mount.sharing, "mode": mode,
                   "uid": mount.uid, "gid": mount.gid, "from": digest}


def _source(m: Mount, source: str, ctx: StepContext,
            ) -> tuple[str, Any, str, tuple[str, ...] | None]:
    """(host folder, chain, key digest, visible entries) of a bind's or cache's ``from``."""
    if not m.from_:
        root = ctx.context
        if root is None:
            raise InvalidArgument("RUN --mount=type=bind needs a build context, but none "
                                  "was given")
        real = root.relpath(root.resolve(source.lstrip("/") or "."))
        top = os.path.join(root.root, real)
        if not os.path.lexists(top) or root.excluded(real):
            raise NotFound(f'RUN --mount: "/{source.strip("/")}": not found')
        return root.root, None, "context:" + root.checksum(real), _visible(root, real, top)
    is_stage, chain = ctx.stage_chain(m.from_)
    if not is_stage:
        image = ctx.engine.get_image(m.from_)
        chain = chain_id(image.diff_ids) if image.diff_ids else None
    return "", chain, f"layers:{chain}:{source}", None


def _visible(root: SourceRoot, real: str, top: str) -> tuple[str, ...] | None:
    """The entries of a context folder .dockerignore leaves, when it hides any."""
    if root.ignore is None or not os.path.isdir(top):
        return None
    entries = root.walk(real)
    total = sum(len(dirs) + len(files) for _, dirs, files in os.walk(top))
    return None if len(entries) == total else tuple(e.rel for e in entries)


def run_network(c: ins.Run, ctx: StepContext) -> str:
    """The step's network: ``default`` is the build's; ``host`` needs ``network.host``."""
    network = c.network or "default"
    if network not in ("default", "none", "host"):
        raise InvalidArgument(f"unsupported network mode {network!r} (want default, none "
                              "or host)")
    if network == "host" and "network.host" not in ctx.allow:
        raise Forbidden("RUN --network=host: network.host is not allowed (build with "
                        "--allow network.host)")
    return ctx.network if network == "default" else network


def run_privileged(c: ins.Run, ctx: StepContext) -> bool:
    """``--security=insecure`` (needs ``security.insecure``) runs the step privileged."""
    if c.security in (None, "sandbox"):
        return False
    if c.security != "insecure":
        raise InvalidArgument(f"unsupported security mode {c.security!r} (want sandbox or "
                              "insecure)")
    if "security.insecure" not in ctx.allow:
        raise Forbidden("RUN --security=insecure: security.insecure is not allowed (build "
                        "with --allow security.insecure)")
    return True


__all__ = ["resolve_mounts", "run_network", "run_privileged"]
