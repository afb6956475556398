"""scow.fastjson against json itself: the same value for any document, the same text for any
value, json's own errors, and no `json` (nor `re`) imported when it succeeds."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scow import fastjson

SRC = Path(__file__).resolve().parents[2] / "src"

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@given(values, st.booleans(), st.booleans(), st.sampled_from([None, (",", ":"), (", ", ": ")]))
def test_dumps_is_json_dumps(value: object, ascii_only: bool, sort: bool,
                             separators: tuple[str, str] | None) -> None:
    assert fastjson.dumps(value, ensure_ascii=ascii_only, sort_keys=sort,
                          separators=separators) == json.dumps(
        value, ensure_ascii=ascii_only, sort_keys=sort, separators=separators)


@given(values, st.sampled_from(["", " ", "\n\t ", "\r\n"]), st.booleans())
def test_loads_is_json_loads(value: object, pad: str, as_bytes: bool) -> None:
    text = pad + json.dumps(value) + pad
    assert fastjson.loads(text.encode() if as_bytes else text) == json.loads(text)


def test_constants_indent_and_other_encodings() -> None:
    got = fastjson.loads('[NaN, Infinity, -Infinity, 1e400, 0.5]')
    assert math.isnan(got[0]) and got[1:4] == [math.inf, -math.inf, math.inf]
    assert fastjson.loads('{"a": 1}'.encode("utf-16")) == {"a": 1}
    assert fastjson.loads(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    assert fastjson.dumps({"a": [1]}, indent=4) == json.dumps({"a": [1]}, indent=4)
    assert fastjson.dumps("caf\u00e9") == '"caf\\u00e9"'


@pytest.mark.parametrize("text", ["", "  ", "[1,", "[1] x", "{'a': 1}", "\ufeff[]", "nul",
                                  '"\\ud800', "[1]]", '{"a" 1}'])
def test_invalid_documents_raise_json_errors(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as want:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        fastjson.loads(text)
    assert str(got.value) == str(want.value)


def test_unserializable_and_circular_values() -> None:
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        fastjson.dumps({"a": object()})
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        fastjson.dumps(loop)
    assert fastjson.dumps({"b": [1]}) == '{"b": [1]}'  # no marker left by the failures


def test_imports_no_json_package() -> None:
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from scow import fastjson; "
            "v = fastjson.loads(b' {\"a\": [1, 2.5, \"x\"]} '); fastjson.dumps(v); "
            "print(sorted(m for m in ('json', 're', 'enum') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(SRC)], check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("doc", ["{nope", "[1,", '{"a" 1}', "tru", '"\\x"'])
def test_errors_are_json_errors_in_a_process_that_never_imported_json(doc: str) -> None:
    """The C scanner raises json.decoder's JSONDecodeError only when json.decoder is already
    imported (3.11: a SystemError otherwise): a cold command gets json's own error."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from scow import fastjson\n"
            "try:\n    fastjson.loads(sys.argv[2])\n"
            "except ValueError as exc:\n    print(type(exc).__name__, exc)\n")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(SRC), doc], check=True,
                         capture_output=True, text=True).stdout.strip()
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(doc)
    assert out == f"JSONDecodeError {expected.value}"
