"""The parsed Dockerfiles kept in the store (build/parsecache.py, store/parsed_dockerfiles.py):
an entry gives back exactly the records the parser makes (the realistic Dockerfiles of the
tests, heredocs, ONBUILD, mounts, health checks, the escape directive, warnings), a torn,
corrupt or foreign entry is parsed again, and an unchanged rebuild loads no parser."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.unit.build.fake_engine import FakeEngine

from scow.build import e2bparts, parsecache
from scow.build import instructions as ins
from scow.errors import DockerfileError
from scow.store import parsed_dockerfiles
from scow.store.parsed_dockerfiles import ParsedDockerfiles

REPO = Path(__file__).resolve().parents[3]
REALISTIC = sorted((REPO / "tests/integration/build/realistic").glob("*/Dockerfile"))
SHAPES = [
    "# syntax=docker/dockerfile:1\n# escape=`\nARG BASE=a\nFROM $BASE AS one\n"
    "RUN echo a `\n  b\nCOPY --from=one --chown=1:2 --chmod=644 --link --exclude=*.md "
    "--parents a* /d/\n",
    "FROM a\nRUN <<EOF\necho hi\nEOF\nCOPY <<-\"X\" <<Y /d/\n\tx $Y\n\tX\ny\nY\n",
    "FROM a\nRUN --mount=type=cache,target=/c,id=c,sharing=locked,mode=0700,uid=1 "
    "--mount=type=secret,id=s,env=S,required --network=none --security=sandbox make\n",
    "FROM a\nONBUILD RUN x\nHEALTHCHECK --interval=5s --timeout=1m30s --retries=3 CMD [\"t\"]\n"
    "ENV a=1 b=\"2 3\"\nLABEL x=y\nEXPOSE 80/tcp 53/udp\nVOLUME [\"/v\"]\nUSER u:g\n"
    "WORKDIR /w\nSTOPSIGNAL TERM\nSHELL [\"/bin/bash\", \"-c\"]\nMAINTAINER me\n"
    "ENTRYPOINT [\"e\"]\nCMD c\nADD --checksum=sha256:" + "0" * 64 + " https://x/y /z\n"
    "ADD --keep-git-dir https://h/r.git#main:sub /g\nARG A B=c\n",
    "FROM a\nENV legacy value\nfrom b as Two\nRUN ünïcødé \\\n\n  x\n",
]


def _texts() -> list[str]:
    return [p.read_text() for p in REALISTIC] + SHAPES


def test_the_realistic_dockerfiles_are_found() -> None:
    assert len(REALISTIC) >= 5


@pytest.mark.parametrize("text", _texts())
def test_an_entry_gives_back_the_parsed_records(text: str) -> None:
    parsed = ins.parse_dockerfile(text, "Dockerfile.x")
    key = parsecache.parse_key(text.encode(), "Dockerfile.x", True)
    again = parsecache.decode(parsecache.encode(parsed, key), key)
    assert again == parsed
    assert repr(again) == repr(parsed)  # tuples stay tuples, types stay types


@pytest.mark.parametrize("text", _texts())
def test_a_second_parse_comes_from_the_entry(text: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine()
    first = parsecache.parse(engine, text, "Dockerfile")
    assert len(engine.parses) == 1

    def no_parse(*args: object, **kwargs: object) -> ins.Dockerfile:
        raise AssertionError("parsed again")

    monkeypatch.setattr(ins, "parse_dockerfile", no_parse)
    assert parsecache.parse(engine, text, "Dockerfile") == first


def test_the_key_covers_the_name_the_stage_rule_and_the_text() -> None:
    raw = b"FROM a\n"
    keys = {parsecache.parse_key(raw, "Dockerfile", True),
            parsecache.parse_key(raw, "other.Dockerfile", True),
            parsecache.parse_key(raw, "Dockerfile", False),
            parsecache.parse_key(raw + b"RUN x\n", "Dockerfile", True)}
    assert len(keys) == 4


def test_the_key_covers_the_parser_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = parsecache.parse_key(b"FROM a\n", "Dockerfile", True)
    moved = tmp_path / "syntax.py"
    moved.write_text("# another parser\n")
    monkeypatch.setattr(parsecache.e2bparts, "parser_files", lambda: [str(moved)])
    assert parsecache.parse_key(b"FROM a\n", "Dockerfile", True) != before


def test_a_torn_corrupt_or_foreign_entry_is_parsed_again() -> None:
    text = "FROM a\nRUN make\n"
    engine = FakeEngine()
    good = parsecache.parse(engine, text)
    (key, entry), = engine.parses.items()
    flipped = entry[:-5] + bytes([entry[-5] ^ 1]) + entry[-4:]
    other = parsecache.parse_key(b"FROM b\n", "Dockerfile", True)
    bad = [entry[:len(entry) // 2], flipped, b"", b"\0" * 64,
           entry.replace(b"parsed-dockerfile 1", b"parsed-dockerfile 0"),
           entry.replace(key.encode(), other.encode())]
    for broken in bad:
        assert parsecache.decode(broken, key) is None
        engine.parses[key] = broken
        assert parsecache.parse(engine, text) == good
        assert engine.parses[key] == entry  # written again


def test_an_entry_of_another_shape_is_parsed_again() -> None:
    engine = FakeEngine()
    text = "FROM a\n"
    parsecache.parse(engine, text)
    (key, _), = engine.parses.items()
    body = b'{"":"Dockerfile","v":["Dockerfile",[]]}'
    entry = parsecache._MAGIC + key.encode() + b"\n" + \
        parsecache.sha256_hex(body).encode() + b"\n" + body
    assert parsecache.decode(entry, key) is None
    body = b'{"":"os.system","v":["x"]}'
    entry = parsecache._MAGIC + key.encode() + b"\n" + \
        parsecache.sha256_hex(body).encode() + b"\n" + body
    assert parsecache.decode(entry, key) is None


def test_a_failing_parse_is_not_kept() -> None:
    engine = FakeEngine()
    for _ in range(2):
        with pytest.raises(DockerfileError, match="Dockerfile:2: unknown instruction"):
            parsecache.parse(engine, "FROM a\nFOOBAR x\n")
    assert engine.parses == {}
    with pytest.raises(DockerfileError, match="duplicate stage name"):
        parsecache.parse(engine, "FROM a AS x\nFROM b AS x\n")
    df = parsecache.parse(engine, "FROM a AS x\nFROM b AS x\n", unique_stages=False)
    assert len(df.stages) == 2
    with pytest.raises(DockerfileError, match="duplicate stage name"):  # not from that entry
        parsecache.parse(engine, "FROM a AS x\nFROM b AS x\n")


# -- the store's entries ------------------------------------------------------------------
def test_entries_are_private_and_bounded(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsed_dockerfiles, "MAX_ENTRIES", 3)
    store = ParsedDockerfiles(str(tmp_path))
    keys = [f"{i:064x}" for i in range(5)]
    for i, key in enumerate(keys):
        store.put(key, b"entry %d" % i)
        os.utime(store._path(key), ns=(i * 10**9, i * 10**9))
        if i == 2:
            assert store.get(keys[0]) == b"entry 0"  # a read makes it the newest
    assert sorted(os.listdir(store.dir)) == sorted(
        "dockerfile-" + k for k in (keys[0], keys[3], keys[4]))
    assert store.get(keys[1]) is None
    assert os.stat(store.dir).st_mode & 0o777 == 0o700
    assert {os.stat(os.path.join(store.dir, n)).st_mode & 0o777
            for n in os.listdir(store.dir)} == {0o600}


def test_a_key_is_64_hex_digits(tmp_path: Path) -> None:
    store = ParsedDockerfiles(str(tmp_path))
    for bad in ("../../x", "A" * 64, "0" * 63, "0" * 63 + "/"):
        with pytest.raises(ValueError):
            store.get(bad)


def test_a_store_that_cannot_take_an_entry_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "buildcache").write_text("not a folder")
    store = ParsedDockerfiles(str(tmp_path))
    store.put("0" * 64, b"x")  # no error: the entry is only a saving
    assert store.get("0" * 64) is None


# -- e2b's lexer and matcher without its parser --------------------------------------------
def test_the_lexer_and_matcher_load_without_the_parser() -> None:
    code = """
