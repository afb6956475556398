"""encoding/json as docker prints it: `json` template function and `inspect`'s indent."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scow.format.gojson import JSONError, _quote_chars, marshal, marshal_indent, quote_json
from scow.format.govalue import NIL_MAP, NIL_SLICE, GoTime, Struct


def test_struct_fields_keep_order_names_and_omitempty() -> None:
    value = Struct({"Zeta": 1, "Alpha": "", "Hidden": 3, "Api": "1.50", "Empty": []},
                   omitempty=("Alpha", "Empty"), json_names={"Hidden": "-", "Api": "ApiV"})
    assert marshal(value) == '{"Zeta":1,"ApiV":"1.50"}'


def test_objects_with_go_fields_marshal_like_structs() -> None:
    class Row:
        __go_fields__ = ("ID", "Labels")
        __go_omitempty__ = ("Labels",)
        __go_json_names__ = {"ID": "Id"}

        def __init__(self) -> None:
            self.ID, self.Labels = "abc", {}

    assert marshal(Row()) == '{"Id":"abc"}'


def test_maps_sort_keys_and_nils_are_null() -> None:
    assert marshal({"b": NIL_SLICE, "a": NIL_MAP, "c": None}) == '{"a":null,"b":null,"c":null}'
    assert marshal({2: "x", 10: "y"}) == '{"10":"y","2":"x"}'  # keys sorted as strings


@pytest.mark.parametrize(("value", "want"), [
    (1.5, "1.5"), (100.0, "100"), (1e20, "100000000000000000000"), (1e21, "1e+21"),
    (0.000001, "0.000001"), (1e-7, "1e-7"), (-0.0, "-0"), (123456789.0, "123456789"),
])
def test_floats_like_go(value: float, want: str) -> None:
    assert marshal(value) == want


def test_string_escapes() -> None:
    assert marshal("a<b>&\u2028\t\x01\"\\") == '"a<b>&\\u2028\\t\\u0001\\"\\\\"'
    assert marshal("<&>", escape_html=True) == '"\\u003c\\u0026\\u003e"'
    assert marshal("\b\f") == '"\\b\\f"'


def test_other_values() -> None:
    assert marshal(b"hi") == '"aGk="'
    assert marshal(GoTime.parse("2026-11-29T08:30:43.4Z")) == '"2026-11-29T08:30:43.4Z"'
    assert marshal([True, None, 3]) == "[true,null,3]"
    with pytest.raises(JSONError):
        marshal(float("nan"))
    with pytest.raises(JSONError):
        marshal(object())


def test_marshal_indent_is_inspect_shape() -> None:
    doc = [{"Id": "sha256:x", "RepoTags": ["a:1"], "Config": {}, "Env": [], "Cmd": None,
            "Html": "<x>"}]
    text = marshal_indent(doc)
    assert text == "\n".join([
        "[",
        "    {",
        '        "Cmd": null,',
        '        "Config": {},',
        '        "Env": [],',
        '        "Html": "\\u003cx\\u003e",',
        '        "Id": "sha256:x",',
        '        "RepoTags": [',
        '            "a:1"',
        "        ]",
        "    }",
        "]",
    ])
    assert json.loads(text) == doc
    assert marshal_indent([], "", "  ") == "[]"
    assert marshal_indent({"a": 1}, ">", "\t") == '{\n>\t"a": 1\n>}'


@given(st.text(alphabet=st.characters(max_codepoint=0x7f)) | st.text(), st.booleans())
def test_quote_fast_path_is_the_character_encoder(text: str, escape_html: bool) -> None:
    """Printable ASCII strings skip the per-character loop: the same text either way."""
    assert quote_json(text, escape_html) == _quote_chars(text, escape_html)
