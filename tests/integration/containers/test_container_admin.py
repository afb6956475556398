"""top, stats, rename and stop --timeout on real containers (runc, cgroups of this host):
docker's columns and errors."""

from __future__ import annotations

import re

from tests.integration.containers.kit import Scow


def test_top_lists_the_container_processes_only(one: Scow) -> None:
    one("run", "-d", "--name", "tp", "bb:1", "sh", "-c", "sleep 300 & exec sleep 301")
    pid = one.inspect("tp")["State"]["Pid"]
    lines = one.out("top", "tp").splitlines()
    assert lines[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    rows = [line.split(None, 7) for line in lines[1:]]
    assert sorted(r[7] for r in rows) == ["sleep 300", "sleep 301"]
    assert str(pid) in [r[1] for r in rows] and all(r[0] == "root" for r in rows)
    assert lines[0].startswith("UID" + " " * 17 + "PID")  # docker's tabwriter: 20 wide
    custom = one.out("container", "top", "tp", "-o", "pid,comm").splitlines()
    assert custom[0].split() == ["PID", "COMMAND"] and len(custom) == 3
    one("stop", "-t", "0", "tp")
    proc = one("top", "tp", check=False)
    assert proc.returncode == 1 and re.fullmatch(
        r"Error: Container [0-9a-f]{64} is not running\n", proc.stderr)


def test_stats_no_stream_table_and_format(one: Scow) -> None:
    one("run", "-d", "--name", "busy", "bb:1", "sh", "-c", "while :; do :; done")
    one("create", "--name", "idle", "bb:1", "true")
    table = one.out("stats", "--no-stream").splitlines()
    assert re.split(r"\s{2,}", table[0].strip()) == [
        "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O",
        "PIDS"]
    assert len(table) == 2 and table[1].split()[1] == "busy"
    cpu = float(table[1].split()[2].rstrip("%"))
    assert cpu > 20.0  # a busy loop over one second
    assert re.search(r"\d+(\.\d+)?[KMG]?i?B / \d+(\.\d+)?[KMG]iB", table[1])
    fmt = one.out("stats", "--no-stream", "-a", "--format",
                  "{{.Container}} {{.Name}} {{.PIDs}} {{.MemPerc}}").splitlines()
    by_name = {line.split()[1]: line.split() for line in fmt}
    assert by_name["idle"][2:] == ["0", "0.00%"] and by_name["busy"][2] == "1"
    assert by_name["idle"][0] == one.full_id("idle")[:12]
    assert one.out("stats", "--no-stream", "busy", "--format", "{{.Container}} {{.PIDs}}") == \
        "busy 1\n"
    proc = one("stats", "--no-stream", "nosuch", check=False)
    assert proc.returncode == 1 and proc.stderr == "Error: No such container: nosuch\n"


def test_rename_running_container(one: Scow) -> None:
    cid = one.out("run", "-d", "--name", "old", "bb:1", "sleep", "300").strip()
    one("create", "--name", "other", "bb:1", "true")
    assert one.out("rename", "old", "new") == ""
    assert one.out("ps", "--format", "{{.Names}} {{.Status}}").startswith("new Up")
    assert one.inspect(cid[:8])["Name"] == "/new"
    proc = one("rename", "new", "other", check=False)
    assert proc.returncode == 1 and proc.stderr.startswith(
        'Error: Error when allocating new name: Conflict. The container name "/other" is '
        'already in use by container "')
    assert proc.stderr.endswith("name.\nError: failed to rename container named new\n")
    for args, message in [(("new", "new"), "Renaming a container with the same name as its "
                            "current name"),
                          (("old", "xy"), "No such container: old"),
                          (("new", "bad/name"), "Error when allocating new name: Invalid "
                           "container name (/bad/name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                           "allowed"),
                          (("new", ""), "Neither old nor new names may be empty")]:
        proc = one("container", "rename", *args, check=False)
        assert (proc.returncode, proc.stderr) == (1, f"Error: {message}\nError: failed to "
                                                  f"rename container named {args[0]}\n"), args
    one("create", "--name", "old", "bb:1", "true")  # the old name is free again


def test_stop_timeout_and_deprecated_time(one: Scow) -> None:
    one("run", "-d", "--name", "s1", "bb:1", "sleep", "300")
    one("run", "-d", "--name", "s2", "bb:1", "sleep", "300")
    proc = one("stop", "--timeout", "1", "s1")
    assert proc.stdout == "s1\n" and proc.stderr == ""
    proc = one("container", "stop", "--time", "1", "s2")  # docker prints it on stdout
    assert proc.stdout == "Flag --time has been deprecated, use --timeout instead\ns2\n"
    assert one.status("s1") == one.status("s2") == "exited"
    help_text = one.out("stop", "--help")
    assert "-t, --timeout int" in help_text and "--time " not in help_text
    one("start", "s1")
    assert one("restart", "-t", "0", "s1").stdout == "s1\n"


def test_stats_stream_redraws_each_second(one: Scow) -> None:
    import subprocess
    import time

    from tests.integration.containers.kit import env

    one("run", "-d", "--name", "live", "bb:1", "sleep", "300")
    proc = subprocess.Popen(one.argv("stats", "--format", "{{.Name}} {{.PIDs}}"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    try:
        time.sleep(3.5)
    finally:
        proc.terminate()  # the stats process this test started, by its own handle
        out, err = proc.communicate(timeout=10)
    frames = out.decode().split("\033[2J\033[H")
    assert frames[0] == "" and len(frames) >= 3, (out, err)
    assert all(frame == "live 1\n" for frame in frames[1:]), frames
