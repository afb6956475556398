"""Restart policies kept by the monitor, on real runc: on-failure:N counts and gives up,
always restarts after exit 0 until stopped, rm -f of a restarting container, the restarting
state in ps and inspect, docker's validation of --restart."""

from __future__ import annotations

import time

from tests.integration.containers.kit import Scow, wait_for


def test_on_failure_restarts_three_times_then_stays_exited(one: Scow) -> None:
    one("run", "-d", "--name", "of", "--restart", "on-failure:3", "bb:1", "sh", "-c", "exit 1")
    assert one.out("wait", "of").strip() == "1"  # the first exit (dockerd's waiters too)
    wait_for(lambda: one.status("of") == "exited", 30)
    doc = one.inspect("of")
    assert doc["RestartCount"] == 3
    assert doc["State"]["Status"] == "exited" and not doc["State"]["Restarting"]
    assert doc["HostConfig"]["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    time.sleep(1)  # given up: never started again
    assert one.inspect("of")["RestartCount"] == 3
    assert one.out("start", "of").strip() == "of"  # a start resets the count
    assert one.out("wait", "of").strip() == "1"
    wait_for(lambda: one.status("of") == "exited", 30)
    assert one.inspect("of")["RestartCount"] == 3


def test_always_restarts_after_exit_zero_and_stop_ends_it(one: Scow) -> None:
    one("run", "-d", "--name", "al", "--restart", "always", "bb:1", "sh", "-c",
        "echo run; sleep 0.2")
    wait_for(lambda: one.inspect("al")["RestartCount"] >= 2, 15)
    one("stop", "-t", "1", "al")
    doc = one.inspect("al")
    assert doc["State"]["Status"] == "exited"
    count = doc["RestartCount"]
    time.sleep(1)
    assert one.inspect("al")["RestartCount"] == count and one.status("al") == "exited"
    assert one.out("logs", "al").count("run") in (count, count + 1)  # stopped in a back-off?


def test_restarting_state_in_ps_and_rm_force(one: Scow) -> None:
    one("run", "-d", "--name", "rs", "--restart", "always", "bb:1", "sh", "-c", "exit 2")
    wait_for(lambda: one.inspect("rs")["RestartCount"] >= 5, 30)  # back-off: 1.6 s next
    state = one.inspect("rs")["State"]
    if state["Restarting"]:
        assert state["Status"] == "restarting" and state["Running"] and state["ExitCode"] == 2
        status = one.out("ps", "--format", "{{.Status}}")
        assert status.startswith("Restarting (2) ") and status.strip().endswith("ago")
    assert one("rm", "rs", check=False).returncode == 1
    assert one.out("rm", "-f", "rs").strip() == "rs"
    assert one.out("ps", "-aq") == ""


def test_restart_flag_checked(one: Scow) -> None:
    for value, text in (("bogus", "unknown policy 'bogus'"),
                        ("on-failure:x", "maximum retry count must be an integer"),
                        ("always:3", "can only be used with 'on-failure'"),
                        (":3", "no policy provided before colon")):
        proc = one("create", "--restart", value, "bb:1", "true", check=False)
        assert proc.returncode != 0 and text in proc.stderr, proc.stderr
    proc = one("run", "--rm", "--restart", "always", "bb:1", "true", check=False)
    assert proc.returncode == 125 and "Conflicting options: --restart and --rm" in proc.stderr


def test_restart_policies_after_a_reboot(one: Scow) -> None:
    """`start --restart-policies` (the boot unit's command) starts `always` and
    `unless-stopped` containers again, except an `unless-stopped` one the user stopped."""
    import os
    import signal

    one("run", "-d", "--name", "us", "--restart", "unless-stopped", "bb:1", "sleep", "1000")
    one("run", "-d", "--name", "stopped", "--restart", "unless-stopped", "bb:1", "sleep", "1000")
    one("run", "-d", "--name", "never", "bb:1", "sleep", "1000")
    one("stop", "-t", "0", "stopped")
    for name in ("us", "never"):  # a reboot: the monitor and the container are gone
        state = one.state(name)
        pid = one.inspect(name)["State"]["Pid"]
        os.kill(state["shim_pid"], signal.SIGKILL)
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda n=name: one.status(n) == "exited", 10)  # type: ignore[misc]
    assert one.out("start", "--restart-policies") == "us\n"
    assert one.status("us") == "running"
    assert one.status("stopped") == "exited" and one.status("never") == "exited"
    proc = one("start", check=False)
    assert proc.returncode == 1 and "requires at least 1 argument" in proc.stderr


def test_stop_during_back_off(one: Scow) -> None:
    one("run", "-d", "--name", "bo", "--restart", "unless-stopped", "bb:1", "sh", "-c",
        "exit 4")
    wait_for(lambda: one.inspect("bo")["RestartCount"] >= 6, 30)  # back-off: 3.2 s next
    wait_for(lambda: one.inspect("bo")["State"]["Restarting"], 10)
    began = time.monotonic()
    one("stop", "bo")
    assert time.monotonic() - began < 3
    state = one.inspect("bo")["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 4 and not state["Restarting"]
    count = one.inspect("bo")["RestartCount"]
    time.sleep(1)
    assert one.inspect("bo")["RestartCount"] == count
    assert one.out("start", "--restart-policies") == ""  # stopped by the user


def test_kill_with_another_signal_than_the_stop_signal_keeps_the_policy(one: Scow) -> None:
    """moby's killWithSignal: SIGKILL and the StopSignal end the restart policy, any signal
    does when no StopSignal is set; another one (a HUP to reload) leaves it in place."""
    script = "trap 'exit 3' HUP; echo up; while true; do sleep 0.1; done"
    one("run", "-d", "--name", "keep", "--restart", "always", "--stop-signal", "SIGTERM",
        "bb:1", "sh", "-c", script)
    one("run", "-d", "--name", "ends", "--restart", "always", "bb:1", "sh", "-c", script)
    for name in ("keep", "ends"):
        wait_for(lambda n=name: "up" in one.out("logs", n), 15)
        one("kill", "-s", "HUP", name)
    wait_for(lambda: one.inspect("keep")["RestartCount"] == 1
             and one.status("keep") == "running", 15)
    wait_for(lambda: one.status("ends") == "exited", 15)
    time.sleep(1.5)  # past the first back-off: never restarted
    assert one.inspect("ends")["RestartCount"] == 0 and one.status("ends") == "exited"
    one("kill", "keep")  # SIGKILL ends it
    wait_for(lambda: one.status("keep") == "exited", 15)
    time.sleep(1.5)
    assert one.inspect("keep")["RestartCount"] == 1
    one("rm", "-f", "keep", "ends")
