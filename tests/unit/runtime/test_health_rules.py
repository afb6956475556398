"""moby's rules for a probe's result (streak, start period, retries, last five), the probe's
command and Go's duration text, without a container."""

from __future__ import annotations

from pathlib import Path

from scow.runtime.health import HealthMonitor, go_duration, probe_argv, read_health
from scow.runtime.runc import Runc


def _result(code: int) -> dict[str, object]:
    return {"Start": "s", "End": "e", "ExitCode": code, "Output": ""}


def test_streak_start_period_and_retries(tmp_path: Path) -> None:
    m = HealthMonitor(str(tmp_path), "c" * 64, Runc(), {"Test": ["CMD", "true"], "Retries": 2})
    m.record(_result(1), in_start_period=True)  # starting, in the start period: not counted
    assert (m.health["Status"], m.health["FailingStreak"]) == ("starting", 0)
    m.record(_result(1), in_start_period=False)
    assert (m.health["Status"], m.health["FailingStreak"]) == ("starting", 1)
    m.record(_result(1), in_start_period=False)
    assert (m.health["Status"], m.health["FailingStreak"]) == ("unhealthy", 2)
    m.record(_result(0), in_start_period=False)
    assert (m.health["Status"], m.health["FailingStreak"]) == ("healthy", 0)
    m.record(_result(1), in_start_period=True)  # healthy once: the start period is over
    assert m.health["FailingStreak"] == 1
    for _ in range(6):
        m.record(_result(0), in_start_period=False)
    assert len(m.health["Log"]) == 5
    assert read_health(str(tmp_path)) == m.health


def test_probe_argv_and_durations() -> None:
    assert probe_argv({"Test": ["CMD-SHELL", "curl -f localhost"]}) == \
        ["/bin/sh", "-c", "curl -f localhost"]
    assert probe_argv({"Test": ["CMD", "true", "x"]}) == ["true", "x"]
    assert probe_argv({"Test": ["NONE"]}) is None and probe_argv(None) is None
    assert [go_duration(n) for n in (30_000_000_000, 300_000_000, 90_000_000_000,
                                     1_500_000_000)] == ["30s", "300ms", "1m30s", "1.5s"]