import sys
from scow.build import e2bparts
lex, matcher = e2bparts.shell_lex(), e2bparts.pattern_matcher()
assert lex("\\\\", env={"A": "1"}).process_word("x$A") == "x1"
assert matcher(["*.md"]).matches("a.md")
loaded = sorted(m for m in sys.modules if m.startswith(("e2b", "dataclasses", "inspect")))
assert loaded == ["e2b_dockerfile_utils.dockerignore", "e2b_dockerfile_utils.lexer"], loaded
import e2b_dockerfile_utils
assert e2b_dockerfile_utils.ShellLex is lex and e2b_dockerfile_utils.PatternMatcher is matcher
"""
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_a_plain_word_is_expanded_as_the_lexer_would() -> None:
    """shell.expand_word(s) skips the lexer for a word it gives back unchanged: the same
    result as the lexer's for every word of an alphabet with each special character."""
    import random

    from scow.build import shell

    lex = e2bparts.shell_lex()
    alphabet = "aZ09/._-:=@+,%~^*?[]{}()!|&;#$'\"<\\` \t\n\r\v\f\x1c\x85\xa0\u2003é"
    rng = random.Random(18)
    env = {"a": "1 2", "Z": ""}
    words = ["", " ", "a", "a b", "$a", "\\", "`"] + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(3000)]
    for escape in ("\\", "`"):
        for word in words:
            for fast, slow in ((shell.expand_word, "process_word"),
                               (shell.expand_words, "process_words")):
                try:
                    want: object = getattr(lex(escape, env=env, skip_unset_env=False), slow)(word)
                except ValueError:
                    want = ValueError
                try:
                    got: object = fast(word, env, escape)
                except shell.SubstitutionError:
                    got = ValueError
                assert got == (list(want) if isinstance(want, list) else want), (word, escape)


