"""Hostile input through the CLI as a user feeds it: malicious tars to `import`, `load` and
`cp`, malformed manifests and configs, invalid names. Each ends in at most an `Error:` line
(and a hint), never a traceback; nothing is written outside the store; the store stays clean."""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import make_tar
from tests.reliability.conftest import FIGURES, assert_clean, ok, scow


def _tar(*members: tuple[str, str, object]) -> bytes:
    """(name, type, payload): "f" file bytes, "l" symlink target, "h" hardlink target, "d"."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "f":
                data = payload if isinstance(payload, bytes) else b"x"
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                continue
            info.type = {"l": tarfile.SYMTYPE, "h": tarfile.LNKTYPE, "d": tarfile.DIRTYPE}[kind]
            info.linkname = str(payload or "")
            tar.addfile(info)
    return buf.getvalue()


def corpus(outside: Path) -> dict[str, bytes]:
    o = str(outside)
    return {
        "dotdot": _tar(("../../../../../..", "d", None), (f"../../../../..{o}/pwned", "f", b"x")),
        "absolute": _tar((f"{o}/pwned", "f", b"x")),
        "symlink-escape": _tar(("esc", "l", o), ("esc/pwned", "f", b"x")),
        "symlink-relative-escape": _tar(("esc", "l", "../../../../../../../.." + o),
                                        ("esc/pwned", "f", b"x")),
        "symlink-chain": _tar(("a", "l", "b"), ("b", "l", "c"), ("c", "l", o),
                              ("a/pwned", "f", b"x")),
        "dir-replaced-by-symlink": _tar(("d", "d", None), ("d", "l", o), ("d/pwned", "f", b"x")),
        "hardlink-escape": _tar(("h", "h", "/etc/passwd")),
        "hardlink-dotdot": _tar(("h", "h", "../../../../etc/passwd")),
        "whiteout-dotdot": _tar(("etc/.wh...", "f", b""), ("x/.wh.../../..", "f", b"")),
        "whiteout-through-symlink": _tar(("s", "l", o), ("s/.wh.keep", "f", b"")),
        "opaque-through-symlink": _tar(("s", "l", o), ("s/.wh..wh..opq", "f", b"")),
        "long-name": _tar(("d/" + "n" * 300, "f", b"x"), ("../" * 40 + "p" * 200, "f", b"x")),
        "truncated": _tar(("f", "f", b"y" * 5000))[:700],
        "garbage": os.urandom(4096),
        "empty": b"",
    }


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("keep")
    return tmp_path / "root", outside


def _judge(proc: object, outside: Path) -> None:
    err = proc.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in err and "internal error" not in err, err
    if proc.returncode != 0:  # type: ignore[attr-defined]
        lines = [line for line in err.splitlines() if line.startswith(("Error", "scow: Error"))]
        assert len(lines) == 1, err
    assert sorted(os.listdir(outside)) == ["keep"]
    assert (outside / "keep").read_text() == "keep"
    FIGURES["hostile inputs tried"] += 1


def test_malicious_tars_through_import_and_cp(setup: tuple[Path, Path], tmp_path: Path,
                                              busybox_tar: Path, no_leaked_mounts: Path) -> None:
    root, outside = setup
    ok(root, "import", "-c", 'CMD ["sh"]', str(busybox_tar), "bb")
    ok(root, "create", "--name", "target", "bb")
    for name, data in corpus(outside).items():
        path = tmp_path / f"{name}.tar"
        path.write_bytes(data)
        _judge(scow(root, "import", str(path), f"h:{name}"), outside)
        _judge(scow(root, "cp", "-", "target:/tmp", stdin=data), outside)
    ok(root, "rm", "target")
    assert_clean(root, quick=False)


def test_malformed_image_archives_through_load(setup: tuple[Path, Path], tmp_path: Path) -> None:
    root, outside = setup
    layer = _tar(("f", "f", b"x"))
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]},
                         "os": "linux", "architecture": "amd64"}).encode()
    cases = {
        "no-manifest": {"x": b"1"},
        "manifest-not-json": {"manifest.json": b"{nope"},
        "manifest-wrong-shape": {"manifest.json": b'{"Config": 1}'},
        "config-missing": {"manifest.json": b'[{"Config": "c.json", "Layers": []}]'},
        "config-escape": {"manifest.json": b'[{"Config": "../../etc/passwd", "Layers": []}]'},
        "layer-escape": {"manifest.json": b'[{"Config": "c.json", "Layers": ["/etc/passwd"]}]',
                         "c.json": config},
        "diffid-mismatch": {"manifest.json": b'[{"Config": "c.json", "Layers": ["l.tar"], '
                            b'"RepoTags": ["x:1"]}]', "c.json": config, "l.tar": layer},
        "bad-tag": {"manifest.json": b'[{"Config": "c.json", "Layers": [], '
                    b'"RepoTags": ["UPPER/../x:1"]}]', "c.json": config},
        "config-garbage": {"manifest.json": b'[{"Config": "c.json", "Layers": []}]',
                           "c.json": b"\x00\xff"},
        "manifest-nested-200000": {"manifest.json": b"[" * 200_000 + b"]" * 200_000},
        "config-nested": {"manifest.json": b'[{"Config": "c.json", "Layers": []}]',
                          "c.json": b'{"a":' * 50_000 + b"1" + b"}" * 50_000},
        "index-nested": {"index.json": b"[" * 200_000},
        "config-cmd-number": {"manifest.json": b'[{"Config": "c.json", "Layers": []}]',
                              "c.json": json.dumps({"rootfs": {"type": "layers", "diff_ids": []},
                                                    "config": {"Cmd": -1}}).encode()},
        "config-labels-string": {"manifest.json": b'[{"Config": "c.json", "Layers": []}]',
                                 "c.json": json.dumps({"rootfs": {"type": "layers",
                                                                  "diff_ids": []},
                                                       "config": {"Labels": "x"}}).encode()},
        "sparse-layer-size-lie": {"index.json": json.dumps({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": "sha256:" + "1" * 64, "size": 10}]}).encode()},
    }
    for name, files in cases.items():
        path = tmp_path / f"{name}.tar"
        path.write_bytes(make_tar(files))
        proc = scow(root, "load", "-i", str(path))
        assert proc.returncode != 0, name
        _judge(proc, outside)
    assert_clean(root)


@pytest.mark.parametrize("args", [
    ("tag", "nope", "x"), ("import", "/dev/null", "UPPER:1"), ("import", "/dev/null", "a:b:c"),
    ("rmi", "sha256:zz"), ("pull", "a b"), ("create", "--name", "/../x", "nosuch.invalid/bb"),
    ("run", "--name", "x" * 300, "nosuch.invalid/bb"), ("rm", "../../etc"), ("inspect", "%00"),
    ("load", "-i", "/nonexistent"), ("cp", "nosuch:/x", "-"),
    ("import", "/dev/null", "x:té"), ("import", "/dev/null", "x:1\n"),
    ("volume", "create", "v" * 300), ("volume", "create", "vol\n"), ("volume", "create", "é1"),
])
def test_invalid_names_and_references(args: tuple[str, ...], setup: tuple[Path, Path]) -> None:
    root, outside = setup
    proc = scow(root, *args)
    assert proc.returncode != 0
    _judge(proc, outside)


# -- sparse members in `docker save` archives ---------------------------------------------------
LASTLOG = 20 << 20  # /var/log/lastlog: zeros but for two records


def _lastlog() -> bytes:
    data = bytearray(LASTLOG)
    data[10 << 20:(10 << 20) + 4] = b"LAST"
    data[-4:] = b"TAIL"
    return bytes(data)


def _sparse_archive(folder: Path, fmt: str, *, bomb: bool) -> Path:
    """A docker-save archive written by GNU tar --sparse: its layer.tar (holding lastlog) is
    a sparse member; with `bomb`, an unreferenced 6 GiB sparse member `junk` besides."""
    import hashlib
    import shutil
    import subprocess

    if shutil.which("tar") is None:
        pytest.skip("missing tool: tar (GNU tar)")  # the prefix tests/tools.py allows
    folder.mkdir()
    layer = _tar(("var", "d", None), ("var/log", "d", None), ("var/log/lastlog", "f", _lastlog()))
    with open(folder / "layer.tar", "wb") as f:  # sparse on disk: tar --sparse keeps holes
        f.truncate(len(layer))
        for off in range(0, len(layer), 4096):
            if layer[off:off + 4096].strip(b"\0"):
                f.seek(off)
                f.write(layer[off:off + 4096])
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["x"]},
                         "rootfs": {"type": "layers", "diff_ids": [
                             "sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
    (folder / "config.json").write_bytes(config)
    (folder / "manifest.json").write_text(json.dumps(
        [{"Config": "config.json", "RepoTags": ["sparse:1"], "Layers": ["layer.tar"]}]))
    names = ["manifest.json", "config.json", "layer.tar"]
    if bomb:
        with open(folder / "junk", "wb") as f:
            f.truncate(6 << 30)
        names.insert(0, "junk")
    out = folder.with_suffix(".tar")
    subprocess.run(["tar", "--sparse", f"--format={fmt}", "-C",
                    str(folder), "-cf", str(out), *names], check=True)
    assert out.stat().st_size < 1 << 20
    return out


def _load(root: Path, archive: Path, via: str) -> None:
    if via == "file":
        ok(root, "load", "-i", str(archive), timeout=60)
    else:
        ok(root, "load", stdin=archive.read_bytes(), timeout=60)


@pytest.mark.parametrize("via", ["file", "stdin"])
@pytest.mark.parametrize("fmt", ["gnu", "posix"])
def test_sparse_layer_member_loads_with_its_content(setup: tuple[Path, Path], tmp_path: Path,
                                                    fmt: str, via: str) -> None:
    """Real archives hold sparse files (lastlog): a layer stored sparse loads, and the file
    in the image has its apparent size and its bytes."""
    root, _ = setup
    _load(root, _sparse_archive(tmp_path / "a", fmt, bomb=False), via)
    ok(root, "create", "--name", "lastlog", "sparse:1")
    out = tmp_path / "out"
    out.mkdir()
    ok(root, "cp", "lastlog:/var/log/lastlog", str(out))
    got = (out / "lastlog").read_bytes()
    assert len(got) == LASTLOG and got == _lastlog()
    ok(root, "rm", "lastlog")
    assert_clean(root)


@pytest.fixture
def small_root(tmp_path: Path) -> Iterator[Path]:
    """A root on a 64 MiB tmpfs: writing a 6 GiB hole as blocks fails there."""
    import subprocess

    if os.geteuid() != 0:
        pytest.skip("missing privilege: root")  # to mount a tmpfs
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt / "root"
    finally:
        subprocess.run(["umount", "-R", "-l", str(mnt)], check=False)


@pytest.mark.parametrize("via", ["file", "stdin"])
@pytest.mark.parametrize("fmt", ["gnu", "posix"])
def test_sparse_bomb_member_writes_nothing_big(small_root: Path, tmp_path: Path, fmt: str,
                                               via: str) -> None:
    """A 20 KB archive with an unreferenced 6 GiB sparse member: the image loads, fast, and
    nothing near 6 GiB (nor 64 MiB) is written under the root."""
    archive = _sparse_archive(tmp_path / "bomb", fmt, bomb=True)
    _load(small_root, archive, via)
    assert "sparse" in ok(small_root, "images")
    usage = os.statvfs(small_root)
    assert (usage.f_blocks - usage.f_bfree) * usage.f_frsize < 40 << 20
    FIGURES["hostile inputs tried"] += 1


@pytest.mark.parametrize("bad", ["/proc/foo", "/etc/passwd", "/etc/passwd/x", "/sys/x/y"])
def test_a_root_that_cannot_be_a_folder(bad: str, setup: tuple[Path, Path]) -> None:
    root, outside = setup
    proc = scow(root, "--root", bad, "images")  # the last --root wins
    assert proc.returncode != 0
    assert proc.stderr.startswith(f"Error: open root {bad}: "), proc.stderr
    _judge(proc, outside)
    import subprocess
    import sys

    from tests.reliability.conftest import SRC

    env = dict(os.environ, PYTHONPATH=SRC, SCOW_ROOT=bad)
    raw = subprocess.run([sys.executable, "-m", "scow", "images"], capture_output=True,
                         text=True, env=env, timeout=60)
    assert raw.returncode != 0 and raw.stderr.startswith(f"Error: open root {bad}: "), \
        raw.stderr


def test_dockerfile_with_a_10_mb_line_is_refused_before_building(tmp_path: Path,
                                                                 setup: tuple[Path, Path]) -> None:
    root, outside = setup
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\nLABEL a=" + "x" * (10 << 20) + "\n")
    proc = scow(root, "build", "-q", "-t", "long:1", str(context), timeout=60)
    assert proc.returncode != 0
    assert "Dockerfile:2: dockerfile line greater than max allowed size of 65535" in \
        proc.stderr, proc.stderr
    _judge(proc, outside)
    assert "long" not in ok(root, "images")


def test_a_change_nested_too_deeply_is_a_shell_form(setup: tuple[Path, Path],
                                                    tmp_path: Path) -> None:
    """`import -c 'ENTRYPOINT [[[[...'` was an internal error (RecursionError)."""
    root, outside = setup
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"\0" * 1024)
    ok(root, "import", "-c", "ENTRYPOINT " + "[" * 100_000, str(empty), "deep:1")
    proc = scow(root, "create", "--name", "deep", "deep:1")
    _judge(proc, outside)
    ok(root, "rm", "-f", "deep")


class _Repeat(io.RawIOBase):
    """`size` bytes of `byte`, read in chunks (a bomb's payload, never held whole)."""

    def __init__(self, byte: bytes, size: int) -> None:
        self._byte, self._left = byte, size

    def readable(self) -> bool:
        return True

    def readinto(self, b: object) -> int:
        view = memoryview(b)  # type: ignore[arg-type]
        n = min(len(view), self._left)
        view[:n] = self._byte * n
        self._left -= n
        return n


def _compressed_bomb(folder: Path, fill: bytes) -> Path:
    """A gzip'd docker-save archive of the lastlog image with an unreferenced 128 MiB member
    of `fill` bytes first (twice the tmpfs the root is on), about 130 KB compressed."""
    import gzip

    plain = _sparse_archive(folder, "gnu", bomb=False)
    out = folder.with_suffix(".tar.gz")
    with gzip.open(out, "wb", compresslevel=1) as gz, tarfile.open(fileobj=gz, mode="w|") as tar:
        info = tarfile.TarInfo("junk")
        info.size = 128 << 20
        tar.addfile(info, io.BufferedReader(_Repeat(fill, info.size)))
        with tarfile.open(plain) as src:
            for member in src:  # as regular members: tarfile writes no sparse maps
                copy = tarfile.TarInfo(member.name)
                copy.size = member.size
                tar.addfile(copy, src.extractfile(member))
    return out


@pytest.mark.parametrize(("fill", "via"), [(b"A", "file"), (b"\0", "file"), (b"\0", "stdin")])
def test_compressed_bomb_member_is_not_staged(small_root: Path, tmp_path: Path, fill: bytes,
                                              via: str) -> None:
    """A compressed archive from a file is read twice: only what manifest.json names is
    staged; from a pipe everything is, but zeros as holes."""
    _load(small_root, _compressed_bomb(tmp_path / "gz", fill), via)
    assert "sparse" in ok(small_root, "images")
    usage = os.statvfs(small_root)
    assert (usage.f_blocks - usage.f_bfree) * usage.f_frsize < 40 << 20
    FIGURES["hostile inputs tried"] += 1


def _gz_members(path: Path, members: list[tuple[tarfile.TarInfo, int]]) -> Path:
    """A gzip'd tar whose members' payloads are `size` zeros, streamed (never held)."""
    import gzip

    with gzip.open(path, "wb", compresslevel=1) as gz:
        with tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as tar:
            for info, size in members:
                info.size = size
                tar.addfile(info, io.BufferedReader(_Repeat(b"\0", size)) if size else None)
    return path


def test_header_bombs_in_load_are_one_line(setup: tuple[Path, Path], tmp_path: Path) -> None:
    """A compressed archive whose GNU long name is 256 MiB (tarfile reads it into memory),
    or which holds 60,000 empty entries: refused in one line, in seconds."""
    import gzip
    import time

    root, outside = setup
    longname = tarfile.TarInfo("././@LongLink")
    longname.type = tarfile.GNUTYPE_LONGNAME
    many = tmp_path / "many.tar.gz"
    with gzip.open(many, "wb", compresslevel=1) as gz:  # one empty entry, 60,000 times
        gz.write(tarfile.TarInfo("e").tobuf(tarfile.GNU_FORMAT) * 60_000 + bytes(1024))
    for archive, text in [(_gz_members(tmp_path / "long.tar.gz", [(longname, 256 << 20)]),
                           "byte limit"), (many, "more than 50000 archive entries")]:
        for args in (("-i", str(archive)), ()):
            started = time.monotonic()
            proc = scow(root, "load", *args, stdin=None if args else archive.read_bytes())
            assert proc.returncode != 0 and text in proc.stderr, proc.stderr
            assert time.monotonic() - started < 30
            _judge(proc, outside)


def test_an_endless_dockerfile_on_stdin_is_refused(setup: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    """`build -f - DIR` read stdin to its end before parsing: an endless stream was read
    until memory ran out. It reads one byte over the limit, then refuses."""
    import resource
    import subprocess
    import sys
    import threading

    from tests.reliability.conftest import SRC

    root, outside = setup
    context = tmp_path / "ctx"
    context.mkdir()

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    with subprocess.Popen(
            [sys.executable, "-m", "scow", "--root", str(root), "build", "-f", "-",
             str(context)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, bufsize=0, env=dict(os.environ, PYTHONPATH=SRC),
            preexec_fn=limit_memory) as proc:
        assert proc.stdin is not None and proc.stderr is not None
        stdin = proc.stdin

        def feed() -> None:
            chunk = b"FROM scratch\n" + b"#" * (1 << 20)
            try:
                for _ in range(4096):  # at most 4 GiB: past the 1 GiB the child may hold
                    stdin.write(chunk)
            except (BrokenPipeError, ValueError, OSError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        try:
            proc.wait(timeout=60)  # its output is one line: no pipe fills up meanwhile
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        text = proc.stderr.read().decode()
    writer.join(10)
    assert proc.returncode != 0 and "byte limit" in text and "internal error" not in text, text
    assert len(text.strip().splitlines()) == 1
