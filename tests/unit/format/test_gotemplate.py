"""Go text/template semantics: actions, trim markers, control flow, variables, pipelines,
method calls, missing keys and Go's error messages."""

from __future__ import annotations

from typing import Any

import pytest

from scow.errors import InvalidArgument
from scow.format.gotemplate import ExecError, Template, TemplateError, render


class Row:
    __go_fields__ = ("ID", "Size")

    def __init__(self, id_: str, size: int) -> None:
        self.ID, self.Size = id_, size

    def Label(self, key: str) -> str:  # noqa: N802 - a Go method
        return {"k": "v"}.get(key, "")

    def Fail(self) -> str:  # noqa: N802
        raise ValueError("boom")


DATA: dict[str, Any] = {"Name": "web", "L": [1, 2, 3], "M": {"b": 2, "a": 1}, "N": None,
                        "Row": Row("abc", 5), "Empty": [], "S": "x y"}


def r(src: str, data: Any = DATA, **kw: Any) -> str:
    return render(src, data, name="t", **kw)


@pytest.mark.parametrize(("src", "want"), [
    ("plain", "plain"),
    ("{{.Name}}", "web"),
    ("a  {{- .Name -}}  b", "awebb"),
    ("{{ .Name }}", "web"),
])
def test_basic_actions(src: str, want: str) -> None:
    assert r(src) == want


def test_trim_marker_needs_a_space() -> None:
    with pytest.raises(TemplateError, match='unexpected "-" in command'):
        r("a {{-.Name}}")


def test_trim_markers_eat_all_whitespace_including_newlines() -> None:
    assert r("x\n\t {{- 1 -}} \n\n y") == "x1y"
    assert r("{{- /* a comment */ -}}  z") == "z"
    assert r("a {{/* c */}} b") == "a  b"


def test_if_else_chain_and_truth() -> None:
    src = '{{if eq .Name "db"}}D{{else if .Empty}}E{{else if .L}}L{{else}}X{{end}}'
    assert r(src) == "L"
    for falsy in ("0", '""', "nil", "false", ".Empty", ".N", ".Nope"):
        assert r(f"{{{{if {falsy}}}}}T{{{{else}}}}F{{{{end}}}}") == "F"


def test_range_over_slices_maps_and_else() -> None:
    assert r("{{range .L}}<{{.}}>{{end}}") == "<1><2><3>"
    assert r("{{range $i, $e := .L}}{{$i}}={{$e}} {{end}}") == "0=1 1=2 2=3 "
    assert r("{{range $k, $v := .M}}{{$k}}:{{$v}},{{end}}") == "a:1,b:2,"  # sorted keys
    assert r("{{range .Empty}}x{{else}}none{{end}}") == "none"
    assert r("{{range .L}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}") == "13"
    assert r("{{range .L}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}") == "1"
    assert r("{{range $x := .L}}{{$x}}{{end}}") == "123"


def test_with_rebinds_dot_and_dollar_is_the_root() -> None:
    assert r("{{with .Row}}{{.ID}} {{$.Name}}{{end}}") == "abc web"
    assert r("{{with .Nope}}x{{else}}y{{end}}") == "y"
    assert r("{{range .L}}{{$.Name}}{{end}}") == "webwebweb"


def test_variables_declare_assign_and_scope() -> None:
    assert r('{{$x := "a"}}{{if true}}{{$x = "b"}}{{end}}{{$x}}') == "b"
    with pytest.raises(TemplateError, match='undefined variable "\\$y"'):
        r("{{if true}}{{$y := 1}}{{end}}{{$y}}")


def test_pipelines_pass_the_value_as_last_argument() -> None:
    assert r('{{.Name | printf "%s-%s" "x"}}') == "x-web"
    assert r('{{"a" | printf "%s%s" "b" | len}}') == "2"
    assert r("{{(index .L 1)}} {{(.Row).ID}}") == "2 abc"


