"""`pip install` of the project (from a copy of the source tree, not editable) into a clean venv:
the `scow` command runs, `from scow import Engine` works outside the source tree, and mypy
--strict checks a program against the installed package's type hints (py.typed, PEP 561).

pip fetches setuptools (build isolation) and scow's dependencies from the package index."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from tests.tools import require_tool

REPO = Path(__file__).resolve().parents[3]

GOOD = """\
from scow import Engine
from scow.engine.images import ImageSummary


def tagged(root: str) -> list[str]:
    with Engine(root=root, storage_driver="vfs") as engine:
        images: list[ImageSummary] = engine.images.list_images(all=True)
        return [tag for image in images for tag in image.repo_tags]
"""

# The type hints are real, not Any: a wrong use is an error.
BAD = """\
from scow import Engine


def count(root: str) -> str:
    with Engine(root=root) as engine:
        return engine.images.list_images()
"""


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "MYPYPATH")}
    return env


def _copy_source(dest: Path) -> Path:
    """The project as an sdist holds it: pip builds in the tree it is given (build/,
    *.egg-info), so it gets a copy, never the work tree."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(REPO / "src", dest / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh venv with scow pip-installed into it."""
    tmp = tmp_path_factory.mktemp("pip-install")
    source = _copy_source(tmp / "source")
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=True)
    proc = subprocess.run([str(env_dir / "bin/pip"), "install", "-q", "--disable-pip-version-check",
                           str(source)], capture_output=True, text=True, env=_clean_env(),
                          cwd=tmp, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return env_dir / "bin"


@pytest.mark.slow
def test_the_scow_command_is_installed(installed: Path, tmp_path: Path) -> None:
    proc = subprocess.run([str(installed / "scow"), "--version"], capture_output=True,
                          text=True, env=_clean_env(), cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "0." in proc.stdout


@pytest.mark.slow
def test_engine_imports_from_the_installed_package(installed: Path, tmp_path: Path) -> None:
    program = ("import scow, pathlib; from scow import Engine; "
               "print(Engine.__module__, pathlib.Path(scow.__file__).parent.joinpath("
               "'py.typed').exists(), scow.__file__)")
    proc = subprocess.run([str(installed / "python"), "-c", program], capture_output=True,
                          text=True, env=_clean_env(), cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    module, typed, path = proc.stdout.split()
    assert (module, typed) == ("scow.engine.engine", "True")
    assert str(REPO) not in path and "site-packages" in path


@pytest.mark.slow
def test_mypy_checks_a_program_against_the_installed_type_hints(installed: Path,
                                                                tmp_path: Path) -> None:
    mypy = require_tool("mypy", also=(str(Path(sys.executable).parent / "mypy"),))
    (tmp_path / "mypy.ini").write_text("[mypy]\nstrict = True\n")
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "bad.py").write_text(BAD)

    def check(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([mypy, "--config-file", "mypy.ini", "--no-incremental",
                               "--python-executable", str(installed / "python"), name],
                              capture_output=True, text=True, env=_clean_env(), cwd=tmp_path,
                              timeout=300)

    good = check("good.py")
    assert good.returncode == 0, good.stdout
    bad = check("bad.py")
    assert bad.returncode == 1, bad.stdout
    assert 'Incompatible return value type (got "list[ImageSummary]", expected "str")' \
        in bad.stdout, bad.stdout
