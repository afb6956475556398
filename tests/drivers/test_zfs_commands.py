"""scow.osutil.zfs's command wrapper, against stand-in `zfs` scripts (the process seam): the
tool's many-line complaints become one typed line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scow.errors import Conflict, DriverError, NoSpace
from scow.osutil import zfs


def fake_zfs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stderr: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "zfs"
    script.write_text("#!/bin/sh\ncat >&2 <<'END'\n" + stderr + "END\nexit 1\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")


@pytest.mark.parametrize(("stderr", "error", "line"), [
    ("cannot destroy 'p/a': filesystem has dependent clones\nuse '-R' to destroy the following "
     "datasets:\np/b\n", Conflict, "zfs destroy -r: cannot destroy 'p/a': filesystem has "
     "dependent clones"),
    ("cannot create 'p/a': out of space\n", NoSpace, "zfs destroy -r: cannot create 'p/a': out "
     "of space"),
    ("connect: No such file or directory\nPlease make sure that the zfs-fuse daemon is running."
     "\n", DriverError, "zfs destroy -r: Please make sure that the zfs-fuse daemon is running."),
])
def test_errors_are_one_typed_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   stderr: str, error: type[Exception], line: str) -> None:
    fake_zfs(tmp_path, monkeypatch, stderr)
    with pytest.raises(error) as caught:
        zfs.run("zfs", "destroy", "-r", "p/a")
    assert str(caught.value) == line and "\n" not in str(caught.value)


def test_missing_command_says_how_to_get_it(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DriverError, match=r"^run zfs: not installed \(apt-get install zfs-fuse"):
        zfs.run("zfs", "list")
