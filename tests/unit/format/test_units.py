"""go-units sizes and durations, Go durations, IDs and docker's ellipsis."""

from __future__ import annotations

import pytest

from scow.format.units import (
    InvalidDuration,
    InvalidSize,
    bytes_size,
    created_ago,
    ellipsis,
    format_duration,
    human_duration,
    human_size,
    parse_duration,
    parse_size,
    truncate_id,
)


@pytest.mark.parametrize(("n", "want"), [
    (0, "0B"), (5, "5B"), (999, "999B"), (1000, "1kB"), (1024, "1.02kB"), (1500, "1.5kB"),
    (999_000, "999kB"), (999_499, "999kB"), (999_999, "1e+03kB"), (1_000_000, "1MB"),
    (1_084_276, "1.08MB"), (3_960_000, "3.96MB"), (7_750_000, "7.75MB"),
    (1_000_000_000, "1GB"), (1_080_000_000, "1.08GB"), (10**12, "1TB"), (10**24, "1YB"),
    (10**27, "1e+03YB"),
])
def test_human_size(n: int, want: str) -> None:
    assert human_size(n) == want


def test_human_size_precision_and_binary() -> None:
    assert human_size(1_234_567, 4) == "1.235MB"
    assert bytes_size(1023) == "1023B"
    assert bytes_size(1536) == "1.5KiB"
    assert bytes_size(10 * 1024 * 1024) == "10MiB"


@pytest.mark.parametrize(("secs", "want"), [
    (0, "Less than a second"), (0.99, "Less than a second"), (1, "1 second"),
    (2, "2 seconds"), (59.9, "59 seconds"), (60, "About a minute"),
    (119, "About a minute"), (120, "2 minutes"), (3599, "59 minutes"),
    (3600, "About an hour"), (5399, "About an hour"), (5400, "2 hours"),
    (47 * 3600, "47 hours"), (47.5 * 3600, "2 days"), (13 * 86400, "13 days"),
    (14 * 86400 - 1801, "13 days"), (14 * 86400, "2 weeks"), (59 * 86400, "8 weeks"),
    (60 * 86400, "2 months"), (729 * 86400, "24 months"), (730 * 86400, "2 years"),
])
def test_human_duration_thresholds(secs: float, want: str) -> None:
    assert human_duration(secs) == want


def test_created_ago() -> None:
    assert created_ago(1000.0, now=1090.0) == "About a minute ago"
    assert created_ago(0.0, now=7200.0) == "2 hours ago"


@pytest.mark.parametrize(("text", "binary", "want"), [
    ("32", True, 32), ("32b", True, 32), ("32B", True, 32), ("10m", True, 10 * 1024**2),
    ("10MB", True, 10 * 1024**2), ("10 mb", True, 10 * 1024**2), ("1kiB", True, 1024),
    ("1.5g", True, int(1.5 * 1024**3)), ("44kB", False, 44_000), ("1t", False, 10**12),
])
def test_parse_size(text: str, binary: bool, want: int) -> None:
    assert parse_size(text, binary=binary) == want


@pytest.mark.parametrize(("text", "msg"), [
    ("abc", "invalid size: 'abc'"), ("1q", "invalid suffix: 'q'"),
    ("1kbb", "invalid suffix: 'kbb'"), ("1bk", "invalid suffix: 'bk'"),
    ("1kx", "invalid suffix: 'kx'"), ("1.2.3k", "invalid syntax"),
])
def test_parse_size_errors(text: str, msg: str) -> None:
    with pytest.raises(InvalidSize, match=msg):
        parse_size(text)


@pytest.mark.parametrize(("text", "ns"), [
    ("0", 0), ("300ms", 300_000_000), ("-1.5h", -5_400_000_000_000),
    ("2h45m", 9_900_000_000_000), ("1.5s", 1_500_000_000), ("1us", 1000), ("1µs", 1000),
    ("10m", 600_000_000_000), ("+5ns", 5), (".5s", 500_000_000),
])
def test_parse_duration(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize(("text", "msg"), [
    ("", 'invalid duration ""'), ("1", 'missing unit in duration "1"'),
    ("1d", 'unknown unit "d" in duration "1d"'), ("h", 'invalid duration "h"'),
])
def test_parse_duration_errors(text: str, msg: str) -> None:
    with pytest.raises(InvalidDuration, match=msg):
        parse_duration(text)


@pytest.mark.parametrize(("ns", "want"), [
    (0, "0s"), (1, "1ns"), (1500, "1.5µs"), (1_500_000, "1.5ms"), (1_500_000_000, "1.5s"),
    (60 * 10**9, "1m0s"), (3600 * 10**9, "1h0m0s"), (3723 * 10**9, "1h2m3s"),
    (-1_500_000_000, "-1.5s"), (10**9 + 1, "1.000000001s"),
])
def test_format_duration(ns: int, want: str) -> None:
    assert format_duration(ns) == want


def test_truncate_id() -> None:
    assert truncate_id("sha256:" + "ab" * 32) == "ab" * 6
    assert truncate_id("abc") == "abc"


def test_ellipsis() -> None:
    assert ellipsis("abcdef", 4) == "abc…"
    assert ellipsis("abcd", 4) == "abcd"
    assert ellipsis("abc", 0) == ""
    assert ellipsis("日本語テキスト", 5) == "日本…"
    created_by = "/bin/sh -c #(nop) ADD file:0123456789abcdef0123 in / "
    cut = ellipsis(created_by, 45)
    assert len(cut) == 45 and cut.endswith("…") and created_by.startswith(cut[:-1])
