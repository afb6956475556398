"""docker's formatter: the table directive, headers, json rows, inspect --format."""

from __future__ import annotations

import io

import pytest

from scow.format.docker import Formatter, render_one, render_rows, title
from scow.format.gotemplate import TemplateError
from scow.format.govalue import Struct


class Image:
    __go_fields__ = ("ID", "Repository", "Tag", "Size")

    def __init__(self, id_: str, repo: str, tag: str, size: str) -> None:
        self.ID, self.Repository, self.Tag, self.Size = id_, repo, tag, size

    def Label(self, key: str) -> str:  # noqa: N802 - a Go method
        return f"<{key}>"


ROWS = [Image("1a2b3c4d5e6f", "busybox", "latest", "4.26MB"),
        Image("0f9e8d7c6b5a", "registry.local/team/app", "1.0", "1.08GB")]
HEADERS = {"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Size": "SIZE"}
DEFAULT = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}"


def run(fmt: str, rows: list[Image] = ROWS, quiet: bool = False) -> str:
    out = io.StringIO()
    render_rows(fmt, rows, default_table=DEFAULT, headers=HEADERS, out=out, quiet=quiet)
    return out.getvalue()


def test_default_table_for_empty_and_bare_table() -> None:
    want = ("REPOSITORY                TAG       IMAGE ID       SIZE\n"
            "busybox                   latest    1a2b3c4d5e6f   4.26MB\n"
            "registry.local/team/app   1.0       0f9e8d7c6b5a   1.08GB\n")
    assert run("") == want
    assert run("table") == want


def test_literal_backslash_t_and_header_functions_are_identity() -> None:
    out = run(r"table {{upper .ID}}\t{{lower .Tag}}\t{{truncate .Repository 4}}")
    assert out.splitlines() == [
        "IMAGE ID       TAG       REPOSITORY",
        "1A2B3C4D5E6F   latest    busy",
        "0F9E8D7C6B5A   1.0       regi",
    ]


def test_table_with_no_rows_prints_the_header() -> None:
    assert run("table {{.ID}}\t{{.Tag}}", rows=[]) == "IMAGE ID   TAG\n"


def test_unknown_header_field_prints_no_value_and_method_header_is_cut() -> None:
    assert run("table {{.Nope}}", rows=[]) == "<no value>\n"
    out = run('table {{.ID}}\t{{.Label "x"}}')
    assert out.splitlines()[0].rstrip() == "IMAGE ID"
    assert out.splitlines()[1] == "1a2b3c4d5e6f   <x>"


def test_custom_format_is_not_a_table() -> None:
    assert run(r"{{.ID}}\t{{.Tag}}  ") == "1a2b3c4d5e6f\tlatest\n0f9e8d7c6b5a\t1.0\n"


def test_json_format_prints_one_object_per_line() -> None:
    assert run("json").splitlines() == [
        '{"ID":"1a2b3c4d5e6f","Repository":"busybox","Tag":"latest","Size":"4.26MB"}',
        '{"ID":"0f9e8d7c6b5a","Repository":"registry.local/team/app","Tag":"1.0",'
        '"Size":"1.08GB"}',
    ]


def test_quiet_prints_ids_unless_a_format_is_given() -> None:
    assert run("", quiet=True) == "1a2b3c4d5e6f\n0f9e8d7c6b5a\n"
    assert run("{{.Tag}}", quiet=True) == "latest\n1.0\n"


def test_errors_are_template_parsing_errors() -> None:
    with pytest.raises(TemplateError, match="^template parsing error: template: :1: "
                                            "unclosed action$"):
        Formatter("{{.ID", default_table=DEFAULT, headers=HEADERS)
    with pytest.raises(TemplateError) as err:
        run("{{.Nope}}")
    assert str(err.value) == ('template parsing error: template: :1:2: executing "" at '
                              "<.Nope>: can't evaluate field Nope in type Image")


def test_docker_functions() -> None:
    assert run('{{join (split .Repository "/") "-"}}|{{pad .Tag 1 1}}|{{title "a-b c"}}',
               rows=ROWS[1:]) == "registry.local-team-app| 1.0 |A-B C\n"
    assert title("hello wORLD x_y") == "Hello WORLD X_y"


def test_render_one_and_raw_fallback() -> None:
    inspect = Struct({"Id": "sha256:abc", "Config": Struct({"Env": ["A=1"]})})
    assert render_one("{{.Id}} {{.Config.Env}}", inspect) == "sha256:abc [A=1]\n"
    raw = {"Id": "sha256:abc", "Extra": "x"}
    assert render_one("{{.Extra}}", inspect, raw=raw) == "x\n"
    with pytest.raises(TemplateError) as err:
        render_one("{{.Nope}}", inspect, raw=raw)
    assert str(err.value) == ('template parsing error: template: :1:2: executing "" at '
                              '<.Nope>: map has no entry for key "Nope"')
