"""owns: scenario 7's cold builds against docker 20.10's BuildKit (issue 17): the 20-step busybox
Dockerfile of scenario 7 and the realistic Dockerfiles of tests/integration/build/realistic/ on
their mmdebstrap Debian base, each built `--no-cache` after a `builder prune` by scow and by
`DOCKER_BUILDKIT=1 docker` against bench's own dockerd (engines.docker_engine: private
data-root, exec-root and socket). Rows carry BuildKit in the docker column; scow's CPU time
(its processes' user+sys, runc and children included) is a row of its own.

Skipped with a note when docker is missing or the Debian base cannot be made (no mmdebstrap,
no mirror): the busybox row is measured still.
"""

from __future__ import annotations

import resource
import shutil
import time
from pathlib import Path

from bench.context import Bench
from bench.engines import REPO, Engine
from bench.measure import Row
from bench.scenarios_data import DOCKERFILE_STEPS, dockerfile

# bench's dockerd has no bridge (--bridge=none): BuildKit's RUN steps need host networking,
# and scow gets the same flag
HOST: tuple[str, ...] = ("--network", "host")
REALISTIC = REPO / "tests" / "integration" / "build" / "realistic"
DEBIAN = "debian:bookworm-scow"
# name → extra build flags (a secret's file is made next to the context)
CASES: dict[str, tuple[str, ...]] = {"bind-stage": (), "secret": ("secret",),
                                     "apt-cache": (), "python-service": ()}


def build_vs_buildkit(b: Bench) -> list[Row]:
    """Scenario 7b: cold builds, scow against BuildKit, wall seconds and scow's CPU."""
    scow = b.engine("scow")
    kit = _buildkit(b)
    ctx = b.tmp / "buildctx-kit"
    dockerfile(ctx)
    rows = _measure(b, scow, kit, f"busybox-{DOCKERFILE_STEPS}-step", ctx, HOST)
    base, why = _debian_base()
    if base is None:
        rows.append(Row(7, "build realistic Dockerfiles, cold", "s", note=why))
        return rows
    for eng in (scow, kit):
        if eng is not None:
            eng.cmd("import", str(base), DEBIAN, timeout=600)
    for name, flags in CASES.items():
        ctx = b.tmp / "realistic" / name
        shutil.rmtree(ctx, ignore_errors=True)
        shutil.copytree(REALISTIC / name, ctx)
        args = HOST
        if "secret" in flags:
            token = b.tmp / "realistic" / "token"
            token.write_text("bench-token\n")
            args += ("--secret", f"id=api_token,src={token}")
        rows += _measure(b, scow, kit, name, ctx, args)
    return rows


def _measure(b: Bench, scow: Engine, kit: Engine | None, name: str, ctx: Path,
             args: tuple[str, ...]) -> list[Row]:
    wall = Row(7, f"build {name}, cold (docker column: BuildKit)", "s")
    cpu = Row(7, f"build {name}, cold: scow CPU user+sys", "s",
              note="scow's processes and their children (runc, sh)")
    for eng in (scow, kit):
        if eng is None:
            wall.note = "BuildKit: /usr/bin/docker or dockerd missing"
            continue
        w, c = [], []
        for i in range(b.sizes.heavy_runs):
            tag = f"bench/kit-{name}:{i}"
            eng.cmd("rmi", "-f", tag, check=False)
            eng.cmd("builder", "prune", "-af", check=False)
            t0, r0 = time.perf_counter(), _child_cpu()
            eng.cmd("build", "--no-cache", *args, "-t", tag, str(ctx))
            w.append(time.perf_counter() - t0)
            c.append(_child_cpu() - r0)
            eng.cmd("rmi", "-f", tag, check=False)
        wall.put(eng.name, w)
        if eng is scow:
            cpu.put("scow", c)
    return [wall, cpu]


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _buildkit(b: Bench) -> Engine | None:
    """bench's dockerd driven by Debian's docker 20.10 client with BuildKit on, or None."""
    if not (Path("/usr/bin/docker").exists() and shutil.which("dockerd")):
        return None
    d = b.engine("docker")
    env = {**d.env, "DOCKER_BUILDKIT": "1"}
    return Engine("docker", ["/usr/bin/docker"], env, d.root, d.driver)   # d stops dockerd


def _debian_base() -> tuple[Path | None, str]:
    """The realistic tests' cached Debian rootfs tar (made with mmdebstrap on first use)."""
    import sys

    sys.path.insert(0, str(REPO))
    try:
        from tests.integration.build.realistic.base import debian_base_tar

        return debian_base_tar(), ""
    except BaseException as exc:  # noqa: BLE001 - pytest.skip's exception is a BaseException
        if isinstance(exc, KeyboardInterrupt):
            raise
        return None, f"skipped: no Debian base: {str(exc).strip()[:200]}"
    finally:
        sys.path.remove(str(REPO))
