"""`scow build --secret/--ssh/--allow` as a user types it, the cache mounts in `system df`'s
Build Cache row and `builder prune` (real runc, overlay2)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli.test_build_cli import scow, setup  # noqa: F401  (the fixture)

DOCKERFILE = ("FROM busybox:base\n"
              "RUN --mount=type=secret,id=tok --mount=type=cache,target=/cache "
              "wc -c < /run/secrets/tok > /len && head -c 100000 /dev/zero > /cache/blob\n")


def test_secret_flag_cache_mount_df_and_prune(setup: tuple[Path, Path],  # noqa: F811
                                              tmp_path: Path) -> None:
    root, ctx = setup
    token = tmp_path / "tok"
    token.write_bytes(b"cli-secret-" + os.urandom(6).hex().encode())
    (ctx / "Dockerfile.m").write_text(DOCKERFILE)
    scow(root, "build", "-q", "-f", str(ctx / "Dockerfile.m"), "-t", "m:1",
         "--secret", f"id=tok,src={token}", str(ctx))
    out = scow(root, "run", "--rm", "m:1", "cat", "/len").stdout
    assert out.strip() == str(len(token.read_bytes())).encode()
    before = _build_cache(root)
    assert before[1] != "0B"  # the step records (held for m:1) and the cache mount
    pruned = scow(root, "builder", "prune", "-f").stdout.decode()
    assert pruned.startswith("Deleted build cache objects:\n")
    assert "Total reclaimed space: 1" in pruned  # ~100kB: the idle cache mount
    assert int(_build_cache(root)[0]) == int(before[0]) - 1  # m:1's step records stay
    scow(root, "builder", "prune", "-a", "-f")
    assert _build_cache(root)[0] == "0"
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert token.read_bytes() not in path.read_bytes(), path


def _build_cache(root: Path) -> list[str]:
    """[TotalCount, Size] of system df's Build Cache row."""
    df = scow(root, "system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Size}}").stdout
    row = next(line for line in df.decode().splitlines() if line.startswith("Build Cache"))
    return row.split()[2:4]


def test_refusals(setup: tuple[Path, Path]) -> None:  # noqa: F811
    root, ctx = setup
    (ctx / "Dockerfile.h").write_text("FROM busybox:base\nRUN --network=host true\n")
    proc = scow(root, "build", "-f", str(ctx / "Dockerfile.h"), str(ctx), check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "network.host is not allowed" in err
    assert "Traceback" not in err
    scow(root, "build", "-q", "--allow", "network.host", "-f", str(ctx / "Dockerfile.h"),
         str(ctx))
    proc = scow(root, "build", "--secret", "id=x", str(ctx), check=False)
    assert proc.returncode != 0 and b"give src=" in proc.stderr
    proc = scow(root, "build", "--allow", "device", str(ctx), check=False)
    assert proc.returncode != 0 and b"invalid entitlement" in proc.stderr
