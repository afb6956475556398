"""The image commands as a user types them: docker's output layout and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import make_tar


def scow(root: Path, *args: str, stdin: bytes | None = None,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SCOW_STORAGE_DRIVER="vfs", PYTHONPATH=str(Path(__file__).parents[2]
                                                                         / "src"))
    proc = subprocess.run([sys.executable, "-m", "scow", "--root", str(root), *args],
                          input=stdin.decode("latin-1") if stdin else None, capture_output=True,
                          text=True, env=env, encoding="latin-1")
    if check and proc.returncode != 0:
        raise AssertionError(f"scow {' '.join(args)} failed: {proc.stderr}")
    return proc


@pytest.fixture
def root(tmp_path: Path) -> Path:
    tar = tmp_path / "layer.tar"
    tar.write_bytes(make_tar({"bin/": None, "bin/hello": b"hello\n"}))
    r = tmp_path / "root"
    scow(r, "import", "-c", 'CMD ["/bin/hello"]', str(tar), "acme/my-base-image:1.0")
    return r


def test_images_table(root: Path) -> None:
    out = scow(root, "images").stdout.splitlines()
    assert out[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    assert out[0].startswith("REPOSITORY           TAG       IMAGE ID       CREATED")
    cells = out[1].split()
    assert cells[:2] == ["acme/my-base-image", "1.0"] and len(cells[2]) == 12
    assert cells[-1] == "6B"


def test_images_quiet_and_format(root: Path) -> None:
    quiet = scow(root, "images", "-q").stdout.split()
    assert len(quiet) == 1 and len(quiet[0]) == 12
    out = scow(root, "image", "ls", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}").stdout
    assert out == "acme/my-base-image:1.0 6B\n"


def test_history_and_inspect(root: Path) -> None:
    hist = scow(root, "image", "history", "acme/my-base-image:1.0").stdout.splitlines()
    assert hist[0].split()[:3] == ["IMAGE", "CREATED", "CREATED"]
    assert "Imported from -" in hist[1]
    layers = scow(root, "image", "inspect", "--format", "{{json .RootFS.Layers}}",
                  "acme/my-base-image:1.0").stdout
    assert json.loads(layers)[0].startswith("sha256:")
    full = json.loads(scow(root, "inspect", "acme/my-base-image:1.0").stdout)
    assert list(full[0])[:4] == ["Id", "RepoTags", "RepoDigests", "Parent"]
    assert scow(root, "image", "inspect", "--format", "{{.RootFS}}",
                "acme/my-base-image:1.0").stdout.startswith("{layers [sha256:")


def test_errors_are_one_line(root: Path) -> None:
    proc = scow(root, "rmi", "nope:1", check=False)
    assert proc.returncode == 1
    assert proc.stderr == "Error: No such image: nope:1\n"
    proc = scow(root, "images", "--bogus", check=False)
    assert proc.returncode != 0 and "unknown flag: --bogus" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_images_path_imports_nothing_heavy(root: Path) -> None:
    env = dict(os.environ, SCOW_STORAGE_DRIVER="vfs",
               PYTHONPATH=str(Path(__file__).parents[2] / "src"))
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "scow", "--root", str(root),
                           "images"], capture_output=True, text=True, env=env, check=True)
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    heavy = {m for m in modules if m.split(".")[0] in ("asyncio", "ssl", "http", "urllib3",
                                                        "aiohttp", "rich", "dataclasses",
                                                        "inspect", "argparse")}
    heavy |= {m for m in modules - {"scow.drivers.base"}
              if m.startswith(("scow.drivers.", "scow.format.gotemplate", "scow.runtime."))}
    assert not heavy, heavy  # listing images opens no driver and runs no template engine
