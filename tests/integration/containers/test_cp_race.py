"""`scow cp` against the symlink-swap race (CVE-2018-15664's class), both ways, for real: a
container loops renameat2(RENAME_EXCHANGE) between a folder `/w/d` and a symlink
`/w/l -> <host marker folder>` while the host copies out of it and into it. No file of the
host marker folder may ever appear in a copy, and the marker folder must stay untouched.

busybox has no renameat2, so the swapper is a tiny static C program built here with gcc."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow, wait_for

ROUNDS = 200        # the suite's share; the slow variant runs the acceptance goal
ROUNDS_SLOW = 1000

SWAP_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
/* swap (DIR LINK TARGET)...: exchange each DIR with LINK forever. When neither is a symlink
   any more (a copy replaced the one it met), LINK is moved aside and made again to TARGET. */
static int is_link(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}
int main(int argc, char **argv) {
    char aside[4096];
    long n = 0;
    if (argc < 4 || (argc - 1) % 3)
        return 2;
    for (;;)
        for (int i = 1; i < argc; i += 3) {
            if (!is_link(argv[i]) && !is_link(argv[i + 1])) {
                snprintf(aside, sizeof aside, "%s.%ld", argv[i + 1], n++);
                rename(argv[i + 1], aside);
                symlink(argv[i + 2], argv[i + 1]);
            }
            syscall(SYS_renameat2, AT_FDCWD, argv[i], AT_FDCWD, argv[i + 1], RENAME_EXCHANGE);
        }
}
"""


@pytest.fixture(scope="session")
def swapper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The swap loop as a static binary (it runs inside busybox, which has no libc)."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("missing tool: gcc")
    folder = tmp_path_factory.mktemp("swapper")
    (folder / "swap.c").write_text(SWAP_C)
    proc = subprocess.run([gcc, "-static", "-O2", "-o", str(folder / "swap"),
                           str(folder / "swap.c")], capture_output=True, text=True)
    if proc.returncode != 0 and "cannot find -lc" in proc.stderr:
        pytest.skip("missing tool: a static libc (libc6-dev)")
    assert proc.returncode == 0, proc.stderr
    return folder / "swap"


class Marker:
    """A host folder with a file of a unique name that no copy may ever reach."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.secret = f"host-secret-{uuid.uuid4().hex}"
        folder.mkdir()
        (folder / self.secret).write_text("host only\n")
        self.before = self.snapshot()

    def snapshot(self) -> list[tuple[str, int, int, int]]:
        return sorted((str(p.relative_to(self.folder)), p.lstat().st_mode,
                       p.lstat().st_size, p.lstat().st_mtime_ns)
                      for p in self.folder.rglob("*"))

    def leaked_into(self, out: Path) -> list[str]:
        return [str(p) for p in out.rglob("*") if self.secret in p.name
                or (p.is_file() and not p.is_symlink() and p.read_bytes() == b"host only\n")]


@pytest.fixture
def racer(one: Scow, swapper: Path, tmp_path: Path) -> Iterator[tuple[Scow, Marker]]:
    """A running container swapping, each with a symlink to the host marker folder: `/w/d` (a
    folder with a file) with `/w/l` (absolute), and the folders a copy into `/w/in` makes,
    `/w/in/payload/a` with `/w/la` (absolute) and `/w/in/payload/b` with `/w/lb` (`../` up to
    the host's `/` and down to the marker)."""
    marker = Marker(tmp_path / "host-marker")
    up = "../" * 12 + str(marker.folder).lstrip("/")
    pairs = (f"/w/d /w/l {marker.folder} /w/in/payload/a /w/la {marker.folder} "
             f"/w/in/payload/b /w/lb {up}")
    one("create", "--name", "racer", "bb:1", "sh", "-c",
        f"mkdir -p /w/d /w/in && echo inside > /w/d/inside && ln -s {marker.folder} /w/l && "
        f"exec /swap {pairs}")
    one("cp", str(swapper), "racer:/swap")
    one("start", "racer")
    wait_for(lambda: one("exec", "racer", "test", "-e", "/w/l", check=False).returncode == 0,
             what="the swap loop")
    yield one, marker
    assert marker.snapshot() == marker.before, "the host marker folder was changed"


def _copy_out_rounds(scow: Scow, marker: Marker, out: Path, rounds: int) -> int:
    ok = 0
    out.mkdir()
    for i in range(rounds):
        dest = out / str(i)
        src = "racer:/w" if i % 2 == 0 else "racer:/w/."
        proc = scow("cp", src, str(dest), check=False)
        ok += proc.returncode == 0
        assert not proc.stderr.startswith("Traceback"), proc.stderr
        leaked = marker.leaked_into(dest) if dest.exists() else []
        assert not leaked, f"round {i}: host files copied out of the container: {leaked}"
        if dest.exists():
            shutil.rmtree(dest)
    return ok


def _copy_in_rounds(scow: Scow, marker: Marker, payload: Path, rounds: int) -> int:
    ok = 0
    cases = ((str(payload), "racer:/w/in"), (str(payload), "racer:/w/in/"),
             (f"{payload}/.", "racer:/w/in/payload"), (str(payload), "racer:/w/d/"),
             (str(payload), "racer:/w/d/new"), (f"{payload}/.", "racer:/w/l"))
    for i in range(rounds):
        proc = scow("cp", *cases[i % len(cases)], check=False)
        ok += proc.returncode == 0
        assert not proc.stderr.startswith("Traceback"), proc.stderr
        assert marker.snapshot() == marker.before, f"round {i}: scow wrote onto the host"
    return ok


def _payload(tmp_path: Path) -> Path:
    payload = tmp_path / "payload"
    for name in ("a", "b", "d"):
        (payload / name / "deeper").mkdir(parents=True)
        (payload / name / "deeper" / "f").write_text("from the host\n")
    (payload / "top").write_text("top\n")
    return payload


def test_cp_out_never_follows_a_swapped_symlink(racer: tuple[Scow, Marker],
                                                tmp_path: Path) -> None:
    scow, marker = racer
    ok = _copy_out_rounds(scow, marker, tmp_path / "out", ROUNDS)
    assert ok >= ROUNDS // 2, f"only {ok} of {ROUNDS} copies succeeded"


def test_cp_in_never_writes_through_a_swapped_symlink(racer: tuple[Scow, Marker],
                                                      tmp_path: Path) -> None:
    scow, marker = racer
    ok = _copy_in_rounds(scow, marker, _payload(tmp_path), ROUNDS // 2)
    assert ok >= ROUNDS // 20, f"only {ok} of {ROUNDS // 2} copies succeeded"


@pytest.mark.full
@pytest.mark.timeout(1800)  # 2,000 scow processes: about 8 minutes on a loaded 2-core machine
def test_cp_race_acceptance_1000_rounds(racer: tuple[Scow, Marker], tmp_path: Path) -> None:
    scow, marker = racer
    _copy_out_rounds(scow, marker, tmp_path / "out", ROUNDS_SLOW)
    _copy_in_rounds(scow, marker, _payload(tmp_path), ROUNDS_SLOW)
