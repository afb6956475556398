"""owns: the Debian bookworm base image of the realistic-Dockerfile tests, made with mmdebstrap
from this machine's own apt configuration and cached as a rootfs tar in the checkout.

    <checkout>/.cache/bases/bookworm-<key>.tar    the rootfs tar (git-ignored)
    <checkout>/.cache/bases/.lock                 flocked while one test run makes it

The key hashes what goes into the image, so a changed configuration makes a new tar. The image
carries what apt and pip need inside RUN steps here: the apt sources (/etc/apt/sources.list.d,
their keyrings), the machine's extra CA certificates (/usr/local/share/ca-certificates, added
to the system bundle) and a /etc/pip.conf with the parts of this machine's pip configuration
that work in a container (its CA bundle, timeout; not its file:// indexes). Skipped, with a
``missing mirror:`` reason, only when the apt mirror does not answer.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.tools import require_mirror, require_root, require_tool

CACHE = Path(__file__).resolve().parents[4] / ".cache" / "bases"
PACKAGES = ("ca-certificates", "python3", "python3-venv", "python3-pip")
PIP_CONF = ("[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n"
            "default-timeout = {timeout}\ndisable-pip-version-check = true\n")


def _sources() -> list[str]:
    return sorted(p for p in glob.glob("/etc/apt/sources.list.d/*")
                  if p.endswith((".sources", ".list"))) + \
        [p for p in ("/etc/apt/sources.list",) if os.path.isfile(p)]


def _keyrings(sources: list[str]) -> list[str]:
    found: list[str] = []
    for path in sources:
        found += re.findall(r"(?:Signed-By:|signed-by=)\s*(/\S+?)(?:\]|\s|$)",
                            Path(path).read_text())
    return sorted({k for k in found if os.path.isfile(k)})


def _mirror(sources: list[str]) -> str:
    for path in sources:
        m = re.search(r"(?:URIs:\s*|^deb\s+(?:\[[^]]*\]\s*)?)(\S+)", Path(path).read_text(),
                      re.MULTILINE)
        if m:
            return m.group(1)
    return "http://deb.debian.org/debian"


def _pip_conf() -> str:
    return PIP_CONF.format(timeout=os.environ.get("PIP_DEFAULT_TIMEOUT", "60"))


def _cas() -> list[str]:
    return sorted(glob.glob("/usr/local/share/ca-certificates/**/*.crt", recursive=True))


def _key(sources: list[str], keyrings: list[str]) -> str:
    h = hashlib.sha256(" ".join(PACKAGES).encode() + _pip_conf().encode())
    for path in sources + keyrings + _cas():
        h.update(path.encode() + Path(path).read_bytes())
    return h.hexdigest()[:16]


def debian_base_tar() -> Path:
    """The cached rootfs tar, made under the lock on first use."""
    require_root()
    require_tool("mmdebstrap", package="mmdebstrap")
    sources = _sources()
    keyrings = _keyrings(sources)
    out = CACHE / f"bookworm-{_key(sources, keyrings)}.tar"
    if out.exists():
        return out
    require_mirror(_mirror(sources), "dists/bookworm/Release")
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists():
            _make(out, sources, keyrings)
    return out


def _make(out: Path, sources: list[str], keyrings: list[str]) -> None:
    staging = out.with_suffix(".tmp")
    extra = CACHE / "extra"
    shutil.rmtree(extra, ignore_errors=True)
    (extra / "sources").mkdir(parents=True)
    (extra / "ca").mkdir()
    for path in sources:
        shutil.copy(path, extra / "sources" / os.path.basename(path))
    for path in _cas():
        shutil.copy(path, extra / "ca" / os.path.basename(path))
    (extra / "pip.conf").write_text(_pip_conf())
    keys = " ".join(f'"{k}"' for k in keyrings)
    hooks = [
        'rm -f "$1/etc/apt/sources.list" "$1"/etc/apt/sources.list.d/*',
        f'cp {extra}/sources/* "$1/etc/apt/sources.list.d/"',
        f'mkdir -p "$1/usr/share/keyrings" && for k in {keys}; do cp "$k" "$1$k"; done'
        if keys else "true",
        f'cp {extra}/ca/* "$1/usr/local/share/ca-certificates/" 2>/dev/null || true',
        'chroot "$1" update-ca-certificates',
        f'cp {extra}/pip.conf "$1/etc/pip.conf"',
    ]
    argv = ["mmdebstrap", "--variant=minbase", "--mode=root", "--format=tar",
            "--include=" + ",".join(PACKAGES)]
    argv += [f"--customize-hook={h}" for h in hooks]
    argv += ["bookworm", str(staging), sources[0] if sources else "http://deb.debian.org/debian"]
    proc = subprocess.run(argv, capture_output=True, text=True)
    shutil.rmtree(extra, ignore_errors=True)
    if proc.returncode != 0:
        staging.unlink(missing_ok=True)
        raise AssertionError(f"mmdebstrap failed: {proc.stderr[-2000:]}")
    os.replace(staging, out)
