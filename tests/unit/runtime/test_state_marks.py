"""runtime/state.py's helpers every layer above uses: ContainerState.active (running or
restarting, docker's State.Running) and the `paused` marker of a container folder."""

from __future__ import annotations

from pathlib import Path

from scow.runtime.state import ContainerState, is_paused, paused_marker


def test_active_while_running_or_restarting() -> None:
    assert [ContainerState(status=s).active for s in
            ("created", "running", "restarting", "exited")] == [False, True, True, False]


def test_paused_marker_of_a_folder(tmp_path: Path) -> None:
    assert paused_marker(str(tmp_path)) == str(tmp_path / "paused")
    assert not is_paused(str(tmp_path))
    (tmp_path / "paused").touch()
    assert is_paused(str(tmp_path))
