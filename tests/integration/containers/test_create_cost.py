"""What one `scow create` costs the system on overlay2 (issue 18), counted with strace: no
mount (the init layer is filled in place), and no fsync beyond the durable ones (the layer
row and the publish commits, the two layers' link/lower/folder, SQLite's WAL life)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow, env
from tests.tools import require_overlay, require_tool

pytestmark = [pytest.mark.root, pytest.mark.overlay]

MOUNTS = ("mount", "fsmount", "move_mount", "umount2")
MAX_FSYNCS = 12  # 2 durable commits + 3 per layer (link, lower, folder) + SQLite's 4


def _counts(argv: list[str], out: Path) -> dict[str, int]:
    strace = require_tool("strace", package="strace")
    proc = subprocess.run([strace, "-f", "-qq", "-c", "-o", str(out), "-e",
                           "trace=fsync,fdatasync," + ",".join(MOUNTS), *argv],
                          capture_output=True, text=True, env=env(), timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    counts = {}
    for line in out.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[-1].isidentifier() and fields[3].isdigit():
            counts[fields[-1]] = int(fields[3])
    return counts


def test_create_mounts_nothing_and_syncs_only_what_must_last(tmp_path: Path,
                                                              busybox_tar: Path) -> None:
    require_overlay(str(tmp_path))
    scow = Scow(tmp_path / "root", "overlay2")
    scow("import", str(busybox_tar), "bb:1")
    scow("create", "--network", "none", "bb:1", "true")  # the store's first WAL, probes
    counts = _counts(scow.argv("create", "--name", "c1", "--network", "none", "bb:1", "true"),
                     tmp_path / "strace.out")
    assert not any(counts.get(name) for name in MOUNTS), counts
    assert counts.get("fsync", 0) + counts.get("fdatasync", 0) <= MAX_FSYNCS, counts
    assert scow.inspect("c1")["State"]["Status"] == "created"
