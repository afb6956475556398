"""Running containers on the real runc: output, exit codes, users, env, tty, stdin."""

from __future__ import annotations

import os

import pytest
from runtime_kit import Factory

from scow.errors import NotFound
from scow.runtime.attach import AttachConnection
from scow.runtime.monitor import MonitorOptions, refresh, wait
from scow.runtime.runc import CommandNotExecutable, CommandNotFound

pytestmark = pytest.mark.runc


def test_echo_attached_gives_output_and_exit_code_0(containers: Factory) -> None:
    out, err, code, ctr = containers.run("echo", "hi")
    assert (out, err, code) == (b"hi\n", b"", 0)
    state = wait(ctr.dir, ctr.id, containers.runc, 10)
    assert state.status == "exited" and state.exit_code == 0
    assert state.started_at <= state.finished_at


def test_monitor_started_as_a_new_interpreter_works_too(
        containers: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCOW_SHIM_EXEC", "1")  # `python -m scow.runtime.shim`, not a fork
    out, _, code, _ = containers.run("sh", "-c", "echo via-exec; exit 9")
    assert (out, code) == (b"via-exec\n", 9)


def test_exit_code_and_stderr_are_kept_apart(containers: Factory) -> None:
    out, err, code, ctr = containers.run("sh", "-c", "echo out; echo err >&2; exit 3")
    assert (out, err, code) == (b"out\n", b"err\n", 3)
    assert wait(ctr.dir, ctr.id, containers.runc, 10).exit_code == 3


def test_missing_command_is_the_127_error(containers: Factory) -> None:
    ctr = containers.create("no-such-cmd")
    with pytest.raises(CommandNotFound) as info:
        containers.start(ctr)
    assert info.value.exit_code == 127
    assert "executable file not found" in str(info.value)
    assert containers.runc.state(ctr.id) is None
    state = refresh(ctr.dir, ctr.id, containers.runc)  # docker: "created", ExitCode 127
    assert state is not None and (state.status, state.pid, state.exit_code) == ("created", 0, 127)
    assert "executable file not found" in state.error


def test_non_executable_command_is_the_126_error(containers: Factory) -> None:
    ctr = containers.create("/etc/passwd")
    with pytest.raises(CommandNotExecutable) as info:
        containers.start(ctr)
    assert info.value.exit_code == 126


def test_user_by_name_gets_uid_gid_and_groups(containers: Factory) -> None:
    out, _, code, _ = containers.run("sh", "-c", "id -u; id -g; id -G; echo $HOME", user="app")
    assert code == 0
    assert out.split(b"\n")[:4] == [b"1000", b"1000", b"1000 2000", b"/home/app"]


def test_numeric_user_and_group(containers: Factory) -> None:
    out, _, _, _ = containers.run("sh", "-c", "id -u; id -g", user="4242:2000")
    assert out == b"4242\n2000\n"


def test_missing_user_fails_like_docker(containers: Factory) -> None:
    with pytest.raises(NotFound, match="unable to find user foo: no matching entries in passwd"):
        containers.create("true", user="foo")


def test_env_and_workdir_created_when_missing(containers: Factory) -> None:
    out, _, code, ctr = containers.run("sh", "-c", 'pwd; echo "$FOO|$HOSTNAME"',
                                       env=("FOO=bar baz",), workdir="/srv/app")
    assert code == 0
    assert out == f"/srv/app\nbar baz|{ctr.id[:12]}\n".encode()


def test_root_has_docker_default_capabilities_only(containers: Factory) -> None:
    out, _, _, _ = containers.run("sh", "-c", "grep CapEff /proc/self/status")
    assert out.split()[1] == b"00000000a80425fb"  # docker's 14 default capabilities


def test_network_none_has_only_loopback(containers: Factory) -> None:
    out, _, _, _ = containers.run("ls", "/sys/class/net")
    assert out.split() == [b"lo"]


def test_tty_output_has_crlf(containers: Factory) -> None:
    out, _, code, _ = containers.run("sh", "-c", "echo hi; tty", tty=True,
                                     opts=MonitorOptions(tty=True))
    assert code == 0
    assert out.startswith(b"hi\r\n/dev/pts/")


def test_stdin_is_passed_and_closed(containers: Factory) -> None:
    ctr = containers.create("sh", open_stdin=True)
    started = containers.start(ctr, MonitorOptions(open_stdin=True), attach=True)
    assert started.attach is not None
    started.attach.send_stdin(b"echo from-stdin\nexit 4\n")
    started.attach.close_stdin()
    out = b"".join(data for _, data in started.attach.frames())
    assert out == b"from-stdin\n"
    assert started.attach.exit_code == 4


def test_hosts_hostname_resolv_conf_are_bind_mounted(containers: Factory) -> None:
    out, _, _, ctr = containers.run("sh", "-c", "cat /etc/hostname; grep -c localhost /etc/hosts")
    assert out.split(b"\n")[0] == ctr.id[:12].encode()


def test_attach_to_a_running_container_later(containers: Factory) -> None:
    ctr = containers.create("sh", "-c", "sleep 0.5; echo late; exit 1")
    containers.start(ctr)
    with AttachConnection(ctr.dir) as conn:
        out = b"".join(data for _, data in conn.frames())
        assert (out, conn.exit_code) == (b"late\n", 1)
    assert not os.path.exists(os.path.join(ctr.dir, "attach.sock"))


def test_tty_resize_reaches_the_pty(containers: Factory) -> None:
    ctr = containers.create("sh", tty=True, open_stdin=True)
    started = containers.start(ctr, MonitorOptions(tty=True, open_stdin=True), attach=True)
    assert started.attach is not None
    started.attach.resize(30, 100)
    started.attach.send_stdin(b"stty size; exit 0\n")
    out = b"".join(data for _, data in started.attach.frames())
    assert b"30 100\r\n" in out
    assert started.attach.exit_code == 0
