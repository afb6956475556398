"""Owner tokens: a live owner is never taken for a dead one, however the calls interleave."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from scow.osutil.locks import OwnerToken


def test_a_token_is_never_visible_unlocked(tmp_path: Path) -> None:
    """A reaper running all the time never deletes the token of an owner being born (it
    once could: between the token file's creation and its flock)."""
    stop = threading.Event()

    def reap() -> None:
        reaper = OwnerToken(str(tmp_path))
        while not stop.is_set():
            reaper.reap_dead()

    thread = threading.Thread(target=reap)
    thread.start()
    try:
        witness = OwnerToken(str(tmp_path))
        for _ in range(300):
            owner = OwnerToken(str(tmp_path))
            name = owner.name
            assert witness.is_alive(name) and os.path.exists(tmp_path / name)
            owner.release()
            assert not witness.is_alive(name)
    finally:
        stop.set()
        thread.join()


def test_dead_owners_are_reaped(tmp_path: Path) -> None:
    reaper = OwnerToken(str(tmp_path))
    (tmp_path / "owner-1-dead").touch()
    (tmp_path / ".owner-2-unnamed").touch()
    assert reaper.reap_dead() == ["owner-1-dead"]
    assert sorted(os.listdir(tmp_path)) == []
