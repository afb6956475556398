"""Realistic Dockerfiles (this folder) on a Debian bookworm base made by mmdebstrap (base.py):
pip and apt with cache mounts, a secret, a bind mount from another stage, gcc in a builder stage
copied into scratch (rebuilt from the build cache), an --ssh key file; each compared with
docker 20.10's BuildKit (Debian's /usr/bin/docker, DOCKER_BUILDKIT=1, a dockerd of the tests'
own) for success, layer count and file contents. scow's part runs first, so a dockerd that
cannot start here skips only the comparison. Network: the machine's apt mirror and PyPI."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.integration.build.realistic.base import debian_base_tar
from tests.oracle.conftest import dockerd  # noqa: F401  (the session fixture, by name)
from tests.tools import require_mirror, require_runc

from scow.build.context import BuildContext
from scow.build.ports import BuildOptions, Secret
from scow.build.progress import PlainProgress

HERE = Path(__file__).parent
BASE = "debian:bookworm-scow"
DOCKER = "/usr/bin/docker"  # Debian's docker.io 20.10: BuildKit built into dockerd
pytestmark = [pytest.mark.slow, pytest.mark.docker,
              pytest.mark.parametrize("engine", ["overlay2"], indirect=True)]


@pytest.fixture(scope="session")
def base_tar() -> Path:
    return debian_base_tar()


@pytest.fixture
def debian(engine: Any, base_tar: Path, tmp_path: Path) -> Any:
    require_runc()
    with open(base_tar, "rb") as f:
        engine.images.import_image(f, reference=BASE)

    def build(name: str, **kw: Any) -> tuple[Path, str]:
        ctx = tmp_path / name
        if not ctx.exists():
            shutil.copytree(HERE / name, ctx)
        out = io.StringIO()
        with BuildContext.from_dir(str(ctx)) as context:
            engine.build.build(context, BuildOptions(tags=(f"{name}:scow",), **kw),
                               PlainProgress(out))
        return ctx, out.getvalue()

    return engine, build


def _files(engine: Any, image: str) -> dict[str, Any]:
    """path → LayerFile, the top layer's entry winning (whiteouts not applied: builds here
    delete nothing)."""
    out: dict[str, Any] = {}
    for layer in engine.images.layers(image):
        out.update({f.path: (layer, f) for f in layer.files()})
    return out


def _read(engine: Any, image: str, path: str) -> bytes:
    layer, _ = _files(engine, image)[path]
    return bytes(layer.read(path))


def _new_paths(engine: Any, image: str) -> list[str]:
    """Paths in the layers the build added over the base."""
    return [f.path for layer in engine.images.layers(image)[1:] for f in layer.files()]


# -- docker's BuildKit as the oracle ------------------------------------------------------------
def _docker(env: dict[str, str], *args: str, check: bool = True,
            **kw: Any) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run([DOCKER, *args], env=env, capture_output=True, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {proc.stderr.decode()[-2000:]}")
    return proc


def _docker_build(env: dict[str, str], base_tar: Path, ctx: Path, tag: str,
                  *args: str) -> dict[str, Any]:
    env = dict(env, DOCKER_BUILDKIT="1")
    if _docker(env, "image", "inspect", BASE, check=False).returncode != 0:
        with open(base_tar, "rb") as f:
            _docker(env, "import", "-", BASE, stdin=f)
    _docker(env, "build", "--network", "host", "-t", tag, *args, str(ctx))
    layers = _docker(env, "image", "inspect", "-f", "{{len .RootFS.Layers}}", tag)
    return {"layers": int(layers.stdout), "env": env, "tag": tag}


def _docker_file(oracle: dict[str, Any], path: str) -> bytes | None:
    env, tag = oracle["env"], oracle["tag"]
    cid = _docker(env, "create", tag, "true").stdout.decode().strip()
    try:
        proc = _docker(env, "cp", f"{cid}:{path}", "-", check=False)
        if proc.returncode != 0:
            return None
        import tarfile

        with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
            member = tar.next()
            f = tar.extractfile(member) if member is not None else None
            return f.read() if f is not None else b""
    finally:
        _docker(env, "rm", "-f", cid, check=False)


def _oracle(request: pytest.FixtureRequest) -> dict[str, str]:
    env: dict[str, str] = request.getfixturevalue("dockerd")
    return env


def _assert_nowhere_in_store(engine: Any, *values: bytes) -> None:
    """None of `values` in any file under the root: blobs, layers, configs, the build cache."""
    for path in Path(engine.store.root).rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            assert not any(v in data for v in values), path


def _layers(engine: Any, image: str) -> int:
    return len(engine.images.inspect(image)["RootFS"]["Layers"])


# -- the Dockerfiles ----------------------------------------------------------------------------
def test_python_service_pip_cache_mount(debian: Any, base_tar: Path,
        request: pytest.FixtureRequest) -> None:
    require_mirror("https://pypi.org", "simple/docopt/")
    engine, build = debian
    ctx, first = build("python-service")
    assert "Successfully installed docopt-0.6.2" in first  # an sdist: pip builds a wheel
    cache = Path(engine.store.cache_mounts.data_path("/root/.cache/pip"))
    kept = {p.relative_to(cache) for p in cache.rglob("*")}
    assert kept and not any(p.startswith("/root/.cache") for p in
                            _new_paths(engine, "python-service:scow"))
    (ctx / "requirements.txt").write_text("docopt==0.6.2\nidna==3.7\n")
    _, second = build("python-service")
    # the wheel pip built in the first build is taken from the cache mount, not rebuilt
    assert "Using cached docopt-0.6.2" in second and "Building wheel for docopt" not in second
    assert kept <= {p.relative_to(cache) for p in cache.rglob("*")}
    app = _read(engine, "python-service:scow", "/app/app.py")
    oracle = _docker_build(_oracle(request), base_tar, ctx, "python-service:docker")
    assert oracle["layers"] == _layers(engine, "python-service:scow")
    assert _docker_file(oracle, "/app/app.py") == app
    site = "/venv/lib/python3.11/site-packages/idna/__init__.py"
    assert _docker_file(oracle, site) == _read(engine, "python-service:scow", site)


def test_apt_cache_mounts(debian: Any, base_tar: Path,
        request: pytest.FixtureRequest) -> None:
    engine, build = debian
    ctx, _ = build("apt-cache")
    paths = _new_paths(engine, "apt-cache:scow")
    assert "/usr/bin/tree" in paths
    assert not any(p.startswith(("/var/cache/apt/", "/var/lib/apt/")) for p in paths)
    archives = Path(engine.store.cache_mounts.data_path("/var/cache/apt")) / "archives"
    assert list(archives.glob("tree_*.deb"))  # kept for the next build, not in the image
    oracle = _docker_build(_oracle(request), base_tar, ctx, "apt-cache:docker")
    assert oracle["layers"] == _layers(engine, "apt-cache:scow")
    assert _docker_file(oracle, "/usr/bin/tree") == _read(engine, "apt-cache:scow",
                                                          "/usr/bin/tree")


def test_secret_used_then_absent_everywhere(debian: Any, base_tar: Path, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    import hashlib

    engine, build = debian
    token = tmp_path / "api_token"
    token.write_bytes(b"tok-" + os.urandom(12).hex().encode())
    ctx, _ = build("secret", secrets=(Secret("api_token", src=str(token)),))
    want = hashlib.sha256(token.read_bytes()).hexdigest().encode() + b"\n"
    assert _read(engine, "secret:scow", "/token.sha256") == want
    assert not any(p.startswith("/run/secrets") for p in _new_paths(engine, "secret:scow"))
    history = str(engine.images.history("secret:scow"))
    assert token.read_bytes().decode() not in history
    _assert_nowhere_in_store(engine, token.read_bytes())
    oracle = _docker_build(_oracle(request), base_tar, ctx, "secret:docker", "--secret",
                           f"id=api_token,src={token}")
    assert oracle["layers"] == _layers(engine, "secret:scow")
    assert _docker_file(oracle, "/token.sha256") == want
    assert _docker_file(oracle, "/run/secrets/api_token") is None


def test_bind_mount_from_another_stage(debian: Any, base_tar: Path,
        request: pytest.FixtureRequest) -> None:
    engine, build = debian
    ctx, _ = build("bind-stage")
    assert _read(engine, "bind-stage:scow", "/etc/app.conf") == b"generated by gen\n"
    assert not any(p.startswith("/in") for p in _new_paths(engine, "bind-stage:scow"))
    oracle = _docker_build(_oracle(request), base_tar, ctx, "bind-stage:docker")
    assert oracle["layers"] == _layers(engine, "bind-stage:scow")
    assert _docker_file(oracle, "/etc/app.conf") == b"generated by gen\n"


def _run_vertices(log: str) -> dict[str, str]:
    """RUN vertex name → how it ended ("CACHED" or "DONE ...") in a plain progress log."""
    names: dict[str, str] = {}
    ends: dict[str, str] = {}
    for line in log.splitlines():
        number, _, rest = line.partition(" ")
        if rest.startswith(("CACHED", "DONE", "ERROR")):
            ends[number] = rest
        elif " RUN " in rest and number not in names:
            names[number] = rest
    return {name: ends.get(number, "") for number, name in names.items()}


def test_gcc_builder_stage_copied_into_scratch(debian: Any, base_tar: Path,
        request: pytest.FixtureRequest) -> None:
    engine, build = debian
    ctx, first = build("gcc-multistage")
    assert "Setting up gcc" in first
    image = "gcc-multistage:scow"
    assert list(_files(engine, image)) == ["/hello"] and _layers(engine, image) == 1
    hello = _read(engine, image, "/hello")
    assert hello.startswith(b"\x7fELF") and b"/lib64/ld-linux" not in hello  # static
    assert engine.containers.run(image, remove=True) == b"hello, world!\n"
    assert engine.containers.run(image, ["scow", "gcc"], remove=True) == \
        b"hello, scow!\nhello, gcc!\n"
    # the builder stage's layers are held by the build cache: a rebuild runs no RUN step
    _, second = build("gcc-multistage")
    runs = _run_vertices(second)
    assert len(runs) == 3 and all(end == "CACHED" for end in runs.values()), runs
    assert _read(engine, image, "/hello") == hello
    oracle = _docker_build(_oracle(request), base_tar, ctx, "gcc-multistage:docker")
    assert oracle["layers"] == 1
    assert _docker_file(oracle, "/hello") == hello  # same gcc, flags and sources: same bytes
    out = _docker(oracle["env"], "run", "--rm", "--network", "none", oracle["tag"])
    assert out.stdout == b"hello, world!\n"


def test_ssh_key_file_in_an_agent_of_the_build(debian: Any, base_tar: Path, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    from scow.build.sources import parse_ssh

    engine, build = debian
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    listed = subprocess.run(["ssh-keygen", "-lf", str(key)], capture_output=True, text=True,
                            check=True).stdout
    want = listed.split()[1].encode() + b"\n"
    ctx, _ = build("ssh-keys", ssh=(parse_ssh(f"default={key}"),))
    assert _read(engine, "ssh-keys:scow", "/agent-keys.txt") == want
    assert not any(p.startswith(("/run/buildkit", "/tmp/agent"))
                   for p in _new_paths(engine, "ssh-keys:scow"))
    body = b"".join(key.read_bytes().splitlines()[1:-1])
    _assert_nowhere_in_store(engine, key.read_bytes(), body[:40])
    oracle = _docker_build(_oracle(request), base_tar, ctx, "ssh-keys:docker", "--ssh",
                           f"default={key}")
    assert oracle["layers"] == _layers(engine, "ssh-keys:scow")
    assert _docker_file(oracle, "/agent-keys.txt") == want
