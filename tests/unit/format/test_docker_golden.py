"""The engine against outputs of the real docker CLI 28.2.2 (`docker version --format`, which
renders over the client's version struct even with no daemon). The JSON files were recorded
from that CLI; the `docker` test re-runs it live when the binary is present."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socketserver
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from tests.tools import skip_missing_tool

from scow.format.docker import FUNCTIONS, parse
from scow.format.gotemplate import Template, TemplateError
from scow.format.govalue import Struct

HERE = Path(__file__).parent
PARSE_CASES = json.loads((HERE / "golden_parse_errors.json").read_text())
EXEC_CASES = json.loads((HERE / "golden_exec.json").read_text())

CLIENT = Struct({
    "Platform": None, "Version": "28.2.2", "APIVersion": "1.50", "DefaultAPIVersion": "1.50",
    "GitCommit": "e6534b4", "GoVersion": "go1.24.3", "Os": "linux", "Arch": "amd64",
    "BuildTime": "Fri May 30 12:07:14 2025", "Context": "default",
}, omitempty=("Platform", "DefaultAPIVersion", "BuildTime"),
    json_names={"APIVersion": "ApiVersion"}, type_name="system.clientVersion")
VERSION = Struct({"Client": CLIENT, "Server": None}, type_name="main.versionInfo")


def run_like_docker(fmt: str) -> tuple[str, str]:
    """(stdout, stderr) as `docker version --format fmt` prints them (daemon down)."""
    try:
        tmpl = Template("version", funcs=FUNCTIONS).parse(fmt)
    except TemplateError as exc:
        return "", f"template parsing error: {exc}"
    return tmpl.execute(VERSION) + "\n", ""


@pytest.mark.parametrize("case", PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_parse_errors_match_docker(case: list[str]) -> None:
    fmt, stdout, stderr = case
    if not stderr:
        parse(fmt)  # docker accepted it: so must we
        return
    assert run_like_docker(fmt)[1] == stderr


@pytest.mark.parametrize("case", EXEC_CASES, ids=[c[0] for c in EXEC_CASES])
def test_output_matches_docker(case: list[str]) -> None:
    fmt, stdout, stderr = case
    assert run_like_docker(fmt) == (stdout, stderr)


@pytest.mark.docker
@pytest.mark.skipif(shutil.which("docker") is None, reason="missing tool: docker (CLI)")
@pytest.mark.parametrize("case", EXEC_CASES[:12], ids=[c[0] for c in EXEC_CASES[:12]])
def test_live_docker_cli(case: list[Any]) -> None:
    fmt = case[0]
    out = client_only_docker_version(fmt)
    if "28.2.2" not in out and "Version" in fmt:
        skip_missing_tool("docker CLI 28.2.2 (the version the golden files come from)")
    assert out == run_like_docker(fmt)[0]


def client_only_docker_version(fmt: str) -> str:
    """`docker version --format fmt` against a socket that cannot exist: the client-only
    output, whatever daemon runs on the machine or DOCKER_HOST names."""
    env = dict(os.environ, DOCKER_HOST="unix:///nonexistent/scow-test/docker.sock")
    env.pop("DOCKER_CONTEXT", None)
    return subprocess.run(["docker", "version", "--format", fmt], capture_output=True,
                          text=True, timeout=30, env=env).stdout


class _FakeDaemon(http.server.BaseHTTPRequestHandler):
    """Just enough of the Engine API for `docker version` to find a server."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b"OK" if "_ping" in self.path else json.dumps(
            {"Version": "99.0.0", "ApiVersion": "1.50", "Os": "linux", "Arch": "amd64"}).encode()
        self.send_response(200)
        self.send_header("API-Version", "1.50")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def address_string(self) -> str:
        return "unix"

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.docker
@pytest.mark.skipif(shutil.which("docker") is None, reason="missing tool: docker (CLI)")
def test_live_docker_cli_ignores_a_running_daemon(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    sock = str(tmp_path / "docker.sock")
    server = socketserver.ThreadingUnixStreamServer(sock, _FakeDaemon)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("DOCKER_HOST", f"unix://{sock}")
        assert subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                              capture_output=True, text=True, timeout=30).stdout == "99.0.0\n"
        assert client_only_docker_version("{{.Server}}") == "<nil>\n"
    finally:
        server.shutdown()
        server.server_close()
