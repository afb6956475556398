"""POST /build's other sources through the service with docker-py: `cachefrom` (images whose
inline build cache the build reuses) and `remote` (a git repository served by `git daemon`
on loopback, `#ref:subdir` as BuildKit's)."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.api.conftest import Service
from tests.api.test_service_images import context_tar
from tests.integration.conftest import free_port, wait_port
from tests.tools import require_runc, skip_missing_tool

pytestmark = pytest.mark.timeout(240)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c",
                    "user.email=t@example.com", *args], check=True, capture_output=True)


@pytest.fixture
def git_url(tmp_path: Path) -> Iterator[str]:
    """git://127.0.0.1:PORT/repo: a Dockerfile and a file in `app/` on branch main."""
    if shutil.which("git") is None:
        skip_missing_tool("git")
    base = tmp_path / "served"
    repo = base / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "Dockerfile").write_text("FROM base:1\nCOPY hello.txt /hello.txt\n")
    (repo / "app" / "hello.txt").write_text("from git\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    port = free_port()
    proc = subprocess.Popen(["git", "daemon", "--reuseaddr", "--listen=127.0.0.1",
                             f"--port={port}", f"--base-path={base}", "--export-all",
                             str(base)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        yield f"git://127.0.0.1:{port}/repo"
    finally:
        proc.terminate()
        proc.wait(10)


def test_build_from_a_git_remote(service: Service, git_url: str) -> None:

    require_runc()
    client = service.client()
    try:
        events = list(client.build(path=f"{git_url}#main:app", tag="remote:1", decode=True))
        assert any("aux" in e for e in events), events
        out = service.docker("run", "--rm", "--network", "none", "remote:1",
                             "cat", "/hello.txt").stdout
        assert out == "from git\n"
        failed = list(client.build(path=f"{git_url}#main:nothere", decode=True))
        assert "no folder 'nothere' in the checkout" in failed[-1]["error"]  # in the stream,
        assert failed[-1]["errorDetail"]["message"] == failed[-1]["error"]  # as build errors
    finally:
        client.close()
    assert not list((service.root / "tmp").glob("*remote-context-*"))


def test_build_cache_from_an_image(service: Service, tmp_path: Path) -> None:
    require_runc()
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    dockerfile = "FROM base:1\nRUN head -c 32 /dev/urandom > /r\n"
    (ctx / "Dockerfile").write_text(dockerfile)
    service.scow("build", "-q", "--cache-to", "type=inline", "-t", "warm:1", str(ctx))
    service.scow("builder", "prune", "-af")  # only warm:1's inline cache is left
    client = service.client()
    try:
        list(client.build(fileobj=io.BytesIO(context_tar(dockerfile)), custom_context=True,
                          tag="warm:2", cache_from=["warm:1"], decode=True))
        layers = [client.inspect_image(t)["RootFS"]["Layers"] for t in ("warm:1", "warm:2")]
        assert layers[0] == layers[1]  # RUN was a hit: the same random bytes
    finally:
        client.close()
