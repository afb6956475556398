"""docker's jsonmessage rendering: sizes, bars, plain (not a terminal) and tty modes."""

from __future__ import annotations

import io
import threading

import pytest

from scow.format.progress import ProgressWriter, human_size, progress_text


@pytest.mark.parametrize(("size", "want"), [
    (0, "0B"), (169, "169B"), (999, "999B"), (1000, "1kB"), (1234567, "1.235MB"),
    (3_400_000, "3.4MB"), (10**12, "1TB"), (123456789012, "123.5GB"),
])
def test_human_size_as_go_units(size: int, want: str) -> None:
    assert human_size(size) == want


def test_bar_as_docker_renders_it() -> None:
    # the trace: {"progress":"[==================================================>]     169B/169B"}
    assert progress_text(169, 169) == "[" + "=" * 50 + ">]     169B/169B"
    assert progress_text(1_200_000, 3_400_000) == \
        "[" + "=" * 17 + ">" + " " * 33 + "]    1.2MB/3.4MB"
    assert progress_text(0, 100) == "[>" + " " * 50 + "]       0B/100B"


def test_bar_edge_cases() -> None:
    assert progress_text(0, 0) == ""
    assert progress_text(5000, 0) == "     5kB"
    assert progress_text(300, 200) == "[" + "=" * 50 + ">]     300B"  # wonky total dropped
    assert progress_text(100, 200, width=80) == "    100B/200B"  # narrow: no bar


def test_plain_mode_prints_statuses_without_bars() -> None:
    out = io.StringIO()
    p = ProgressWriter(out, tty=False)
    p.line("Pulling from library/busybox", id="latest")
    p.update("f476d66f5408", "Pulling fs layer")
    p.update("f476d66f5408", "Downloading", 1000, 2000)
    p.update("f476d66f5408", "Verifying Checksum")
    p.update("f476d66f5408", "Download complete")
    p.update("f476d66f5408", "Extracting", 10, 20)
    p.update("f476d66f5408", "Pull complete")
    p.line("Digest: sha256:abc")
    assert out.getvalue() == (
        "latest: Pulling from library/busybox\n"
        "f476d66f5408: Pulling fs layer\n"
        "f476d66f5408: Verifying Checksum\n"
        "f476d66f5408: Download complete\n"
        "f476d66f5408: Pull complete\n"
        "Digest: sha256:abc\n")


def test_tty_mode_updates_rows_in_place() -> None:
    out = io.StringIO()
    p = ProgressWriter(out, tty=True, width=120)
    p.update("aaa", "Pulling fs layer")
    p.update("bbb", "Waiting")
    p.update("aaa", "Downloading", 50, 100)
    p.line("Digest: x")
    p.update("aaa", "Pushed")
    bar = "[" + "=" * 25 + ">" + " " * 25 + "]      50B/100B"
    assert out.getvalue() == (
        "\n\x1b[1A\x1b[2K\raaa: Pulling fs layer \r\x1b[1B"
        "\n\x1b[1A\x1b[2K\rbbb: Waiting \r\x1b[1B"
        f"\x1b[2A\x1b[2K\raaa: Downloading {bar}\r\x1b[2B"
        "Digest: x\n"
        "\n\x1b[1A\x1b[2K\raaa: Pushed \r\x1b[1B")


def test_concurrent_updates_write_whole_rows() -> None:
    out = io.StringIO()
    p = ProgressWriter(out, tty=False)

    def work(n: int) -> None:
        for i in range(200):
            p.update(f"layer{n}", f"status {i}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = out.getvalue().splitlines()
    assert len(lines) == 1000
    assert all(line.startswith("layer") and ": status " in line for line in lines)
