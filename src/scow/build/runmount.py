"""owns: the grammar of ``RUN --mount=...`` as BuildKit's ``commands_runmount.go`` parses it:
CSV fields ``key=value`` (or a bare ``ro``/``rw``/``required``), the keys, their defaults and
the error texts.

Types and what they take (defaults in brackets)::

    bind    target, source [/ of from], from [the context], ro|rw [ro]
    cache   target, id [target], sharing=shared|private|locked [shared], from, source,
            mode [0755], uid, gid [0], ro|rw [rw]
    tmpfs   target, size [unlimited]
    secret  id (or source), target [/run/secrets/<id>], env, required [false],
            mode [0400], uid, gid [0]
    ssh     id [default], target [/run/buildkit/ssh_agent.N], required [false], mode [0600],
            uid, gid [0]
"""

from __future__ import annotations

import posixpath
import re

from scow.build.flags import FlagError

TYPE_CHECKING = False  # mypy honours the name; dataclasses costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass
else:
    from scow.typeshim import dataclass

MOUNT_TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")
SHARING_MODES = ("shared", "private", "locked")
_BOOLS = {"1": True, "t": True, "true": True, "TRUE": True, "True": True, "T": True,
          "0": False, "f": False, "false": False, "FALSE": False, "False": False, "F": False}
_RAM = r"^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$"  # compiled on first use (tmpfs size=)
_KEYS = ("type", "from", "source", "target", "readonly", "id", "sharing", "required", "mode",
         "uid", "gid", "src", "dst", "ro", "rw", "readwrite", "size", "env")


@dataclass(frozen=True)
class Mount:
    """One parsed ``RUN --mount``, with BuildKit's defaults applied."""

    type: str = "bind"
    target: str = ""
    source: str = ""
    from_: str = ""
    readonly: bool = True
    required: bool = False
    id: str = ""
    sharing: str = ""
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    size: int = 0  # tmpfs bytes, 0 = no limit
    env: str = ""  # secret: also (or only) expose it as this variable

    @property
    def secret_id(self) -> str:
        """The secret's ID: ``id``, else ``source``, else the target's basename."""
        return self.id or self.source or posixpath.basename(self.target)

    def secret_target(self) -> str:
        """Where a secret file goes; "" for an env-only secret."""
        if self.target:
            return self.target
        if self.env:
            return ""
        return "/run/secrets/" + self.secret_id


def parse_mount(value: str) -> Mount:
    """``type=cache,target=/root/.cache,id=x`` → Mount (FlagError with BuildKit's text)."""
    import csv  # a RUN --mount's parse only: a parse from the store (parsecache.py) has none

    try:
        fields = next(csv.reader([value]), [])
    except csv.Error as exc:
        raise FlagError(f"failed to parse csv mounts: {exc}") from None
    opts: dict[str, object] = {}
    ro_auto = True
    kind = "bind"
    for field in fields:
        key, eq, val = field.partition("=")
        key = key.lower()
        if not eq:
            ro_auto &= _bare(key, field, kind, opts)
            continue
        if key == "type":
            kind = val.lower()
            if kind not in MOUNT_TYPES:
                raise FlagError(f"unsupported mount type {val!r}")
            continue
        ro_auto &= _keyed(key, val, field, kind, opts)
    opts["type"] = kind
    if ro_auto:
        opts["readonly"] = kind not in ("cache", "tmpfs")
    mount = Mount(**opts)  # type: ignore[arg-type]
    _validate(mount)
    return mount


def _bare(key: str, field: str, kind: str, opts: dict[str, object]) -> bool:
    """A field without ``=``; False when it sets read-only-ness explicitly."""
    if key in ("readonly", "ro", "readwrite", "rw"):
        opts["readonly"] = key in ("readonly", "ro")
        return False
    if key == "required":
        if kind not in ("secret", "ssh"):
            raise FlagError(f"unexpected key 'required' for mount type '{kind}'")
        opts["required"] = True
        return True
    raise FlagError(f"invalid field '{field}' must be a key=value pair")


def _bool(key: str, val: str) -> bool:
    if val not in _BOOLS:
        raise FlagError(f"invalid value for {key}: {val}")
    return _BOOLS[val]


def _keyed(key: str, val: str, field: str, kind: str, opts: dict[str, object]) -> bool:
    """A ``key=value`` field; False when it sets read-only-ness explicitly."""
    if key == "from" and re.search(r"\$.", val):
        raise FlagError("'from' doesn't support variable expansion, define alias stage instead")
    simple = {"from": "from_", "source": "source", "src": "source", "target": "target",
              "dst": "target", "destination": "target", "id": "id"}
    if key in simple:
        opts[simple[key]] = val
    elif key in ("readonly", "ro"):
        opts["readonly"] = _bool(key, val)
        return False
    elif key in ("readwrite", "rw"):
        opts["readonly"] = not _bool(key, val)
        return False
    elif key in ("required", "size", "env"):
        _typed(key, val, kind, opts)
    elif key == "sharing":
        if val.lower() not in SHARING_MODES:
            raise FlagError(f"unsupported sharing value {val!r}")
        opts["sharing"] = val.lower()
    elif key in ("mode", "uid", "gid"):
        try:
            number = int(val, 8 if key == "mode" else 10)
        except ValueError:
            raise FlagError(f"invalid value {val} for {key}") from None
        if not 0 <= number < 1 << 32:
            raise FlagError(f"invalid value {val} for {key}")
        opts[key] = number
    else:
        raise FlagError(f"unexpected key '{key}' in '{field}'")
    return True


def _typed(key: str, val: str, kind: str, opts: dict[str, object]) -> None:
    """``required`` (secret, ssh), ``size`` (tmpfs), ``env`` (secret)."""
    allowed = {"required": ("secret", "ssh"), "size": ("tmpfs",), "env": ("secret",)}[key]
    if kind not in allowed:
        raise FlagError(f"unexpected key '{key}' for mount type '{kind}'")
    if key == "required":
        opts["required"] = _bool(key, val)
    elif key == "size":
        opts["size"] = ram_in_bytes(val)
    else:
        opts["env"] = val


def ram_in_bytes(text: str) -> int:
    """go-units RAMInBytes: ``64m``, ``1g``, ``512kb``, ``1024`` (binary multiples)."""
    m = re.match(_RAM, text.strip(), re.IGNORECASE)
    if m is None:
        raise FlagError(f"invalid value for size: {text}")
    power = "kmgtp".find(m.group(2).lower()) + 1 if m.group(2) else 0
    return int(float(m.group(1)) * (1024 ** power))


def _validate(m: Mount) -> None:
    if m.type not in ("secret", "ssh", "cache"):
        for key in ("mode", "uid", "gid"):
            if getattr(m, key) is not None:
                raise FlagError(f"{key} not allowed for {m.type!r} type mounts")
    if m.type == "secret":
        if m.from_:
            raise FlagError("secret mount should not have a from")
        if m.sharing:
            raise FlagError("secret mount should not define sharing")
        if not (m.source or m.target or m.id or m.env):
            raise FlagError("invalid secret mount. one of source, target required")
        if m.source and m.id:
            raise FlagError("both source and id can't be set")
    if m.sharing and m.type != "cache":
        raise FlagError(f"invalid cache sharing set for {m.type} mount")
    if m.type in ("bind", "cache", "tmpfs") and not m.target:
        raise FlagError(f"mount type {m.type!r}: target is required")
