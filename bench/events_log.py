"""owns: `python -m bench.events_log`: the figures behind docs/design/events.md: the cost of
one append against an SQLite insert, a replay of a full log, a follower's latency and CPU.
Standalone (not a scenario of `python -m bench`); prints, does not pass or fail."""

from __future__ import annotations

import resource
import sqlite3
import tempfile
import threading
import time

from scow.events import EventLog, make_event


def _append(root: str, n: int) -> float:
    log = EventLog(root)
    t = time.perf_counter()
    for _ in range(n):
        log.append(make_event("container", "start", "a" * 64, {"image": "busybox", "name": "x"}))
    return (time.perf_counter() - t) / n


def _sqlite(root: str, n: int) -> float:
    t = time.perf_counter()
    for _ in range(n):
        con = sqlite3.connect(f"{root}/bench.db")
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE IF NOT EXISTS e (line TEXT)")
        con.execute("INSERT INTO e VALUES (?)", ("x" * 350,))
        con.commit()
        con.close()
    return (time.perf_counter() - t) / n


def _follow(root: str, count: int = 20) -> tuple[float, float, float]:
    log = EventLog(root)
    lat: list[float] = []
    done = threading.Event()

    def writer() -> None:
        for _ in range(count):
            time.sleep(0.1)
            log.append(make_event("volume", "create", "v", {"t": repr(time.perf_counter())}))
        time.sleep(0.2)
        done.set()

    threading.Thread(target=writer).start()
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for event in log.read(follow=True, stop=done.is_set):
        stamp = event["Actor"]["Attributes"].get("t")
        if stamp:
            lat.append(time.perf_counter() - float(stamp))
    r1, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - t0
    cpu = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / wall
    return sum(lat) / len(lat), max(lat), cpu


def main() -> None:
    with tempfile.TemporaryDirectory() as root:
        print(f"append: {_append(root, 20000) * 1e6:.1f} us/event")
        print(f"sqlite connect+insert+commit: {_sqlite(root, 200) * 1e6:.0f} us")
        t = time.perf_counter()
        count = sum(1 for _ in EventLog(root).read())
        print(f"replay {count} events: {(time.perf_counter() - t) * 1e3:.0f} ms")
    with tempfile.TemporaryDirectory() as root:
        mean, worst, cpu = _follow(root)
        print(f"follow latency: mean {mean * 1e3:.1f} ms, max {worst * 1e3:.1f} ms; "
              f"CPU {cpu * 100:.2f}% of a core (follower and writer)")


if __name__ == "__main__":
    main()
