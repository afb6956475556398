"""top, stats, rename and the ps/volume filters against a real dockerd of the tests' own
(tests/oracle/conftest.py): the same columns, headers and error messages (docker prefixes
daemon errors with "Error response from daemon: ", scow with "Error: ")."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.tools import require_runc

pytestmark = pytest.mark.docker


def docker(env: dict[str, str], *args: str, check: bool = True
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], env=env, capture_output=True, text=True,
                          check=check, timeout=120)


def scow(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SCOW_STORAGE_DRIVER="vfs")
    return subprocess.run([sys.executable, "-m", "scow", "--root", str(root), *args], env=env,
                          capture_output=True, text=True, check=check, timeout=120)


@pytest.fixture(scope="module")
def both(dockerd: dict[str, str], busybox_tar: Path,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    require_runc()
    root = tmp_path_factory.mktemp("scow-oracle-cli") / "root"
    docker(dockerd, "import", str(busybox_tar), "oracle/cli:1")
    scow(root, "import", str(busybox_tar), "oracle/cli:1")
    for run in (lambda *a: docker(dockerd, *a), lambda *a: scow(root, *a)):
        run("run", "-d", "--name", "top1", "--network", "none", "oracle/cli:1", "sh", "-c",
            "sleep 300 & exec sleep 301")
        run("create", "--name", "other", "oracle/cli:1", "true")
    try:
        yield dockerd, root
    finally:
        docker(dockerd, "rm", "-f", "top1", "other", "renamed", check=False)
        docker(dockerd, "rmi", "-f", "oracle/cli:1", check=False)
        scow(root, "rm", "-f", "top1", "other", "renamed", check=False)


def test_top_same_layout(both: tuple[dict[str, str], Path]) -> None:
    env, root = both
    for args in ((), ("-o", "pid,comm"), ("aux",)):
        theirs = docker(env, "top", "top1", *args).stdout.splitlines()
        ours = scow(root, "top", "top1", *args).stdout.splitlines()
        assert ours[0] == theirs[0] and len(ours) == len(theirs) == 3
        column = theirs[0].split().index("PID")
        assert [len(line.split()) for line in ours] == [len(line.split()) for line in theirs]
        assert all(line.split()[column].isdigit() for line in ours[1:])


def test_stats_same_header_and_fields(both: tuple[dict[str, str], Path]) -> None:
    env, root = both
    theirs = docker(env, "stats", "--no-stream", "top1").stdout.splitlines()
    ours = scow(root, "stats", "--no-stream", "top1").stdout.splitlines()
    assert ours[0].split() == theirs[0].split() and len(ours) == len(theirs) == 2
    fmt = "{{.Container}} {{.Name}} {{.PIDs}} {{.NetIO}}"
    assert scow(root, "stats", "--no-stream", "--format", fmt, "top1").stdout == \
        docker(env, "stats", "--no-stream", "--format", fmt, "top1").stdout == \
        "top1 top1 2 0B / 0B\n"


@pytest.mark.parametrize("args", [
    ("ps", "-a", "--filter", "exited=x"), ("rename", "top1", "other"),
    ("rename", "top1", "top1"), ("rename", "nosuch", "xy"), ("rename", "top1", "bad/name"),
    ("top", "other"),
])
def test_same_errors(both: tuple[dict[str, str], Path], args: tuple[str, ...]) -> None:
    env, root = both
    theirs, ours = docker(env, *args, check=False), scow(root, *args, check=False)
    assert ours.returncode == theirs.returncode != 0
    want = theirs.stderr.replace("Error response from daemon: ", "Error: ")
    for name in ("other", "top1"):
        want = want.replace(docker(env, "inspect", "-f", "{{.Id}}", name).stdout.strip(),
                            scow(root, "inspect", "-f", "{{.Id}}", name).stdout.strip())
    assert ours.stderr == want


@pytest.mark.parametrize(("args", "modern"), [
    (("ps", "-a", "--filter", "colour=red"), "invalid filter 'colour'"),
    (("ps", "-a", "--filter", "status=sleeping"), "invalid filter 'status=sleeping'"),
    (("ps", "-a", "--filter", "before=nosuch"), "No such container: nosuch"),
    (("volume", "ls", "--filter", "size=1"), "invalid filter 'size'"),
])
def test_errors_worded_as_docker_23(both: tuple[dict[str, str], Path], args: tuple[str, ...],
                                    modern: str) -> None:
    """dockerd 20.10 capitalises these ("Invalid filter", "no such container x"); scow words
    them as moby 23+ does; the same error either way."""
    env, root = both
    theirs, ours = docker(env, *args, check=False), scow(root, *args, check=False)
    assert ours.returncode == theirs.returncode == 1 and ours.stderr == f"Error: {modern}\n"
    assert theirs.stderr.lower().replace(":", "") == \
        f"error response from daemon: {modern}\n".lower().replace(":", "")


def test_filters_same_rows(both: tuple[dict[str, str], Path]) -> None:
    env, root = both
    for flt in ("status=running", "status=created", "ancestor=oracle/cli:1", "name=top",
                "before=top1", "since=top1", "health=none", "is-task=false", "expose=80",
                "volume=/data", "exited=0"):
        args = ("ps", "-a", "--filter", flt, "--format", "{{.Names}}")
        assert sorted(scow(root, *args).stdout.split()) == \
            sorted(docker(env, *args).stdout.split()), flt


def test_stop_time_deprecated_as_docker(both: tuple[dict[str, str], Path]) -> None:
    env, root = both
    for run in (lambda *a: docker(env, *a), lambda *a: scow(root, *a)):
        run("run", "-d", "--name", "renamed", "--network", "none", "oracle/cli:1", "sleep", "60")
    theirs = docker(env, "stop", "--time", "0", "renamed")
    ours = scow(root, "stop", "--time", "0", "renamed")
    assert (ours.stdout, ours.stderr) == (theirs.stdout, theirs.stderr)
