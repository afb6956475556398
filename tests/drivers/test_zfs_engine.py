"""The engine on a zfs store (a dataset of a pool on a file, served by zfs-fuse): the reference
page's numbers, docker's zfs info fields, a full prune leaving only the parent dataset, and
`system check` comparing the datasets with the store."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.tools import require_runc

from scow import Engine
from scow.osutil import zfs

pytestmark = pytest.mark.root

SRC = str(Path(__file__).resolve().parents[2] / "src")


def scow(root: str, *args: str, code: int = 0) -> str:
    proc = subprocess.run([sys.executable, "-m", "scow", "--root", root, *args],
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=SRC),
                          timeout=300)
    assert proc.returncode == code, f"scow {' '.join(args)}: {proc.stdout}{proc.stderr}"
    return proc.stdout


def everything_under(dataset: str) -> list[str]:
    out = zfs.run("zfs", "list", "-H", "-o", "name", "-t", "all", "-r", dataset)
    return out.split()


@pytest.fixture
def store_root(zfs_root: str, busybox_tar: Path) -> str:
    """A store on its own dataset with busybox imported; zfs is chosen because the root is on
    a ZFS dataset (no flag)."""
    scow(zfs_root, "import", "--change", 'CMD ["sh"]', str(busybox_tar), "busybox:z")
    return zfs_root


def parent_of(root: str) -> str:
    return zfs.dataset_of(root) or ""


def test_info_shows_dockers_zfs_fields(store_root: str) -> None:
    out = scow(store_root, "info")
    assert "Storage Driver: zfs" in out
    fields = dict(re.findall(r"^  (Zpool|Zpool Health|Parent Dataset|Space Used By Parent|"
                             r"Space Available|Parent Quota|Compression): (.*)$", out, re.M))
    parent = parent_of(store_root)
    assert fields["Zpool"] == parent.split("/")[0] and fields["Parent Dataset"] == parent
    assert fields["Zpool Health"] == "ONLINE" and fields["Parent Quota"] == "no"
    assert int(fields["Space Used By Parent"]) > 0 and int(fields["Space Available"]) > 0
    assert fields["Compression"] in ("off", "on", "lzjb", "gzip", "zle", "lz4")


def test_walkthrough_numbers_and_full_prune(store_root: str) -> None:
    """ps --size: 0B for a fresh container, 5B after it writes "hello", virtual = the image
    size; a full prune leaves the parent dataset alone in `zfs list -r`."""
    require_runc()
    image_size = scow(store_root, "image", "ls", "--format", "{{.Size}}").strip()
    scow(store_root, "create", "--name", "idle", "busybox:z", "true")
    scow(store_root, "run", "--name", "writer", "busybox:z", "sh", "-c",
         "printf hello > /out.txt")
    sizes = dict(line.split("\t") for line in scow(
        store_root, "ps", "-a", "--size", "--format", "{{.Names}}\t{{.Size}}").splitlines())
    assert sizes == {"idle": f"0B (virtual {image_size})",
                     "writer": f"5B (virtual {image_size})"}
    assert "A /out.txt" in scow(store_root, "diff", "writer").splitlines()
    parent = parent_of(store_root)
    assert len(everything_under(parent)) > 1
    scow(store_root, "rm", "idle", "writer")
    scow(store_root, "system", "prune", "-af")
    assert everything_under(parent) == [parent]
    assert os.listdir(os.path.join(store_root, "zfs", "graph")) == []


def test_system_check_compares_datasets_with_the_store(store_root: str) -> None:
    parent = parent_of(store_root)
    scow(store_root, "system", "check")
    with Engine(root=store_root) as engine:
        layer = engine.store.driver.list_ids()[0]
    graph = os.path.join(store_root, "zfs", "graph")
    orphan = "f" * 64
    zfs.run("zfs", "create", "-o", f"mountpoint={graph}/{orphan}", f"{parent}/{orphan}")
    zfs.run("zfs", "snapshot", f"{parent}/{layer}@{'e' * 64}")  # an interrupted create's
    out = scow(store_root, "system", "check", code=1)
    assert f"zfs/{orphan}" in out and f"zfs/{'e' * 64}" in out
    scow(store_root, "system", "check", "--repair")
    scow(store_root, "system", "check")
    names = everything_under(parent)
    assert f"{parent}/{orphan}" not in names and f"{parent}/{layer}@{'e' * 64}" not in names
