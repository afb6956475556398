"""The event log itself (scow.events), without containers: appends from many processes stay
whole lines, rotation keeps the log bounded and replay spans it, followers see new events and
survive a rotation, docker's filters and time values."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest

from scow.errors import InvalidArgument
from scow.events import EventLog, format_line, make_event, matches, parse_filters, parse_time
from scow.events.log import MAX_LINE


def _writer(root: str, tag: str, n: int, max_size: int) -> None:
    log = EventLog(root, max_size=max_size)
    for i in range(n):
        log.append(make_event("container", "start", f"{tag}{i:05d}", {"pad": "x" * 200}))


def _spawn(root: Path, count: int, n: int, max_size: int) -> None:
    ctx = multiprocessing.get_context("spawn")  # no fork from a threaded pytest
    procs = [ctx.Process(target=_writer, args=(str(root), f"w{k}-", n, max_size))
             for k in range(count)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0


def test_concurrent_processes_write_whole_lines(tmp_path: Path) -> None:
    _spawn(tmp_path, 4, 300, 64 << 20)
    lines = (tmp_path / "events" / "events.log").read_bytes().splitlines()
    assert len(lines) == 1200
    assert (tmp_path / "events").stat().st_mode & 0o777 == 0o700  # store/modes.py's table
    assert (tmp_path / "events" / "events.log").stat().st_mode & 0o777 == 0o600
    ids = [json.loads(line)["Actor"]["ID"] for line in lines]  # every line parses
    for k in range(4):  # each writer's events in its own order
        mine = [i for i in ids if i.startswith(f"w{k}-")]
        assert mine == sorted(mine) and len(mine) == 300


def test_rotation_bounds_the_log_and_replay_spans_it(tmp_path: Path) -> None:
    max_size = 64 << 10
    _spawn(tmp_path, 2, 1000, max_size)  # ~600 KB written in all: several rotations
    folder = tmp_path / "events"
    assert sorted(os.listdir(folder)) == ["events.log", "events.log.1", "rotate.lock"]
    size = sum(p.stat().st_size for p in folder.iterdir())
    assert size <= 2 * max_size + 2 * MAX_LINE
    events = list(EventLog(str(tmp_path), max_size=max_size).read())
    assert len(events) * 300 > max_size  # more than the current file holds: .1 is read too
    stamps = [e["timeNano"] for e in events]
    old = (folder / "events.log.1").read_bytes().count(b"\n")
    assert stamps[old - 1] <= stamps[old] + 10**8  # .1 first, then the current file
    for k in range(2):  # within a writer, replay keeps its order across the rotation
        mine = [e["Actor"]["ID"] for e in events if e["Actor"]["ID"].startswith(f"w{k}-")]
        assert mine == sorted(mine)


def test_follow_sees_new_events_across_a_rotation(tmp_path: Path) -> None:
    log = EventLog(str(tmp_path), max_size=4096)
    log.append(make_event("image", "tag", "sha256:a", {"name": "a:1"}))
    seen: list[str] = []
    stop = threading.Event()

    def follow() -> None:
        for event in log.read(follow=True, stop=stop.is_set):
            seen.append(event["Actor"]["ID"])

    t = threading.Thread(target=follow)
    t.start()
    try:
        time.sleep(0.2)
        for i in range(60):  # ~20 KB through a 4 KiB log: it rotates several times
            log.append(make_event("volume", "create", f"v{i:03d}", {"driver": "local"}))
            time.sleep(0.01)
        deadline = time.monotonic() + 5
        while len(seen) < 61 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        t.join(5)
    assert not t.is_alive()
    assert seen[0] == "sha256:a"
    # a writer that rotated more than once between two polls may take events with .1; what
    # the follower saw is in order and, at this pace, complete
    assert seen[1:] == [f"v{i:03d}" for i in range(60)]


def test_follow_waits_for_a_log_that_does_not_exist_yet(tmp_path: Path) -> None:
    log = EventLog(str(tmp_path))
    stop = threading.Event()
    seen: list[str] = []
    t = threading.Thread(target=lambda: seen.extend(
        e["Action"] for e in log.read(follow=True, stop=stop.is_set)))
    t.start()
    time.sleep(0.15)
    log.append(make_event("network", "create", "n1", {"name": "n", "type": "bridge"}))
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    t.join(5)
    assert seen == ["create"]


def test_append_never_raises_and_cuts_huge_attributes(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    EventLog(str(blocked)).append(make_event("container", "die", "c", {}))  # not a folder
    (tmp_path / "r").mkdir()
    log = EventLog(str(tmp_path / "r"))
    log.append(make_event("container", "create", "c", {"big": "y" * 10000, "name": "n"}))
    raw = (tmp_path / "r" / "events" / "events.log").read_bytes()
    assert len(raw) <= MAX_LINE and raw.endswith(b"\n")
    event = json.loads(raw)
    assert event["Actor"]["Attributes"]["name"] == "n"
    assert len(event["Actor"]["Attributes"]["big"]) == 64


def test_torn_and_foreign_lines_are_skipped(tmp_path: Path) -> None:
    log = EventLog(str(tmp_path))
    log.append(make_event("volume", "create", "v1", {}))
    with open(log.path, "ab") as f:
        f.write(b"not json\n[1,2]\n")
    log.append(make_event("volume", "create", "v2", {}))
    with open(log.path, "ab") as f:
        f.write(b'{"Type": "volume", "Acti')  # a line still being written
    assert [e["Actor"]["ID"] for e in log.read()] == ["v1", "v2"]


def test_message_shape_is_dockers() -> None:
    ev = make_event("container", "start", "c1", {"image": "busybox", "name": "x"},
                    time_ns=1_700_000_000_123_456_789)
    assert list(ev) == ["status", "id", "from", "Type", "Action", "Actor", "scope", "time",
                        "timeNano"]
    assert (ev["status"], ev["id"], ev["from"]) == ("start", "c1", "busybox")
    assert ev["time"] == 1_700_000_000 and ev["scope"] == "local"
    assert list(make_event("image", "tag", "sha256:x", {"name": "a:1"})) == [
        "status", "id", "Type", "Action", "Actor", "scope", "time", "timeNano"]
    assert list(make_event("volume", "create", "v", {})) == [
        "Type", "Action", "Actor", "scope", "time", "timeNano"]


def test_format_line_is_dockers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        ev = make_event("container", "start", "c1", {"name": "x", "image": "busybox"},
                        time_ns=1_796_618_462_000_000_005)
        assert format_line(ev) == ("2026-12-07T04:41:02.000000005Z container start c1 "
                                   "(image=busybox, name=x)")
        assert format_line(make_event("volume", "prune", "", {}, time_ns=10**9)) == \
            "1970-01-01T00:00:01.000000000Z volume prune "
        monkeypatch.setenv("TZ", "XYZ-2")  # Go prints local time with its offset
        time.tzset()
        assert format_line(ev).startswith("2026-12-07T06:41:02.000000005+02:00 ")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_filters_are_dockers() -> None:
    c = make_event("container", "exec_create: sh -c true", "cid",
                   {"image": "bb:1", "name": "web", "tier": "front", "execID": "e"})
    img = make_event("image", "tag", "sha256:i", {"name": "bb:1"})
    vol = make_event("volume", "mount", "data", {"container": "cid", "driver": "local"})

    def m(ev: dict[str, object], **f: object) -> bool:
        return matches(ev, parse_filters(f))

    assert m(c) and m(c, type="container") and not m(c, type="image")
    assert m(c, event="exec_create") and m(c, event=["die", "exec_create"])
    assert not m(c, event="exec_start")
    assert m(c, container="web") and m(c, container="cid") and not m(c, container="we")
    assert m(c, image="bb:1") and m(img, image="bb:1") and m(img, image="sha256:i")
    assert not m(vol, image="bb:1")
    assert m(c, label="tier") and m(c, label="tier=front") and not m(c, label="tier=back")
    assert m(vol, volume="data") and m(vol, container="cid") and not m(c, volume="data")
    assert m(c, scope="local") and not m(c, scope="swarm")
    assert m(c, type="container", event="exec_create", label="tier=front")
    with pytest.raises(InvalidArgument, match="invalid filter 'colour'"):
        parse_filters({"colour": "red"})


def test_time_values_are_dockers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_time("1700000000") == 1_700_000_000 * 10**9
    assert parse_time("1700000000.5") == 1_700_000_000_500_000_000
    assert parse_time("1700000000.000000001") == 1_700_000_000_000_000_001
    assert parse_time("2023-11-14T22:13:20Z") == 1_700_000_000 * 10**9
    assert parse_time("2023-11-14T23:13:20.25+01:00") == 1_700_000_000_250_000_000
    assert parse_time("10m", now=1000.0) == 400 * 10**9
    assert parse_time("1h30m", now=10_000.0) == 4_600 * 10**9
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert parse_time("2023-11-14") == 1_699_920_000 * 10**9
        assert parse_time("2023-11-14T22:13:20") == 1_700_000_000 * 10**9
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    for bad in ("yesterday", "2023-13-45", "10 minutes"):
        with pytest.raises(InvalidArgument, match="^parse time"):
            parse_time(bad)


def test_a_missing_root_is_not_made_again(tmp_path: Path) -> None:
    log = EventLog(str(tmp_path / "gone"))
    log.append(make_event("container", "die", "c", {"exitCode": "0"}))
    assert not (tmp_path / "gone").exists()
    assert list(log.read()) == []
