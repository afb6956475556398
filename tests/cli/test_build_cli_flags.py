"""`scow build` flags for RUN steps and the base images, as docker's: --add-host, --shm-size,
--ulimit (never above this process's hard limit), --platform (this machine's only, also
FROM --platform), --pull (real runc, overlay2)."""

from __future__ import annotations

import resource
from pathlib import Path

from tests.cli.test_build_cli import scow, setup  # noqa: F401 (the fixture)

from scow.build.shell import platform_args

PROBE = ("FROM busybox:base\nRUN grep myhost /etc/hosts > /out; "
         "df -k /dev/shm | tail -1 | awk '{print $2}' >> /out; ulimit -n >> /out; "
         "ulimit -Hn >> /out\n")


def _out(root: Path, tag: str) -> list[str]:
    proc = scow(root, "run", "--rm", tag, "cat", "/out")
    return proc.stdout.decode().split("\n")[:-1]


def test_add_host_shm_size_ulimit(setup: tuple[Path, Path]) -> None:  # noqa: F811
    root, ctx = setup
    (ctx / "Dockerfile.probe").write_text(PROBE)
    scow(root, "build", "-q", "-f", "Dockerfile.probe", "-t", "probe:1", "--add-host",
         "myhost:10.1.2.3", "--shm-size", "128m", "--ulimit", "nofile=1000:2000", ".", cwd=ctx)
    assert _out(root, "probe:1") == ["10.1.2.3\tmyhost", "131072", "1000", "2000"]
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    above = hard * 2 if hard != resource.RLIM_INFINITY else 1 << 40
    proc = scow(root, "build", "-q", "-f", "Dockerfile.probe", "-t", "probe:2", "--ulimit",
                f"nofile=1024:{above}", ".", cwd=ctx, check=False)  # refused as `run` does:
    assert proc.returncode != 0 and f"hard limit {above} is above this host's" in \
        proc.stderr.decode()  # never lowered silently (docs/security.md)
    scow(root, "build", "-q", "-f", "Dockerfile.probe", "-t", "probe:2", "--add-host",
         "myhost:10.1.2.4", ".", cwd=ctx)
    got = _out(root, "probe:2")
    assert got[0] == "10.1.2.4\tmyhost" and got[1] == "65536"  # default 64 MiB
    for bad in (["--ulimit", "nofile=x"], ["--ulimit", "bogus=1"], ["--add-host", "nohost"],
                ["--shm-size", "lots"]):
        proc = scow(root, "build", "-q", *bad, ".", cwd=ctx, check=False)
        assert proc.returncode != 0 and b"Traceback" not in proc.stderr
        assert len(proc.stderr.decode().strip().splitlines()) == 1


def test_platform(setup: tuple[Path, Path]) -> None:  # noqa: F811
    root, ctx = setup
    host = platform_args()["TARGETPLATFORM"]
    other = "linux/s390x" if not host.endswith("s390x") else "linux/amd64"
    (ctx / "Dockerfile.p").write_text("FROM busybox:base\nRUN true\n")
    scow(root, "build", "-q", "--platform", host, "-f", "Dockerfile.p", ".", cwd=ctx)
    proc = scow(root, "build", "-q", "--platform", other, "-f", "Dockerfile.p", ".", cwd=ctx,
                check=False)
    assert proc.returncode != 0
    assert f"--platform={other}: scow builds for this machine's platform ({host}) only" \
        in proc.stderr.decode()
    (ctx / "Dockerfile.fp").write_text("FROM --platform=$BUILDPLATFORM busybox:base\n"
                                       f"FROM --platform={other} busybox:base\n")
    proc = scow(root, "build", "-q", "-f", "Dockerfile.fp", ".", cwd=ctx, check=False)
    assert proc.returncode != 0
    assert f"Dockerfile.fp:2: FROM --platform={other}: " in proc.stderr.decode()


def test_output_local_and_tar(setup: tuple[Path, Path], tmp_path: Path) -> None:  # noqa: F811
    import io
    import tarfile

    root, ctx = setup
    (ctx / "Dockerfile.out").write_text(
        "FROM busybox:base AS build\nRUN mkdir /out && echo made > /out/artifact && "
        "ln -s artifact /out/link\n"
        "FROM scratch\nCOPY --from=build --chown=1000:1000 /out/ /\n")
    before = scow(root, "images", "-q", "--all").stdout
    dest = tmp_path / "dest"
    scow(root, "build", "-q", "-o", f"type=local,dest={dest}", "-f", "Dockerfile.out", ".",
         cwd=ctx)
    assert sorted(p.name for p in dest.iterdir()) == ["artifact", "link"]
    assert (dest / "artifact").read_text() == "made\n"
    assert (dest / "artifact").stat().st_uid == 1000 and (dest / "link").is_symlink()
    tar_file = tmp_path / "out.tar"
    scow(root, "build", "-q", "--output", f"type=tar,dest={tar_file}", "-f", "Dockerfile.out",
         ".", cwd=ctx)
    with tarfile.open(tar_file) as tar:
        assert sorted(tar.getnames()) == ["artifact", "link"]
        assert tar.getmember("artifact").uid == 1000
    proc = scow(root, "build", "-q", "-o", "-", "-f", "Dockerfile.out", ".", cwd=ctx)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        assert tar.extractfile("artifact").read() == b"made\n"  # type: ignore[union-attr]
    assert scow(root, "images", "-q", "--all").stdout == before  # no image was made
    proc = scow(root, "build", "-o", "type=registry", ".", cwd=ctx, check=False)
    assert proc.returncode != 0 and b"invalid output" in proc.stderr
