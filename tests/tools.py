"""owns: the one approved way for a test to skip, and the probes behind it.

A test may skip only because something outside scow is missing here: an external tool, a
kernel feature, or the privilege to use them. Every skip goes through the helpers below, whose
reasons start with one of `SKIP_PREFIXES`; tests/conftest.py turns any other skip into a
failed run. No probe runs scow: a broken scow must fail its tests, never skip them. runc is
probed with a bundle written here (a busybox-static rootfs folder and a hand-written
config.json), so a regression in scow's OCI spec, monitor or mounts cannot hide as a skip;
overlayfs with mount(8) on the filesystem the tests use, so scow's own overlay2 probe failing
where the kernel mounts an overlay fails the tests instead of skipping them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import NoReturn

import pytest

SKIP_PREFIXES = ("missing tool: ", "missing kernel feature: ", "missing privilege: ",
                 "missing mirror: ")
BUSYBOX = "/usr/bin/busybox"


def skip_missing_tool(what: str) -> NoReturn:
    pytest.skip(f"missing tool: {what}")


def skip_missing_kernel_feature(what: str) -> NoReturn:
    pytest.skip(f"missing kernel feature: {what}")


def skip_missing_mirror(what: str) -> NoReturn:
    """No package mirror reachable from here (mmdebstrap's Debian base, pip in RUN steps)."""
    pytest.skip(f"missing mirror: {what}")


def require_mirror(uri: str, path: str = "") -> None:
    """Skip unless `uri` + `path` answers an HTTP GET (a Debian mirror's Release file)."""
    import urllib.error
    import urllib.request

    url = uri.rstrip("/") + "/" + path.lstrip("/")
    try:
        with urllib.request.urlopen(url, timeout=20) as resp:
            resp.read(1)
    except (urllib.error.URLError, OSError) as exc:
        skip_missing_mirror(f"{url} ({getattr(exc, 'reason', exc)})")


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("missing privilege: root")


def require_tool(name: str, *, package: str | None = None, also: tuple[str, ...] = ()) -> str:
    """The path of the executable `name` (looked up on PATH, then in `also`), or a skip."""
    found = shutil.which(name) or next((p for p in also if os.access(p, os.X_OK)), None)
    if found is None:
        skip_missing_tool(f"{name} ({package})" if package else name)
    return found


_runc: dict[str, str | None] = {}


def require_runc() -> str:
    """The path of a runc that can run a minimal bundle here (as root), or a skip."""
    require_root()
    runc = require_tool("runc", also=("/usr/sbin/runc",))
    require_tool("busybox", package="busybox-static")
    if runc not in _runc:
        _runc[runc] = _probe_runc(runc)
    failure = _runc[runc]
    if failure is not None:
        skip_missing_tool(f"a runc that can run a minimal bundle here ({failure})")
    return runc


def _probe_runc(runc: str) -> str | None:
    """None if `runc run` of a busybox `true` bundle exits 0, else why not (last lines)."""
    with tempfile.TemporaryDirectory(prefix="runc-probe-") as tmp:
        rootfs = Path(tmp, "bundle", "rootfs")
        (rootfs / "bin").mkdir(parents=True)
        (rootfs / "proc").mkdir()
        shutil.copy2(BUSYBOX, rootfs / "bin" / "busybox")
        Path(tmp, "bundle", "config.json").write_text(json.dumps(_minimal_config()))
        cid = f"scow-test-probe-{uuid.uuid4().hex[:12]}"
        state = os.path.join(tmp, "state")
        try:
            proc = subprocess.run([runc, "--root", state, "run", "--bundle",
                                   os.path.join(tmp, "bundle"), cid],
                                  capture_output=True, text=True, timeout=60,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
        finally:
            subprocess.run([runc, "--root", state, "delete", "-f", cid], capture_output=True,
                           check=False, timeout=60)
    if proc.returncode == 0:
        return None
    return f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"


def _minimal_config() -> dict[str, object]:
    return {
        "ociVersion": "1.0.2",
        "process": {"user": {"uid": 0, "gid": 0}, "args": ["/bin/busybox", "true"],
                    "cwd": "/", "env": ["PATH=/bin"], "noNewPrivileges": True},
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "probe",
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
        "linux": {"namespaces": [{"type": t} for t in ("pid", "mount", "ipc", "uts",
                                                        "network")]},
    }


_overlay: dict[int, str | None] = {}


def require_overlay(base: str | None = None) -> None:
    """Skip unless the kernel mounts an overlay (two lowers, upper, work) on the filesystem of
    `base` (default: the temp folder), tried once per filesystem with mount(8)."""
    require_root()
    require_tool("mount", package="util-linux")
    base = base or tempfile.gettempdir()
    dev = os.stat(base).st_dev
    if dev not in _overlay:
        _overlay[dev] = _probe_overlay(base)
    failure = _overlay[dev]
    if failure is not None:
        skip_missing_kernel_feature(f"overlayfs on {base}'s filesystem ({failure})")


def _probe_overlay(base: str) -> str | None:
    with tempfile.TemporaryDirectory(prefix=".overlay-probe-", dir=base) as tmp:
        for name in ("l1", "l2", "upper", "work", "merged"):
            os.mkdir(os.path.join(tmp, name))
        merged = os.path.join(tmp, "merged")
        opts = f"lowerdir={tmp}/l2:{tmp}/l1,upperdir={tmp}/upper,workdir={tmp}/work"
        proc = subprocess.run(["mount", "-t", "overlay", "overlay", "-o", opts, merged],
                              capture_output=True, text=True, check=False, timeout=60)
        try:
            if proc.returncode != 0:
                return proc.stderr.strip()[-300:] or f"mount exited {proc.returncode}"
            Path(merged, "f").write_text("x")
            return None
        finally:
            if os.path.ismount(merged):
                subprocess.run(["umount", "-l", merged], check=False, timeout=60)


def check_exec_nofile_soft(seen: int, soft: int, hard: int) -> None:
    """Assert an exec'd process's RLIMIT_NOFILE soft limit is `soft`. runc before 1.1.13
    sets an exec's rlimits with prlimit(2) from outside while its Go runtime's init raises
    the soft NOFILE limit to the hard one, a race the runtime can lose
    (opencontainers/runc#4195, fixed by #4265): `hard` seen from such a runc is an xfail
    that names it, anything else but `soft` a failure."""
    if seen == soft:
        return
    out = subprocess.run([require_runc(), "--version"], capture_output=True, text=True,
                         timeout=60).stdout
    version = tuple(int(p) for p in out.split()[2].split("+")[0].split("-")[0].split("."))
    if seen == hard and version < (1, 1, 13):
        pytest.xfail(f"runc {'.'.join(map(str, version))} limit: an exec's nofile soft limit "
                     f"raced to the hard one by Go's init (opencontainers/runc#4195)")
    assert seen == soft
