"""Parser, substitution, context and planning rules of the Dockerfile builder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scow.build import instructions as ins
from scow.build.context import BuildContext, go_match
from scow.build.plan import plan_build
from scow.build.shell import ArgScope, expand_word, parse_build_args, resolve_meta_args
from scow.errors import DockerfileError, InvalidArgument, NotFound, ScowError


def one(text: str) -> ins.Instruction:
    return ins.parse_dockerfile("FROM a\n" + text).stages[0].instructions[0]


@pytest.mark.parametrize("text,cls,field,value", [
    ("RUN make", ins.Run, "cmd", ("make",)),
    ('RUN ["make", "x"]', ins.Run, "cmd", ("make", "x")),
    ("run lower", ins.Run, "cmd", ("lower",)),
    ("CMD [\"a\"]", ins.Cmd, "prepend_shell", False),
    ("ENTRYPOINT top -b", ins.Entrypoint, "prepend_shell", True),
    ("ENV k v w", ins.Env, "pairs", (ins.KeyValue(key="k", value="v w"),)),
    ("LABEL a=b c=d", ins.Label, "pairs", (ins.KeyValue(key="a", value="b"),
                                           ins.KeyValue(key="c", value="d"))),
    ("ARG X", ins.Arg, "pairs", (ins.KeyValue(key="X", value=None),)),
    ("MAINTAINER me", ins.Maintainer, "maintainer", "me"),
    ("EXPOSE 80 443", ins.Expose, "ports", ("80", "443")),
    ("COPY --from=b --chown=1:1 --chmod=755 --link a /d/", ins.Copy, "from_", "b"),
    ("ADD --keep-git-dir=true a /d", ins.Copy, "keep_git_dir", True),
    ("VOLUME [\"/a\", \"/b\"]", ins.Volume, "paths", ("/a", "/b")),
    ("USER app", ins.User, "user", "app"),
    ("WORKDIR /w", ins.Workdir, "path", "/w"),
    ("STOPSIGNAL SIGKILL", ins.StopSignal, "signal", "SIGKILL"),
    ("HEALTHCHECK NONE", ins.Healthcheck, "test", ("NONE",)),
    ("HEALTHCHECK --timeout=1m30s CMD [\"x\"]", ins.Healthcheck, "timeout", 90_000_000_000),
    ("SHELL [\"pwsh\"]", ins.Shell, "shell", ("pwsh",)),
    ("ONBUILD COPY . /x", ins.Onbuild, "expression", "COPY . /x"),
])
def test_every_instruction(text: str, cls: type, field: str, value: object) -> None:
    parsed = one(text)
    assert isinstance(parsed, cls) and getattr(parsed, field) == value


def test_heredocs_escape_continuations_crlf_bom() -> None:
    df = ins.parse_dockerfile(
        "\ufeff# escape=`\r\nFROM a\r\nRUN echo a `\r\n# comment\r\n  b\r\n"
        "COPY <<-\"EOF\" <<TWO /d/\r\n\tx $Y\r\n\tEOF\r\ny\r\nTWO\r\n")
    run, copy = df.stages[0].instructions
    assert df.escape == "`" and isinstance(run, ins.Run) and run.cmd == ("echo a   b",)
    assert isinstance(copy, ins.Copy) and [h.name for h in copy.heredocs] == ["EOF", "TWO"]
    assert copy.heredocs[0].expand is False and copy.heredocs[0].content.startswith("x $Y")
    assert copy.line == 6 and copy.end_line == 10


@pytest.mark.parametrize("text,message", [
    ("", "Dockerfile: file with no instructions"),
    ("FROM a\nFOOBAR\n", "Dockerfile:2: unknown instruction: FOOBAR"),
    ("FROM a\nCOPY --nope a b\n", "Dockerfile:2: copy unknown flag: nope"),
    ("FROM a\nONBUILD ONBUILD RUN x\n", "Dockerfile:2: Chaining ONBUILD"),
    ("FROM a AS 1x\n", "Dockerfile:1: invalid name for build stage"),
    ("FROM a\nHEALTHCHECK --interval=1us CMD x\n", "Dockerfile:2: Interval"),
    ("ENV A=1\nFROM a\n", "Dockerfile:1: ENV is not allowed before FROM"),
])
def test_malformed_files(text: str, message: str) -> None:
    with pytest.raises(DockerfileError) as err:
        ins.parse_dockerfile(text)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_syntax_directive_and_mount_flags() -> None:
    df = ins.parse_dockerfile("# syntax=docker/dockerfile:1.7\nFROM a\n"
                              "RUN --mount=type=cache,target=/c --network=none make\n")
    run = df.stages[0].instructions[0]
    assert df.syntax == "docker/dockerfile:1.7"
    assert isinstance(run, ins.Run) and run.mounts[0].type == "cache" and run.network == "none"


@pytest.mark.parametrize("word,expected", [
    ("${F%.*}", "a.tar"), ("${F%%.*}", "a"), ("${F#*.}", "tar.gz"), ("${U:-d}", "d"),
    ("${E:-d}", "d"), ("${E-d}", ""), ("${F:+y}", "y"), ("${U:+y}", ""), ("'$F'", "$F"),
    ("\\$F", "$F"), ("${F/tar/zip}", "a.zip.gz"),
])
def test_substitution(word: str, expected: str) -> None:
    assert expand_word(word, {"F": "a.tar.gz", "E": ""}) == expected


def test_arg_scoping() -> None:
    df = ins.parse_dockerfile("ARG V=1\nARG W=${V}2\nFROM a\n")
    meta = resolve_meta_args(df.meta_args, {"V": "9"})
    assert meta["V"] == "9" and meta["W"] == "92"
    scope = ArgScope(meta, {"B": "cli"})
    assert scope.declare("V", None, {}) == "9"  # redeclared meta arg takes the meta value
    assert scope.declare("B", "default", {}) == "cli"
    assert scope.expansion_env(["B=env"])["B"] == "env"  # ENV wins over ARG
    assert "W" not in scope.values()
    assert parse_build_args(["K", "L=1", "M"], {"K": "fromenv"}) == {"K": "fromenv", "L": "1"}


def _ctx(tmp_path: Path, ignore: str = "") -> BuildContext:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "keep.go").write_text("k")
    (tmp_path / "src" / "drop.go").write_text("d")
    (tmp_path / "README.md").write_text("r")
    (tmp_path / ".dockerignore").write_text(ignore)
    return BuildContext.from_dir(str(tmp_path))


def test_dockerignore_with_exceptions(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, "src\n!src/keep.go\n**/*.md\n")
    rels = [e.rel for e in ctx.source.walk("")]
    assert "src/keep.go" in rels and "src/drop.go" not in rels and "README.md" not in rels
    with pytest.raises(NotFound):
        ctx.source.expand("README.md")


def test_dockerfile_specific_ignore_file_wins(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile.dockerignore").write_text("src\n")
    ctx = _ctx(tmp_path, "")
    ctx = BuildContext.from_dir(str(tmp_path), "Dockerfile")
    assert all(not e.rel.startswith("src") for e in ctx.source.walk(""))


def test_context_safety(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    os.symlink("/etc/passwd", tmp_path / "abs")
    os.symlink("../../x", tmp_path / "src" / "up")
    for bad in ("../x", "src/../../x", "abs", "src/up"):
        with pytest.raises(ScowError, match="outside the build context"):
            ctx.source.expand(bad)


def test_checksums(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    first = ctx.source.checksum("src")
    os.utime(tmp_path / "src" / "keep.go", (5, 5))
    assert ctx.source.checksum("src") == first and first.startswith("dir:")
    os.chmod(tmp_path / "src" / "keep.go", 0o600)
    assert ctx.source.checksum("src") != first
    second = ctx.source.checksum("src")
    os.rename(tmp_path / "src" / "keep.go", tmp_path / "src" / "kept.go")
    assert ctx.source.checksum("src") != second
    assert ctx.source.checksum("README.md").startswith("file:")


def test_wildcards() -> None:
    assert go_match("*.go", "a.go") and not go_match("*.go", "a.py")
    assert go_match("[a-c]?", "bx") and go_match("[^a]", "b") and go_match("\\*", "*")


def test_tar_context(tmp_path: Path) -> None:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = b"FROM a\n"
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    with BuildContext.from_tar(buf) as ctx:
        root = ctx.root
        assert ctx.read_dockerfile() == b"FROM a\n"
    assert not os.path.exists(root)


def test_stage_planning() -> None:
    df = ins.parse_dockerfile(
        "FROM a AS one\nFROM b AS two\nFROM one AS three\nCOPY --from=two /x /x\n"
        "FROM c AS lonely\nFROM three\n")
    plan = plan_build(df, {})
    assert plan.needed == (0, 1, 2, 4) and plan.waves == ((0, 1), (2,), (4,))
    assert plan_build(df, {}, "two").needed == (1,)
    with pytest.raises(InvalidArgument, match="target stage"):
        plan_build(df, {}, "nope")
    arg = ins.parse_dockerfile("ARG IMG=busybox\nFROM ${IMG}\n")
    assert plan_build(arg, {"IMG": "busybox"}).stages[0].base_image == "busybox"


def test_long_lines_and_huge_files_are_refused_at_parse_time(tmp_path: Path) -> None:
    """BuildKit refuses a line over 65,535 bytes; scow did so only after building it (the
    image config then went over its limit)."""
    long = "FROM scratch\n# fine\nLABEL a=" + "x" * (10 << 20) + "\n"
    with pytest.raises(DockerfileError, match=r"^Dockerfile\.dev:3: dockerfile line greater "
                                              r"than max allowed size of 65535$"):
        ins.parse_dockerfile(long, "Dockerfile.dev")
    ins.parse_dockerfile("FROM scratch\nLABEL a=" + "x" * (ins.MAX_LINE - 8) + "\n")
    huge = "FROM scratch\n" + "# comment\n" * (ins.MAX_DOCKERFILE_SIZE // 10)
    with pytest.raises(DockerfileError, match="byte limit"):
        ins.parse_dockerfile(huge)
    (tmp_path / "Dockerfile").write_text(huge)
    with pytest.raises(InvalidArgument, match="Dockerfile is over the"):
        BuildContext(str(tmp_path)).read_dockerfile()
