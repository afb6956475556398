"""owns: the seccomp section of a container's OCI spec, made from a docker *template* profile.

A docker profile (docker's own default is read from Debian's golang-github-docker-docker-dev,
``DEFAULT_PROFILE``) is not an OCI section: its rules carry ``includes``/``excludes`` conditions
on capabilities, architectures and the kernel version, and an ``archMap``. This module turns it
into ``linux.seccomp`` for one container exactly as moby's profiles/seccomp/seccomp_linux.go
(setupSeccomp) does: a rule is kept when none of its ``excludes`` holds (an excluded arch is the
host's, any excluded cap is in the bounding set, the kernel is at least ``minKernel``) and all
of its ``includes`` hold (the host's arch is listed, every listed cap is in the bounding set, the
kernel is at least ``minKernel``); ``archMap`` gives the host's architecture and its
sub-architectures. Nothing is cached: the file is read and translated on each call (about a
millisecond), so an upgraded profile or a changed setting is seen by the next container.
"""

from __future__ import annotations

import os
from collections.abc import Collection

from scow.errors import InvalidArgument, Unavailable
from scow.fastjson import dumps, loads

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

DEFAULT_PROFILE = ("/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/"
                   "default.json")
UNCONFINED = "unconfined"
BUILTIN = "builtin"  # docker's name for its default profile (`--security-opt seccomp=builtin`)

# uname -m => libseccomp's native name (moby's goToNative, keyed by the kernel's machine name)
_NATIVE = {
    "i386": "x86", "i486": "x86", "i586": "x86", "i686": "x86", "x86_64": "amd64",
    "armv6l": "arm", "armv7l": "arm", "armv8l": "arm", "aarch64": "arm64", "arm64": "arm64",
    "mips64": "mips64", "ppc": "ppc", "ppc64": "ppc64",
    "ppc64le": "ppc64le", "s390": "s390", "s390x": "s390x",
}
# libseccomp's native name => the SCMP_ARCH_* constant (moby's nativeToSeccomp)
_SCMP = {
    "x86": "SCMP_ARCH_X86", "amd64": "SCMP_ARCH_X86_64", "arm": "SCMP_ARCH_ARM",
    "arm64": "SCMP_ARCH_AARCH64", "mips64": "SCMP_ARCH_MIPS64",
    "mips64n32": "SCMP_ARCH_MIPS64N32", "mipsel64": "SCMP_ARCH_MIPSEL64",
    "mips3l64n32": "SCMP_ARCH_MIPSEL64N32", "mipsle": "SCMP_ARCH_MIPSEL", "ppc": "SCMP_ARCH_PPC",
    "ppc64": "SCMP_ARCH_PPC64", "ppc64le": "SCMP_ARCH_PPC64LE", "s390": "SCMP_ARCH_S390",
    "s390x": "SCMP_ARCH_S390X",
}
def _kernel_pair(text: str, *, whole: bool) -> tuple[int, int] | None:
    """`<kernel>.<major>` at the start of `text` (all of it with `whole`), as ints."""
    kernel, dot, rest = text.partition(".")
    major = rest if whole else rest[:len(rest) - len(rest.lstrip("0123456789"))]
    if not dot or not all(p and p.isascii() and p.isdigit() for p in (kernel, major)):
        return None
    return int(kernel), int(major)
_MAX_BYTES = 4 << 20


def host_arch() -> str:
    """The host's architecture in libseccomp's native naming (amd64, arm64, ...)."""
    machine = os.uname().machine
    return _NATIVE.get(machine, machine)


def kernel_version(release: str | None = None) -> tuple[int, int]:
    """(kernel, major) of `release` (default: this kernel); "6.1.0-18-amd64" -> (6, 1)."""
    release = os.uname().release if release is None else release
    pair = _kernel_pair(release, whole=False)
    if pair is None:
        raise InvalidArgument(f"parse kernel version {release!r}: expected <kernel>.<major>")
    return pair


def read_profile(path: str) -> str:
    """The profile at `path` as compact JSON text (what docker's CLI sends in SecurityOpt)."""
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_BYTES + 1)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise InvalidArgument(f"open seccomp profile {path}: {reason}") from None
    if len(data) > _MAX_BYTES:
        raise InvalidArgument(f"open seccomp profile {path}: larger than 4 MiB")
    doc = _decode(data, path)
    return dumps(doc, separators=(",", ":"))


def default_profile() -> str:
    """docker's default profile as Debian ships it (read anew on every call)."""
    try:
        return read_profile(DEFAULT_PROFILE)
    except InvalidArgument as exc:
        raise Unavailable(f"{exc}: install golang-github-docker-docker-dev, or set "
                          "seccomp-profile = \"unconfined\" in scow.toml") from None


def seccomp_section(profile: str, bounding: Collection[str], *, arch: str | None = None,
                    kernel: tuple[int, int] | None = None) -> dict[str, Any] | None:
    """The OCI ``linux.seccomp`` for `profile` (JSON text, BUILTIN or UNCONFINED) in a container
    whose bounding capabilities are `bounding`; None means no filter (runc runs unconfined)."""
    if profile == UNCONFINED:
        return None
    text = default_profile() if profile in ("", BUILTIN) else profile
    return translate(_decode(text.encode(), "seccomp profile"), bounding,
                     arch=host_arch() if arch is None else arch,
                     kernel=kernel_version() if kernel is None else kernel)


