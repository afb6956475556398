"""`scow events` as a user runs it: what other scow processes and the container monitors wrote
to the root's log, replayed by time, followed live, filtered and formatted as docker does."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow, env, wait_for
from tests.tools import require_runc


@pytest.fixture
def cli(tmp_path: Path, busybox_tar: Path) -> Scow:
    return Scow(tmp_path / "root", "vfs")


@pytest.fixture
def bb(no_leaked_mounts: Path, busybox_tar: Path) -> Iterator[Scow]:
    require_runc()
    scow = Scow(no_leaked_mounts / "root", "vfs")
    scow("import", str(busybox_tar), "bb:1")
    try:
        yield scow
    finally:
        scow.cleanup()


def _json_events(scow: Scow, *args: str) -> list[dict[str, object]]:
    out = scow.out("events", "--since", "0", "--until", "0s", "--format", "json", *args)
    return [json.loads(line) for line in out.splitlines()]


def test_replay_sees_two_processes_in_order(cli: Scow, busybox_tar: Path) -> None:
    cli("volume", "create", "first")  # makes the root
    procs = [subprocess.Popen(cli.argv(*args), env=env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
             for args in (("import", str(busybox_tar), "bb:1"),
                          ("volume", "create", "second"))]
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    events = _json_events(cli)
    seen = [(e["Type"], e["Action"]) for e in events]
    assert seen[0] == ("volume", "create")
    assert ("image", "import") in seen and ("image", "tag") in seen
    assert seen.index(("image", "tag")) < seen.index(("image", "import"))  # as docker
    assert seen.count(("volume", "create")) == 2
    stamps = [e["timeNano"] for e in events]
    assert stamps == sorted(stamps)
    tag = next(e for e in events if e["Action"] == "tag")
    assert tag["Actor"]["Attributes"] == {"name": "bb:1"}  # type: ignore[index]
    assert tag["status"] == "tag" and tag["id"] == tag["Actor"]["ID"]  # type: ignore[index]


def test_since_until_filter_and_format(cli: Scow, busybox_tar: Path) -> None:
    cli("import", str(busybox_tar), "bb:1")
    time.sleep(1.1)
    mark = f"{time.time():.3f}"
    cid = cli.out("create", "--name", "web", "-l", "tier=front", "bb:1", "true").strip()
    cli("volume", "create", "data")
    lines = cli.out("events", "--since", mark, "--until", "0s").splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(f" container create {cid} (image=bb:1, name=web, tier=front)")
    assert lines[1].endswith(" volume create data (driver=local)")
    assert cli.out("events", "--since", mark, "--until", "0s", "-f", "type=volume",
                   "--format", "{{.Type}} {{.Action}} {{.Actor.ID}}") == "volume create data\n"
    assert cli.out("events", "--since", "0", "--until", "0s", "-f", "label=tier=front",
                   "-f", "event=create", "--format", "{{.Status}} {{.From}} {{.Scope}}"
                   ) == "create bb:1 local\n"
    assert cli.out("events", "--since", "10m", "--until", "0s", "-f", "container=web",
                   "--format", "{{json .Actor.Attributes}}") == \
        '{"image":"bb:1","name":"web","tier":"front"}\n'
    assert cli.out("events", "--since", "0", "--until", mark, "-f", "container=web") == ""
    ev = json.loads(cli.out("events", "--since", mark, "--until", "0s", "--format",
                            "{{json .}}").splitlines()[1])
    assert list(ev) == ["Type", "Action", "Actor", "scope", "time", "timeNano"]
    assert cli.out("system", "events", "--since", mark, "--until", "0s", "-f",
                   "type=volume").endswith(" volume create data (driver=local)\n")


def test_bad_values_are_one_line_errors(cli: Scow) -> None:
    cli("volume", "create", "v1")
    for args, text in ((("-f", "colour=red"), "invalid filter 'colour'"),
                       (("-f", "nonsense"), "bad format of filter"),
                       (("--since", "yesterday"), "parse time 'yesterday'"),
                       (("--format", "{{.Nope"), "template")):
        proc = cli("events", "--until", "0s", *args, check=False)
        assert proc.returncode != 0 and text in proc.stderr, proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_follow_sees_the_monitors_die_and_stops_on_sigint(bb: Scow) -> None:
    bb("volume", "create", "early")  # before the follower: docker shows no past event
    with subprocess.Popen(bb.argv("events", "-f", "type=container", "-f", "type=volume",
                                  "--format",
                                  "{{.Action}} {{.Actor.Attributes.exitCode}}"),
                          env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as follower:
        try:
            time.sleep(0.5)
            bb("run", "-d", "--name", "quick", "bb:1", "sh", "-c", "sleep 0.3; exit 3")
            lines: list[str] = []
            assert follower.stdout is not None
            while "die 3" not in lines:
                line = follower.stdout.readline()
                assert line, "the follower ended"
                lines.append(line.strip())
            assert lines[:2] == ["create <no value>", "start <no value>"]
            follower.send_signal(signal.SIGINT)
            assert follower.wait(10) == 0  # docker: Ctrl-C ends `events` with status 0
        finally:
            if follower.poll() is None:
                follower.kill()
                follower.wait()


def test_lifecycle_actions_and_attributes(bb: Scow, tmp_path: Path) -> None:
    bb("volume", "create", "vol")
    bb("run", "-d", "--name", "box", "-v", "vol:/data", "bb:1", "sleep", "60")
    bb("pause", "box")
    bb("unpause", "box")
    bb("exec", "box", "sh", "-c", "exit 4", check=False)
    bb("cp", "box:/etc/hostname", str(tmp_path / "h"))
    bb("cp", str(tmp_path / "h"), "box:/tmp/")
    bb("kill", "box")
    wait_for(lambda: bb.status("box") == "exited", what="box to exit")
    bb("commit", "box", "snap:1")
    bb("export", "-o", str(tmp_path / "x.tar"), "box")
    bb("rm", "box")
    bb("rmi", "snap:1")
    events = _json_events(bb, "-f", "type=container")
    cid = bb.out("events", "--since", "0", "--until", "0s", "-f", "event=destroy",
                 "--format", "{{.Actor.ID}}").strip()
    actions = [e["Action"] for e in events if e["Actor"]["ID"] == cid]  # type: ignore[index]
    assert actions == ["create", "start", "pause", "unpause", "exec_create: sh -c exit 4",
                       "exec_start: sh -c exit 4", "exec_die", "archive-path",
                       "extract-to-dir", "kill", "die", "commit", "export", "destroy"]
    by = {e["Action"]: e["Actor"]["Attributes"] for e in events}  # type: ignore[index]
    assert by["kill"]["signal"] == "9" and by["die"]["exitCode"] == "137"
    assert by["exec_die"]["exitCode"] == "4" and by["exec_die"]["execID"]
    assert by["commit"]["imageRef"] == "snap:1" and by["commit"]["comment"] == ""
    assert by["commit"]["imageID"].startswith("sha256:")
    assert all(a["name"] == "box" and a["image"] == "bb:1" for a in by.values())
    mounts = _json_events(bb, "-f", "type=volume", "-f", "volume=vol")
    assert [e["Action"] for e in mounts] == ["create", "mount", "unmount"]
    assert mounts[1]["Actor"]["Attributes"] == {  # type: ignore[index]
        "container": cid, "destination": "/data", "driver": "local", "propagation": "",
        "read/write": "true"}
    images = [(e["Action"], e["Actor"]["Attributes"].get("name"))  # type: ignore[index]
              for e in _json_events(bb, "-f", "type=image")]
    assert images[-3:-1] == [("tag", "snap:1"), ("untag", images[-1][1])]
    assert images[-1][0] == "delete"


def test_rename_top_update_and_oom(bb: Scow) -> None:
    bb("run", "-d", "--name", "old", "bb:1", "sleep", "60")
    bb("rename", "old", "new")
    bb("top", "new")
    bb("update", "--memory", "64m", "--memory-swap", "64m", "new")
    bb("rm", "-f", "new")
    hog = "x=aaaaaaaa; while true; do x=$x$x; done"
    proc = bb("run", "--name", "hog", "-m", "16m", "--memory-swap", "16m", "bb:1", "sh", "-c",
              hog, check=False, timeout=120)
    assert proc.returncode == 137, proc.stderr
    rows = bb.out("events", "--since", "0", "--until", "0s", "-f", "type=container",
                  "--format", "{{.Action}} {{.Actor.Attributes.name}} "
                  "{{.Actor.Attributes.oldName}}").splitlines()
    assert rows[2:5] == ["rename new /old", "top new <no value>", "update new <no value>"]
    hog_rows = [r.split()[0] for r in rows if " hog " in r]
    assert hog_rows == ["create", "attach", "start", "oom", "die"]  # docker: oom before die


def test_restart_policy_and_health_events(bb: Scow) -> None:
    bb("run", "-d", "--name", "rp", "--restart", "on-failure:2", "bb:1", "sh", "-c", "exit 1")
    bb("run", "-d", "--name", "hc", "--health-cmd", "true", "--health-interval", "1s",
       "bb:1", "sleep", "30")

    def actions(name: str) -> list[str]:
        return bb.out("events", "--since", "0", "--until", "0s", "-f", f"container={name}",
                      "--format", "{{.Action}}").split("\n")[:-1]

    wait_for(lambda: actions("rp").count("die") == 3, timeout=60, what="three exits of rp")
    assert actions("rp") == ["create", "start", "die", "start", "die", "start", "die"]
    wait_for(lambda: "health_status: healthy" in actions("hc"), timeout=30, what="healthy")
    assert actions("hc")[:2] == ["create", "start"]
    assert bb.out("events", "--since", "0", "--until", "0s", "-f", "event=health_status",
                  "--format", "{{.Actor.Attributes.name}}").startswith("hc\n")
