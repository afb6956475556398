"""`scow build --check` and the check warnings after a build, as docker's (BuildKit's build
checks; docker 20.10 has none: the expected texts are BuildKit's documented ones)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_build_cli import scow, setup  # noqa: F401 (the fixture)


def test_check_prints_warnings_instead_of_building(setup: tuple[Path, Path]) -> None:  # noqa: F811
    root, ctx = setup
    (ctx / "Dockerfile.lint").write_text("FROM busybox:base as a\nRUN touch /built\n"
                                         "CMD echo hi\n")
    before = scow(root, "images", "-q").stdout
    proc = scow(root, "build", "--check", "-f", "Dockerfile.lint", ".", cwd=ctx, check=False)
    assert proc.returncode == 1
    out = proc.stdout.decode()
    assert out.startswith("Check complete, 2 warnings have been found!\n")
    assert ("WARNING: FromAsCasing - https://docs.docker.com/go/dockerfile/rule/from-as-casing/\n"
            "'as' and 'FROM' keywords' casing do not match\nDockerfile.lint:1\n") in out
    assert "WARNING: JSONArgsRecommended - " in out
    assert scow(root, "images", "-q").stdout == before  # nothing built
    (ctx / "Dockerfile.clean").write_text("FROM busybox:base\nCMD [\"sh\"]\n")
    proc = scow(root, "build", "--check", "-f", "Dockerfile.clean", ".", cwd=ctx)
    assert proc.stdout == b"Check complete, no warnings found.\n"


def test_warnings_after_a_build_and_check_error(setup: tuple[Path, Path]) -> None:  # noqa: F811
    root, ctx = setup
    (ctx / "Dockerfile.lint").write_text("FROM busybox:base as a\nCMD echo hi\n")
    proc = scow(root, "build", "--progress", "plain", "-f", "Dockerfile.lint", ".", cwd=ctx)
    assert proc.stderr.decode().endswith(
        "\n 2 warnings found:\n"
        " - FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)\n"
        " - JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended "
        "behavior related to OS signals (line 2)\n")
    (ctx / "Dockerfile.strict").write_text("# check=error=true;skip=JSONArgsRecommended\n"
                                           "FROM busybox:base as a\nCMD echo hi\n")
    proc = scow(root, "build", "-q", "-f", "Dockerfile.strict", ".", cwd=ctx, check=False)
    assert proc.returncode == 1
    assert proc.stderr.decode().strip().endswith(
        "Dockerfile.strict: lint violation found for rules: FromAsCasing")


def test_syntax_lines(setup: tuple[Path, Path]) -> None:  # noqa: F811
    root, ctx = setup
    (ctx / "Dockerfile.syn").write_text("# syntax=docker/dockerfile:1.7\nFROM busybox:base\n")
    scow(root, "build", "-q", "-f", "Dockerfile.syn", ".", cwd=ctx)
    (ctx / "Dockerfile.other").write_text("# syntax=example.com/frontend:1\nFROM busybox:base\n")
    proc = scow(root, "build", "-q", "-f", "Dockerfile.other", ".", cwd=ctx, check=False)
    assert proc.returncode != 0 and b"Traceback" not in proc.stderr
    assert b"syntax 'example.com/frontend:1'" in proc.stderr
