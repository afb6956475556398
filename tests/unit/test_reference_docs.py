"""The library's reference (docs/reference.py, `make docs`): it builds, it shows `scow.Engine`
and its services, and every public method of the Engine's services has a docstring."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from functools import cached_property
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scow_reference", REPO / "docs/reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_method_of_the_engine_services_is_documented() -> None:
    assert _reference().undocumented() == []


class _Thing:
    def documented(self) -> None:
        """Does something."""

    def bare(self) -> None:
        pass


class _Service:
    def get(self) -> _Thing:
        """A thing."""
        return _Thing()

    def bare_method(self) -> None:
        pass

    def _private(self) -> None:
        pass


class _Root:
    @cached_property
    def things(self) -> _Service:
        return _Service()


def test_the_check_names_each_undocumented_method_service_and_returned_object(
        monkeypatch: pytest.MonkeyPatch) -> None:
    reference = _reference()
    monkeypatch.setattr(reference, "CHECKED_PACKAGE", __name__)  # stands for scow.engine
    missing = reference.undocumented(_Root)
    assert sorted(m.rsplit(".", 2)[-2] + "." + m.rsplit(".", 1)[-1] for m in missing) == [
        "_Root.things", "_Service.bare_method", "_Thing.bare"]


def test_make_docs_builds_the_reference(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    out = tmp_path / "docs"
    proc = subprocess.run([sys.executable, str(REPO / "docs/reference.py"), str(out)],
                          capture_output=True, text=True, env=env, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr  # no pdoc warning either
    top = (out / "scow.html").read_text()
    assert "Engine" in top and "containers" in top
    images_page = (out / "scow/engine/images/service.html").read_text()
    assert "list_images" in images_page and "layers" in images_page
    assert (out / "scow/engine/containers/model.html").exists()
    assert not (out / "scow/cli.html").exists()
