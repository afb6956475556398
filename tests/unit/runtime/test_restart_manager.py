"""The monitor's restart decisions (moby's RestartManager) and --restart's checks."""

from __future__ import annotations

import pytest

from scow.errors import InvalidArgument
from scow.runtime.restart import RestartManager, parse_policy, read_policy, write_policy


def test_back_off_doubles_and_resets_after_ten_seconds() -> None:
    m = RestartManager()
    always = {"Name": "always", "MaximumRetryCount": 0}
    delays = [m.should_restart(always, 0, False, 0.5) for _ in range(4)]
    assert delays == [0.1, 0.2, 0.4, 0.8]
    assert m.should_restart(always, 0, False, 12.0) == 0.1  # a run of 10 s resets it
    for _ in range(20):
        delay = m.should_restart(always, 0, False, 0.1)
    assert delay == 60.0  # capped at a minute


def test_policies() -> None:
    on_failure = {"Name": "on-failure", "MaximumRetryCount": 2}
    m = RestartManager()
    assert m.should_restart(on_failure, 0, False, 1) is None  # success: no restart
    assert m.should_restart(on_failure, 1, False, 1) is not None
    assert m.should_restart(on_failure, 1, False, 1) is not None
    assert m.should_restart(on_failure, 1, False, 1) is None  # two restarts made
    unlimited = {"Name": "on-failure", "MaximumRetryCount": 0}
    m = RestartManager()
    assert all(m.should_restart(unlimited, 1, False, 1) for _ in range(50))
    for name in ("always", "unless-stopped", "on-failure"):
        assert RestartManager().should_restart({"Name": name, "MaximumRetryCount": 0}, 1,
                                               True, 1) is None  # stopped by the user
    assert RestartManager().should_restart({"Name": "no", "MaximumRetryCount": 0}, 1,
                                           False, 1) is None


def test_parse_and_files(tmp_path: object) -> None:
    assert parse_policy("on-failure:3") == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert parse_policy("unless-stopped") == {"Name": "unless-stopped", "MaximumRetryCount": 0}
    with pytest.raises(InvalidArgument, match="cannot be negative"):
        parse_policy("on-failure:-1")
    folder = str(tmp_path)
    assert read_policy(folder) == {"Name": "no", "MaximumRetryCount": 0}
    write_policy(folder, {"Name": "always"})
    assert read_policy(folder) == {"Name": "always", "MaximumRetryCount": 0}
    with pytest.raises(InvalidArgument):
        write_policy(folder, {"Name": "sometimes"})
