"""``build --ssh id=KEYFILE[,KEYFILE...]`` on the real store (overlay2, real runc): the keys
are loaded into a private ssh-agent whose socket the RUN step gets, the agent is gone after the
build (success, failure, SIGINT; SIGKILL of scow through its death signal), its folder too, and
no key byte is in the store. The key's fingerprint seen from inside a container is in
realistic/ (a Debian image has python3 to speak the agent protocol; busybox cannot)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.build.test_build_step_recovery import _runc_ids
from tests.reliability.conftest import ok
from tests.tools import require_runc, require_tool

from scow.build.ports import SshSource
from scow.errors import BuildStepFailed, InvalidArgument

on_overlay2 = pytest.mark.parametrize("engine", ["overlay2"], indirect=True)
SRC = str(Path(__file__).resolve().parents[3] / "src")
STEP = "FROM busybox:base\nRUN --mount=type=ssh test -S \"$SSH_AUTH_SOCK\" && sleep 2 && {}\n"


def _keygen(path: Path, passphrase: str = "") -> Path:
    require_tool("ssh-keygen", package="openssh-client")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", path.name,
                    "-f", str(path)], check=True)
    path.chmod(0o644)  # as a CI checkout leaves it: ssh-add's own file check must not apply
    return path


def _fingerprint(key: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", str(key)], capture_output=True, text=True,
                         check=True).stdout
    return out.split()[1]


def _processes() -> dict[int, tuple[int, str, list[str]]]:
    """pid → (parent pid, state, argv) of every process."""
    found = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().decode().split("\0")
        except (OSError, ValueError):
            continue
        found[int(entry)] = (int(fields[1]), fields[0], argv)
    return found


def _agents(parent: int) -> dict[int, str]:
    """pid → socket of the ssh-agents started by `parent` (children of its holder child)."""
    procs = _processes()
    mine = {parent} | {pid for pid, (ppid, _, _) in procs.items() if ppid == parent}
    return {pid: argv[argv.index("-a") + 1] for pid, (ppid, state, argv) in procs.items()
            if ppid in mine and state != "Z" and argv[0].endswith("ssh-agent")
            and "-a" in argv}


class Watcher:
    """Notes the agents of `parent` while a build runs, and the last thing ``ssh-add -l``
    listed in each (asked from the host through its socket)."""

    def __init__(self, parent: int) -> None:
        self.parent = parent
        self.seen: dict[int, str] = {}
        self.listed: dict[int, str] = {}
        self.modes: dict[int, int] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self.stop.wait(0.05):
            for pid, sock in _agents(self.parent).items():
                if pid not in self.seen:
                    self.seen[pid] = sock
                    with contextlib.suppress(OSError):
                        self.modes[pid] = os.stat(os.path.dirname(sock)).st_mode & 0o7777
                env = dict(os.environ, SSH_AUTH_SOCK=sock)  # again: keys are still coming
                listed = subprocess.run(["ssh-add", "-l"], env=env, text=True,
                                        capture_output=True)
                if listed.returncode == 0:
                    self.listed[pid] = listed.stdout


@pytest.fixture
def watch() -> Iterator[Watcher]:
    w = Watcher(os.getpid())
    w.thread.start()
    yield w
    w.stop.set()
    w.thread.join(10)


def _gone(pid: int) -> bool:
    """Exited (a zombie, or reaped)."""
    return pid not in _processes() or _processes()[pid][1] == "Z"


def _store_holds(root: str, data: bytes) -> list[str]:
    return [str(p) for p in Path(root).rglob("*")
            if p.is_file() and not p.is_symlink() and data in p.read_bytes()]


@on_overlay2
def test_key_files_loaded_into_a_private_agent(built: Any, tmp_path: Path,
                                               watch: Watcher) -> None:
    engine, _, build = built
    one, two = _keygen(tmp_path / "one"), _keygen(tmp_path / "two")
    build(STEP.format("echo ok > /ok"), tags=("ssh:keys",),
          ssh=(SshSource("default", "", keys=(str(one), str(two))),))
    assert [f.path for f in engine.images.layers("ssh:keys")[-1].files()] == ["/ok"]
    [(pid, sock)] = watch.seen.items()
    assert _gone(pid) and not os.path.exists(os.path.dirname(sock))
    # the store's temp folder when the socket's path fits (ssh_agent.py), private 0700 always
    assert os.path.dirname(os.path.dirname(sock)) in (engine.store.tmp, tempfile.gettempdir())
    assert watch.modes[pid] == 0o700
    assert [line.split()[1] for line in watch.listed[pid].splitlines()] == \
        [_fingerprint(one), _fingerprint(two)]
    for key in (one, two):
        body = b"".join(key.read_bytes().splitlines()[1:-1])  # the base64 of the key
        assert _store_holds(engine.store.root, key.read_bytes()) == []
        assert _store_holds(engine.store.root, body[:40]) == []


@on_overlay2
def test_agent_stopped_when_the_build_fails(built: Any, tmp_path: Path,
                                           watch: Watcher) -> None:
    _, _, build = built
    key = _keygen(tmp_path / "id")
    with pytest.raises(BuildStepFailed, match="exit code: 3"):
        build(STEP.format("exit 3"), ssh=(SshSource("default", "", keys=(str(key),)),))
    [(pid, sock)] = watch.seen.items()
    assert _gone(pid) and not os.path.exists(os.path.dirname(sock))


@on_overlay2
def test_bad_key_files_are_one_line_errors(built: Any, tmp_path: Path) -> None:
    engine, _, build = built
    good, locked = _keygen(tmp_path / "good"), _keygen(tmp_path / "locked", "pass phrase")
    junk = tmp_path / "junk"
    junk.write_text("not a key\n")
    for key, want in ((locked, f"ssh gh: {locked}: the key is passphrase-protected"),
                      (junk, f"ssh gh: {junk}: not a private key"),
                      (tmp_path / "gone", f"ssh gh: read {tmp_path}/gone: No such file")):
        with pytest.raises(InvalidArgument, match=want) as info:
            build(STEP.format("true"), ssh=(SshSource("gh", "", keys=(str(good), str(key))),))
        assert "\n" not in str(info.value)
        assert _agents(os.getpid()) == {}  # the agent started for `good` was stopped
    assert not [p for p in os.listdir(engine.store.tmp) if ".ssh-" in p]


def _cli_build(root: Path, ctx: Path, key: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=SRC, SCOW_STORAGE_DRIVER="overlay2")
    return subprocess.Popen([sys.executable, "-m", "scow", "--root", str(root), "build",
                             "--no-cache", "--ssh", f"default={key}", str(ctx)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_agent_gone_when_scow_is_interrupted_or_killed(
        busybox_tar: Path, no_leaked_mounts: Path, tmp_path: Path, sig: int) -> None:
    require_runc()
    require_tool("ssh-agent", package="openssh-client")
    root = no_leaked_mounts / "root"
    ok(root, "import", str(busybox_tar), "busybox:base")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox:base\nRUN --mount=type=ssh sleep 60\n")
    build = _cli_build(root, ctx, _keygen(tmp_path / "id"))
    try:
        deadline = time.monotonic() + 60
        while not (agents := _agents(build.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert agents, "no ssh-agent started"
        time.sleep(1)  # into the RUN step
        os.kill(build.pid, sig)
        _, err = build.communicate(timeout=30)
        assert build.returncode != 0, err
        deadline = time.monotonic() + 10
        while not all(_gone(pid) for pid in agents) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(_gone(pid) for pid in agents)
    finally:
        if build.poll() is None:
            build.kill()
            build.communicate()
        ok(root, "import", str(busybox_tar), "again:1")  # recovers what a killed build left
        for cid in _runc_ids(root):  # the step container, if still there
            subprocess.run(["runc", "--root", str(root / "runtime" / "runc"), "delete",
                            "--force", cid], check=False, capture_output=True)
