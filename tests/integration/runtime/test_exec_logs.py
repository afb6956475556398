"""exec into running containers, and json-file logs with rotation."""

from __future__ import annotations

import json
import os
import time

import pytest
from runtime_kit import Factory

from scow.runtime.exec import ExecConfig, exec_process
from scow.runtime.logs import LOG_FILE, format_entry, read_logs
from scow.runtime.monitor import MonitorOptions, wait
from scow.runtime.runc import CommandNotFound

pytestmark = pytest.mark.runc


def _exec(containers: Factory, ctr_id: str, cfg: ExecConfig, tmp: str) -> tuple[bytes, int]:
    out_path = os.path.join(tmp, "exec-out")
    with open(out_path, "wb") as out:
        code = exec_process(containers.runc, ctr_id, cfg, containers.rootfs,
                            stdout=out.fileno(), stderr=out.fileno())
    with open(out_path, "rb") as f:
        return f.read(), code  # type: ignore[return-value]


def test_exec_output_exit_code_user_env_workdir(containers: Factory, tmp_path: object) -> None:
    ctr = containers.create("sleep", "30")
    containers.start(ctr)
    cfg = ExecConfig(argv=("sh", "-c", 'id -u; pwd; echo "$X"; exit 6'), env=("X=y",),
                     user="app", workdir="/tmp")
    out, code = _exec(containers, ctr.id, cfg, str(tmp_path))
    assert (out, code) == (b"1000\n/tmp\ny\n", 6)


def test_exec_reads_stdin_until_eof(containers: Factory, tmp_path: object) -> None:
    ctr = containers.create("sleep", "30")
    containers.start(ctr)
    r, w = os.pipe()
    os.write(w, b"echo hi-from-stdin\nexit 3\n")
    os.close(w)
    out_path = os.path.join(str(tmp_path), "out")
    with open(out_path, "wb") as out:
        code = exec_process(containers.runc, ctr.id, ExecConfig(argv=("sh",)), containers.rootfs,
                            stdin=r, stdout=out.fileno(), stderr=out.fileno())
    os.close(r)
    with open(out_path, "rb") as f:
        assert (f.read(), code) == (b"hi-from-stdin\n", 3)


def test_exec_missing_command_is_the_127_error(containers: Factory, tmp_path: object) -> None:
    ctr = containers.create("sleep", "30")
    containers.start(ctr)
    with pytest.raises(CommandNotFound):
        _exec(containers, ctr.id, ExecConfig(argv=("nope",)), str(tmp_path))


def test_exec_detached_keeps_running(containers: Factory) -> None:
    ctr = containers.create("sleep", "30")
    containers.start(ctr)
    cfg = ExecConfig(argv=("sh", "-c", "echo done > /tmp/detached"))
    assert exec_process(containers.runc, ctr.id, cfg, containers.rootfs, detach=True) is None
    path = os.path.join(containers.rootfs, "tmp/detached")
    deadline = time.monotonic() + 5

    def written() -> bytes:  # the shell creates the file, then writes it: wait for both
        try:
            with open(path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    while written() != b"done\n" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert written() == b"done\n"


def test_exec_with_tty(containers: Factory, tmp_path: object) -> None:
    ctr = containers.create("sleep", "30")
    containers.start(ctr)
    out, code = _exec(containers, ctr.id, ExecConfig(argv=("sh", "-c", "echo t; exit 2"),
                                                     tty=True), str(tmp_path))
    assert (out, code) == (b"t\r\n", 2)


def test_logs_are_json_file_lines(containers: Factory) -> None:
    _, _, code, ctr = containers.run("sh", "-c", "echo one; echo two >&2; printf 'no-nl'")
    assert code == 0
    with open(os.path.join(ctr.dir, LOG_FILE), "rb") as f:
        lines = [json.loads(x) for x in f]
    assert [(x["stream"], x["log"]) for x in lines] == [
        ("stdout", "one\n"), ("stderr", "two\n"), ("stdout", "no-nl")]
    assert all(x["time"].endswith("Z") and x["time"].startswith("20") for x in lines)
    entries = list(read_logs(os.path.join(ctr.dir, LOG_FILE), tail=2))
    assert [e.data for e in entries] == [b"two\n", b"no-nl"]
    assert format_entry(entries[0], timestamps=True) == entries[0].time.encode() + b" two\n"


def test_logs_rotate_at_max_size_keeping_max_file(containers: Factory) -> None:
    opts = MonitorOptions(log_max_size=1000, log_max_file=3)
    _, _, code, ctr = containers.run("seq", "1", "300", opts=opts)
    assert code == 0
    names = sorted(n for n in os.listdir(ctr.dir) if n.startswith(LOG_FILE))
    assert names == [LOG_FILE, f"{LOG_FILE}.1", f"{LOG_FILE}.2"]
    for n in names:
        assert os.path.getsize(os.path.join(ctr.dir, n)) < 1000 + 100
    kept = [int(e.data) for e in read_logs(os.path.join(ctr.dir, LOG_FILE))]
    assert kept[-1] == 300 and kept == list(range(kept[0], 301))


def test_logs_follow_until_the_container_exits(containers: Factory) -> None:
    ctr = containers.create("sh", "-c", "echo a; sleep 0.5; echo b")
    containers.start(ctr)

    def stopped() -> bool:
        return wait(ctr.dir, ctr.id, containers.runc, 0).status == "exited"

    got = [e.data for e in read_logs(os.path.join(ctr.dir, LOG_FILE), follow=True,
                                     stopped=stopped, poll=0.02)]
    assert got == [b"a\n", b"b\n"]


def test_tty_logs_keep_crlf(containers: Factory) -> None:
    _, _, _, ctr = containers.run("echo", "hi", tty=True, opts=MonitorOptions(tty=True))
    entries = list(read_logs(os.path.join(ctr.dir, LOG_FILE)))
    assert b"".join(e.data for e in entries) == b"hi\r\n"
    assert {e.stream for e in entries} == {"stdout"}
