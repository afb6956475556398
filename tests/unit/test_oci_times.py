"""RFC 3339 times as docker writes them, parsed without datetime (it is on scow ps's path):
checked against datetime for any instant, offset and fraction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from scow.oci.image import parse_time, rfc3339_nano


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
       st.integers(min_value=-14 * 60, max_value=14 * 60), st.integers(0, 999999))
def test_parse_time_agrees_with_datetime(when: datetime, minutes: int, micros: int) -> None:
    zone = timezone(timedelta(minutes=minutes))
    aware = when.replace(microsecond=micros, tzinfo=zone)
    text = aware.isoformat()
    assert abs(parse_time(text) - aware.timestamp()) < 1e-5


def test_go_forms() -> None:
    assert parse_time("2026-11-29T09:15:13.786102607Z") == datetime(
        2026, 11, 29, 9, 15, 13, tzinfo=UTC).timestamp() + 0.786102607
    assert parse_time("0001-01-01T00:00:00Z") < 0  # Go's zero time: "never"
    assert parse_time("") == parse_time("garbage") == parse_time("2023-11-14T22:13:20x") == 0.0
    assert rfc3339_nano(1700000000.5) == "2023-11-14T22:13:20.5Z"
    assert rfc3339_nano(1700000000) == "2023-11-14T22:13:20Z"