def test_method_calls_with_arguments() -> None:
    assert r('{{.Row.Label "k"}}|{{.Row.Label "z"}}|{{.Row.ID}}|{{.Row.Size}}') == "v||abc|5"
    with pytest.raises(ExecError, match='at <.Row.Fail>: error calling Fail: boom'):
        r("{{.Row.Fail}}")


def test_define_template_block() -> None:
    assert r('{{define "x"}}[{{.}}]{{end}}{{template "x" .Name}}') == "[web]"
    assert r('{{block "b" .L}}{{len .}}{{end}}') == "3"
    assert r('{{define "x"}}{{.}}{{end}}{{template "x"}}') == "<no value>"


def test_missing_keys() -> None:
    assert r("{{.Nope}}") == "<no value>"
    assert r("{{.Nope.Deeper}}") == "<no value>"
    assert r("{{.N}}") == "<no value>"  # a nil interface in a map
    with pytest.raises(ExecError) as err:
        r("{{.Nope}}", missingkey="error")
    assert str(err.value) == ('template: t:1:2: executing "t" at <.Nope>: '
                              'map has no entry for key "Nope"')
    with pytest.raises(ExecError, match="nil pointer evaluating interface {}.X"):
        r("{{.N.X}}")


def test_exec_error_positions_count_lines_and_columns() -> None:
    with pytest.raises(ExecError) as err:
        r("line1\n  {{.Name.X}}")
    assert str(err.value).startswith('template: t:2:4: executing "t" at <.Name.X>: ')
    assert "can't evaluate field X in type string" in str(err.value)


def test_exec_error_keeps_partial_output() -> None:
    with pytest.raises(ExecError) as err:
        r("ok {{index .L 9}}")
    assert err.value.partial == "ok "
    assert "error calling index: index out of range: 9" in str(err.value)


@pytest.mark.parametrize(("src", "msg"), [
    ("{{.Name", "template: t:1: unclosed action"),
    ("{{if .L}}x", "template: t:1: unexpected EOF"),
    ("{{nosuch 1}}", 'template: t:1: function "nosuch" not defined'),
    ("a\n{{end}}", "template: t:2: unexpected {{end}}"),
    ('{{"a}}', "template: t:1: unterminated quoted string"),
])
def test_parse_errors(src: str, msg: str) -> None:
    with pytest.raises(TemplateError) as err:
        Template("t").parse(src)
    assert str(err.value) == msg
    assert isinstance(err.value, InvalidArgument)


def test_literals() -> None:
    assert r("{{'a'}} {{0x1F}} {{1e3}} {{1.5}} {{`r\\n`}} {{\"t\\u00e9\"}} {{true}} {{-2}}") \
        == "97 31 1000 1.5 r\\n té true -2"


def test_builtins() -> None:
    assert r("{{len .L}} {{len .S}} {{index .M \"b\"}} {{slice .L 1}} {{slice .S 0 1}}") \
        == "3 3 2 [2 3] x"
    assert r("{{and 1 0}} {{or 0 2}} {{not 1}} {{eq 1 2 1}} {{ne 1 2}} {{lt 1 2}} {{ge 1 2}}") \
        == "0 2 false true true true false"
    assert r('{{html "<&>"}} {{urlquery "a b"}} {{js "\'"}}') == "&lt;&amp;&gt; a+b \\'"
    assert r("{{print 1 2}} {{println 1 2}}") == "1 2 1 2\n"
    with pytest.raises(ExecError, match="incompatible types for comparison"):
        r('{{eq 1 "1"}}')


def test_and_or_are_lazy() -> None:
    assert r("{{or .Name .Row.Fail}}") == "web"
    assert r("{{and .Empty .Row.Fail}}") == "[]"


def test_funcs_can_be_swapped_at_execute() -> None:
    t = Template("t", funcs={"up": str.upper}).parse("{{up .Name}}")
    assert t.execute(DATA) == "WEB"
    assert t.execute(DATA, funcs={"up": lambda s: s}) == "web"