def translate(doc: dict[str, Any], bounding: Collection[str], *, arch: str,
              kernel: tuple[int, int]) -> dict[str, Any] | None:
    """moby's setupSeccomp: a docker profile document -> the OCI section (or None)."""
    if not doc.get("defaultAction") and not doc.get("syscalls"):
        return None  # no default action and no rules: seccomp disabled, as docker
    if doc.get("architectures") and doc.get("archMap"):
        raise InvalidArgument("load seccomp profile: 'architectures' and 'archMap' were both "
                              "specified, use either 'architectures' or 'archMap'")
    out: dict[str, Any] = {"defaultAction": _text(doc, "defaultAction", "")}
    for key in ("defaultErrnoRet", "listenerPath", "listenerMetadata", "flags"):
        if doc.get(key) not in (None, "", []):
            out[key] = doc[key]
    arches = _arches(doc, arch)
    if arches:
        out["architectures"] = arches
    syscalls = [_syscall(rule, i) for i, rule in enumerate(_list(doc, "syscalls"))
                if _applies(rule, i, bounding, arch, kernel)]
    if syscalls:
        out["syscalls"] = syscalls
    return out


def _arches(doc: dict[str, Any], arch: str) -> list[str]:
    arches = [str(a) for a in _list(doc, "architectures")]
    scmp = _SCMP.get(arch)
    for entry in _list(doc, "archMap"):
        if scmp is not None and isinstance(entry, dict) and entry.get("architecture") == scmp:
            arches += [scmp, *(str(a) for a in entry.get("subArchitectures") or [])]
            break
    return arches


def _applies(rule: Any, i: int, bounding: Collection[str], arch: str,
             kernel: tuple[int, int]) -> bool:
    if not isinstance(rule, dict):
        raise InvalidArgument(f"load seccomp profile: syscalls[{i}]: not an object")
    exc, inc = _filter(rule, "excludes", i), _filter(rule, "includes", i)
    if arch in exc["arches"] or any(c in bounding for c in exc["caps"]):
        return False
    if exc["minKernel"] is not None and kernel >= exc["minKernel"]:
        return False
    if inc["arches"] and arch not in inc["arches"]:
        return False
    if not all(c in bounding for c in inc["caps"]):
        return False
    return inc["minKernel"] is None or kernel >= inc["minKernel"]


def _filter(rule: dict[str, Any], key: str, i: int) -> dict[str, Any]:
    where = f"load seccomp profile: syscalls[{i}].{key}"
    raw = rule.get(key) or {}
    if not isinstance(raw, dict):
        raise InvalidArgument(f"{where}: not an object")
    out: dict[str, Any] = {"minKernel": None}
    for name in ("caps", "arches"):
        items = raw.get(name) or []
        if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
            raise InvalidArgument(f"{where}.{name}: not a list of strings")
        out[name] = items
    if raw.get("minKernel"):
        pair = _kernel_pair(str(raw["minKernel"]), whole=True)
        if pair is None:
            raise InvalidArgument(f"{where}.minKernel: invalid kernel version "
                                  f"{raw['minKernel']!r}, expected \"<kernel>.<major>\"")
        out["minKernel"] = pair
    return out


def _syscall(rule: dict[str, Any], i: int) -> dict[str, Any]:
    names = rule.get("names") or []
    if rule.get("name") and names:
        raise InvalidArgument(f"load seccomp profile: syscalls[{i}]: 'name' and 'names' were "
                              "both specified, use either 'name' or 'names'")
    if rule.get("name"):
        names = [rule["name"]]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidArgument(f"load seccomp profile: syscalls[{i}].names: "
                              "not a list of strings")
    out: dict[str, Any] = {"names": names, "action": _text(rule, "action", f"syscalls[{i}]")}
    if rule.get("errnoRet") is not None:
        out["errnoRet"] = rule["errnoRet"]
    args = rule.get("args") or []
    if not isinstance(args, list) or not all(isinstance(a, dict) for a in args):
        raise InvalidArgument(f"load seccomp profile: syscalls[{i}].args: not a list of objects")
    if args:
        out["args"] = [{k: a[k] for k in ("index", "value", "valueTwo", "op")
                        if k in a and (k != "valueTwo" or a[k])} for a in args]
    return out


def _text(doc: dict[str, Any], key: str, where: str) -> str:
    value = doc.get(key) or ""
    if not isinstance(value, str):
        raise InvalidArgument(f"load seccomp profile: {where + '.' if where else ''}{key}: "
                              "not a string")
    return value


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    value = doc.get(key) or []
    if not isinstance(value, list):
        raise InvalidArgument(f"load seccomp profile: {key}: not a list")
    return value


def _decode(data: bytes, what: str) -> dict[str, Any]:
    try:
        doc = loads(data)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else \
            str(exc).split(":")[0].lower()
        raise InvalidArgument(f"load {what}: {reason}") from None
    if not isinstance(doc, dict):
        raise InvalidArgument(f"load {what}: not a JSON object")
    return doc
