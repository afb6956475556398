"""The reference page's walkthrough (demo/walkthrough-docker.sh: the page's commands
verbatim, `docker` CLI 28) run against `scow system service` and against a dockerd of the
test's own: each command prints what dockerd prints but IDs and times.

Known differences, left out of the comparison (the builder's, not the service's): the
classic builder's ` ---> ID`, `Running in` and `Removing intermediate container` lines and
its metadata steps (scow's builder makes no intermediate containers or images, so `build`,
`image history` and `rmi` differ in those rows)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from tests.api.conftest import REPO, start_service

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]
SKIPPED = ("docker build ", "docker image history ", "docker rmi ")
_ID = re.compile(r"\b(sha256:)?[0-9a-f]{64}\b|\b[0-9a-f]{12}\b")
_AGO = re.compile(r"(Less than a second|About a minute|About an hour|an? \w+|\d+ \w+) ago")
_TMP = re.compile(r"/tmp/tmp\.\w+")


def _run(env: dict[str, str]) -> str:
    proc = subprocess.run(["bash", str(REPO / "demo" / "walkthrough-docker.sh")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc.stdout


def _blocks(out: str) -> dict[str, list[str]]:
    """Command → its output lines (IDs, times and temp paths masked, table columns' padding
    made one width; rows of `image ls` sorted: images of the same second come in any
    order)."""
    blocks: dict[str, list[str]] = {}
    for chunk in out.split("\n$ ")[1:]:
        command, _, text = chunk.partition("\n")
        lines = [_AGO.sub("<time> ago", _ID.sub("<id>", ln)).rstrip()
                 for ln in text.strip("\n").splitlines()]
        lines = [re.sub(r"  +", "  ", ln) for ln in lines]  # column widths follow the masks
        if command == "docker image ls":  # the walkthrough's own images (the oracle dockerd
            lines = lines[:1] + sorted(ln for ln in lines[1:]  # serves other tests too)
                                       if ln.startswith(("acme/", "busybox ")))
        key = _TMP.sub("<tmp>", command)
        blocks[key] = blocks.get(key, []) + lines
    return blocks


def test_walkthrough_prints_what_dockerd_prints(dockerd: dict[str, str], tmp_path: Path,
                                                busybox_tar: Path) -> None:
    svc = start_service(tmp_path, busybox_tar, "unused:1")
    try:
        svc.scow("rmi", "unused:1")
        ours = _blocks(_run({**os.environ, **svc.env}))
    finally:
        svc.stop()
    theirs = _blocks(_run({**dockerd, "PATH": os.environ["PATH"]}))
    assert list(ours) == list(theirs)
    for command, lines in theirs.items():
        if command.startswith("docker build "):
            assert _steps(ours[command]) <= _steps(lines), command
            others = [ln for ln in ours[command] if not ln.startswith("Step ")]
            assert set(others) <= set(lines), command  # Sending..., Successfully ...
        elif not command.startswith(SKIPPED):
            assert ours[command] == lines, command


def _steps(lines: list[str]) -> set[str]:
    """A build's `Step n/m : TEXT` texts (the step counts differ: metadata steps)."""
    return {ln.partition(" : ")[2] for ln in lines if ln.startswith("Step ")}
