"""engine/builds/ssh_agent.py's folder for an agent: in the store's temp folder, named after
this process's owner token (so recovery takes it if the build dies), when the socket's path
fits a unix socket address; a private mkdtemp otherwise; 0700 either way."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from scow.engine.builds.ssh_agent import _private_folder


def _store(tmp: Path) -> Any:
    return SimpleNamespace(tmp=str(tmp), owner=SimpleNamespace(name="owner-1-abcd"))


def test_agent_folder_in_the_store_when_the_socket_path_fits(tmp_path: Path) -> None:
    short = Path(tempfile.mkdtemp(prefix="s", dir="/tmp"))
    try:
        folder = _private_folder(_store(short / "tmp"))
        assert os.path.basename(folder).startswith("owner-1-abcd.ssh-")
        assert os.path.dirname(folder) == str(short / "tmp")
        assert os.stat(folder).st_mode & 0o7777 == 0o700
    finally:
        os.rmdir(folder)
        os.rmdir(short / "tmp")
        os.rmdir(short)
    deep = tmp_path / ("x" * 90) / "tmp"
    folder = _private_folder(_store(deep))
    try:
        assert os.path.dirname(folder) == tempfile.gettempdir()
        assert os.stat(folder).st_mode & 0o7777 == 0o700
    finally:
        os.rmdir(folder)
