"""The container commands' output and errors as a user sees them, without running anything
(create, ps, inspect, rm, diff on created containers): docker's layouts, one-line errors, and
`ps` staying cheap (no runtime modules, no process spawned)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow, env


@pytest.fixture
def cli(tmp_path: Path, busybox_tar: Path) -> Scow:
    scow = Scow(tmp_path / "root", "vfs")
    scow("import", str(busybox_tar), "bb:1")
    return scow


def test_create_and_ps_table(cli: Scow) -> None:
    cid = cli.out("create", "--name", "first", "-l", "tier=web", "bb:1", "echo", "a b").strip()
    cli("create", "--name", "second", "bb:1", "sleep", "5")
    assert len(cid) == 64 and cli.out("ps") == (
        "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n")
    rows = cli.out("ps", "-a").splitlines()
    assert rows[0].split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS",
                               "PORTS", "NAMES"]
    assert rows[1].split()[:3] == [cli.full_id("second")[:12], "bb:1", '"sleep']
    assert rows[2].startswith(cid[:12]) and "\"echo 'a b'\"" in rows[2]
    assert rows[2].rstrip().endswith("Created             first")
    assert cli.out("ps", "-aq", "--no-trunc").split() == [cli.full_id("second"), cid]
    assert cli.out("ps", "-n", "1", "-q") == cli.full_id("second")[:12] + "\n"
    assert cli.out("ps", "-l", "--format", "{{.Names}}") == "second\n"
    assert cli.out("ps", "-a", "--filter", "label=tier=web", "--format",
                   "{{.Names}} {{.Label \"tier\"}}") == "first web\n"
    assert cli.out("ps", "-a", "-f", "name=sec", "-f", "status=created", "--format",
                   "{{.Names}}") == "second\n"
    assert cli.out("ps", "-a", "-f", "ancestor=bb:1", "-q").count("\n") == 2
    assert cli.out("ps", "-a", "-f", f"id={cid[:6]}", "--format", "{{.ID}}") == cid[:12] + "\n"
    js = json.loads(cli.out("ps", "-a", "--format", "json").splitlines()[0])
    assert js["Names"] == "second" and js["State"] == "created"
    sized = cli.out("ps", "-as", "--format", "{{.Names}}: {{.Size}}").splitlines()
    assert sized[0].startswith("second: 0B (virtual ")



def test_ps_image_column_as_moby_refreshes_it(cli: Scow, tmp_path: Path) -> None:
    """IMAGE is the name the container was made from while that name still resolves to its
    image (moby's refreshImage): a tag, an ID prefix, a full ID (which docker's CLI shows
    short); once the tag moves to another image, the container's image ID (short) instead."""
    image_id = cli.out("inspect", "--format", "{{.Id}}", "bb:1").strip()
    for name, given in (("bytag", "bb:1"), ("byprefix", image_id[7:17]),
                        ("byid", image_id)):
        cli("create", "--name", name, given, "true")
    shown = dict(line.split() for line in cli.out(
        "ps", "-a", "--format", "{{.Names}} {{.Image}}").splitlines())
    assert shown == {"bytag": "bb:1", "byprefix": image_id[7:17], "byid": image_id[7:19]}
    (tmp_path / "Dockerfile").write_text("FROM bb:1\nLABEL moved=1\n")
    cli("build", "-q", "-t", "bb:1", str(tmp_path))  # the tag now names another image
    shown = dict(line.split() for line in cli.out(
        "ps", "-a", "--format", "{{.Names}} {{.Image}}").splitlines())
    assert shown["bytag"] == image_id[7:19] and shown["byprefix"] == image_id[7:17]

def test_names_and_lookups(cli: Scow) -> None:
    cid = cli.out("create", "--name", "named", "bb:1", "true").strip()
    proc = cli("create", "--name", "named", "bb:1", "true", check=False)
    assert proc.returncode == 1 and proc.stderr == (
        'Error: Conflict. The container name "/named" is already in use by container '
        f'"{cid}". You have to remove (or rename) that container to be able to reuse that '
        "name.\n")
    assert cli.out("inspect", "--format", "{{.Name}}", cid[:5]) == "/named\n"
    assert cli.out("inspect", "--format", "{{.Id}}", "/named") == cid + "\n"
    proc = cli("rm", "nosuch", check=False)
    assert proc.returncode == 1 and proc.stderr == "Error: No such container: nosuch\n"
    proc = cli("create", "--name", "bad/name", "bb:1", "true", check=False)
    assert proc.returncode == 1 and "Invalid container name" in proc.stderr
    proc = cli("create", "bb:1", check=False)
    assert proc.returncode == 1 and "no command specified" in proc.stderr.lower()
    proc = cli("create", "--pull", "never", "missing:1", "true", check=False)
    assert proc.returncode == 1 and "missing:1" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_created_container_inspect_and_diff(cli: Scow) -> None:
    cli("create", "--name", "idle", "-e", "X=1", "-w", "/srv", "-h", "box", "bb:1", "true")
    doc = cli.inspect("idle")
    state = doc["State"]
    assert state["Status"] == "created" and state["Pid"] == 0 and not state["Running"]
    assert state["StartedAt"] == "0001-01-01T00:00:00Z"
    assert doc["Config"]["Hostname"] == "box" and doc["Config"]["WorkingDir"] == "/srv"
    assert "X=1" in doc["Config"]["Env"] and doc["GraphDriver"]["Name"] == "vfs"
    assert cli.out("diff", "idle") == ""
    assert cli.out("rm", "idle") == "idle\n"


def test_ps_is_cheap(cli: Scow, tmp_path: Path) -> None:
    """`ps` reads state.json: no runtime module beyond that, no process for a container that
    is not running (the runtime here is a stub that records being called)."""
    calls = tmp_path / "calls"
    stub = tmp_path / "stub-runc"
    stub.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\nexit 1\n")
    stub.chmod(0o755)
    cid = cli.out("create", "bb:1", "true").strip()
    folder = cli.root / "containers" / cid
    (folder / "state.json").write_text(json.dumps({
        "status": "exited", "pid": 0, "exit_code": 3, "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:00:01Z"}))
    cli("create", "bb:1", "true")
    proc = subprocess.run([sys.executable, "-X", "importtime", *cli.argv("--runtime", str(stub),
                                                                         "ps", "-a")[1:]],
                          capture_output=True, text=True, env=env(), check=True)
    assert "Exited (3)" in proc.stdout
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert {m for m in modules if m.startswith("scow.runtime.")} <= {"scow.runtime.state"}
    assert not {m for m in modules if m.startswith("scow.events")}  # ps writes no event
    assert not modules & {"subprocess", "socket", "asyncio", "ssl", "tarfile"}
    assert not calls.exists()
