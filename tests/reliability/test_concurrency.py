"""Many scow processes on one root at once: no corruption, no deadlock, one copy per layer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.reliability.conftest import (
    FIGURES,
    SRC,
    assert_clean,
    assert_pool_holds_only_parent,
    current_driver,
    ok,
)


def _spawn(root: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=SRC, SCOW_STORAGE_DRIVER=current_driver())
    return subprocess.Popen([sys.executable, "-m", "scow", "--root", str(root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _all(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        assert "Traceback" not in stderr and "internal error" not in stderr, stderr
        out.append((p.returncode, stderr))
    FIGURES["concurrent commands"] += len(procs)
    return out


def test_same_tar_imported_at_once_is_stored_once(small_tar: Path, store_root: Path
                                                  ) -> None:
    root = store_root
    ok(root, "images")
    results = _all([_spawn(root, "import", str(small_tar), f"same:{i}") for i in range(6)])
    assert all(rc == 0 for rc, _ in results)
    rows = ok(root, "system", "check", "--quick")
    assert "1 layers" in rows, rows
    assert_clean(root, quick=False)


def test_mixed_commands_at_once(busybox_tar: Path, small_tar: Path, store_root: Path
                                ) -> None:
    root = store_root
    ok(root, "import", "-c", 'CMD ["sh"]', str(busybox_tar), "bb")
    ok(root, "create", "--name", "user", "bb")
    procs = [_spawn(root, "import", str(small_tar), f"m:{i}") for i in range(3)]
    procs += [_spawn(root, "run", "--rm", "bb", "true") for _ in range(2)]
    procs += [_spawn(root, "rmi", "bb"), _spawn(root, "image", "prune", "-af"),
              _spawn(root, "create", "bb")]
    results = _all(procs)
    assert all(rc == 0 for rc, _ in results[:5]), results
    rc, err = results[5]
    assert rc != 0 and "conflict: unable to remove repository reference \"bb\" (must force) - " \
        "container" in err
    ok(root, "image", "inspect", "bb")
    assert_clean(root, quick=False)
    ok(root, "container", "prune", "-f")
    ok(root, "system", "prune", "-af")
    assert_clean(root)
    if current_driver() == "zfs":
        assert_pool_holds_only_parent(root)


def test_two_pulls_of_one_image(registry_plain: object, small_tar: Path,
                                store_root: Path) -> None:
    root = store_root
    ref = f"{registry_plain.domain}/rel/c:1"  # type: ignore[attr-defined]
    ok(root, "import", str(small_tar), ref)
    ok(root, "push", ref)
    ok(root, "rmi", ref)
    results = _all([_spawn(root, "pull", ref) for _ in range(3)])
    assert all(rc == 0 for rc, _ in results), results
    assert "1 layers" in ok(root, "system", "check", "--quick")
