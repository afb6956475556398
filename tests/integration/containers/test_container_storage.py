"""The reference walkthrough in numbers (S4, S5, S7, S8, S9, S14, S15): thin writable layers,
`ps --size`, copy-up, what `rm` deletes, `diff` against the init layer, commit, export and
`cp` (never escaping the container's root)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow, env

NAMES = [f"my_container_{i}" for i in range(1, 6)]


def _folder_size(path: Path) -> int:
    return sum(os.lstat(os.path.join(d, f)).st_blocks * 512
               for d, _, files in os.walk(path) for f in files)


def test_walkthrough_sizes(sc: Scow) -> None:
    image_size = sc.out("images", "--format", "{{.Size}}", "bb:1").strip()
    for name in NAMES:
        sc("run", "-dit", "--name", name, "bb:1", "sh")
    sizes = sc.sizes()
    assert set(sizes) == set(NAMES)
    assert all(v == f"0B (virtual {image_size})" for v in sizes.values()), sizes
    for name in NAMES[:3]:
        sc("exec", name, "sh", "-c", "printf hello > /out.txt")
    sizes = sc.sizes()
    for name in NAMES:
        written = name in NAMES[:3]
        assert sizes[name].startswith("5B " if written else "0B "), sizes
    assert sc("exec", NAMES[4], "test", "-e", "/out.txt", check=False).returncode == 1
    table = sc.out("ps", "--size").splitlines()
    assert table[0].split()[-1] == "SIZE" and "5B (virtual" in table[1] + table[2] + table[3]
    for name in NAMES:
        folder = sc.root / "containers" / sc.full_id(name)
        assert _folder_size(folder) < 100 * 1024, name
    doc = sc.inspect(NAMES[0], "-s")
    assert doc["SizeRw"] == 5
    image_bytes = json.loads(sc.out("image", "inspect", "bb:1"))[0]["Size"]
    assert doc["SizeRootFs"] == image_bytes + 5


def test_rm_deletes_the_writable_and_init_layers_only(sc: Scow) -> None:
    before = sc.layer_ids()
    cid = sc.out("run", "-d", "--name", "victim", "bb:1", "sleep", "1000").strip()
    sc("run", "-d", "--name", "other", "bb:1", "sleep", "1000")
    during = sc.layer_ids()
    added = during - before
    assert len(added) == 4 and sum(1 for i in added if i.endswith("-init")) == 2
    sc("rm", "-f", "victim")
    removed = during - sc.layer_ids()
    mount_id = min(removed)
    assert removed == {mount_id, f"{mount_id}-init"} and removed < added
    assert not (sc.root / "containers" / cid).exists()
    sc("rm", "-f", "other")
    assert sc.layer_ids() == before


def test_copy_up_of_a_chmod(sc: Scow) -> None:
    sc("run", "--name", "big", "bb:1", "sh", "-c",
       "dd if=/dev/zero of=/big.bin bs=1024 count=2048 2>/dev/null")
    sc("commit", "big", "bigimg:1")
    sc("run", "--name", "toucher", "bigimg:1", "chmod", "600", "/big.bin")
    sc("run", "--name", "reader", "bigimg:1", "cat", "/big.bin", check=True)
    rw = {n: sc.inspect(n, "-s")["SizeRw"] for n in ("toucher", "reader")}
    assert rw["reader"] == 0
    assert 2 * 1024 * 1024 <= rw["toucher"] < 2 * 1024 * 1024 + 64 * 1024, rw
    assert sc.sizes()["toucher"].startswith("2.1MB")
    assert sc.out("diff", "toucher") == "C /big.bin\n"


def test_diff_against_the_init_layer(sc: Scow) -> None:
    sc("run", "--name", "differ", "bb:1", "sh", "-c",
       "mkdir -p /new/sub && echo x > /new/sub/f && echo y >> /etc/profile && rm /bin/vi "
       "&& echo name > /etc/hostname")
    lines = sc.out("diff", "differ").splitlines()
    assert lines == sorted(lines, key=lambda line: line[2:])
    assert {"A /new", "A /new/sub", "A /new/sub/f", "C /etc", "A /etc/profile", "C /bin",
            "D /bin/vi"} <= set(lines), lines
    for hidden in ("/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/.dockerenv",
                   "/dev/console", "/proc", "/sys", "/etc/mtab"):
        assert not any(line[2:] == hidden for line in lines), (hidden, lines)
    assert sc.out("diff", sc.out("create", "bb:1", "true").strip()) == ""


def test_commit(sc: Scow) -> None:
    sc("run", "-d", "--name", "live", "bb:1", "sh", "-c",
       "echo one > /one.txt; while true; do sleep 0.1; done")
    image_id = sc.out("commit", "-m", "add one", "-a", "Jane <jane@example.com>",
                      "-c", "ENV MODE=committed", "-c", 'CMD ["cat", "/one.txt"]',
                      "live", "snap:1").strip()
    assert image_id.startswith("sha256:")
    assert sc.status("live") == "running"  # paused during the commit, resumed after
    assert sc.out("run", "--rm", "snap:1") == "one\n"
    assert "MODE=committed" in sc.out("run", "--rm", "snap:1", "env")
    base = json.loads(sc.out("image", "inspect", "bb:1"))[0]
    new = json.loads(sc.out("image", "inspect", "snap:1"))[0]
    assert new["RootFS"]["Layers"][:-1] == base["RootFS"]["Layers"]
    assert len(new["RootFS"]["Layers"]) == len(base["RootFS"]["Layers"]) + 1
    assert new["Comment"] == "add one" and new["Author"] == "Jane <jane@example.com>"
    assert new["Parent"] == base["Id"]
    history = sc.out("history", "--format", "{{.Comment}}", "snap:1").splitlines()
    assert history[0] == "add one"


def test_commit_unchanged_container_adds_an_empty_layer(sc: Scow) -> None:
    sc("create", "--name", "same", "bb:1", "true")
    sc("commit", "same", "same:1")
    base = json.loads(sc.out("image", "inspect", "bb:1"))[0]
    new = json.loads(sc.out("image", "inspect", "same:1"))[0]
    assert new["RootFS"]["Layers"] == base["RootFS"]["Layers"]
    config = _image_config(sc, "same:1")
    assert config["history"][-1].get("empty_layer") is True
    assert new["Size"] == base["Size"]


def _image_config(sc: Scow, ref: str) -> dict[str, object]:
    image_id = sc.out("image", "inspect", "--format", "{{.Id}}", ref).strip()
    out = subprocess.run(sc.argv("save", ref), capture_output=True, env=env(), check=True)
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
        member = f"blobs/sha256/{image_id.removeprefix('sha256:')}"
        data = tar.extractfile(member)
        assert data is not None
        result: dict[str, object] = json.loads(data.read())
        return result


def test_export(sc: Scow) -> None:
    sc("run", "--name", "exp", "bb:1", "sh", "-c", "echo data > /exported.txt; rm /bin/vi")
    proc = subprocess.run(sc.argv("export", "exp"), capture_output=True, env=env(), check=True)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        names = set(tar.getnames())
        f = tar.extractfile("exported.txt")
        assert f is not None and f.read() == b"data\n"
    assert "bin/busybox" in names and "bin/vi" not in names and ".dockerenv" in names
    assert not any(".wh." in n for n in names)


@pytest.fixture
def evil(one: Scow) -> str:
    """A container with `/evil -> /`, its own /etc/shadow and a secret of its own."""
    one("run", "--name", "evil", "bb:1", "sh", "-c",
        "ln -s / /evil && ln -s ../../../../.. /up && echo container-shadow > /etc/shadow")
    return "evil"


def test_cp_from_container_stays_inside(one: Scow, evil: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    one("cp", f"{evil}:/evil/etc/shadow", str(out))
    assert out.read_text() == "container-shadow\n"
    one("cp", f"{evil}:/up/etc/passwd", str(tmp_path / "pw"))
    assert (tmp_path / "pw").read_text().startswith("root:x:0:0:root:/root:/bin/sh\nnobody")
    one("cp", f"{evil}:/etc", str(tmp_path / "etc"))
    assert (tmp_path / "etc" / "shadow").read_text() == "container-shadow\n"
    one("cp", f"{evil}:/etc/.", str(tmp_path / "etc2"))
    assert (tmp_path / "etc2" / "passwd").exists()
    proc = one("cp", f"{evil}:/nope", str(tmp_path / "x"), check=False)
    assert proc.returncode == 1 and "nope" in proc.stderr


def test_cp_into_container_stays_inside(one: Scow, evil: str, tmp_path: Path) -> None:
    src = tmp_path / "hostfile"
    src.write_text("planted\n")
    marker = f"/tmp/scow-cp-escape-{os.getpid()}"
    one("cp", str(src), f"{evil}:/evil{marker}")
    one("cp", str(src), f"{evil}:/up/tmp/")
    assert not os.path.exists(marker)
    one("start", evil)  # it exits at once; the files are in its writable layer
    one("wait", evil)
    check = tmp_path / "check"
    one("cp", f"{evil}:{marker}", str(check))
    assert check.read_text() == "planted\n"
    one("cp", f"{evil}:/tmp/hostfile", str(tmp_path / "check2"))
    assert (tmp_path / "check2").read_text() == "planted\n"
    folder = tmp_path / "dir"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "f").write_text("f")
    one("cp", str(folder), f"{evil}:/copied")
    assert "A /copied/sub/f" in one.out("diff", evil)


def test_init_layer_unlinks_planted_symlinks(sc: Scow, tmp_path: Path) -> None:
    """An image whose /etc/hosts and /etc/resolv.conf point out of the container cannot make
    the runtime's bind mounts land elsewhere."""
    target = tmp_path / "planted"
    (tmp_path / "links").mkdir()
    os.symlink(f"../../../../../../../..{target}", tmp_path / "links" / "hosts")
    os.symlink("../tmp/resolv", tmp_path / "links" / "resolv.conf")
    sc("create", "--name", "planter", "bb:1", "true")
    sc("cp", str(tmp_path / "links" / "hosts"), "planter:/etc/hosts")
    sc("cp", str(tmp_path / "links" / "resolv.conf"), "planter:/etc/resolv.conf")
    exported = subprocess.run(sc.argv("export", "planter"), capture_output=True, env=env(),
                              check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
        assert tar.getmember("etc/hosts").issym()  # the image really has the planted links
    sc("commit", "planter", "planted:1")
    out = sc.out("run", "--rm", "planted:1", "sh", "-c",
                 "test -L /etc/hosts && echo link; cat /etc/hosts; ls /tmp")
    assert "link" not in out and "localhost" in out and "resolv" not in out
    assert not target.exists()
