"""Management commands' help (`scow volume`, `scow container --help`, ...): docker's
"Commands:" block with one-line descriptions, each command once (aliases on its own help),
compared line by line with the docker CLI's own help where it is installed (no daemon
needed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from tests.integration.containers.kit import env
from tests.tools import skip_missing_tool

GROUPS = ("container", "image", "system", "volume", "network", "builder")
SCOW_ONLY = {"container cleanup", "image analyze", "image squash", "system check",
             "system service"}  # podman has `system service`; docker has dockerd


def scow(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scow", *args], capture_output=True,
                          text=True, env=env(), check=False)


def commands_block(text: str) -> dict[str, str]:
    lines = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return {line.split()[0]: line for line in lines}


@pytest.mark.parametrize("group", GROUPS)
def test_group_alone_and_help_list_commands_with_descriptions(group: str) -> None:
    alone, helped = scow(group), scow(group, "--help")
    assert alone.returncode == helped.returncode == 0 and alone.stdout == helped.stdout
    rows = commands_block(helped.stdout)
    assert rows and all(len(line.split(None, 1)) == 2 for line in rows.values())
    assert f"Usage:  scow {group} COMMAND" in helped.stdout
    assert "list" not in rows and "remove" not in rows  # aliases are not commands


def test_volume_help_is_not_empty() -> None:
    rows = commands_block(scow("volume", "--help").stdout)
    assert sorted(rows) == ["create", "inspect", "ls", "prune", "rm"]
    assert rows["ls"] == "  ls          List volumes"
    assert "Aliases:\n  scow volume ls, scow volume list\n" in scow("volume", "ls", "--help").stdout


@pytest.mark.parametrize("group", GROUPS)
def test_same_lines_as_docker(group: str) -> None:
    docker = shutil.which("docker")
    if docker is None:
        skip_missing_tool("the docker CLI (Debian's docker.io)")
    theirs = subprocess.run([docker, group, "--help"], capture_output=True, text=True,
                            check=False, env=dict(env(), HOME="/nonexistent")).stdout
    docker_rows = commands_block(theirs)
    for name, line in commands_block(scow(group, "--help").stdout).items():
        if f"{group} {name}" in SCOW_ONLY:
            continue
        assert name in docker_rows, f"docker {group} has no {name}"
        assert line == re.sub(r"\b[Dd]ocker\b", "scow", docker_rows[name])
