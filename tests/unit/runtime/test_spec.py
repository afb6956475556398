"""The OCI spec scow writes: docker's defaults and the flags."""

from __future__ import annotations

import resource
from pathlib import Path
from typing import Any

import pytest

from scow.errors import InvalidArgument
from scow.runtime.spec import DEFAULT_CAPS, Mount, RunConfig, Ulimit, make_spec


@pytest.fixture
def rootfs(tmp_path: Path) -> str:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    return str(tmp_path)


def spec(rootfs: str, **kw: Any) -> dict[str, Any]:
    return make_spec(RunConfig("c" * 64, cmd=("sh",), hostname="cccccccccccc", **kw), rootfs,
                     "/cdir")


def test_docker_defaults(rootfs: str) -> None:
    s = spec(rootfs)
    assert len(DEFAULT_CAPS) == 14 and s["process"]["capabilities"]["bounding"] == list(
        DEFAULT_CAPS)
    assert [n["type"] for n in s["linux"]["namespaces"]] == ["pid", "ipc", "uts", "mount",
                                                              "network"]
    assert "/proc/kcore" in s["linux"]["maskedPaths"]
    assert "/proc/sys" in s["linux"]["readonlyPaths"]
    dests = [m["destination"] for m in s["mounts"]]
    for d in ("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
              "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"):
        assert d in dests
    assert s["process"]["rlimits"] == [] and s["process"]["noNewPrivileges"] is False
    assert s["process"]["env"][0].startswith("PATH=")
    assert "HOSTNAME=cccccccccccc" in s["process"]["env"] and "HOME=/root" in s["process"]["env"]


def test_network_host_shares_the_netns(rootfs: str) -> None:
    kinds = [n["type"] for n in spec(rootfs, network="host")["linux"]["namespaces"]]
    assert "network" not in kinds


def test_binds_and_entrypoint(rootfs: str) -> None:
    s = spec(rootfs, entrypoint=("/init",), mounts=(Mount("/data", "/srv/vol", read_only=True),
                                                    Mount("/scratch", kind="tmpfs")))
    assert s["process"]["args"] == ["/init", "sh"]
    data = next(m for m in s["mounts"] if m["destination"] == "/data")
    assert data["source"] == "/srv/vol" and "ro" in data["options"] and data["type"] == "bind"
    assert any(m["destination"] == "/scratch" and m["type"] == "tmpfs" for m in s["mounts"])


def test_rlimits_above_ours_are_refused_never_lowered(rootfs: str) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with pytest.raises(InvalidArgument, match="error setting rlimit type 7: operation not "
                                              "permitted"):  # above fs.nr_open: nobody can
        spec(rootfs, ulimits=(Ulimit("nofile", 10**12, 10**12),))
    limits = spec(rootfs, ulimits=(Ulimit("nofile", soft, hard),))["process"]["rlimits"]
    assert limits == [{"type": "RLIMIT_NOFILE", "hard": hard, "soft": soft}]


def test_bad_input_is_one_line_errors(rootfs: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid container id"):
        make_spec(RunConfig("../x", cmd=("sh",)), rootfs, "/cdir")
    with pytest.raises(InvalidArgument, match="no command"):
        make_spec(RunConfig("c" * 64), rootfs, "/cdir")
    with pytest.raises(InvalidArgument, match="network 'bridge'"):
        spec(rootfs, network="bridge")
    with pytest.raises(InvalidArgument, match="not absolute"):
        spec(rootfs, mounts=(Mount("rel", "/x"),))


def test_tty_sets_term_and_non_root_has_no_effective_caps(rootfs: str) -> None:
    s = spec(rootfs, tty=True, user="1000")
    assert "TERM=xterm" in s["process"]["env"] and s["process"]["terminal"] is True
    assert s["process"]["capabilities"]["effective"] == []
    assert s["process"]["user"] == {"uid": 1000, "gid": 0, "additionalGids": []}


def test_isolation_defaults_and_privileged(rootfs: str) -> None:
    s = spec(rootfs, seccomp='{"defaultAction":"SCMP_ACT_LOG"}', no_new_privileges=True)
    assert s["linux"]["seccomp"] == {"defaultAction": "SCMP_ACT_LOG"}
    assert s["process"]["noNewPrivileges"] is True
    assert "seccomp" not in spec(rootfs, seccomp="unconfined")["linux"]
    p = spec(rootfs, privileged=True, seccomp='{"defaultAction":"SCMP_ACT_LOG"}')
    linux = p["linux"]
    assert "seccomp" not in linux and "maskedPaths" not in linux
    assert "readonlyPaths" not in linux
    assert linux["resources"]["devices"] == [{"allow": True, "access": "rwm"}]
    assert {"path": "/dev/null", "type": "c", "major": 1, "minor": 3}.items() <= next(
        d for d in linux["devices"] if d["path"] == "/dev/null").items()
    assert not any(d["path"].startswith(("/dev/pts/", "/dev/console")) for d in linux["devices"])
    sys_opts = {m["destination"]: m["options"] for m in p["mounts"]}
    assert "rw" in sys_opts["/sys"] and "rw" in sys_opts["/sys/fs/cgroup"]
    assert "CAP_SYS_ADMIN" in p["process"]["capabilities"]["bounding"]
