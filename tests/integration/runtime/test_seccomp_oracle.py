"""scow's translation of a docker seccomp profile compared with moby's own Go code (Debian's
golang-github-docker-docker-dev sources, built with the Go toolchain) on this host: the same
OCI section for the same capabilities. Skipped where Go or the sources are missing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from tests.tools import require_tool, skip_missing_tool

from scow.runtime.capabilities import DEFAULT_CAPS, all_caps, container_caps
from scow.runtime.seccomp import DEFAULT_PROFILE, read_profile, seccomp_section

GOPATH = "/usr/share/gocode"
FIXTURES = os.path.join(os.path.dirname(DEFAULT_PROFILE), "fixtures")
PROGRAM = """package main

import (
	"encoding/json"
	"io/ioutil"
	"os"
	"strings"

	"github.com/docker/docker/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func main() {
	body, err := ioutil.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	caps := []string{}
	if os.Args[2] != "" {
		caps = strings.Split(os.Args[2], ",")
	}
	caps2 := &specs.LinuxCapabilities{Bounding: caps}
	rs := &specs.Spec{Process: &specs.Process{Capabilities: caps2}}
	out, err := seccomp.LoadProfile(string(body), rs)
	if err != nil {
		panic(err)
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
"""


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = require_tool("go", package="golang-go")
    if not os.path.exists(DEFAULT_PROFILE):
        skip_missing_tool("docker's seccomp profile (golang-github-docker-docker-dev)")
    base = tmp_path_factory.mktemp("seccomp-oracle")
    (base / "main.go").write_text(PROGRAM)
    env = dict(os.environ, GOPATH=GOPATH, GO111MODULE="off", GOCACHE=str(base / "cache"),
               CGO_ENABLED="0")
    proc = subprocess.run([go, "build", "-tags", "seccomp", "-o", str(base / "oracle"),
                           str(base / "main.go")], env=env, capture_output=True, timeout=300)
    if proc.returncode != 0:
        skip_missing_tool(f"a Go that builds moby's seccomp package: {proc.stderr[-300:]!r}")
    return base / "oracle"


@pytest.mark.parametrize("caps", [
    list(DEFAULT_CAPS), container_caps(["SYS_ADMIN"], []), container_caps(["SYS_PTRACE"], []),
    [], all_caps(), container_caps(["ALL"], ["SYS_ADMIN", "SYS_PTRACE"]),
], ids=["default", "sys-admin", "sys-ptrace", "none", "all", "all-but-admin"])
@pytest.mark.parametrize("profile", [
    DEFAULT_PROFILE, os.path.join(FIXTURES, "conditional_include.json"),
    os.path.join(FIXTURES, "default-old-format.json"),
], ids=["default", "conditional-include", "old-format"])
def test_same_section_as_moby(oracle: Path, profile: str, caps: list[str]) -> None:
    if not os.path.exists(profile):
        skip_missing_tool(f"{profile} (golang-github-docker-docker-dev)")
    out = subprocess.run([str(oracle), profile, ",".join(caps)], capture_output=True,
                         check=True, timeout=60).stdout
    assert seccomp_section(read_profile(profile), caps) == json.loads(out)
