"""A container's life through the CLI on real runc: run/exec/stop/start/restart/rm, create
then start, wait, kill -s, pause/unpause, exit codes, a detached container outliving scow."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from tests.integration.containers.kit import Scow, env, pid_alive, wait_for


def test_run_exec_stop_start_restart_rm(sc: Scow) -> None:
    cid = sc.out("run", "-d", "--name", "c1", "bb:1", "sleep", "1000").strip()
    assert len(cid) == 64
    assert sc.status("c1") == "running"
    assert sc.out("exec", "c1", "cat", "/etc/hostname").strip() == cid[:12]
    sc("exec", "c1", "sh", "-c", "printf hello > /out.txt")
    sc("stop", "-t", "1", "c1")
    st = sc.inspect("c1")["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 137 and st["Pid"] == 0
    assert sc.out("start", "c1").strip() == "c1"
    assert sc.status("c1") == "running"
    assert sc.out("exec", "c1", "cat", "/out.txt") == "hello"  # the writable layer survived
    pid = sc.inspect("c1")["State"]["Pid"]
    sc("restart", "-t", "1", "c1")
    assert sc.status("c1") == "running" and sc.inspect("c1")["State"]["Pid"] != pid
    proc = sc("rm", "c1", check=False)
    assert proc.returncode == 1 and "You cannot remove a running container" in proc.stderr
    sc("stop", "-t", "0", "c1")
    assert sc.out("rm", "c1").strip() == "c1"
    assert sc.out("ps", "-aq") == ""


def test_create_then_start_and_wait(one: Scow) -> None:
    one("create", "--name", "waiter", "bb:1", "sh", "-c", "sleep 0.3; exit 7")
    assert one.status("waiter") == "created"
    assert "Created" in one.out("ps", "-a", "--format", "{{.Status}}")
    one("start", "waiter")
    assert one.out("wait", "waiter").strip() == "7"
    assert one.inspect("waiter")["State"]["ExitCode"] == 7
    assert one.out("ps", "-a", "--filter", "status=exited", "--format", "{{.Names}}") == "waiter\n"
    again = one("start", "-a", "waiter", check=False)
    assert again.returncode == 7 and again.stdout == ""


def test_kill_with_signal(one: Scow) -> None:
    one("run", "-d", "--name", "killme", "bb:1", "sh", "-c",
        "trap 'echo got-usr1; exit 5' USR1; while true; do sleep 0.1; done")
    time.sleep(0.3)
    one("kill", "-s", "USR1", "killme")
    assert one.out("wait", "killme").strip() == "5"
    assert "got-usr1" in one.out("logs", "killme")
    one("start", "killme")
    one("kill", "killme")
    assert one.out("wait", "killme").strip() == "137"
    proc = one("kill", "killme", check=False)
    assert proc.returncode == 1 and "is not running" in proc.stderr


def test_pause_unpause(one: Scow) -> None:
    one("run", "-d", "--name", "pz", "bb:1", "sleep", "1000")
    one("pause", "pz")
    st = one.inspect("pz")["State"]
    assert st["Status"] == "paused" and st["Paused"] and st["Running"]
    assert "(Paused)" in one.out("ps", "--format", "{{.Status}}")
    proc = one("exec", "pz", "true", check=False)
    assert proc.returncode != 0 and "paused" in proc.stderr
    one("unpause", "pz")
    assert one.status("pz") == "running"
    assert one("exec", "pz", "true").returncode == 0
    assert one("unpause", "pz", check=False).returncode == 1
    one("pause", "pz")
    one("stop", "-t", "1", "pz")  # stop resumes a paused container first
    assert one.status("pz") == "exited"


def test_exit_codes(sc: Scow) -> None:
    assert sc("run", "--rm", "bb:1", "true").returncode == 0
    assert sc("run", "--rm", "bb:1", "sh", "-c", "exit 3", check=False).returncode == 3
    missing = sc("run", "--rm", "bb:1", "/no/such/cmd", check=False)
    assert missing.returncode == 127, missing.stderr
    assert missing.stderr.count("\n") <= 2 and "Traceback" not in missing.stderr
    denied = sc("run", "--rm", "bb:1", "/etc/passwd", check=False)
    assert denied.returncode == 126, denied.stderr
    bad = sc("run", "--rm", "--bogus-flag", "bb:1", "true", check=False)
    assert bad.returncode == 125
    noimg = sc("run", "--rm", "--pull", "never", "nosuch:1", "true", check=False)
    assert noimg.returncode == 125
    assert sc.out("ps", "-aq") == ""  # --rm removed even the ones that failed


def test_detached_outlives_scow(one: Scow) -> None:
    argv = one.argv("run", "-d", "--name", "bg", "bb:1", "sleep", "1000")
    script = ("import subprocess, sys; "
              f"sys.exit(subprocess.run({argv!r}, stdout=subprocess.DEVNULL).returncode)")
    subprocess.run([sys.executable, "-c", script], env=env(), check=True, timeout=60)
    assert one.out("ps", "--format", "{{.Names}} {{.State}}") == "bg running\n"
    assert one.out("exec", "bg", "echo", "alive") == "alive\n"
    state = one.state("bg")
    assert pid_alive(state["shim_pid"]) and pid_alive(state["pid"])


def test_run_tty_uses_crlf(one: Scow) -> None:
    import os
    import pty
    import tty

    master, slave = pty.openpty()
    tty.setraw(slave)  # the local terminal adds nothing: what shows is the container's pty
    proc = subprocess.Popen(one.argv("run", "--rm", "-t", "bb:1", "sh", "-c",
                                     "echo one; echo two; tty"),
                            stdin=slave, stdout=slave, stderr=slave, env=env())
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=60) == 0
    os.close(master)
    assert b"one\r\ntwo\r\n" in out
    assert b"/dev/pts/" in out


def test_run_interactive_stdin(sc: Scow) -> None:
    proc = sc("run", "--rm", "-i", "bb:1", "sh", stdin=b"echo hi\nexit 4\n", check=False)
    assert proc.stdout == "hi\n" and proc.returncode == 4


def test_stdin_closed_without_i(one: Scow) -> None:
    proc = one("run", "--rm", "bb:1", "cat", stdin=b"ignored\n", check=False)
    assert proc.returncode == 0 and proc.stdout == ""


def test_exec_exit_codes_and_flags(one: Scow) -> None:
    one("run", "-d", "--name", "ex", "-e", "A=1", "bb:1", "sleep", "1000")
    assert one("exec", "ex", "sh", "-c", "exit 9", check=False).returncode == 9
    assert one("exec", "ex", "/nope", check=False).returncode == 127
    assert one.out("exec", "-e", "B=2", "-w", "/tmp", "ex", "sh", "-c",
                   "echo $A$B; pwd") == "12\n/tmp\n"
    assert one.out("exec", "-u", "65534", "ex", "id", "-u") == "65534\n"
    proc = one("exec", "-i", "ex", "cat", stdin=b"piped\n")
    assert proc.stdout == "piped\n"
    one("exec", "-d", "ex", "sh", "-c", "echo bg > /bg.txt")
    wait_for(lambda: one("exec", "ex", "cat", "/bg.txt", check=False).stdout == "bg\n")


def test_attach_with_stdin(one: Scow) -> None:
    one("run", "-di", "--name", "listener", "bb:1", "sh")
    proc = one("attach", "listener", stdin=b"echo attached\nexit 5\n", check=False)
    assert proc.stdout == "attached\n" and proc.returncode == 5
    assert one.inspect("listener")["State"]["ExitCode"] == 5


def test_fs_commands_on_a_running_container_keep_its_mount(sc: Scow, tmp_path: Any) -> None:
    sc("run", "-d", "--name", "busy", "bb:1", "sleep", "1000")
    host = tmp_path / "f.txt"
    host.write_text("in\n")
    proc = subprocess.run(sc.argv("export", "busy"), capture_output=True, env=env(), check=True)
    assert len(proc.stdout) > 1_000_000
    sc("cp", str(host), "busy:/f.txt")
    sc("cp", "busy:/etc/hostname", str(tmp_path / "hn"))
    sc("commit", "busy", "busy:1")
    sc("diff", "busy")
    assert sc.out("exec", "busy", "cat", "/f.txt") == "in\n"
    assert sc.status("busy") == "running"
