"""pull, push, save, load, login and logout as a user types them (not a terminal): docker's
plain progress lines, the final lines, and the refusals."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_tar
from tests.integration.conftest import registry_basic, registry_plain  # noqa: F401 - fixtures

SRC = str(Path(__file__).parents[2] / "src")
ROW = r"[0-9a-f]{12}"


def scow(root: Path, *args: str, stdin: bytes | None = None, check: bool = True,
         env: dict[str, str] | None = None, **kw: Any) -> subprocess.CompletedProcess[bytes]:
    full_env = dict(os.environ, SCOW_STORAGE_DRIVER="vfs", PYTHONPATH=SRC, **(env or {}))
    proc = subprocess.run([sys.executable, "-m", "scow", "--root", str(root), *args],
                          input=stdin, capture_output="stdout" not in kw, env=full_env, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"scow {' '.join(args)} failed: {proc.stderr!r}")
    return proc


def lines(proc: subprocess.CompletedProcess[bytes]) -> list[str]:
    return proc.stdout.decode().splitlines()


@pytest.fixture
def image(tmp_path: Path) -> tuple[Path, Path]:
    tar = tmp_path / "layer.tar"
    tar.write_bytes(make_tar({"bin/": None, "bin/hello": b"hello\n" * 1000}))
    return tar, tmp_path / "a"


@pytest.mark.registry
def test_push_and_pull_lines(image: tuple[Path, Path], tmp_path: Path,
                             registry_plain: Any) -> None:  # noqa: F811
    tar, root = image
    name = f"{registry_plain.domain}/hello"
    scow(root, "import", str(tar), f"{name}:1.0")
    push = lines(scow(root, "push", f"{name}:1.0"))
    assert push[0] == f"The push refers to repository [{name}]"
    assert re.fullmatch(rf"{ROW}: Preparing", push[1])
    assert re.fullmatch(rf"{ROW}: Pushed", push[2])
    assert re.fullmatch(r"1\.0: digest: sha256:[0-9a-f]{64} size: \d+", push[3])
    assert len(push) == 4
    digest = push[3].split()[2]

    other = tmp_path / "b"
    pull = lines(scow(other, "pull", f"{name}:1.0"))
    row = pull[1].split(":")[0]
    assert pull == ["1.0: Pulling from hello", f"{row}: Pulling fs layer",
                    f"{row}: Verifying Checksum", f"{row}: Download complete",
                    f"{row}: Pull complete", f"Digest: {digest}",
                    f"Status: Downloaded newer image for {name}:1.0", f"{name}:1.0"]
    again = lines(scow(other, "pull", f"{name}:1.0"))
    assert again == ["1.0: Pulling from hello", f"Digest: {digest}",
                     f"Status: Image is up to date for {name}:1.0", f"{name}:1.0"]
    assert lines(scow(other, "pull", "-q", f"{name}:1.0")) == [f"{name}:1.0"]
    repush = lines(scow(other, "push", f"{name}:1.0"))
    assert repush[1:] == [f"{push[1].split(':')[0]}: Preparing",
                          f"{push[1].split(':')[0]}: Layer already exists", push[3]]


@pytest.mark.registry
def test_pull_of_a_missing_tag_fails(tmp_path: Path,
                                     registry_plain: Any) -> None:  # noqa: F811
    proc = scow(tmp_path / "r", "pull", f"{registry_plain.domain}/nothing:1", check=False)
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("Error: ")
    assert len(proc.stderr.decode().splitlines()) == 1


def test_save_and_load(image: tuple[Path, Path], tmp_path: Path) -> None:
    tar, root = image
    scow(root, "import", str(tar), "hello:1")
    out = tmp_path / "saved.tar"
    scow(root, "save", "-o", str(out), "hello:1")
    with open(tmp_path / "stdout.tar", "wb") as f:
        scow(root, "save", "hello:1", stdout=f, stderr=subprocess.PIPE)
    assert (tmp_path / "stdout.tar").read_bytes() == out.read_bytes()
    assert lines(scow(tmp_path / "b", "load", "-i", str(out))) == ["Loaded image: hello:1"]
    assert lines(scow(tmp_path / "c", "load", stdin=out.read_bytes())) == \
        ["Loaded image: hello:1"]
    assert lines(scow(tmp_path / "c", "load", "-q", "-i", str(out))) == \
        ["Loaded image: hello:1"]


def test_save_refuses_a_terminal(image: tuple[Path, Path]) -> None:
    tar, root = image
    scow(root, "import", str(tar), "hello:1")
    master, slave = pty.openpty()
    try:
        proc = scow(root, "save", "hello:1", check=False, stdout=slave, stderr=subprocess.PIPE)
    finally:
        os.close(slave)
        os.close(master)
    assert proc.returncode == 1
    assert proc.stderr.decode() == ("Error: cowardly refusing to save to a terminal. Use the -o "
                                    "flag or redirect\n")


def test_load_refuses_a_hostile_archive(tmp_path: Path) -> None:
    from tests.integration.distribution.archives import tar_of

    proc = scow(tmp_path / "r", "load", stdin=tar_of([("../x", b"x")]), check=False)
    assert proc.returncode == 1
    assert proc.stderr.decode() == ("Error: load: archive entry '../x' points outside the "
                                    "archive\n")


@pytest.mark.registry
def test_login_and_logout(tmp_path: Path, registry_basic: Any) -> None:  # noqa: F811
    from tests.integration.conftest import PASSWORD, USER

    config = tmp_path / "docker"
    env = {"DOCKER_CONFIG": str(config), "SSL_CERT_FILE": registry_basic.ca_file}
    root = tmp_path / "r"
    bad = scow(root, "login", "-u", USER, "--password-stdin", registry_basic.domain,
               stdin=b"wrong\n", env=env, check=False)
    assert bad.returncode == 1 and not (config / "config.json").exists()
    ok = scow(root, "login", "-u", USER, "--password-stdin", registry_basic.domain,
              stdin=PASSWORD.encode() + b"\n", env=env)
    assert lines(ok) == ["Login Succeeded"]
    assert registry_basic.domain in (config / "config.json").read_text()
    out = scow(root, "logout", registry_basic.domain, env=env)
    assert lines(out) == [f"Removing login credentials for {registry_basic.domain}"]
    assert lines(scow(root, "logout", registry_basic.domain, env=env)) == \
        [f"Not logged in to {registry_basic.domain}"]