# -- the rest of an unchanged rebuild's path without hashlib, datetime -----------------------
@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 1 << 20])
def test_sha256_for_any_size_is_sha256(size: int) -> None:
    import hashlib

    from scow.ids import sha256_for, sha256_hex

    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    h = sha256_for(size)
    h.update(data[:size // 2])
    h.update(data[size // 2:])
    assert h.hexdigest() == sha256_hex(data) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("ns", [0, 1_700_000_000_000_000_000, 1_700_000_000_123_456_789,
                                1_700_000_000_000_001_000, 1_700_000_000_999_999_999])
def test_a_build_time_is_written_as_datetime_writes_it(ns: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    from datetime import UTC, datetime

    from scow.build import builder

    monkeypatch.setattr(time, "time_ns", lambda: ns)
    want = datetime.fromtimestamp(ns // 1000 / 1_000_000, UTC).isoformat()
    assert builder._rfc3339(None) == want.replace("+00:00", "Z")
    assert builder._rfc3339(ns // 10**9) == datetime.fromtimestamp(
        ns // 10**9, UTC).isoformat().replace("+00:00", "Z")


def test_a_parse_with_no_entry_form_is_built_and_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine()

    def odd(*args: object, **kwargs: object) -> object:
        raise TypeError("no entry form for list")

    monkeypatch.setattr(parsecache, "_plain", odd)
    assert parsecache.parse(engine, "FROM a\n").stages[0].from_.image == "a"
    assert engine.parses == {}
