"""docker's isolation defaults in a real runc container, as a user types the flags: the default
seccomp profile, `--security-opt seccomp=…|no-new-privileges`, `--privileged`,
`--cap-add`/`--cap-drop`, scow.toml's `seccomp-profile`, and what `inspect` shows of them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow
from tests.tools import check_exec_nofile_soft

from scow.runtime.capabilities import all_caps, known_caps
from scow.runtime.seccomp import DEFAULT_PROFILE

pytestmark = pytest.mark.skipif(not os.path.exists(DEFAULT_PROFILE),
                                reason="missing tool: docker's seccomp profile "
                                       "(golang-github-docker-docker-dev)")
STATUS = "grep -E '^(Seccomp|NoNewPrivs|CapEff|CapBnd):' /proc/self/status"
USERNS = "unshare -U true && echo userns-ok"
MOUNT = "unshare -Urm sh -c 'mount -t tmpfs none /tmp' && echo mount-ok"


def status(sc: Scow, *flags: str, script: str = "") -> dict[str, str]:
    out = sc.out("run", "--rm", *flags, "bb:1", "sh", "-c", f"{STATUS}; {script}")
    lines = [line.replace(":\t", ": ") for line in out.splitlines()]
    return dict(line.split(": ", 1) if ": " in line else (line, "") for line in lines)


def mask(caps: list[str]) -> str:
    names = known_caps()
    return f"{sum(1 << names.index(c) for c in caps):016x}"


def test_default_container_is_filtered_and_cannot_unshare(one: Scow) -> None:
    st = status(one, script=f"{USERNS}; {MOUNT}; true")
    assert st["Seccomp"].strip() == "2" and st["NoNewPrivs"].strip() == "0"
    assert "userns-ok" not in st and "mount-ok" not in st


def test_seccomp_unconfined(one: Scow) -> None:
    st = status(one, "--security-opt", "seccomp=unconfined", script=f"{USERNS}; {MOUNT}; true")
    assert st["Seccomp"].strip() == "0"
    assert "userns-ok" in st and "mount-ok" in st  # what the filter refused above


def test_cap_add_sys_admin_gets_docker_conditional_rules(one: Scow) -> None:
    st = status(one, "--cap-add", "sys_admin", script=f"{USERNS}; unshare -m true && echo ok")
    assert st["Seccomp"].strip() == "2" and "userns-ok" in st and "ok" in st
    assert st["CapEff"].strip() == mask(["CAP_SYS_ADMIN", *_defaults()])


def test_privileged_has_all_caps_no_filter_no_masks_and_host_devices(one: Scow) -> None:
    st = status(one, "--privileged", script="ls /dev/loop-control /dev/kmsg; "
                "touch /sys/kernel/scow-probe 2>&1 | grep -q 'Read-only' || echo sys-rw; "
                "cat /proc/timer_list | head -c 1 | wc -c")
    assert st["Seccomp"].strip() == "0"
    assert st["CapEff"].strip() == mask(all_caps()) == st["CapBnd"].strip()
    assert "/dev/loop-control" in st and "/dev/kmsg" in st and "sys-rw" in st
    assert "1" in st  # /proc/timer_list is not masked
    masked = one.out("run", "--rm", "bb:1", "sh", "-c", "cat /proc/timer_list | wc -c; "
                     "ls /dev/loop-control 2>/dev/null; true")
    assert masked == "0\n"


def test_cap_drop_all_and_no_new_privileges(one: Scow) -> None:
    st = status(one, "--cap-drop", "ALL", "--security-opt", "no-new-privileges")
    assert st["CapEff"].strip() == "0000000000000000" and st["NoNewPrivs"].strip() == "1"
    assert st["Seccomp"].strip() == "2"
    st = status(one, "--cap-drop", "all", "--cap-add", "CAP_KILL",
                "--security-opt", "no-new-privileges=false")
    assert st["CapEff"].strip() == mask(["CAP_KILL"]) and st["NoNewPrivs"].strip() == "0"


def test_inspect_shows_the_host_config(one: Scow, tmp_path: Path) -> None:
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}, indent=2))
    one("create", "--name", "c1", "--cap-add", "net_admin", "--cap-drop", "MKNOD",
        "--security-opt", f"seccomp={profile}", "--security-opt", "no-new-privileges=true",
        "bb:1", "mkdir", "/x")
    host = one.inspect("c1")["HostConfig"]
    assert host["CapAdd"] == ["CAP_NET_ADMIN"] and host["CapDrop"] == ["CAP_MKNOD"]
    assert host["Privileged"] is False
    assert host["SecurityOpt"] == [
        'seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],'
        '"action":"SCMP_ACT_ERRNO"}]}', "no-new-privileges=true"]
    profile.unlink()  # the profile was read at create, as docker's CLI does
    proc = one("start", "-a", "c1", check=False)
    assert proc.returncode == 1 and "Operation not permitted" in proc.stderr
    one("create", "--name", "c2", "--privileged", "bb:1", "true")
    assert one.inspect("c2")["HostConfig"]["Privileged"] is True


def test_scow_toml_seccomp_profile(one: Scow, tmp_path: Path) -> None:
    conf = one.root / "scow.toml"
    conf.write_text('seccomp-profile = "unconfined"\n')
    assert status(one)["Seccomp"].strip() == "0"
    assert status(one, "--security-opt", "seccomp=builtin")["Seccomp"].strip() == "2"
    profile = tmp_path / "deny-mkdir.json"
    profile.write_text('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": '
                       '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}')
    conf.write_text(f'seccomp-profile = "{profile}"\n')
    proc = one("run", "--rm", "bb:1", "mkdir", "/x", check=False)
    assert proc.returncode == 1 and "Operation not permitted" in proc.stderr
    conf.write_text('seccomp-profile = "/no/such/profile.json"\n')
    proc = one("run", "--rm", "bb:1", "true", check=False)
    assert proc.returncode == 125
    assert "open seccomp profile /no/such/profile.json: no such file" in proc.stderr
    one("run", "--rm", "--privileged", "bb:1", "true")  # no filter: the file is not needed


@pytest.mark.parametrize("flags,message", [
    (("--cap-add", "NOPE"), "invalid CapAdd: unknown capability: 'CAP_NOPE'"),
    (("--security-opt", "seccomp=/no/such.json"), "open seccomp profile /no/such.json"),
    (("--security-opt", "no-new-privileges=maybe"), "invalid --security-opt"),
    (("--security-opt", "systempaths=unconfined"), "invalid --security-opt"),
])
def test_bad_flags_are_one_line_errors(one: Scow, flags: tuple[str, ...], message: str) -> None:
    proc = one("create", *flags, "bb:1", "true", check=False)
    assert proc.returncode != 0 and message in proc.stderr
    assert "Traceback" not in proc.stderr and one.out("ps", "-aq") == ""


def _defaults() -> list[str]:
    from scow.runtime.capabilities import DEFAULT_CAPS

    return list(DEFAULT_CAPS)


def test_exec_gets_the_container_isolation(one: Scow) -> None:
    one("run", "-d", "--name", "dropped", "--cap-drop", "ALL", "--cap-add", "KILL",
        "--security-opt", "no-new-privileges", "bb:1", "sleep", "60")
    out = one.out("exec", "dropped", "sh", "-c", STATUS)
    assert "CapEff:\t" + mask(["CAP_KILL"]) in out and "CapBnd:\t" + mask(["CAP_KILL"]) in out
    assert "NoNewPrivs:\t1" in out and "Seccomp:\t2" in out
    one("run", "-d", "--name", "priv", "--privileged", "bb:1", "sleep", "60")
    out = one.out("exec", "priv", "sh", "-c", STATUS)
    assert "CapEff:\t" + mask(all_caps()) in out and "Seccomp:\t0" in out


def test_exec_starts_from_the_containers_process(one: Scow) -> None:
    """As moby's exec, which starts from the container's spec.Process: without `-u` the
    process has the running container's user, groups (`--group-add` included), HOME and
    rlimits, read from its bundle; `-u` is resolved against the rootfs's passwd."""
    one("run", "-d", "--name", "grp", "--group-add", "1234", "--ulimit", "nofile=512:1024",
        "bb:1", "sleep", "60")
    assert "1234" in one.out("exec", "grp", "id", "-G").split()
    assert one.out("exec", "-u", "nobody", "grp", "id", "-u").strip() == "65534"
    soft, home = one.out("exec", "grp", "sh", "-c", "ulimit -n; echo $HOME").split()
    assert home == "/root"
    check_exec_nofile_soft(int(soft), 512, 1024)


def test_build_run_steps_get_the_default_profile(one: Scow, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM bb:1\nRUN grep -E '^Seccomp:' /proc/self/status > /st; "
        "unshare -U true || echo refused >> /st\n")
    one("build", "-q", "-t", "st:1", str(tmp_path))
    assert one.out("run", "--rm", "st:1", "cat", "/st") == "Seccomp:\t2\nrefused\n"
