"""The README's console blocks run as written: in order, in one shell, on a throw-away root
(SCOW_ROOT) with `/tmp/` moved into the test's folder. The README's convention: a line
starting with `$ ` is a command; the lines under it are its output, matched line by line
with IDs (12 to 64 hex digits), times ("10 seconds ago") and `...` loosened; a command shown
without output is only checked to succeed. A block after `<!-- readme-test: skip (why) -->`
is not run."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.containers.kit import REPO, env
from tests.tools import require_root, require_runc, require_tool

README = REPO / "README.md"
TIME = r"(?:\d+|About an?|Less than a) \w+ ago"
DIFF_ID_BUSYBOX = "1:1.35.0-4+deb12u1+b1"  # the busybox-static the README's DiffID is of


def blocks(text: str) -> list[list[tuple[str, list[str]]]]:
    """The runnable console blocks: each a list of (command, expected output lines)."""
    out = []
    for match in re.finditer(r"(?:(<!-- readme-test: skip[^>]*-->)\n)?```console\n(.*?)```",
                             text, re.S):
        if match.group(1):
            continue
        steps: list[tuple[str, list[str]]] = []
        for line in match.group(2).splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps and line.strip():
                steps[-1][1].append(line)
        out.append(steps)
    return out


def loose(line: str) -> re.Pattern[str]:
    """A pattern for an expected output line (see the module doc)."""
    parts = []
    for token in re.sub(TIME, "\0", line).split():
        token = re.escape(token).replace("\0", TIME)
        token = re.sub(r"[0-9a-f]{12,64}", "[0-9a-f]{12,64}", token)
        parts.append(token.replace(re.escape("..."), ".*"))
    return re.compile(r"\s*" + r"\s+".join(parts) + r"\s*")


def test_loose_matching() -> None:
    assert loose("sha256:aa191505421e...").fullmatch("sha256:" + "0" * 64)
    assert loose("x   1.0   aa191505421e   10 seconds ago   1.98MB").fullmatch(
        "x  1.0  0123456789ab  Less than a second ago  1.98MB")
    assert not loose("c1        5B (virtual 1.98MB)").fullmatch("c1 0B (virtual 1.98MB)")
    steps = blocks("<!-- readme-test: skip (x) -->\n```console\n$ a\n```\n"
                   "```console\n$ b\nout\n\n$ c\n```\n")
    assert steps == [[("b", ["out"]), ("c", [])]]


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Path]:
    require_root()
    require_runc()
    for tool in ("busybox", "curl", "netavark"):
        require_tool(tool, package="busybox-static" if tool == "busybox" else tool,
                     also=("/usr/lib/podman/netavark",) if tool == "netavark" else ())
    require_tool("aardvark-dns", package="aardvark-dns", also=("/usr/lib/podman/aardvark-dns",))
    try:
        yield tmp_path
    finally:  # whatever a failed step left running
        scow = [sys.executable, "-m", "scow", "--root", str(tmp_path / "root")]
        ids = subprocess.run([*scow, "ps", "-aq"], capture_output=True, text=True, env=env(),
                             check=False).stdout.split()
        if ids:
            subprocess.run([*scow, "rm", "-f", *ids], capture_output=True, env=env(), check=False)
        subprocess.run([*scow, "network", "prune", "-f"], capture_output=True, env=env(),
                       check=False)


def script(steps: list[tuple[str, list[str]]], tmp: Path) -> str:
    lines = ["shopt -s expand_aliases"]
    for i, (command, _) in enumerate(steps):
        lines += [f"printf '\\n@@@ {i}\\n'", command.replace("/tmp/", f"{tmp}/"),
                  "rc=$?", "[ $rc = 0 ] || { printf '\\n@@@ failed %s\\n' $rc; exit 1; }"]
    return "\n".join(lines) + "\n"


def test_readme_console_blocks_run_as_written(session: Path) -> None:
    steps = [step for block in blocks(README.read_text()) for step in block]
    assert len(steps) > 20
    proc = subprocess.run(["bash", "-c", script(steps, session)], cwd=REPO,
                          env=dict(env(), SCOW_ROOT=str(session / "root")),
                          capture_output=True, text=True, timeout=600, check=False)
    outputs = re.split(r"\n@@@ (\d+)\n", "\n" + proc.stdout)
    printed = {int(outputs[i]): outputs[i + 1] for i in range(1, len(outputs) - 1, 2)}
    assert proc.returncode == 0, f"{steps[max(printed)][0]!r} failed: {proc.stderr[-2000:]}"
    for i, (command, expected) in enumerate(steps):
        if not expected:
            continue
        got = [line for line in printed[i].splitlines() if line.strip()]
        assert len(got) == len(expected), (command, got)
        for want, line in zip(expected, got, strict=True):
            assert loose(want).fullmatch(line), (command, want, line)
            if "sha256:" in want and "RootFS" in command and _busybox() == DIFF_ID_BUSYBOX:
                assert line == want  # the README's DiffID is the one the script makes here


def _busybox() -> str:
    return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "busybox-static"],
                          capture_output=True, text=True, check=False).stdout
