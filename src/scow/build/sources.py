"""owns: the grammar of ``docker build``'s (buildx's) ``--secret``, ``--ssh`` and ``--allow``
values, into the `Secret` / `SshSource` records of `BuildOptions`.

    --secret id=npmrc,src=$HOME/.npmrc     a file, read when a RUN step mounts it
    --secret id=token,env=GITHUB_TOKEN     a variable of the builder's environment
    --secret id=TOKEN                      the variable TOKEN (when set)
    --ssh default | --ssh id=/path/agent.sock   an ssh-agent socket ($SSH_AUTH_SOCK for none)
    --allow network.host | security.insecure
"""

from __future__ import annotations

import csv
import os
import stat

from scow.build.ports import Secret, SshSource
from scow.errors import InvalidArgument, Unsupported

ENTITLEMENTS = ("network.host", "security.insecure")


def parse_secret(value: str) -> Secret:
    """One ``--secret`` value (BuildKit's CSV: ``type``, ``id``, ``src``/``source``, ``env``)."""
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
    """One ``--ssh`` value: ``default``, ``id``, or ``id=path`` to an agent socket."""
    sid, _, paths = value.partition("=")
    if not sid:
        raise InvalidArgument(f"invalid ssh {value!r}: an id is required")
    if "," in paths:
        raise Unsupported(f"ssh {sid}: key files are not supported, give an agent socket")
    path = os.path.abspath(os.path.expanduser(paths)) if paths else ""
    check = path or os.environ.get("SSH_AUTH_SOCK", "")
    if not check:
        raise InvalidArgument(f"ssh {sid}: SSH_AUTH_SOCK is not set (give id=/path/to/socket)")
    try:
        is_socket = stat.S_ISSOCK(os.stat(check).st_mode)
    except OSError as exc:
        raise InvalidArgument(f"ssh {sid}: {check}: {exc.strerror}") from None
    if not is_socket:
        raise Unsupported(f"ssh {sid}: {check}: key files are not supported, give an agent "
                          "socket")
    return SshSource(sid, path)


def parse_allow(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if value not in ENTITLEMENTS:
            raise InvalidArgument(f"invalid entitlement {value!r} (want network.host or "
                                  "security.insecure)")
    return tuple(values)
