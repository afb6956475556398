"""`volume ls --filter` (name, driver, label, dangling) as docker's, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow


@pytest.fixture
def cli(tmp_path: Path, busybox_tar: Path) -> Scow:
    scow = Scow(tmp_path / "root", "vfs")
    scow("import", str(busybox_tar), "bb:1")
    scow("volume", "create", "--label", "env=prod", "--label", "team", "web-data")
    scow("volume", "create", "--label", "env=dev", "db-data")
    scow("volume", "create", "cache")
    scow("create", "--name", "user", "-v", "db-data:/db", "bb:1", "true")
    return scow


def volumes(cli: Scow, *filters: str) -> list[str]:
    args = [a for f in filters for a in ("-f", f)]
    return sorted(cli.out("volume", "ls", "-q", *args).split())


def test_filters(cli: Scow) -> None:
    assert volumes(cli) == ["cache", "db-data", "web-data"]
    assert volumes(cli, "name=data") == ["db-data", "web-data"]
    assert volumes(cli, "name=^cache$") == ["cache"]
    assert volumes(cli, "label=env") == ["db-data", "web-data"]
    assert volumes(cli, "label=env=prod") == ["web-data"]
    assert volumes(cli, "label=team", "label=env=dev") == ["db-data", "web-data"]
    assert volumes(cli, "label=env", "name=web") == ["web-data"]
    assert volumes(cli, "dangling=true") == ["cache", "web-data"]
    assert volumes(cli, "dangling=0") == ["db-data"]
    assert volumes(cli, "driver=local") == ["cache", "db-data", "web-data"]
    assert volumes(cli, "driver=nfs") == []
    table = cli.out("volume", "ls", "--filter", "name=cache")
    assert table == "DRIVER    VOLUME NAME\nlocal     cache\n"


@pytest.mark.parametrize(("flt", "message"), [
    ("size=1", "invalid filter 'size'"),
    ("dangling=maybe", "Invalid filter 'dangling=['maybe']'"),
])
def test_bad_filters(cli: Scow, flt: str, message: str) -> None:
    proc = cli("volume", "ls", "--filter", flt, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", f"Error: {message}\n")
