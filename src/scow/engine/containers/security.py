"""owns: the isolation a container asks for, as HostConfig keeps it: ``Privileged``,
``CapAdd``/``CapDrop`` (normalized to ``CAP_`` names at create) and ``SecurityOpt``
(``seccomp=unconfined|builtin|<profile JSON>``, a profile path read at create as docker's CLI
does; ``no-new-privileges[=bool]``): checked at create, and read back for a run or an exec."""

from __future__ import annotations

from scow.errors import InvalidArgument

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any


def security_opts(opts: list[str], caps: list[str]) -> list[str]:
    """docker's `--security-opt` values checked, a seccomp profile path replaced by the
    profile's compact JSON (so a later change of the file does not change the container)."""
    from scow.runtime.seccomp import BUILTIN, UNCONFINED, read_profile, seccomp_section

    out = []
    for opt in opts:
        key, sep, value = opt.partition("=")
        if not sep and key != "no-new-privileges":
            key, sep, value = opt.partition(":")
        if key == "no-new-privileges":
            no_new_privileges(f"{key}{sep and '='}{value}")
        elif key == "seccomp" and value not in ("", BUILTIN, UNCONFINED):
            value = value if value.lstrip().startswith("{") else read_profile(value)
            seccomp_section(value, caps)  # a profile that cannot be used fails here
        elif key not in ("seccomp", "apparmor", "label") or not value:
            raise InvalidArgument(f"create container: invalid --security-opt: {opt!r}")
        out.append(f"{key}={value}" if sep else key)
    return out


def no_new_privileges(opt: str) -> bool:
    """The value of a `no-new-privileges[=bool]` security option."""
    _, sep, value = opt.partition("=")
    flags = {"1": True, "t": True, "true": True, "0": False, "f": False, "false": False}
    if sep and value.lower() not in flags:
        raise InvalidArgument(f"create container: invalid --security-opt: {opt!r}")
    return flags[value.lower()] if sep else True


def isolation(host: dict[str, Any], setting: str) -> tuple[bool, bool, str]:
    """(privileged, no-new-privileges, seccomp profile) of a container whose HostConfig is
    `host`; `setting` is scow.toml's ``seccomp-profile`` (a path, ``unconfined`` or empty),
    used when the container names no profile and read now (nothing cached)."""
    from scow.runtime.seccomp import BUILTIN, UNCONFINED, read_profile

    privileged, nnp, seccomp = bool(host.get("Privileged")), False, None
    for opt in host.get("SecurityOpt") or []:
        key, _, value = opt.partition("=")
        if key == "no-new-privileges":
            nnp = no_new_privileges(opt)
        elif key == "seccomp":
            seccomp = "" if value == BUILTIN else value
    if seccomp is None:  # privileged: no filter, the setting's file need not be there
        seccomp = "" if privileged else \
            setting if setting in ("", UNCONFINED) else read_profile(setting)
    return privileged, nnp, seccomp
