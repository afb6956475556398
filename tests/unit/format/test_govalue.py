"""Go's value model as `fmt` prints it (python-libs.md §2) and the fmt verbs."""

from __future__ import annotations

import pytest

from scow.format.gofmt import quote, sprint, sprintf
from scow.format.gotemplate import render
from scow.format.govalue import (
    NIL_MAP,
    NIL_SLICE,
    GoTime,
    Int64,
    Struct,
    Uint8,
    format_float,
    go_str,
    type_name,
)


class Config:
    __go_fields__ = ("Env", "Labels", "Healthcheck")
    __go_omitempty__ = ("Healthcheck",)

    def __init__(self) -> None:
        self.Env, self.Labels, self.Healthcheck = NIL_SLICE, NIL_MAP, None


IMAGE = Struct({
    "Id": "sha256:abc", "Size": Int64(1084276), "Config": Config(),
    "RootFS": Struct({"Type": "layers", "Layers": ["sha256:x", "sha256:y"]}),
    "Metadata": Struct({"LastTagTime": GoTime.parse("2026-11-29T08:30:43.483191123Z")}),
}, type_name="image.InspectResponse")


@pytest.mark.parametrize(("src", "want"), [
    ("{{.Config.Env}}", "[]"),
    ("{{.Config.Labels}}", "map[]"),
    ("{{.Config.Healthcheck}}", "<nil>"),
    ("{{.RootFS}}", "{layers [sha256:x sha256:y]}"),
    ("{{.Metadata}}", "{2026-11-29 08:30:43.483191123 +0000 UTC}"),
    ('{{printf "%T" .Size}}', "int64"),
    ("{{json .Config}}", '{"Env":null,"Labels":null}'),
    ("{{json .RootFS}}", '{"Type":"layers","Layers":["sha256:x","sha256:y"]}'),
    ("{{.Size}}", "1084276"),
    ("{{len .Config.Env}} {{if .Config.Labels}}y{{else}}n{{end}}", "0 n"),
])
def test_docker_value_model(src: str, want: str) -> None:
    from scow.format.docker import FUNCTIONS
    assert render(src, IMAGE, funcs=FUNCTIONS) == want


@pytest.mark.parametrize(("value", "want"), [
    (None, "<nil>"), (True, "true"), (3, "3"), (1.0, "1"), (1084276.0, "1.084276e+06"),
    (123456.0, "123456"), (0.0001, "0.0001"), (0.00001, "1e-05"), (1e21, "1e+21"),
    (-2.5, "-2.5"), ("s", "s"), (b"\x01\x02", "[1 2]"), ([1, "a", None], "[1 a <nil>]"),
    ({"b": 1, "a": [2]}, "map[a:[2] b:1]"), ({2: "x", 10: "y"}, "map[2:x 10:y]"),
    (Struct({"A": 1, "B": Struct({"C": "d"})}), "{1 {d}}"),
])
def test_go_str(value: object, want: str) -> None:
    assert go_str(value) == want


def test_plus_v_names_fields() -> None:
    assert go_str(Struct({"A": 1, "B": [2]}), plus=True) == "{A:1 B:[2]}"
    assert sprintf("%+v", Struct({"A": 1})) == "{A:1}"


def test_gotime_string_and_rfc3339() -> None:
    t = GoTime.parse("2026-11-29T08:30:43.483191123Z")
    assert t.String() == "2026-11-29 08:30:43.483191123 +0000 UTC"
    assert t.rfc3339nano() == "2026-11-29T08:30:43.483191123Z"
    whole = GoTime.parse("2026-01-02T03:04:05Z")
    assert whole.String() == "2026-01-02 03:04:05 +0000 UTC"
    assert GoTime.parse("2026-01-02T03:04:05.5+02:00").rfc3339nano() == \
        "2026-01-02T03:04:05.5+02:00"
    assert whole.Unix() == 1767323045


def test_type_names() -> None:
    assert [type_name(v) for v in (1, 1.5, "s", True, None, Uint8(1), ["a"], [1], {})] == \
        ["int", "float64", "string", "bool", "<nil>", "uint8", "[]string",
         "[]interface {}", "map[string]interface {}"]


@pytest.mark.parametrize(("fmt", "args", "want"), [
    ("%d|%5d|%-5d|%05d|%x|%X|%o|%b|%c|%U", (1, 2, 3, -4, 255, 255, 8, 5, 65, 0xE9),
     "1|    2|3    |-0004|ff|FF|10|101|A|U+00E9"),
    ("%s|%10s|%-4s|%.2s|%q|%x", ("a", "b", "c", "xyz", 'q"\n', "hi"),
     'a|         b|c   |xy|"q\\"\\n"|6869'),
    ("%f|%.2f|%5.1f|%e|%g|%v", (1.5, 3.14159, 3.14159, 1234.5678, 0.5, 2.0),
     "1.500000|3.14|  3.1|1.234568e+03|0.5|2"),
    ("%t|%v|%T", (True, [1, 2], 1.5), "true|[1 2]|float64"),
    ("%d %s", ("x", 3), "%!d(string=x) %!s(int=3)"),
    ("%d", (), "%!d(MISSING)"),
    ("%d", (1, 2), "1%!(EXTRA int=2)"),
    ("100%%", (), "100%"),
    ("%", (), "%!(NOVERB)"),
    ("%*d|%-*d|", (4, 1, 3, 2), "   1|2  |"),
])
def test_sprintf(fmt: str, args: tuple[object, ...], want: str) -> None:
    assert sprintf(fmt, *args) == want


def test_sprint_spaces_only_between_non_strings() -> None:
    assert sprint(1, 2, "a", "b", 3) == "1 2ab3"


def test_quote_keeps_printable_unicode() -> None:
    assert quote("é\x00\t") == '"é\\x00\\t"'


def test_format_float_precision() -> None:
    assert format_float(999.999, "g", 3) == "1e+03"
    assert format_float(7.75, "g", 3) == "7.75"
    assert format_float(float("inf")) == "+Inf"
