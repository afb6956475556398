"""docs/library.md's code blocks named after a file (```python conftest.py```) run as they
stand: written to a folder and run by pytest there, against a store that has busybox as
`busybox:latest` (so the guide's fixture finds it and pulls nothing). Among them: a
throw-away container per test, 20 containers started and removed from parallel threads
sharing one Engine, and reading a layer's files without extracting it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.tools import require_runc

REPO = Path(__file__).resolve().parents[3]
BLOCK = re.compile(r"^```python (\S+\.py)\n(.*?)^```$", re.S | re.M)


def guide_files() -> dict[str, str]:
    return dict(BLOCK.findall((REPO / "docs/library.md").read_text()))


def test_the_guide_names_its_runnable_files() -> None:
    assert sorted(guide_files()) == ["conftest.py", "test_containers.py", "test_layers.py"]


PARALLEL = "test_containers.py::test_twenty_containers_in_parallel_threads"


def _run_guide(folder: Path, busybox_tar: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest over the guide's files in `folder`, on a store of its own there; whatever the
    examples leave (they remove their containers, unless they fail) is removed after."""
    require_runc()
    from scow import Engine

    root = folder / "root"
    with Engine(root=str(root)) as engine, open(busybox_tar, "rb") as f:
        engine.images.import_image(f, reference="busybox:latest", changes=['CMD ["/bin/sh"]'])
    project = folder / "guide"
    project.mkdir()
    for name, text in guide_files().items():
        (project / name).write_text(text)
    env = dict(os.environ, SCOW_ROOT=str(root), PYTHONPATH=str(REPO / "src"))
    env.pop("PYTEST_ADDOPTS", None)
    try:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "-p", "no:xdist", "-W", "error", *args], capture_output=True,
                              text=True, env=env, cwd=project, timeout=600)
    finally:
        with Engine(root=str(root)) as engine:
            left = engine.containers.list_containers(all=True)
            for summary in left:
                engine.containers.remove(summary.id, force=True)
        assert left == [], "the guide's examples left containers behind"


@pytest.mark.slow
@pytest.mark.runc
def test_the_guide_s_examples_pass(no_leaked_mounts: Path, busybox_tar: Path) -> None:
    proc = _run_guide(no_leaked_mounts, busybox_tar, "--deselect", PARALLEL)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "2 passed, 1 deselected" in proc.stdout


@pytest.mark.slow
@pytest.mark.runc
def test_the_guide_s_twenty_containers_from_parallel_threads(no_leaked_mounts: Path,
                                                             busybox_tar: Path) -> None:
    proc = _run_guide(no_leaked_mounts, busybox_tar, PARALLEL)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "1 passed" in proc.stdout
