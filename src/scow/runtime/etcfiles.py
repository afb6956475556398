"""owns: a container folder's hostname, hosts and resolv.conf as `create` first writes them
(bind-mounted on /etc/hostname, /etc/hosts and /etc/resolv.conf; runtime/spec.py has the
folder's layout). Apart from runtime/spec.py so `create` loads no spec machinery.
"""

from __future__ import annotations

import os

from scow.osutil.atomic import write_new


def write_etc_files(container_dir: str, hostname: str) -> None:
    """Write hostname, hosts and resolv.conf into the container folder unless they exist
    with content. Not fsynced: create writes them, and every start writes again what a power
    loss took (a missing or empty file; none of the three is ever empty)."""
    hosts = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
             f"127.0.1.1\t{hostname}\n" if hostname else "127.0.0.1\tlocalhost\n")
    files = {"hostname": f"{hostname}\n", "hosts": hosts, "resolv.conf": host_resolv_conf()}
    for name, text in files.items():
        path = os.path.join(container_dir, name)
        try:
            if os.stat(path).st_size > 0:
                continue
            os.unlink(path)
        except FileNotFoundError:
            pass
        write_new(path, text.encode(), durable=False)


def host_resolv_conf() -> str:
    """The host's resolv.conf without loopback nameservers (docker's rule for none/bridge)."""
    try:
        with open("/etc/resolv.conf", encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return ""
    keep = [ln for ln in lines if not (ln.startswith("nameserver") and
                                       (" 127." in ln or " ::1" in ln))]
    return "\n".join(keep) + "\n"
