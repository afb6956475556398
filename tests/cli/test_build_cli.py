"""`scow build` as a user types it: the context as a folder, a tar file or stdin, -f -, -q,
--iidfile, --label, errors and exit codes (real runc, overlay2)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from tests.tools import require_runc

FINAL = ("FROM acme/my-base-image:1.0\nCOPY . /app\nRUN chmod +x /app/hello.sh\n"
         "CMD /app/hello.sh\n")


def scow(root: Path, *args: str, stdin: bytes | None = None, cwd: Path | None = None,
         check: bool = True) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2] / "src"))
    env.pop("SOURCE_DATE_EPOCH", None)
    proc = subprocess.run([sys.executable, "-m", "scow", "--root", str(root), "-s", "overlay2",
                           *args], input=stdin, capture_output=True, env=env, cwd=cwd)
    if check and proc.returncode != 0:
        raise AssertionError(f"scow {' '.join(args)} failed: {proc.stderr.decode()}")
    return proc


@pytest.fixture
def setup(tmp_path: Path, busybox_tar: Path, no_leaked_mounts: Path) -> tuple[Path, Path]:
    require_runc()
    root, ctx = tmp_path / "root", tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "hello.sh").write_text('#!/bin/sh\necho "Hello world"\n')
    (ctx / "Dockerfile.base").write_text("FROM busybox:base\nRUN echo bash > /bin/bashmarker\n")
    (ctx / "Dockerfile").write_text(FINAL)
    scow(root, "import", str(busybox_tar), "busybox:base")
    scow(root, "build", "-q", "-f", str(ctx / "Dockerfile.base"), "-t", "acme/my-base-image:1.0",
         str(ctx))
    return root, ctx


def test_walkthrough_build_quiet_iidfile_and_run(setup: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    root, ctx = setup
    iid = tmp_path / "iid"
    proc = scow(root, "build", "-q", "--iidfile", str(iid), "-t", "acme/my-final-image:1.0",
                "--label", "stage=final", ".", cwd=ctx)
    image_id = proc.stdout.decode().strip()
    assert image_id.startswith("sha256:") and iid.read_text() == image_id
    assert proc.stderr == b""
    labels = scow(root, "image", "inspect", "--format", "{{json .Config.Labels}}",
                  "acme/my-final-image:1.0").stdout
    assert labels.strip() == b'{"stage":"final"}'
    out = scow(root, "run", "--rm", "acme/my-final-image:1.0").stdout
    assert out == b"Hello world\n"
    history = scow(root, "history", "acme/my-final-image:1.0").stdout.decode().splitlines()
    assert history[1].split()[-2:] == ["0B", "buildkit.dockerfile.v0"]
    assert "<missing>" in history[2] and "COPY . /app # buildkit" in history[3]


def test_plain_progress_shows_steps_and_cache(setup: tuple[Path, Path]) -> None:
    root, ctx = setup
    first = scow(root, "build", "--progress", "plain", "-t", "f:1", str(ctx)).stderr.decode()
    assert "#2 [2/3] COPY . /app" in first and "#3 [3/3] RUN chmod +x /app/hello.sh" in first
    again = scow(root, "build", "--progress=plain", "-t", "f:1", str(ctx)).stderr.decode()
    assert again.count("CACHED") == 2


def test_context_as_tar_file_and_stdin(setup: tuple[Path, Path], tmp_path: Path) -> None:
    root, ctx = setup
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in ("Dockerfile", "hello.sh"):
            tar.add(ctx / name, arcname=name)
    (tmp_path / "ctx.tar.gz").write_bytes(buf.getvalue())
    from_file = scow(root, "build", "-q", str(tmp_path / "ctx.tar.gz")).stdout.strip()
    from_stdin = scow(root, "build", "-q", "-", stdin=buf.getvalue()).stdout.strip()
    assert from_file.startswith(b"sha256:") and from_stdin == from_file


def test_dockerfile_on_stdin(setup: tuple[Path, Path]) -> None:
    root, ctx = setup
    text = b"FROM busybox:base\nRUN echo hi > /hi\n"
    lone = scow(root, "build", "-q", "-t", "lone:1", "-", stdin=text).stdout.strip()
    with_ctx = scow(root, "build", "-q", "-f", "-", str(ctx), stdin=text).stdout.strip()
    assert lone.startswith(b"sha256:") and with_ctx == lone  # second one fully cached


def test_failing_run_is_one_line_and_exit_1(setup: tuple[Path, Path]) -> None:
    root, ctx = setup
    (ctx / "Dockerfile.bad").write_text("FROM busybox:base\nRUN echo oops; exit 3\n")
    proc = scow(root, "build", "-f", str(ctx / "Dockerfile.bad"), "--progress", "plain",
                str(ctx), check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1
    assert err.splitlines()[-1] == ('Error: Dockerfile.bad:2: process "/bin/sh -c echo oops; '
                                    'exit 3" did not complete successfully: exit code: 3')
    assert "oops" in err
    quiet = scow(root, "build", "-q", "-f", str(ctx / "Dockerfile.bad"), str(ctx), check=False)
    assert quiet.returncode == 1 and b"oops" in quiet.stderr and quiet.stdout == b""
    assert os.listdir(root / "tmp") == []


def test_squash_makes_the_new_layers_one(setup: tuple[Path, Path]) -> None:
    root, ctx = setup
    (ctx / "Dockerfile.sq").write_text("FROM busybox:base\nRUN echo a > /a\nRUN echo b > /b\n"
                                       "ENV X=1\n")
    scow(root, "build", "-q", "-f", str(ctx / "Dockerfile.sq"), "-t", "sq:plain", str(ctx))
    scow(root, "build", "-q", "--squash", "-f", str(ctx / "Dockerfile.sq"), "-t", "sq:squashed",
         str(ctx))
    layers = "{{len .RootFS.Layers}}"
    base = int(scow(root, "image", "inspect", "-f", layers, "busybox:base").stdout)
    assert int(scow(root, "image", "inspect", "-f", layers, "sq:plain").stdout) == base + 2
    assert int(scow(root, "image", "inspect", "-f", layers, "sq:squashed").stdout) == base + 1
    history = scow(root, "history", "--format", "{{.CreatedBy}}", "sq:squashed").stdout.decode()
    assert "echo a" in history and "echo b" in history and "ENV X=1" in history
    out = scow(root, "run", "--rm", "sq:squashed", "cat", "/a", "/b").stdout
    assert out == b"a\nb\n"


def test_refusals(setup: tuple[Path, Path]) -> None:
    root, ctx = setup
    network = scow(root, "build", "--network", "bridge", str(ctx), check=False)
    assert network.returncode == 1 and b"network mode" in network.stderr
    missing = scow(root, "build", str(ctx / "nope"), check=False)
    assert missing.returncode == 1 and len(missing.stderr.decode().splitlines()) == 1
