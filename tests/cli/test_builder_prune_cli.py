"""`scow builder prune` and the Build Cache line of `scow system df` as a user types them: a
multi-stage build into ``FROM scratch`` leaves its builder stage in the cache, `rmi` keeps it,
`builder prune` frees it (real runc, overlay2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.test_build_cli import scow
from tests.tools import require_runc

SCRATCH = ("FROM busybox:base AS builder\nRUN echo built > /artifact\n"
           "FROM scratch\nCOPY --from=builder /artifact /artifact\n")


@pytest.fixture
def root(tmp_path: Path, busybox_tar: Path, no_leaked_mounts: Path) -> Path:
    require_runc()
    root, ctx = tmp_path / "root", tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(SCRATCH)
    scow(root, "import", str(busybox_tar), "busybox:base")
    scow(root, "build", "-q", "-t", "art:1", str(ctx))
    return root


def _cache_line(root: Path) -> list[str]:
    out = scow(root, "system", "df").stdout.decode().splitlines()
    return next(line for line in out if line.startswith("Build Cache")).split()


def test_builder_prune_frees_what_the_cache_holds(root: Path) -> None:
    line = _cache_line(root)
    assert line[2] == "2" and line[4] != "0B"  # the RUN and the COPY
    assert line[5] != line[4] and line[5] != "0B"  # the RUN is reclaimable, not the COPY
    scow(root, "rmi", "art:1", "busybox:base")
    line = _cache_line(root)
    assert line[2] == "2" and line[5] == line[4]  # rmi freed neither: both reclaimable
    assert scow(root, "system", "check").returncode == 0  # held layers are not "unused"
    verbose = scow(root, "system", "df", "-v").stdout.decode()
    assert "regular" in verbose.split("Build cache usage:")[1]
    refused = scow(root, "builder", "prune", "-f", "--filter", "id=x", check=False)
    assert refused.returncode != 0 and b"invalid filter 'id'" in refused.stderr
    assert b"0B" in scow(root, "builder", "prune", "-f", "--filter", "until=1h").stdout
    out = scow(root, "builder", "prune", "-f").stdout.decode()
    assert out.startswith("Deleted build cache objects:\n")
    assert "Total reclaimed space: 0B" not in out
    assert _cache_line(root)[2] == "0"
    assert scow(root, "system", "check").returncode == 0


def test_builder_prune_asks_first(root: Path) -> None:
    proc = scow(root, "builder", "prune", "-a", stdin=b"n\n")
    assert b"WARNING! This will remove all build cache." in proc.stdout
    assert _cache_line(root)[2] == "2"
