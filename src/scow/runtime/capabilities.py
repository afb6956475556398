"""owns: a container's capability set, by docker's rules (moby's oci/caps): the 14 default
capabilities, `--cap-add`/`--cap-drop` with or without ``CAP_`` and the ``ALL`` word, and
`--privileged` (every capability this kernel knows that scow itself holds in its bounding set:
a capability outside it could not be granted, runc would fail)."""

from __future__ import annotations

from collections.abc import Iterable

from scow.errors import InvalidArgument

DEFAULT_CAPS = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
)
# linux/capability.h, by number
CAP_NAMES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
    "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
    "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)
ALL = "ALL"


def known_caps() -> tuple[str, ...]:
    """The capabilities this kernel knows (by /proc/sys/kernel/cap_last_cap)."""
    try:
        with open("/proc/sys/kernel/cap_last_cap", "rb") as f:  # bytes: no codec loaded
            last = int(f.read().strip())
    except (OSError, ValueError):
        last = CAP_NAMES.index("CAP_AUDIT_READ")
    return CAP_NAMES[:last + 1]


def all_caps() -> list[str]:
    """What `--privileged` and `--cap-add ALL` grant: the known caps in our bounding set."""
    bounding = _own_bounding()
    return [c for i, c in enumerate(known_caps()) if bounding >> i & 1]


def normalize(caps: Iterable[str], what: str = "capability") -> list[str]:
    """Upper-case, ``CAP_``-prefixed names (``ALL`` kept); an unknown name is refused."""
    out: list[str] = []
    valid: tuple[str, ...] = ()
    for cap in caps:
        cap = cap.strip().upper()
        if cap != ALL:
            cap = cap if cap.startswith("CAP_") else f"CAP_{cap}"
            valid = valid or known_caps()  # read once a name is given (none: no read)
            if cap not in valid:
                raise InvalidArgument(f"create container: invalid {what}: "
                                      f"unknown capability: {cap!r}")
        out.append(cap)
    return out


def container_caps(add: Iterable[str], drop: Iterable[str], *, privileged: bool = False
                   ) -> list[str]:
    """moby's TweakCapabilities: privileged gets all; ``--cap-add ALL`` is all but the dropped;
    ``--cap-drop ALL`` is only the added; otherwise the defaults minus drops plus adds."""
    if privileged:
        return all_caps()
    adds, drops = normalize(add), normalize(drop)
    if ALL in adds:
        return [c for c in all_caps() if c not in drops]
    if ALL in drops:
        return list(dict.fromkeys(adds))
    caps = [c for c in DEFAULT_CAPS if c not in drops]
    return caps + [c for c in dict.fromkeys(adds) if c not in caps]


def _own_bounding() -> int:
    try:
        with open("/proc/self/status", "rb") as f:  # bytes: no codec loaded
            for line in f:
                if line.startswith(b"CapBnd:"):
                    return int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return (1 << len(CAP_NAMES)) - 1
