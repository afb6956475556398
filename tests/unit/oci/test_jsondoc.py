"""The one bounded JSON reader: size and nesting limits before the parser, one-line errors."""

from __future__ import annotations

import pytest

from scow.errors import InvalidArgument, MalformedArchive
from scow.oci.jsondoc import MAX_DEPTH, load_document, nesting_depth


@pytest.mark.parametrize(("data", "depth"), [
    (b"{}", 1), (b"1", 0), (b'{"a": [1, {"b": "[[[[\\"]]"}]}', 3), (b'"{{{"', 0),
    (b"[" * 50 + b"]" * 50, 50),
])
def test_nesting_depth_ignores_strings(data: bytes, depth: int) -> None:
    assert nesting_depth(data) == depth


@pytest.mark.parametrize(("data", "text"), [
    (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
    (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nested too deeply"),
    (b"{nope", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b" " * 1_000_001, "exceeds the 1000000 byte limit"),
])
def test_hostile_documents_are_one_line_errors(data: bytes, text: str) -> None:
    with pytest.raises(MalformedArchive, match=text) as info:
        load_document(data, "load: manifest.json", limit=1_000_000, error=MalformedArchive)
    assert "\n" not in str(info.value) and str(info.value).startswith("load: manifest.json: ")


def test_documents_within_limits_parse() -> None:
    deep = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert load_document(deep, "x") is not None
    assert load_document('{"é": "[["}', "x") == {"é": "[["}
    with pytest.raises(InvalidArgument):
        load_document(b"", "x")
