"""`ps --filter` with every key docker has, on created containers (no runtime needed), and
docker's errors for bad keys and values; `ps` showing the image ID once the container's tag
names another image or none."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow


@pytest.fixture
def cli(tmp_path: Path, busybox_tar: Path) -> Scow:
    scow = Scow(tmp_path / "root", "vfs")
    scow("import", "-c", "EXPOSE 8080/tcp", str(busybox_tar), "bb:1")
    scow("volume", "create", "data")
    scow("create", "--name", "first", "-l", "tier=web", "-v", "data:/srv", "bb:1", "true")
    scow("create", "--name", "second", "-l", "tier", "-p", "9000:80", "bb:1", "true")
    scow("create", "--name", "third", "-v", f"{tmp_path}:/host", "bb:1", "true")
    return scow


def names(cli: Scow, *filters: str) -> list[str]:
    args = [a for f in filters for a in ("--filter", f)]
    return sorted(cli.out("ps", "-a", *args, "--format", "{{.Names}}").split())


def test_each_key(cli: Scow, tmp_path: Path) -> None:
    everyone = ["first", "second", "third"]
    assert names(cli, "label=tier") == ["first", "second"]
    assert names(cli, "label=tier=web") == ["first"]
    assert names(cli, "name=^/?sec") == ["second"] and names(cli, "name=ir") == ["first",
                                                                                 "third"]
    assert names(cli, f"id={cli.full_id('third')[:10]}") == ["third"]
    assert names(cli, "status=created") == everyone and names(cli, "status=running") == []
    assert names(cli, "status=exited", "status=created") == everyone
    assert names(cli, "before=third") == ["first", "second"]
    assert names(cli, "since=first") == ["second", "third"]
    assert names(cli, "before=third", "since=first") == ["second"]
    assert names(cli, "volume=data") == ["first"] and names(cli, "volume=/srv") == ["first"]
    assert names(cli, f"volume={tmp_path}") == ["third"]
    assert names(cli, "publish=80") == ["second"] and names(cli, "publish=70-90/tcp") == \
        ["second"]
    assert names(cli, "publish=80/udp") == []
    assert names(cli, "expose=8080") == everyone and names(cli, "expose=8000-8079") == []
    assert names(cli, "health=none") == everyone and names(cli, "health=healthy") == []
    assert names(cli, "is-task=false") == everyone and names(cli, "is-task=true") == []
    assert names(cli, "isolation=default") == everyone
    assert names(cli, "network=bridge") == everyone and names(cli, "network=none") == []
    assert names(cli, "exited=0") == []
    assert names(cli, "ancestor=bb:1") == everyone and names(cli, "ancestor=bb") == []
    assert names(cli, "ancestor=nosuch:1") == []
    assert names(cli, "label=tier", "name=first") == ["first"]  # keys AND, values OR


def test_ancestor_takes_descendants_and_ids(cli: Scow) -> None:
    cli("commit", "first", "bb:child")
    cli("create", "--name", "kid", "bb:child", "true")
    image_id = cli.out("images", "-q", "bb:1").strip()
    assert names(cli, "ancestor=bb:child") == ["kid"]
    assert names(cli, f"ancestor={image_id}") == ["first", "kid", "second", "third"]


@pytest.mark.parametrize(("flt", "message"), [
    ("colour=red", "invalid filter 'colour'"),
    ("status=sleeping", "invalid filter 'status=sleeping'"),
    ("health=sick", "Unrecognised filter value for health: sick"),
    ("exited=x", 'strconv.Atoi: parsing "x": invalid syntax'),
    ("is-task=maybe", "Invalid filter 'is-task=['maybe']'"),
    ("publish=http", "invalid port range: http"),
    ("before=nosuch", "No such container: nosuch"),
    ("status", "bad format of filter (expected name=value): status"),
])
def test_bad_filters(cli: Scow, flt: str, message: str) -> None:
    proc = cli("ps", "-a", "--filter", flt, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", f"Error: {message}\n")


def test_image_id_shown_once_the_tag_is_gone(cli: Scow) -> None:
    image_id = cli.out("images", "-q", "bb:1").strip()
    cli("tag", "bb:1", "bb:2")
    cli("rmi", "bb:1")
    assert set(cli.out("ps", "-a", "--format", "{{.Image}}").split()) == {image_id}
    full = set(cli.out("ps", "-a", "--no-trunc", "--format", "{{.Image}}").split())
    assert len(full) == 1 and full.pop().startswith("sha256:" + image_id)
    cli("commit", "first", "bb:1")  # the tag names another image now
    assert set(cli.out("ps", "-a", "--format", "{{.Image}}").split()) == {image_id}
