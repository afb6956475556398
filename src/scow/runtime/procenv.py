"""owns: docker's environment of a container's process, its init's (runtime/spec.py) and an
exec's (runtime/exec.py): PATH when the image sets none, HOSTNAME, TERM=xterm with a tty, HOME
from the user's passwd entry. Apart from spec.py so that `exec` loads none of the spec's
machinery (capabilities, seccomp, rlimits)."""

from __future__ import annotations

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def process_env(env: tuple[str, ...] | list[str], *, hostname: str, tty: bool,
                home: str) -> list[str]:
    """docker's process env: PATH when missing, HOSTNAME, TERM=xterm for a tty, HOME."""
    names = {e.partition("=")[0] for e in env}
    out = [] if "PATH" in names else [DEFAULT_PATH]
    if hostname:
        out.append(f"HOSTNAME={hostname}")
    if tty and "TERM" not in names:
        out.append("TERM=xterm")
    out += [e for e in env if e.partition("=")[0] != "HOSTNAME" or not hostname]
    if "HOME" not in names:
        out.append(f"HOME={home}")
    return out
