"""ADD of a git source as BuildKit's: a repository served by ``git daemon`` on loopback
(``git://``; BuildKit accepts no ``file://`` git URL), ``#ref`` and ``#ref:subdir``,
``--keep-git-dir``; and which sources are git ones (gitutil.ParseGitRef's rules)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.build.test_build_steps import _read
from tests.integration.conftest import free_port, wait_port
from tests.tools import skip_missing_tool

from scow.build.gitsource import GitRef, parse_git_ref
from scow.errors import InvalidArgument, ScowError

pytestmark = pytest.mark.parametrize("engine", ["overlay2"], indirect=True)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c",
                           "user.email=t@example.com", *args], check=True,
                          capture_output=True).stdout.decode().strip()


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(git://127.0.0.1:PORT/repo, the commit ID of tag v1)."""
    if shutil.which("git") is None:
        skip_missing_tool("git")
    base = tmp_path / "served"
    repo = base / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README").write_text("v1\n")
    (repo / "sub").mkdir()
    (repo / "sub" / "inner.txt").write_text("inner v1\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    _git(repo, "tag", "v1")
    v1 = _git(repo, "rev-parse", "HEAD")
    (repo / "README").write_text("v2\n")
    _git(repo, "commit", "-q", "-am", "two")
    port = free_port()
    proc = subprocess.Popen(["git", "daemon", "--reuseaddr", "--listen=127.0.0.1",
                             f"--port={port}", f"--base-path={base}", "--export-all",
                             str(base)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        yield f"git://127.0.0.1:{port}/repo", v1
    finally:
        proc.terminate()
        proc.wait(10)


def test_add_git_refs_subdir_and_keep_git_dir(built: Any, git_server: tuple[str, str]) -> None:
    engine, _, build = built
    url, v1 = git_server
    build(f"FROM busybox:base\nADD {url} /head/\nADD {url}#v1 /tag/\n"
          f"ADD {url}#{v1}:sub /sub/\nADD --keep-git-dir {url}#main /kept/\n"
          "RUN ls -a /head /tag /sub > /out; cat /kept/.git/HEAD >> /out\n",
          tags=("git:1",))
    assert _read(engine, "git:1", "/head/README") == b"v2\n"
    assert _read(engine, "git:1", "/tag/README") == b"v1\n"
    assert _read(engine, "git:1", "/sub/inner.txt") == b"inner v1\n"
    listing = _read(engine, "git:1", "/out").decode()
    assert ".git" not in listing.split("/kept")[0]  # no .git without --keep-git-dir
    assert listing.splitlines()[-1] == _read(engine, "git:1", "/kept/.git/HEAD").decode().strip()
    with pytest.raises(ScowError) as failed:
        build(f"FROM busybox:base\nADD {url}#nosuchref /x/\n")
    assert "ref 'nosuchref' not found" in str(failed.value)
    with pytest.raises(ScowError) as failed:
        build(f"FROM busybox:base\nCOPY {url} /x/\n")
    assert "source can't be a git ref for COPY" in str(failed.value)


@pytest.mark.parametrize(("src", "expected"), [
    ("https://github.com/moby/buildkit.git#v0.10.1:docs",
     GitRef("https://github.com/moby/buildkit.git", "v0.10.1", "docs")),
    ("git@github.com:moby/buildkit.git#main", GitRef("git@github.com:moby/buildkit.git",
                                                     "main", "")),
    ("ssh://git@example.com/r.git", GitRef("ssh://git@example.com/r.git", None, "")),
    ("git://127.0.0.1:9418/repo", GitRef("git://127.0.0.1:9418/repo", None, "")),
    ("https://example.com/file.tar.gz", None),
    ("file:///srv/repo.git", None),  # BuildKit: no file:// git source
    ("local/dir", None),
])
def test_which_sources_are_git(src: str, expected: GitRef | None, engine: Any) -> None:
    assert parse_git_ref(src) == expected


def test_hostile_git_ref_is_refused(engine: Any) -> None:
    with pytest.raises(InvalidArgument):
        parse_git_ref("git://127.0.0.1/repo#--upload-pack=touch /x")
