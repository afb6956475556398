"""docker's --user rules against a rootfs's /etc/passwd and /etc/group, and safe opening."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scow.errors import NotFound
from scow.runtime.user import ExecUser, open_in_rootfs, resolve_user

PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n"
GROUP = "root:x:0:\napp:x:1000:\nstaff:x:50:app,other\nwheel:x:10:app\n"


@pytest.fixture
def rootfs(tmp_path: Path) -> str:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text(PASSWD)
    (tmp_path / "etc/group").write_text(GROUP)
    return str(tmp_path)


@pytest.mark.parametrize(("user", "want"), [
    ("", ExecUser(0, 0, (), "/root", "root")),
    ("app", ExecUser(1000, 1000, (50, 10), "/home/app", "app")),
    ("1000", ExecUser(1000, 1000, (50, 10), "/home/app", "app")),
    ("app:staff", ExecUser(1000, 50, (), "/home/app", "app")),
    ("app:77", ExecUser(1000, 77, (), "/home/app", "app")),
    ("4242", ExecUser(4242, 0, (), "/", "4242")),
    ("4242:10", ExecUser(4242, 10, (), "/", "4242")),
])
def test_docker_user_forms(rootfs: str, user: str, want: ExecUser) -> None:
    assert resolve_user(rootfs, user) == want


def test_unknown_names_fail_like_docker(rootfs: str) -> None:
    with pytest.raises(NotFound, match="^unable to find user foo: no matching entries in passwd"):
        resolve_user(rootfs, "foo")
    with pytest.raises(NotFound, match="^unable to find group nope: no matching entries in group"):
        resolve_user(rootfs, "app:nope")


def test_missing_files_mean_numeric_ids_only(tmp_path: Path) -> None:
    assert resolve_user(str(tmp_path), "") == ExecUser(0, 0, (), "/", "root")
    assert resolve_user(str(tmp_path), "5:6").uid == 5
    with pytest.raises(NotFound):
        resolve_user(str(tmp_path), "app")


def test_symlinks_cannot_lead_out_of_the_rootfs(tmp_path: Path, resolver: str) -> None:
    outside = tmp_path / "host-passwd"
    outside.write_text("evil:x:0:0::/:/bin/sh\n")
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").symlink_to("../../../../../../host-passwd")
    (root / "host-passwd").write_text("inner:x:7:7::/in:/bin/sh\n")
    assert resolve_user(str(root), "inner").uid == 7
    with pytest.raises(NotFound):
        resolve_user(str(root), "evil")
    (root / "etc/passwd").unlink()
    (root / "etc/passwd").symlink_to("/host-passwd")  # absolute: resolved inside the rootfs
    fd = open_in_rootfs(str(root), "/etc/passwd")
    with os.fdopen(fd) as f:
        assert f.read().startswith("inner:")
    (root / "etc/passwd").unlink()
    (root / "etc/passwd").symlink_to(str(outside))  # a host path: missing inside the rootfs
    with pytest.raises(FileNotFoundError):
        open_in_rootfs(str(root), "/etc/passwd")


@pytest.fixture(params=["openat2", "walk"])
def resolver(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "walk":
        import scow.osutil.openat2 as o2

        monkeypatch.setattr(o2, "resolve_in_root_supported", lambda: False)
    return str(request.param)


def test_a_fifo_is_not_opened(tmp_path: Path, resolver: str) -> None:
    (tmp_path / "etc").mkdir()
    os.mkfifo(tmp_path / "etc/passwd")
    with pytest.raises(OSError):
        open_in_rootfs(str(tmp_path), "/etc/passwd")
