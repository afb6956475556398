"""Exec instances as the Engine API service keeps them (engine/containers/execs.py), on real
runc: one exec ID from exec_create to exec_die in the event log, exec_create logged when the
instance is created, a detached exec Running until its process ends."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from tests.integration.containers.kit import Scow, wait_for

from scow import Engine
from scow.errors import ScowError


@pytest.fixture
def engine(one: Scow) -> Iterator[Engine]:
    one("run", "-d", "--name", "ex", "bb:1", "sleep", "60")
    with Engine(str(one.root), "vfs") as eng:
        yield eng


def _exec_events(engine: Engine) -> list[tuple[str, str]]:
    return [(e["Action"], e["Actor"]["Attributes"].get("execID", ""))
            for e in engine.events(since=0, until="0s", filters={"container": ["ex"]})
            if e["Action"].startswith("exec_")]


def test_one_exec_id_from_create_to_die(engine: Engine) -> None:
    exec_id = engine.containers.exec_create("ex", ["sh", "-c", "exit 3"])
    assert _exec_events(engine) == [("exec_create: sh -c exit 3", exec_id)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        assert engine.containers.exec_start(exec_id, stdout=null, stderr=null) == 3
    finally:
        os.close(null)
    assert _exec_events(engine) == [("exec_create: sh -c exit 3", exec_id),
                                    ("exec_start: sh -c exit 3", exec_id),
                                    ("exec_die", exec_id)]
    rec = engine.containers.exec_inspect(exec_id).inspect()
    assert (rec["Running"], rec["ExitCode"]) == (False, 3)


def test_detached_exec_running_until_it_ends_with_its_exit_code(engine: Engine) -> None:
    exec_id = engine.containers.exec_create("ex", ["sh", "-c", "sleep 1; echo lost; exit 7"])
    assert engine.containers.exec_start(exec_id, detach=True) is None
    rec = engine.containers.exec_inspect(exec_id).inspect()
    assert (rec["Running"], rec["ExitCode"]) == (True, None)
    wait_for(lambda: not engine.containers.exec_inspect(exec_id).inspect()["Running"], 15,
             "the detached exec to end")
    assert engine.containers.exec_inspect(exec_id).inspect()["ExitCode"] == 7  # as dockerd
    wait_for(lambda: ("exec_die", exec_id) in _exec_events(engine), 5, "its exec_die event")


def test_detached_exec_that_cannot_start_fails_its_start(engine: Engine) -> None:
    exec_id = engine.containers.exec_create("ex", ["/no/such/binary"])
    with pytest.raises(ScowError, match="no such file or directory|not found"):
        engine.containers.exec_start(exec_id, detach=True)
    rec = engine.containers.exec_inspect(exec_id).inspect()
    assert (rec["Running"], rec["ExitCode"]) == (False, 126)
