"""`scow cp` keeps docker's semantics while it reads and writes through fds only: `-L`
(follow the source's last symlink, inside the container's root), `-a` (keep uid/gid; without
it a copy in belongs to root and a copy out to the user running scow), a trailing `/` or `/.`,
`.wh.` names copied as plain files (a cp is not a layer: they delete nothing), and `-` for a tar
on stdout or stdin."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow, env

SETUP = ("mkdir -p /w/real && echo real > /w/real/f && ln -s /w/real /w/abs && "
         "ln -s ../../../../../etc /w/up && echo owned > /w/owned && chown 1234:4321 /w/owned && "
         "mkfifo /w/fifo && echo wh > /w/.wh..wh..opq && echo wh > /w/.wh.keep")


@pytest.fixture
def box(one: Scow) -> str:
    one("run", "--name", "box", "bb:1", "sh", "-c", SETUP)
    return "box"


def test_cp_whiteout_names_are_plain_files(one: Scow, box: str, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "keep").write_text("host keep\n")
    (dest / "mine").write_text("host mine\n")
    one("cp", f"{box}:/w/.", str(dest))
    assert (dest / "keep").read_text() == "host keep\n"
    assert (dest / "mine").read_text() == "host mine\n"
    assert (dest / ".wh..wh..opq").read_text() == "wh\n"
    assert (dest / ".wh.keep").read_text() == "wh\n"
    src = tmp_path / "src"
    src.mkdir()
    (src / ".wh.passwd").write_text("x\n")
    one("cp", f"{src}/.", f"{box}:/etc")
    one("cp", f"{box}:/etc/passwd", str(tmp_path / "passwd"))
    assert (tmp_path / "passwd").read_text().startswith("root:x:0:0")


def test_cp_follow_link_stays_in_the_root(one: Scow, box: str, tmp_path: Path) -> None:
    one("cp", f"{box}:/w/abs", str(tmp_path / "link"))
    assert os.readlink(tmp_path / "link") == "/w/real"
    one("cp", "-L", f"{box}:/w/abs", str(tmp_path / "followed"))
    assert (tmp_path / "followed" / "f").read_text() == "real\n"
    one("cp", f"{box}:/w/abs/", str(tmp_path / "slash"))
    assert (tmp_path / "slash" / "f").read_text() == "real\n"
    one("cp", "-L", f"{box}:/w/up", str(tmp_path / "etc"))
    names = {p.name for p in (tmp_path / "etc").iterdir()}
    assert "passwd" in names and names <= {"group", "passwd", "hosts", "hostname", "resolv.conf",
                                          "mtab", "shadow"}


def test_cp_ownership_as_docker_documents_it(one: Scow, box: str, tmp_path: Path) -> None:
    one("cp", f"{box}:/w/owned", str(tmp_path / "plain"))
    st = os.lstat(tmp_path / "plain")
    assert (st.st_uid, st.st_gid) == (os.geteuid(), os.getegid())
    one("cp", "-a", f"{box}:/w/owned", str(tmp_path / "kept"))
    st = os.lstat(tmp_path / "kept")
    assert (st.st_uid, st.st_gid) == (1234, 4321)
    os.chown(tmp_path / "kept", 1111, 2222)
    one("cp", str(tmp_path / "kept"), f"{box}:/w/in-root")
    one("cp", "-a", str(tmp_path / "kept"), f"{box}:/w/in-kept")
    for name, ids in (("in-root", (0, 0)), ("in-kept", (1111, 2222))):
        one("cp", "-a", f"{box}:/w/{name}", str(tmp_path / name))
        st = os.lstat(tmp_path / name)
        assert (st.st_uid, st.st_gid) == ids, name


def test_cp_special_files_and_errors(one: Scow, box: str, tmp_path: Path) -> None:
    one("cp", f"{box}:/w/fifo", str(tmp_path / "fifo"), timeout=30)
    assert stat.S_ISFIFO(os.lstat(tmp_path / "fifo").st_mode)
    proc = one("cp", f"{box}:/w/owned/", str(tmp_path / "x"), check=False)
    assert proc.returncode != 0 and proc.stderr.count("\n") == 1
    assert "not a directory" in proc.stderr
    proc = one("cp", f"{box}:/w/nope", str(tmp_path / "x"), check=False)
    assert proc.returncode == 1 and "no such file or directory" in proc.stderr
    proc = one("cp", f"{box}:/w/real", str(tmp_path / "missing" / "x"), check=False)
    assert proc.returncode == 1 and "no such file or directory" in proc.stderr
    assert not (tmp_path / "x").exists()


def test_cp_tar_streams(one: Scow, box: str, tmp_path: Path) -> None:
    proc = subprocess.run(one.argv("cp", f"{box}:/w/real", "-"), capture_output=True,
                          env=env(), check=True)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        assert tar.getnames() == ["real", "real/f"]
        f = tar.extractfile("real/f")
        assert f is not None and f.read() == b"real\n"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("new", b"new\n"), (".wh.f", b"")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    subprocess.run(one.argv("cp", "-", f"{box}:/w/real"), input=buf.getvalue(), env=env(),
                   check=True, capture_output=True)
    one("cp", f"{box}:/w/real", str(tmp_path / "real"))
    assert sorted(os.listdir(tmp_path / "real")) == [".wh.f", "f", "new"]
    proc = subprocess.run(one.argv("cp", "-", f"{box}:/w/nope"), input=buf.getvalue(),
                          env=env(), capture_output=True, text=False)
    assert proc.returncode == 1 and b"no such directory" in proc.stderr


def test_cp_into_a_created_container_writes_through_its_volumes(one: Scow, box: str,
                                                                 tmp_path: Path) -> None:
    """moby makes a container's volumes at create and fills a new one with the image's
    content there (populateVolumes); `cp SRC CONTAINER:DEST` under a volume's destination
    writes into the volume beside that content, not into the container's own layer."""
    (tmp_path / "f.txt").write_text("hi\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "y").write_text("y\n")
    cid = one.out("create", "-v", "cpvol:/etc", "-v", "/anon", "bb:1", "sh", "-c",
                  "cat /etc/f.txt /anon/d/y; grep -c root /etc/passwd").strip()
    assert "cpvol" in one.out("volume", "ls", "-q")  # made at create, before any start
    volume = one.root / "volumes" / "cpvol" / "_data"
    assert (volume / "passwd").read_text().startswith("root:")  # filled at create
    one("cp", str(tmp_path / "f.txt"), f"{cid}:/etc/f.txt")
    one("cp", str(tmp_path / "d"), f"{cid}:/anon")
    assert (volume / "f.txt").read_text() == "hi\n"
    assert one.out("diff", cid) == ""  # nothing went into the container's own layer
    assert one.out("start", "-a", cid) == "hi\ny\n1\n"
    one("rm", "-v", cid)
    one("volume", "rm", "cpvol")
