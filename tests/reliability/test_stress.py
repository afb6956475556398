"""The concurrency stress mix of issue 11, several times in a row on ONE root: four `build
--no-cache` with RUN steps FROM one imported base, twelve `run --rm`, three imports of the same
tar, six tags, `rmi -f` of an image a running container uses (Docker: "Untagged", exit 0) and
`system prune -f`, all at once. Every command must succeed and `system check` must be clean
(exit 0) after each run.

SCOW_STRESS_RUNS sets the number of runs (2 here; `python -m bench.stress` runs 10, see
docs/reliability.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.reliability.conftest import (
    FIGURES,
    SRC,
    assert_clean,
    mounts_under,
    ok,
    runc_containers,
    scow,
)

RUNS = int(os.environ.get("SCOW_STRESS_RUNS", "2"))
BUILDS = 4


def _spawn(root: Path, *args: str) -> tuple[tuple[str, ...], subprocess.Popen[str]]:
    env = dict(os.environ, PYTHONPATH=SRC, SCOW_STORAGE_DRIVER="overlay2")
    env.pop("SCOW_FAULTS", None)
    proc = subprocess.Popen([sys.executable, "-m", "scow", "--root", str(root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    return args, proc


def _contexts(parent: Path) -> list[Path]:
    """Four different Dockerfiles FROM the one base, each with RUN steps."""
    out = []
    for i in range(BUILDS):
        ctx = parent / f"ctx{i}"
        ctx.mkdir()
        (ctx / "file").write_text(f"context {i}\n")
        (ctx / "Dockerfile").write_text(
            f"FROM base\nRUN echo step1-{i} > /s1 && mkdir -p /d{i}\n"
            f"COPY file /d{i}/file\nRUN echo step2-{i} >> /s1\nRUN rm -rf /tmp && mkdir /tmp\n"
            f"RUN touch /d{i}/more\nRUN cat /s1 /d{i}/file > /out\n")
        out.append(ctx)
    return out


def mix(root: Path, contexts: list[Path], tar: Path, n: int) -> list[tuple[str, ...]]:
    """Start the mix of run `n`; the commands that failed, with their stderr."""
    procs = [_spawn(root, "build", "-q", "--no-cache", "-t", f"built{i}:{n}", str(ctx))
             for i, ctx in enumerate(contexts)]
    procs += [_spawn(root, "run", "--rm", "base", "sh", "-c", f"echo {k} > /k")
              for k in range(12)]
    procs += [_spawn(root, "import", str(tar), f"same:{k}") for k in range(3)]
    procs += [_spawn(root, "tag", "base", f"tagged{k}:{n}") for k in range(6)]
    procs += [_spawn(root, "rmi", "-f", f"inuse:{n}"), _spawn(root, "system", "prune", "-f")]
    failed = []
    for args, proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        if proc.returncode != 0 or "Traceback" in stderr:
            failed.append((*args, f"exit {proc.returncode}: {stderr.strip()}"))
    FIGURES["concurrent commands"] += len(procs)
    return failed


@pytest.mark.slow
def test_stress_mix_on_one_root(busybox_tar: Path, small_tar: Path, no_leaked_mounts: Path
                                ) -> None:
    root = no_leaked_mounts / "root"
    ok(root, "import", "-c", 'CMD ["sh"]', str(busybox_tar), "base")
    base = ok(root, "image", "inspect", "-f", "{{.Id}}", "base").strip()
    contexts = _contexts(no_leaked_mounts)
    for n in range(RUNS):
        # an image of its own (one tag) that a running container uses: `rmi -f` untags it
        ok(root, "import", "-c", f"LABEL run={n}", str(busybox_tar), f"inuse:{n}")
        ok(root, "run", "-d", "--name", f"holder{n}", f"inuse:{n}", "sleep", "120")
        try:
            failed = mix(root, contexts, small_tar, n)
        finally:
            ok(root, "rm", "-f", f"holder{n}")
        assert failed == [], f"run {n}: {len(failed)} commands failed: {failed}"
        assert_clean(root)
        assert runc_containers(root) == []  # no step or --rm container outlived its command
        FIGURES["stress runs passed"] += 1
        for i in range(BUILDS):
            out = ok(root, "run", "--rm", f"built{i}:{n}", "cat", "/out")
            assert out == f"step1-{i}\nstep2-{i}\ncontext {i}\n"
    assert ok(root, "image", "inspect", "-f", "{{.Id}}", "base").strip() == base
    assert_clean(root, quick=False)
    scow(root, "rmi", "-f", *(f"built{i}:{n}" for i in range(BUILDS) for n in range(RUNS)))
    ok(root, "system", "prune", "-af")
    assert sorted(os.listdir(root / "overlay2")) == ["l"]
    assert mounts_under(root) == []
