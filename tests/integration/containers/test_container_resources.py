"""Resource limits and runtime flags of `run`/`create` on real runc and cgroup v1, as a user
types them: single-file binds, --memory (OOM kill), --pids-limit, --cpus, --ulimit, --init,
`update`, and what `inspect` shows of them."""

from __future__ import annotations

import json
import os
import resource
import stat
from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow, wait_for


def test_single_file_bind(one: Scow, tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("hi\n")
    assert one.out("run", "--rm", "-v", f"{f}:/test.txt", "bb:1", "cat", "/test.txt") == "hi\n"
    proc = one("run", "--rm", "--mount", f"type=bind,src={f},dst=/etc/x.txt,ro", "bb:1",
               "sh", "-c", "cat /etc/x.txt; echo no > /etc/x.txt", check=False)
    assert proc.stdout == "hi\n" and proc.returncode == 1 and "Read-only" in proc.stderr
    assert f.read_text() == "hi\n"


CG = "/sys/fs/cgroup"


def test_memory_limit_oom_kill_is_recorded(one: Scow) -> None:
    hog = "x=aaaaaaaa; while true; do x=$x$x; done"
    proc = one("run", "--name", "hog", "-m", "16m", "--memory-swap", "16m", "bb:1",
               "sh", "-c", hog, check=False, timeout=120)
    assert proc.returncode == 137, proc.stderr
    state = one.inspect("hog")["State"]
    assert state["OOMKilled"] is True and state["ExitCode"] == 137
    one("run", "--name", "plain", "bb:1", "sh", "-c", "exit 137", check=False)
    assert one.inspect("plain")["State"]["OOMKilled"] is False


def test_pids_limit_stops_a_fork_bomb(one: Scow) -> None:
    script = "i=0; while [ $i -lt 40 ]; do sleep 2 & i=$((i+1)); done; echo done"
    proc = one("run", "--rm", "--pids-limit", "10", "bb:1", "sh", "-c", script,
               check=False, timeout=60)
    assert "can't fork" in proc.stderr or "Resource temporarily unavailable" in proc.stderr
    assert one.out("run", "--rm", "--pids-limit", "10", "bb:1", "cat",
                   f"{CG}/pids/pids.max").strip() == "10"


def test_cpus_memory_and_shares_reach_the_cgroup(one: Scow) -> None:
    script = (f"cat {CG}/cpu/cpu.cfs_quota_us {CG}/cpu/cpu.cfs_period_us "
              f"{CG}/cpu/cpu.shares {CG}/memory/memory.limit_in_bytes "
              f"{CG}/memory/memory.soft_limit_in_bytes")
    out = one.out("run", "--rm", "--cpus", "0.5", "-c", "512", "-m", "64m",
                  "--memory-reservation", "32m", "bb:1", "sh", "-c", script).split()
    assert out == ["50000", "100000", "512", str(64 << 20), str(32 << 20)]


def test_ulimit_nofile_visible_and_never_raised_silently(one: Scow) -> None:
    out = one.out("run", "--rm", "--ulimit", "nofile=100:200", "bb:1", "sh", "-c",
                  "ulimit -n; ulimit -Hn")
    assert out.split() == ["100", "200"]
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    proc = one("run", "--rm", "--ulimit", f"nofile={hard + 1}:{hard + 1}", "bb:1", "sh",
               "-c", "ulimit -Hn", check=False)
    if proc.returncode == 0:  # this runtime may raise it (CAP_SYS_RESOURCE): then it did
        assert proc.stdout.strip() == str(hard + 1)
    else:
        assert proc.returncode == 125 and "operation not permitted" in proc.stderr
    bad = one("run", "--rm", "--ulimit", "nofile=300:200", "bb:1", "true", check=False)
    assert bad.returncode == 125 and "ulimit soft limit must be less than or equal to hard " \
        "limit: 300 > 200" in bad.stderr


def test_init_is_pid_1_and_reaps_zombies(one: Scow) -> None:
    script = ('cat /proc/1/cmdline | tr "\\0" " "; echo; sh -c "sleep 0 &"; sleep 1; '
              "ps -o stat,comm | grep -c '^Z' || true")
    out = one.out("run", "--rm", "--init", "bb:1", "sh", "-c", script).splitlines()
    assert out[0].split()[:3] == ["/sbin/docker-init", "--", "sh"]
    assert out[-1] == "0"
    one("create", "--name", "ini", "--init", "bb:1", "true")
    assert one.inspect("ini")["HostConfig"]["Init"] is True
    assert one.out("diff", "ini") == ""  # the mount point is in the init layer


def test_update_memory_of_a_running_container(one: Scow) -> None:
    one("run", "-d", "--name", "upd", "-m", "64m", "bb:1", "sleep", "60")
    limit = f"{CG}/memory/memory.limit_in_bytes"
    assert one.out("exec", "upd", "cat", limit).strip() == str(64 << 20)
    assert one.out("update", "-m", "100m", "--memory-swap", "200m", "--pids-limit", "50",
                   "--restart", "on-failure:3", "upd").strip() == "upd"
    assert one.out("exec", "upd", "cat", limit).strip() == str(100 << 20)
    assert one.out("exec", "upd", "cat", f"{CG}/pids/pids.max").strip() == "50"
    host = one.inspect("upd")["HostConfig"]
    assert (host["Memory"], host["MemorySwap"], host["PidsLimit"]) == \
        (100 << 20, 200 << 20, 50)
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    policy = one.root / "containers" / one.full_id("upd") / "restart-policy.json"
    assert json.loads(policy.read_text()) == host["RestartPolicy"]
    bad = one("update", "-m", "300m", "upd", check=False)
    assert bad.returncode == 1 and "Memory limit should be smaller than already set " \
        "memoryswap limit" in bad.stderr
    none = one("update", "upd", check=False)
    assert none.returncode == 1 and "you must provide one or more flags" in none.stderr


def test_update_outlives_a_policy_restart(one: Scow) -> None:
    limit = f"{CG}/memory/memory.limit_in_bytes"
    one("run", "-d", "--name", "rst", "--restart", "always", "-m", "64m", "bb:1", "sh", "-c",
        f"cat {limit}; sleep 1")
    wait_for(lambda: one.inspect("rst")["RestartCount"] >= 1, 15)
    one("update", "-m", "96m", "--memory-swap", "-1", "rst")
    count = one.inspect("rst")["RestartCount"]
    wait_for(lambda: one.inspect("rst")["RestartCount"] >= count + 2, 20)
    assert one.out("logs", "rst").split()[-1] == str(96 << 20)


def test_oom_kill_reported_on_a_policy_restart(one: Scow) -> None:
    hog = "x=aaaaaaaa; while true; do x=$x$x; done"
    one("run", "-d", "--name", "ooms", "--restart", "on-failure:1", "-m", "16m",
        "--memory-swap", "16m", "bb:1", "sh", "-c", hog)
    assert one.out("wait", "ooms").strip() == "137"  # the first exit: wait returns at it
    wait_for(lambda: one.status("ooms") == "exited", 20, "the restarted run's exit")
    events = one.out("events", "--since", "0", "--until", "0s", "--filter",
                     "container=ooms", "--format", "{{.Action}}").split()
    assert [e for e in events if e in ("oom", "die")] == ["oom", "die", "oom", "die"], events


def test_update_of_a_created_container_is_stored(one: Scow) -> None:
    one("create", "--name", "cre", "bb:1", "true")
    one("update", "--cpus", "0.25", "--restart", "always", "cre")
    host = one.inspect("cre")["HostConfig"]
    assert host["NanoCpus"] == 250_000_000 and host["RestartPolicy"]["Name"] == "always"
    bad = one("update", "--restart", "always:3", "cre", check=False)
    assert "maximum retry count can only be used with 'on-failure'" in bad.stderr


def test_update_checks_the_restart_policy_before_storing_it(one: Scow) -> None:
    from scow import Engine
    from scow.errors import InvalidArgument

    one("create", "--name", "pol", "bb:1", "true")
    engine = Engine(str(one.root), "vfs")
    with pytest.raises(InvalidArgument, match="unknown policy 'bogus'"):
        engine.containers.update("pol", restart_policy={"Name": "bogus"})
    assert one.inspect("pol")["HostConfig"]["RestartPolicy"]["Name"] == "no"


@pytest.mark.parametrize("value", ["always:0", "unless-stopped:"])
def test_update_restart_parsed_as_at_create(one: Scow, value: str) -> None:
    one("create", "--name", "same", "--restart", value, "bb:1", "true")
    created = one.inspect("same")["HostConfig"]["RestartPolicy"]
    one("update", "--restart", "no", "same")
    one("update", "--restart", value, "same")
    assert one.inspect("same")["HostConfig"]["RestartPolicy"] == created


def test_tmpfs_shm_sysctl_and_host_namespaces(one: Scow) -> None:
    out = one.out("run", "--rm", "--tmpfs", "/run:size=1m", "--shm-size", "8m", "--sysctl",
                  "net.ipv4.ip_forward=1", "bb:1", "sh", "-c",
                  "df -k /run /dev/shm | tail -2; cat /proc/sys/net/ipv4/ip_forward")
    lines = out.split("\n")
    assert lines[0].split()[1] == "1024" and lines[1].split()[1] == "8192"
    assert lines[2] == "1"
    out = one.out("run", "--rm", "--pid", "host", "--uts", "host", "--ipc", "host", "bb:1",
                  "sh", "-c", "cat /proc/1/comm; hostname")
    assert out.split() == [Path("/proc/1/comm").read_text().strip(),
                           os.uname().nodename]
    out = one.out("run", "--rm", "--ipc", "none", "bb:1", "sh", "-c",
                  "test -d /dev/shm && grep -c ' /dev/shm ' /proc/mounts || true")
    assert out.strip() in ("", "0")


def test_device_and_its_cgroup_rule(one: Scow) -> None:
    if not stat.S_ISCHR(os.stat("/dev/fuse").st_mode):
        pytest.skip("missing tool: /dev/fuse (the fuse module)")
    out = one.out("run", "--rm", "--device", "/dev/fuse:/dev/f", "bb:1", "sh", "-c",
                  "ls -l /dev/f; cat /dev/f 2>&1 | head -1")
    assert out.startswith("c") and "10, 229" in out
    assert "can't open" not in out  # the device rule lets it be opened
    bad = one("run", "--rm", "--device", "/dev/fuse:/dev/f:rwx", "bb:1", "true", check=False)
    assert bad.returncode == 125 and "bad mode specified: rwx" in bad.stderr


@pytest.mark.parametrize(("flags", "message"), [
    (["-m", "4m"], "Minimum memory limit allowed is 6MB"),
    (["--memory-swap", "10m"], "You should always set the Memory limit when using "
                               "Memoryswap limit, see usage"),
    (["-m", "20m", "--memory-swap", "10m"], "Minimum memoryswap limit should be larger than "
                                            "memory limit, see usage"),
    (["--cpus", "0.5", "--cpu-period", "1000"], "Conflicting options: Nano CPUs and CPU "
                                                "Period cannot both be set"),
    (["--cpu-quota", "500"], "CPU cfs quota can not be less than 1ms (i.e. 1000)"),
    (["--kernel-memory", "10m"], "--kernel-memory is deprecated"),
    (["--sysctl", "kernel.hostname=x"], "invalid argument \"kernel.hostname=x\" for "
                                        "\"--sysctl\" flag: sysctl 'kernel.hostname=x' is "
                                        "not allowed"),
    (["--ipc", "bogus"], "Invalid IPC mode: bogus"),
    (["--pid", "bogus"], "--pid: invalid PID mode"),
    (["--uts", "host", "-h", "x"], "Conflicting options: hostname and the UTS mode"),
])
def test_docker_validation_messages(one: Scow, flags: list[str], message: str) -> None:
    proc = one("run", "--rm", *flags, "bb:1", "true", check=False)
    assert proc.returncode == 125 and message in proc.stderr, proc.stderr
    proc = one("create", *flags, "bb:1", "true", check=False)  # docker: 1, a flag error 125
    assert proc.returncode in (1, 125) and message in proc.stderr, proc.stderr
    assert one.out("ps", "-aq") == ""


def test_what_this_host_cannot_apply_is_refused(one: Scow) -> None:
    if os.path.exists(f"{CG}/blkio/blkio.weight") or os.path.exists(f"{CG}/cgroup.controllers"):
        proc = one("run", "--rm", "--blkio-weight", "100", "bb:1", "true", check=False)
        assert proc.returncode == 0  # the kernel has it: applied
        return
    proc = one("run", "--rm", "--blkio-weight", "100", "bb:1", "true", check=False)
    assert proc.returncode == 125
    assert "does not support Block I/O weight" in proc.stderr


def test_run_it_without_a_terminal(one: Scow) -> None:
    proc = one("run", "--rm", "-it", "bb:1", "true", check=False)
    assert proc.returncode == 1 and proc.stderr == "the input device is not a TTY\n"
    assert one.out("ps", "-aq") == ""


def test_attach_selects_streams(one: Scow) -> None:
    script = "echo out; echo err >&2"
    proc = one("run", "--rm", "-a", "stdout", "bb:1", "sh", "-c", script)
    assert (proc.stdout, proc.stderr) == ("out\n", "")
    proc = one("run", "--rm", "-a", "stderr", "bb:1", "sh", "-c", script)
    assert (proc.stdout, proc.stderr) == ("", "err\n")


def test_cidfile_and_label_file(one: Scow, tmp_path: Path) -> None:
    cid, labels = tmp_path / "cid", tmp_path / "labels"
    labels.write_text("# comment\na=1\n\nb=two words\n")
    one("create", "--cidfile", str(cid), "--label-file", str(labels), "-l", "b=3",
        "--name", "cf", "bb:1", "true")
    assert cid.read_text() == one.full_id("cf")
    assert one.inspect("cf")["Config"]["Labels"] == {"a": "1", "b": "3"}
    proc = one("create", "--cidfile", str(cid), "bb:1", "true", check=False)
    assert proc.returncode == 1 and "container ID file found, make sure the other " \
        f"container isn't running or delete {cid}" in proc.stderr


def test_inspect_host_config_defaults(one: Scow) -> None:
    one("create", "--name", "dflt", "bb:1", "true")
    host = one.inspect("dflt")["HostConfig"]
    assert {k: host[k] for k in DEFAULTS} == DEFAULTS
    assert "Init" not in host and "Sysctls" not in host and "Tmpfs" not in host


DEFAULTS = {  # docker 20.10's HostConfig of `docker create IMAGE` (cgroup v1)
    "IpcMode": "private", "PidMode": "", "UTSMode": "", "ShmSize": 67108864, "CpuShares": 0,
    "Memory": 0, "NanoCpus": 0, "CgroupParent": "", "BlkioWeight": 0, "CpuPeriod": 0,
    "CpuQuota": 0, "CpusetCpus": "", "CpusetMems": "", "Devices": [], "MemoryReservation": 0,
    "MemorySwap": 0, "MemorySwappiness": None, "OomKillDisable": False, "PidsLimit": None,
    "Ulimits": [], "BlkioWeightDevice": [], "DeviceCgroupRules": None, "CpuCount": 0,
    "OomScoreAdj": 0}


def test_join_another_containers_ipc_and_pid_namespaces(one: Scow) -> None:
    one("run", "-d", "--name", "donor", "--ipc", "shareable", "bb:1", "sleep", "60")
    one("run", "-d", "--name", "private", "bb:1", "sleep", "60")
    donor = one.out("exec", "donor", "readlink", "/proc/self/ns/ipc").strip()
    out = one.out("run", "--rm", "--ipc", "container:donor", "--pid", "container:donor",
                  "bb:1", "sh", "-c", "readlink /proc/self/ns/ipc; cat /proc/1/comm")
    assert out.split() == [donor, "sleep"]
    proc = one("run", "--rm", "--ipc", "container:private", "bb:1", "true", check=False)
    assert proc.returncode == 125 and "non-shareable IPC" in proc.stderr


def test_cgroup_flags_of_the_cli(one: Scow) -> None:
    """--cgroupns, --device-cgroup-rule, --memory-swappiness and --volume-driver reach
    HostConfig as docker's CLI sends them; a private cgroup namespace sees its cgroup as /."""
    out = one.out("run", "--name", "cg", "--cgroupns", "private", "--memory-swappiness", "10",
                  "--device-cgroup-rule", "c 1:3 rwm", "--volume-driver", "local", "bb:1",
                  "sh", "-c", "grep -c ':/$' /proc/self/cgroup")
    assert int(out) >= 1
    host = one.inspect("cg")["HostConfig"]
    assert host["CgroupnsMode"] == "private" and host["MemorySwappiness"] == 10
    assert host["DeviceCgroupRules"] == ["c 1:3 rwm"] and host["VolumeDriver"] == "local"
    proc = one("create", "--memory-swappiness", "200", "bb:1", "true", check=False)
    assert proc.returncode == 1 and "valid memory swappiness range is 0-100" in proc.stderr
    proc = one("create", "--cgroupns", "bogus", "bb:1", "true", check=False)
    assert proc.returncode == 1 and "invalid cgroup namespace mode: bogus" in proc.stderr
