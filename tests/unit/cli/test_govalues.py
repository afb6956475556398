"""Go's value syntax as docker's flags take it: strconv.ParseBool/ParseInt, time.ParseDuration,
Duration.String and %q quoting, with Go's error messages."""

from __future__ import annotations

import pytest

from scow.cli.govalues import format_duration, go_quote, parse_bool, parse_duration, parse_int


@pytest.mark.parametrize(("text", "want"), [
    ("0", 0), ("42", 42), ("-5", -5), ("+5", 5), ("0x10", 16), ("0X1f", 31), ("010", 8),
    ("0o17", 15), ("0b101", 5), ("1_000", 1000), ("0x_ff", 255), ("-0", 0),
    ("9223372036854775807", 2**63 - 1), ("-9223372036854775808", -2**63),
])
def test_parse_int_accepts_go_base_zero(text: str, want: int) -> None:
    assert parse_int(text) == want


@pytest.mark.parametrize("text", [
    "", "-", "x", " 5", "5 ", "1.0", "08", "0x", "0b2", "_1", "1_", "1__0", "0x__1", "١٢",
    "1e3",
])
def test_parse_int_rejects(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_int(text)
    assert str(info.value) == f"strconv.ParseInt: parsing {go_quote(text)}: invalid syntax"


def test_parse_int_range() -> None:
    with pytest.raises(ValueError, match="value out of range"):
        parse_int("9223372036854775808")
    with pytest.raises(ValueError, match="value out of range"):
        parse_int("128", bits=8)


@pytest.mark.parametrize("text", ["1", "t", "T", "TRUE", "true", "True"])
def test_parse_bool_true(text: str) -> None:
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["0", "f", "F", "FALSE", "false", "False"])
def test_parse_bool_false(text: str) -> None:
    assert parse_bool(text) is False


@pytest.mark.parametrize("text", ["", "yes", "tRUE", "on", " true"])
def test_parse_bool_rejects(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_bool(text)
    assert str(info.value) == f"strconv.ParseBool: parsing {go_quote(text)}: invalid syntax"


@pytest.mark.parametrize(("text", "seconds"), [
    ("0", 0.0), ("10s", 10.0), ("1m30s", 90.0), ("1.5h", 5400.0), ("300ms", 0.3),
    ("-1s", -1.0), ("+2m", 120.0), ("1h2m3s4ms", 3723.004), (".5s", 0.5), ("5.s", 5.0),
    ("10us", 1e-5), ("10µs", 1e-5), ("10μs", 1e-5), ("7ns", 7e-9), ("1s500ms", 1.5),
])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(("text", "message"), [
    ("", 'time: invalid duration ""'),
    ("x", 'time: invalid duration "x"'),
    ("s", 'time: invalid duration "s"'),
    (".s", 'time: invalid duration ".s"'),
    ("-", 'time: invalid duration "-"'),
    ("1", 'time: missing unit in duration "1"'),
    ("1s2", 'time: missing unit in duration "1s2"'),
    ("1.5.5s", 'time: missing unit in duration "1.5.5s"'),
    ("1d", 'time: unknown unit "d" in duration "1d"'),
    ("5 s", 'time: unknown unit " s" in duration "5 s"'),
    ("3000000h", 'time: invalid duration "3000000h"'),
])
def test_parse_duration_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    assert str(info.value) == message


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (10, "10s"), (90, "1m30s"), (3600, "1h0m0s"), (3723.5, "1h2m3.5s"),
    (0.5, "500ms"), (0.0015, "1.5ms"), (1.5e-6, "1.5µs"), (1e-9, "1ns"), (-2, "-2s"),
    (60, "1m0s"), (10.25, "10.25s"),
])
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(("text", "quoted"), [
    ("abc", '"abc"'), ('a"b', '"a\\"b"'), ("a\\b", '"a\\\\b"'), ("\n\t", '"\\n\\t"'),
    ("\x01\x7f", '"\\x01\\x7f"'), ("é", '"é"'), ("\u200b", '"\\u200b"'),
    ("\udcff", '"\\xff"'),  # a raw argv byte decoded with surrogateescape
])
def test_go_quote(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted
