"""Health checks run by the monitor on real runc: a passing check turns healthy, a failing
one unhealthy after its retries, both shown in inspect's State.Health and in ps; the image's
HEALTHCHECK and --no-healthcheck; no probe while paused; the flags' checks."""

from __future__ import annotations

import time

from tests.integration.containers.kit import Scow, wait_for


def _health(sc: Scow, name: str) -> dict:  # type: ignore[type-arg]
    return sc.inspect(name)["State"].get("Health") or {}


def test_passing_check_turns_healthy(one: Scow) -> None:
    one("run", "-d", "--name", "ok", "--health-cmd", "echo fine", "--health-interval",
        "200ms", "bb:1", "sleep", "1000")
    config = one.inspect("ok")["Config"]["Healthcheck"]
    assert config == {"Test": ["CMD-SHELL", "echo fine"], "Interval": 200_000_000,
                      "Timeout": 0, "StartPeriod": 0, "StartInterval": 0, "Retries": 0}
    wait_for(lambda: _health(one, "ok").get("Status") == "healthy", 15)
    health = _health(one, "ok")
    assert health["FailingStreak"] == 0
    entry = health["Log"][-1]
    assert entry["ExitCode"] == 0 and entry["Output"] == "fine\n"
    assert entry["Start"] <= entry["End"]
    assert one.out("ps", "--format", "{{.Status}}").strip().endswith("(healthy)")
    wait_for(lambda: len(_health(one, "ok")["Log"]) == 5, 15)
    time.sleep(0.5)
    assert len(_health(one, "ok")["Log"]) == 5  # the last five only


def test_failing_check_turns_unhealthy_after_retries(one: Scow) -> None:
    one("run", "-d", "--name", "bad", "--health-cmd", "echo oops; exit 3",
        "--health-interval", "1s", "--health-retries", "2", "bb:1", "sleep", "1000")
    assert _health(one, "bad")["Status"] == "starting"
    assert "(health: starting)" in one.out("ps", "--format", "{{.Status}}")
    wait_for(lambda: _health(one, "bad").get("FailingStreak", 0) >= 1, 15)
    wait_for(lambda: _health(one, "bad")["Status"] == "unhealthy", 15)
    health = _health(one, "bad")
    assert health["FailingStreak"] >= 2
    assert health["Log"][-1]["ExitCode"] == 3 and health["Log"][-1]["Output"] == "oops\n"
    assert one.out("ps", "--format", "{{.Status}}").strip().endswith("(unhealthy)")


def test_probe_timeout(one: Scow) -> None:
    one("run", "-d", "--name", "slow", "--health-cmd", "sleep 5", "--health-interval",
        "100ms", "--health-timeout", "300ms", "--health-retries", "1", "bb:1", "sleep", "1000")
    wait_for(lambda: _health(one, "slow").get("Status") == "unhealthy", 20)
    entry = _health(one, "slow")["Log"][-1]
    assert entry["ExitCode"] == -1
    assert entry["Output"] == "Health check exceeded timeout (300ms)"


def test_image_healthcheck_and_no_healthcheck(one: Scow) -> None:
    one("run", "--name", "base", "--health-cmd", "true", "--health-interval", "100ms",
        "bb:1", "true")
    one("commit", "base", "bbh:1")  # commit keeps Config.Healthcheck as the image's
    one("run", "-d", "--name", "inherit", "--health-retries", "5", "bbh:1", "sleep", "1000")
    check = one.inspect("inherit")["Config"]["Healthcheck"]
    assert check["Test"] == ["CMD-SHELL", "true"] and check["Retries"] == 5
    assert check["Interval"] == 100_000_000
    wait_for(lambda: _health(one, "inherit").get("Status") == "healthy", 15)
    one("create", "--name", "off", "--no-healthcheck", "bbh:1", "sleep", "1000")
    assert one.inspect("off")["Config"]["Healthcheck"] == {"Test": ["NONE"]}
    assert "Health" not in one.inspect("off")["State"]


def test_no_probe_while_paused(one: Scow) -> None:
    one("run", "-d", "--name", "pz", "--health-cmd", "exit 1", "--health-interval", "100ms",
        "--health-retries", "1000", "bb:1", "sleep", "1000")
    wait_for(lambda: _health(one, "pz").get("FailingStreak", 0) >= 1, 15)
    one("pause", "pz")
    time.sleep(0.3)
    streak = _health(one, "pz")["FailingStreak"]
    time.sleep(0.6)
    assert _health(one, "pz")["FailingStreak"] == streak
    assert one.out("ps", "--format", "{{.Status}}").strip().endswith("(Paused)")
    one("unpause", "pz")
    wait_for(lambda: _health(one, "pz")["FailingStreak"] > streak, 15)


def test_health_flags_checked(one: Scow) -> None:
    proc = one("create", "--no-healthcheck", "--health-cmd", "true", "bb:1", "true",
               check=False)
    assert proc.returncode != 0
    assert "--no-healthcheck conflicts with --health-* options" in proc.stderr
    proc = one("create", "--health-retries", "-1", "bb:1", "true", check=False)
    assert proc.returncode != 0 and "--health-retries cannot be negative" in proc.stderr
