"""The json-file log writer (rotation, partial lines) and reader (tail, since/until)."""

from __future__ import annotations

import json
from pathlib import Path

from scow.runtime.logs import JsonFileWriter, read_logs
from scow.runtime.state import rfc3339nano


def test_lines_partial_lines_and_streams(tmp_path: Path) -> None:
    path = str(tmp_path / "container.log")
    w = JsonFileWriter(path)
    w.write("stdout", b"a\nb", now="2026-01-01T00:00:00Z")
    w.write("stderr", b"e\n", now="2026-01-01T00:00:01Z")
    w.write("stdout", b"c\n", now="2026-01-01T00:00:02Z")
    w.write("stdout", b"\xff tail")
    w.close()
    lines = Path(path).read_text().splitlines()
    assert lines[0] == '{"log":"a\\n","stream":"stdout","time":"2026-01-01T00:00:00Z"}'
    assert [json.loads(x)["log"] for x in lines] == ["a\n", "e\n", "bc\n", "\ufffd tail"]


def test_rotation_keeps_max_file_files(tmp_path: Path) -> None:
    path = str(tmp_path / "container.log")
    w = JsonFileWriter(path, max_size=200, max_file=3)
    for i in range(100):
        w.write("stdout", f"line {i}\n".encode())
    w.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["container.log", "container.log.1", "container.log.2"]
    got = [int(e.data.split()[1]) for e in read_logs(path)]
    assert got[-1] == 99 and got == list(range(got[0], 100)) and len(got) < 100


def test_max_file_1_truncates(tmp_path: Path) -> None:
    path = str(tmp_path / "container.log")
    w = JsonFileWriter(path, max_size=100, max_file=1)
    for i in range(20):
        w.write("stdout", f"{i}\n".encode())
    w.close()
    assert [p.name for p in tmp_path.iterdir()] == ["container.log"]
    assert [e.data for e in read_logs(path)][-1] == b"19\n"


def test_tail_since_until(tmp_path: Path) -> None:
    path = str(tmp_path / "container.log")
    w = JsonFileWriter(path)
    for i in range(5):
        w.write("stdout", f"{i}\n".encode(), now=f"2026-01-01T00:00:0{i}.5Z")
    w.close()
    assert [e.data for e in read_logs(path, tail=2)] == [b"3\n", b"4\n"]
    assert list(read_logs(path, tail=0)) == []
    got = read_logs(path, since="2026-01-01T00:00:01Z", until="2026-01-01T00:00:03.5Z")
    assert [e.data for e in got] == [b"1\n", b"2\n", b"3\n"]


def test_rfc3339nano_like_go() -> None:
    assert rfc3339nano(1_795_941_019_000_000_000) == "2026-11-29T08:30:19Z"
    assert rfc3339nano(1_795_941_019_120_000_000) == "2026-11-29T08:30:19.12Z"

