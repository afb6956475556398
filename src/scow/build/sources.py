"""owns: the grammar of ``docker build``'s (buildx's) ``--secret``, ``--ssh`` and ``--allow``
values, into the `Secret` / `SshSource` records of `BuildOptions`.

    --secret id=npmrc,src=$HOME/.npmrc     a file, read when a RUN step mounts it
    --secret id=token,env=GITHUB_TOKEN     a variable of the builder's environment
    --secret id=TOKEN                      the variable TOKEN (when set)
    --ssh default | --ssh id=/path/agent.sock   an ssh-agent socket ($SSH_AUTH_SOCK for none)
    --ssh id=~/.ssh/id_ed25519[,KEY...]         key files, loaded into a private agent by the
                                                engine (engine/builds/ssh_agent.py)
    --allow network.host | security.insecure
"""

from __future__ import annotations

import os
import stat

from scow.build.ports import Secret, SshSource
from scow.errors import InvalidArgument

ENTITLEMENTS = ("network.host", "security.insecure")


def parse_secret(value: str) -> Secret:
    """One ``--secret`` value (BuildKit's CSV: ``type``, ``id``, ``src``/``source``, ``env``)."""
    import csv  # a build with --secret only

    fields: dict[str, str] = {}
    for field in next(csv.reader([value]), []):
        key, eq, val = field.partition("=")
        key = key.strip().lower()
        if not eq or key not in ("type", "id", "src", "source", "env", "required"):
            raise InvalidArgument(f"invalid secret {value!r}: unexpected field {field!r}")
        fields["src" if key == "source" else key] = val
    sid, kind = fields.get("id", ""), fields.get("type", "")
    if not sid:
        raise InvalidArgument(f"invalid secret {value!r}: id is required")
    if kind not in ("", "file", "env"):
        raise InvalidArgument(f"invalid secret {value!r}: unsupported type {kind!r}")
    src, env = fields.get("src", ""), fields.get("env", "")
    if kind == "env" and not env:
        env, src = src or sid, ""
    if not src and not env:
        if sid not in os.environ:
            raise InvalidArgument(f"invalid secret {value!r}: give src= (a file) or env= "
                                  "(a variable)")
        env = sid
    if src and not env:
        src = os.path.abspath(os.path.expanduser(src))
        if not os.path.isfile(src):
            raise InvalidArgument(f"secret {sid}: {src}: not a file")
    return Secret(sid, "" if env else src, env)


def parse_ssh(value: str) -> SshSource:
    """One ``--ssh`` value: ``default``, ``id``, ``id=path`` to an agent socket, or
    ``id=key[,key...]``: private key files (BuildKit loads them into an agent of its own)."""
    sid, _, paths = value.partition("=")
    if not sid:
        raise InvalidArgument(f"invalid ssh {value!r}: an id is required")
    found = [os.path.abspath(os.path.expanduser(p)) for p in paths.split(",") if p]
    if "," in paths and len(found) != paths.count(",") + 1:
        raise InvalidArgument(f"invalid ssh {value!r}: an empty path")
    if not found:
        sock = os.environ.get("SSH_AUTH_SOCK", "")
        if not sock:
            raise InvalidArgument(f"ssh {sid}: SSH_AUTH_SOCK is not set (give "
                                  "id=/path/to/socket or id=/path/to/key)")
        if not stat.S_ISSOCK(_mode(sid, sock)):
            raise InvalidArgument(f"ssh {sid}: SSH_AUTH_SOCK {sock}: not a socket")
        return SshSource(sid, "")
    modes = [_mode(sid, p) for p in found]
    if len(found) == 1 and stat.S_ISSOCK(modes[0]):
        return SshSource(sid, found[0])
    for path, mode in zip(found, modes, strict=True):
        if not stat.S_ISREG(mode):
            raise InvalidArgument(f"ssh {sid}: {path}: not a key file or an agent socket")
    return SshSource(sid, "", keys=tuple(found))


def _mode(sid: str, path: str) -> int:
    try:
        return os.stat(path).st_mode
    except OSError as exc:
        raise InvalidArgument(f"ssh {sid}: {path}: {exc.strerror}") from None


def parse_allow(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if value not in ENTITLEMENTS:
            raise InvalidArgument(f"invalid entitlement {value!r} (want network.host or "
                                  "security.insecure)")
    return tuple(values)
