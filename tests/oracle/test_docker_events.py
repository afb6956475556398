"""`scow events` against a real dockerd's `docker events` for the same commands: the same
actions in the same order, the same JSON keys and attribute names, the same line layout."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

COMMANDS = (("volume", "create", "evvol"), ("create", "--name", "evbox", "-l", "tier=web",
                                            "evimg:1", "true"),
            ("tag", "evimg:1", "evimg:2"), ("rmi", "evimg:2"), ("rm", "evbox"),
            ("volume", "rm", "evvol"))


@pytest.fixture(autouse=True)
def _dockerd_left_as_found(dockerd: dict[str, str]) -> Iterator[None]:
    """The oracle dockerd serves other tests: remove what these tests made in it (a second
    import of evimg:1 would leave the first one dangling in their `images`)."""
    yield
    for args in (("rm", "-f", "evbox", "evrun", "evkill"), ("rmi", "-f", "evimg:1", "evimg:2"),
                 ("volume", "rm", "-f", "evvol")):
        subprocess.run(["docker", *args], env=dockerd, capture_output=True, check=False)


def _docker(env: dict[str, str], *args: str) -> str:
    return subprocess.run(["docker", *args], env=env, capture_output=True, text=True,
                          check=True).stdout


def _scow(root: Path, *args: str) -> str:
    env = dict(os.environ, SCOW_STORAGE_DRIVER="vfs")
    return subprocess.run([sys.executable, "-m", "scow", "--root", str(root), *args], env=env,
                          capture_output=True, text=True, check=True).stdout


def _shape(lines: str, ids: dict[str, str]) -> list[str]:
    """Each line with its timestamp and IDs replaced (IDs differ between the engines)."""
    out = []
    for line in lines.splitlines():
        line = re.sub(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) ", "TIME ", line)
        for real, name in ids.items():
            line = line.replace(real, name)
        out.append(re.sub(r"sha256:[0-9a-f]{64}", "IMAGE", line))
    return out


def test_same_events_as_docker(dockerd: dict[str, str], busybox_tar: Path,
                               tmp_path: Path) -> None:
    root = tmp_path / "root"
    _docker(dockerd, "import", str(busybox_tar), "evimg:1")
    _scow(root, "import", str(busybox_tar), "evimg:1")
    since = f"{time.time():.3f}"
    d_ids: dict[str, str] = {}
    s_ids: dict[str, str] = {}
    for args in COMMANDS:
        d_out = _docker(dockerd, *args).strip()
        s_out = _scow(root, *args).strip()
        if args[0] == "create":
            d_ids[d_out], s_ids[s_out] = "CID", "CID"
    until = f"{time.time() + 0.5:.3f}"
    time.sleep(0.6)
    d_json = [json.loads(x) for x in _docker(
        dockerd, "events", "--since", since, "--until", until, "--format", "{{json .}}"
    ).splitlines()]
    s_json = [json.loads(x) for x in _scow(
        root, "events", "--since", since, "--until", until, "--format", "{{json .}}"
    ).splitlines()]
    assert len(d_json) >= 6, d_json
    assert [(e["Type"], e["Action"]) for e in s_json] == \
        [(e["Type"], e["Action"]) for e in d_json]
    for d, s in zip(d_json, s_json, strict=True):
        assert list(s) == list(d), (d, s)
        assert sorted(s["Actor"]["Attributes"]) == sorted(d["Actor"]["Attributes"]), (d, s)
    d_lines = _docker(dockerd, "events", "--since", since, "--until", until)
    s_lines = _scow(root, "events", "--since", since, "--until", until)
    assert _shape(s_lines, s_ids) == _shape(d_lines, d_ids)


RUN = (("run", "-d", "--network", "none", "--name", "evrun", "-l", "a=b", "evimg:1", "sh", "-c",
        "trap 'exit 0' TERM; while :; do sleep 0.1; done"),
       ("stop", "-t", "1", "evrun"), ("run", "-d", "--network", "none", "--name", "evkill",
                                      "evimg:1", "sleep", "60"),
       ("stop", "-t", "1", "evkill"),  # sleep as PID 1 ignores TERM: kill 15, kill 9, die
       ("start", "evrun"),
       ("pause", "evrun"), ("unpause", "evrun"), ("exec", "evrun", "true"),
       ("exec", "evrun", "sh", "-c", "exit 2"), ("stop", "evrun"), ("start", "evrun"),
       ("kill", "evrun"), ("rm", "evrun"), ("rm", "evkill"))


def test_same_container_events_as_docker(dockerd: dict[str, str], busybox_tar: Path,
                                         tmp_path: Path) -> None:
    root = tmp_path / "root"
    _docker(dockerd, "import", str(busybox_tar), "evimg:1")
    _scow(root, "import", str(busybox_tar), "evimg:1")
    since = f"{time.time():.3f}"
    for args in RUN:
        for run, where in ((_docker, dockerd), (_scow, root)):
            try:
                run(where, *args)  # type: ignore[arg-type]
            except subprocess.CalledProcessError as exc:
                assert args[1] == "evrun" and exc.returncode == 2  # the exec's own status
        time.sleep(0.3)  # both monitors write their die before the next command
    until = f"{time.time() + 0.5:.3f}"
    time.sleep(0.6)
    flt = ("-f", "type=container", "--format", "{{json .}}")
    d_json = [json.loads(x) for x in _docker(dockerd, "events", "--since", since, "--until",
                                             until, *flt).splitlines()]
    s_json = [json.loads(x) for x in _scow(root, "events", "--since", since, "--until", until,
                                           *flt).splitlines()]
    assert [e["Action"] for e in s_json] == [e["Action"] for e in d_json]
    for d, s in zip(d_json, s_json, strict=True):
        assert list(s) == list(d), (d, s)
        extra = {"execDuration"}  # docker 23+ adds it to die; the oracle is 20.10
        assert set(s["Actor"]["Attributes"]) - extra == set(d["Actor"]["Attributes"]), (d, s)
        for key in ("exitCode", "signal", "image", "name", "a"):
            assert s["Actor"]["Attributes"].get(key) == d["Actor"]["Attributes"].get(key)
