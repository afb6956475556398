"""BuildKit's frontend checks (linter/ruleset.go): rule names, messages and links as BuildKit
prints them, the ``# check=`` directive, and the ``# syntax=`` line. Docker 20.10's frontend
has no checks: the expected values are BuildKit's documented outputs
(docs.docker.com/reference/build-checks/)."""

from __future__ import annotations

import pytest

from scow.build import checks
from scow.build.instructions import parse_dockerfile
from scow.errors import DockerfileError, Unsupported


def _lint(text: str, env: list[str] | None = None) -> list[tuple[str, str, int]]:
    df = parse_dockerfile(text, unique_stages=False)
    found = checks.run_checks(df, checks.check_config(text), lambda i: env)
    return [(w.rule, w.message, w.line) for w in found]


@pytest.mark.parametrize(("text", "expected"), [
    ("FROM busybox as base\nFROM base\n",
     [("FromAsCasing", "'as' and 'FROM' keywords' casing do not match", 1)]),
    ("from busybox AS base\nfrom base\n",
     [("FromAsCasing", "'AS' and 'from' keywords' casing do not match", 1)]),
    ("FROM busybox AS Base\n", [("StageNameCasing", "Stage name 'Base' should be lowercase", 1)]),
    ("FROM busybox AS a\nFROM busybox AS a\n",
     [("DuplicateStageName", 'Duplicate stage name "a", stage names should be unique', 2)]),
    ("FROM busybox\nCMD echo hi\nENTRYPOINT [\"x\"]\n",
     [("JSONArgsRecommended", "JSON arguments recommended for CMD to prevent unintended "
       "behavior related to OS signals", 2)]),
    ("FROM busybox\nMAINTAINER me\n",
     [("MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label",
       2)]),
    ("FROM busybox\nrun true\nRUN true\n",
     [("ConsistentInstructionCasing", "Command 'run' should match the case of the command "
       "majority (RUN)", 2)]),
    ("FROM busybox\nWORKDIR app\nWORKDIR /srv\nWORKDIR sub\n",
     [("WorkdirRelativePath", 'Relative workdir "app" can have unexpected results if the base '
       "image changes", 2)]),
    ("FROM busybox\nENV A 1\nENV B=2\nLABEL k v\n",
     [("LegacyKeyValueFormat", '"ENV key=value" should be used instead of legacy "ENV key '
       'value" format', 2),
      ("LegacyKeyValueFormat", '"LABEL key=value" should be used instead of legacy "LABEL '
       'key value" format', 4)]),
    ("FROM busybox\nARG A\nENV B=$A\nCOPY $C${PATH}$HOME /x\nRUN echo $D\n",
     [("UndefinedVar", "Usage of undefined variable '$C'", 4)]),
])
def test_rule(text: str, expected: list[tuple[str, str, int]]) -> None:
    assert _lint(text, ["PATH=/bin", "HOME=/root"]) == expected


def test_clean_dockerfile_has_no_warnings() -> None:
    assert _lint("FROM busybox AS a\nWORKDIR /app\nENV X=1\nCMD [\"sh\"]\n", []) == []


def test_undefined_var_is_silent_when_the_base_is_unknown() -> None:
    assert _lint("FROM busybox\nCOPY $C /x\n", None) == []


def test_links_are_buildkits() -> None:
    warning = checks.LintWarning("JSONArgsRecommended", "m", 1)
    assert warning.url == "https://docs.docker.com/go/dockerfile/rule/json-args-recommended/"
    assert checks.LintWarning("FromAsCasing", "m", 1).url.endswith("/from-as-casing/")


def test_check_directive_skips_and_errors() -> None:
    text = "# check=skip=JSONArgsRecommended;error=true\nFROM busybox as a\nCMD x\n"
    config = checks.check_config(text)
    assert config.error and config.skips("JSONArgsRecommended")
    assert [r for r, _, _ in _lint(text)] == ["FromAsCasing"]
    assert _lint("# check=skip=all\nFROM busybox as a\nCMD x\n") == []
    with pytest.raises(DockerfileError):
        checks.check_config("# check=error=maybe\nFROM busybox\n")


@pytest.mark.parametrize("syntax", ["docker/dockerfile:1", "docker/dockerfile:1.7-labs",
                                    "docker.io/docker/dockerfile:1.4",
                                    "docker/dockerfile-upstream:master", "docker/dockerfile"])
def test_syntax_of_dockers_frontend_is_accepted(syntax: str) -> None:
    checks.check_syntax(f"# syntax={syntax}\nFROM busybox\n")


def test_syntax_of_another_frontend_is_refused() -> None:
    with pytest.raises(Unsupported) as failed:
        checks.check_syntax("# syntax=tonistiigi/dockerfile:runmount\nFROM busybox\n")
    assert str(failed.value).startswith("Dockerfile:1: syntax 'tonistiigi/dockerfile:runmount'")


def test_check_output_formats() -> None:
    found = [checks.LintWarning("FromAsCasing", "'as' and 'FROM' keywords' casing do not match",
                                1)]
    text = "FROM busybox as a\n"
    assert checks.format_check(found, "Dockerfile", text).splitlines()[:6] == [
        "Check complete, 1 warning has been found!", "",
        "WARNING: FromAsCasing - https://docs.docker.com/go/dockerfile/rule/from-as-casing/",
        "'as' and 'FROM' keywords' casing do not match", "Dockerfile:1", "-" * 20]
    assert checks.format_summary(found) == (
        " 1 warning found:\n - FromAsCasing: 'as' and 'FROM' keywords' casing do not match "
        "(line 1)\n")
    assert checks.format_check([], "Dockerfile", text) == "Check complete, no warnings found.\n"
