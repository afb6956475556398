"""scow against a real docker on the same imported tar: the same DiffIDs, sizes, table
layouts and history rows (what the reference page shows), byte for byte where docker's
output is stable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker


def docker(env: dict[str, str], *args: str) -> str:
    return subprocess.run(["docker", *args], env=env, capture_output=True, text=True,
                          check=True).stdout


def scow(root: Path, *args: str) -> str:
    env = dict(os.environ, SCOW_STORAGE_DRIVER="overlay2")
    return subprocess.run([sys.executable, "-m", "scow", "--root", str(root), *args], env=env,
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def both(dockerd: dict[str, str], busybox_tar: Path,
         tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    root = tmp_path_factory.mktemp("scow-oracle") / "root"
    change = 'CMD ["/bin/sh"]'
    docker(dockerd, "import", "-c", change, str(busybox_tar), "oracle/base:1.0")
    scow(root, "import", "-c", change, str(busybox_tar), "oracle/base:1.0")
    yield dockerd, root
    docker(dockerd, "rmi", "-f", "oracle/base:1.0")
    subprocess.run([sys.executable, "-m", "scow", "--root", str(root), "rmi", "-f",
                    "oracle/base:1.0"], capture_output=True)


def test_same_diff_ids(both: tuple[dict[str, str], Path]) -> None:
    env, root = both
    fmt = "{{json .RootFS.Layers}}"
    assert scow(root, "image", "inspect", "--format", fmt, "oracle/base:1.0") == \
        docker(env, "image", "inspect", "--format", fmt, "oracle/base:1.0")


def test_same_sizes_and_table_layout(both: tuple[dict[str, str], Path]) -> None:
    env, root = both
    fmt = "table {{.Repository}}\t{{.Tag}}\t{{.Size}}"
    assert scow(root, "images", "--format", fmt) == docker(env, "images", "--format", fmt)
    ours = scow(root, "images").splitlines()
    theirs = docker(env, "images").splitlines()
    cut = theirs[0].index("CREATED")  # the CREATED column's width depends on the clock
    assert ours[0][:cut + 7] == theirs[0][:cut + 7]  # the header, with tabwriter padding
    assert ours[1].split()[:2] == theirs[1].split()[:2]
    assert ours[1].split()[-1] == theirs[1].split()[-1]  # SIZE


def test_same_history_rows(both: tuple[dict[str, str], Path]) -> None:
    env, root = both
    fmt = "{{.CreatedBy}}|{{.Size}}|{{.Comment}}"
    assert scow(root, "history", "--format", fmt, "oracle/base:1.0") == \
        docker(env, "history", "--format", fmt, "oracle/base:1.0")
    assert scow(root, "history", "oracle/base:1.0").splitlines()[0] == \
        docker(env, "history", "oracle/base:1.0").splitlines()[0]


def test_same_config_fields(both: tuple[dict[str, str], Path]) -> None:
    env, root = both
    for fmt in ("{{json .Config.Cmd}}", "{{.Os}}/{{.Architecture}}", "{{.Comment}}",
                "{{.RootFS.Type}}", "{{.GraphDriver.Name}}"):
        assert scow(root, "image", "inspect", "--format", fmt, "oracle/base:1.0") == \
            docker(env, "image", "inspect", "--format", fmt, "oracle/base:1.0"), fmt
