"""What docker-py's own integration suite (bench/dockerpy_suite.py) found wrong in the service,
each checked with docker-py against `scow system service` (the `service` fixture)."""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path
from typing import Any

import docker
import pytest
from docker.types import Mount
from tests.api.conftest import Service
from tests.tools import require_runc


def test_start_logs_and_archive_are_served(service: Service) -> None:
    """The attach, logs and archive route modules are registered (the merge had left them
    out: every start was a 500 on the missing attach table)."""
    require_runc()
    client = service.client()
    cid = client.create_container("base:1", ["echo", "hi"])["Id"]
    try:
        client.start(cid)
        assert client.wait(cid)["StatusCode"] == 0
        assert client.logs(cid) == b"hi\n"
        stream, stat = client.get_archive(cid, "/etc/passwd")
        assert stat["name"] == "passwd" and b"".join(stream)
    finally:
        client.remove_container(cid, force=True)
        client.close()


def test_a_build_whose_client_goes_away(service: Service) -> None:
    """A build's client that disconnects mid-stream: the service had closed the operation's
    store under the still-running build (a SQLite use after close: a segfault of the service).
    Now the build is cancelled (as dockerd's; test_service_build_cancel.py), ends before its
    operation's store closes, and the service stays up."""
    require_runc()
    dockerfile = b"FROM base:1\nRUN sleep 2\nRUN echo done > /done\n"
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
    client = service.client()
    stream = client.build(fileobj=context.getvalue(), custom_context=True, tag="gone:1",
                          decode=True)
    next(stream)
    client.close()  # the client goes away with the build under way
    del stream
    check = service.client()
    try:
        deadline = time.monotonic() + 60
        while service.owner_tokens():  # the build's operation is under way
            assert service.proc.poll() is None, service.output()
            assert time.monotonic() < deadline, "the build did not end"
            time.sleep(0.5)
        time.sleep(3)  # past the end of `RUN sleep 2`, had the build not been cancelled
        assert service.proc.poll() is None, service.output()
        assert not check.images(name="gone:1")
        assert check.version()["ApiVersion"]
    finally:
        check.close()


def test_build_extra_hosts_and_shmsize(service: Service) -> None:
    """`extrahosts` and `shmsize` reach every RUN step (they were refused with a 400)."""
    require_runc()
    script = io.BytesIO(b"FROM base:1\nRUN cp /etc/hosts /hosts-file\n"
                        b"RUN df -k /dev/shm | tail -n 1 > /shm\n")
    client = service.client()
    try:
        for chunk in client.build(fileobj=script, tag="hosts:1", decode=True,
                                  extra_hosts={"hello.world.test": "127.0.0.1"},
                                  shmsize=128 * 1024 * 1024):
            assert "errorDetail" not in chunk, chunk
        cid = client.create_container("hosts:1", ["cat", "/hosts-file", "/shm"])["Id"]
        client.start(cid)
        client.wait(cid)
        logs = client.logs(cid).decode()
        client.remove_container(cid)
        assert "127.0.0.1\thello.world.test" in logs
        assert " 131072 " in logs
    finally:
        client.close()


def test_create_with_the_host_config_the_library_has(service: Service) -> None:
    """docker-py's host config with resources, restart policy, log driver, init, tmpfs and a
    health check is created and inspected back (these were refused with a 400)."""
    client = service.client()
    host = client.create_host_config(
        mem_limit="64m", pids_limit=50, restart_policy={"Name": "on-failure",
                                                        "MaximumRetryCount": 2},
        log_config={"Type": "none", "Config": {}}, init=True, tmpfs={"/scratch": "size=1m"},
        ulimits=[{"Name": "nofile", "Soft": 100, "Hard": 200}], shm_size="32m",
        network_mode="none")
    cid = client.create_container("base:1", "top", host_config=host,
                                  healthcheck={"test": "true", "interval": 10**9})["Id"]
    try:
        info = client.inspect_container(cid)
        hc = info["HostConfig"]
        assert (hc["Memory"], hc["PidsLimit"], hc["ShmSize"]) == (64 << 20, 50, 32 << 20)
        assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
        assert hc["LogConfig"]["Type"] == "none" and hc["Init"] is True
        assert hc["Tmpfs"] == {"/scratch": "size=1m"}
        assert hc["Ulimits"] == [{"Name": "nofile", "Soft": 100, "Hard": 200}]
        assert info["Config"]["Healthcheck"]["Test"] == ["CMD-SHELL", "true"]
    finally:
        client.remove_container(cid, force=True)
        client.close()


def test_top_update_and_rename(service: Service) -> None:
    """top answers docker's {"Titles", "Processes"}, update takes docker's UpdateConfig
    (resources and RestartPolicy), rename works (top and update were 500s)."""
    require_runc()
    client = service.client()
    cid = client.create_container("base:1", ["sleep", "60"], host_config=client.
                                  create_host_config(cpu_shares=2, network_mode="none"))["Id"]
    try:
        client.start(cid)
        deadline = time.monotonic() + 10  # `runc init` until it has exec'd the command
        while (top := client.top(cid))["Processes"][0][-1] != "sleep 60":
            assert time.monotonic() < deadline, top
            time.sleep(0.1)
        assert "PID" in top["Titles"]
        client.update_container(cid, cpu_shares=3, restart_policy={"Name": "on-failure",
                                                                   "MaximumRetryCount": 1})
        client.rename(cid, "renamed")
        info = client.inspect_container(cid)
        assert info["HostConfig"]["CpuShares"] == 3 and info["Name"] == "/renamed"
        assert info["HostConfig"]["RestartPolicy"]["Name"] == "on-failure"
    finally:
        client.remove_container(cid, force=True)
        client.close()


def _detaches(client: Any, cid: str, keys: bytes, **params: Any) -> None:
    sock = client.attach_socket(cid, {"stdin": True, "stream": True, **params})
    raw = sock._sock
    raw.settimeout(10)
    raw.sendall(keys)
    try:
        assert raw.recv(128) == b""  # the service ended the connection
    finally:
        sock.close()
        raw.close()
    assert client.inspect_container(cid)["State"]["Running"]


def test_attach_detach_keys(service: Service) -> None:
    """ctrl-p ctrl-q (or `detachKeys`) end an attach and leave the container running (the
    keys went to the container's stdin and the client hung)."""
    require_runc()
    client = service.client()
    cid = client.create_container("base:1", "cat", stdin_open=True, tty=True,
                                  host_config=client.create_host_config(network_mode="none")
                                  )["Id"]
    try:
        client.start(cid)
        _detaches(client, cid, b"\x10\x11")
        _detaches(client, cid, b"ab\x01", detachKeys="ctrl-a")
    finally:
        client.remove_container(cid, force=True)
        client.close()


def test_exec_detach_keys(service: Service) -> None:
    """An exec's DetachKeys (ctrl-p,ctrl-q by default) end its start connection."""
    require_runc()
    client = service.client()
    cid = client.create_container("base:1", "cat", stdin_open=True,
                                  host_config=client.create_host_config(network_mode="none")
                                  )["Id"]
    try:
        client.start(cid)
        for keys, detach in ((b"\x10\x11", None), (b"\x01", "ctrl-a")):
            exec_id = client.exec_create(cid, "cat", stdin=True, tty=True, detach_keys=detach)
            sock = client.exec_start(exec_id, tty=True, socket=True)
            raw = sock._sock
            raw.settimeout(10)
            for key in keys:  # one at a time, as docker-py's tests type them
                raw.sendall(bytes((key,)))
                time.sleep(0.3)
            try:
                assert raw.recv(128) == b"", detach
            except TimeoutError:
                raise AssertionError(f"no detach with {detach}: {service.output()[-2000:]}"
                                     ) from None
            finally:
                sock.close()
                raw.close()
    finally:
        client.remove_container(cid, force=True)
        client.close()


def test_a_bind_over_a_config_volume(service: Service, tmp_path: Path) -> None:
    """docker-py's binds= sends Config.Volumes {"/mnt": {}} too: the bind wins (an anonymous
    volume used to hide it)."""
    require_runc()
    folder = tmp_path / "bind"
    folder.mkdir()
    (folder / "shared.txt").write_text("x")
    client = service.client()
    for host in (client.create_host_config(binds={str(folder): {"bind": "/mnt", "ro": True}},
                                           network_mode="none"),
                 client.create_host_config(mounts=[Mount("/mnt", str(folder), type="bind")],
                                           network_mode="none")):
        cid = client.create_container("base:1", ["ls", "/mnt"], volumes=["/mnt"],
                                      host_config=host)["Id"]
        try:
            client.start(cid)
            client.wait(cid)
            assert client.logs(cid) == b"shared.txt\n"
            mount = client.inspect_container(cid)["Mounts"][0]
            assert (mount["Type"], mount["Propagation"]) == ("bind", "rprivate")
        finally:
            client.remove_container(cid, force=True, v=True)
    client.close()


def test_kill_commit_runtime_and_prune_as_dockerd(service: Service) -> None:
    """kill (SIGKILL) answers once the container has exited; commit of a stopped container
    with docker-py's pause=True works; Config.Runtime "runc" is accepted; at API 1.41 a
    volume prune removes every unused volume, named ones too."""
    require_runc()
    client = service.client()
    cid = client.create_container("base:1", ["sleep", "60"], runtime="runc",
                                  host_config=client.create_host_config(network_mode="none")
                                  )["Id"]
    try:
        client.start(cid)
        client.kill(cid)
        state = client.inspect_container(cid)["State"]
        assert not state["Running"] and state["ExitCode"] != 0
        image = client.commit(cid, repository="committed")["Id"]
        assert client.inspect_image(image)["Id"] == image
    finally:
        client.remove_container(cid, force=True)
    client.create_volume("named")
    old = docker.APIClient(base_url=f"unix://{service.sock}", version="1.41")
    try:
        assert "named" in (old.prune_volumes()["VolumesDeleted"] or [])
    finally:
        old.close()
        client.close()


def test_build_and_load_errors_as_dockerd_streams_them(service: Service) -> None:
    """A failed RUN reads as the classic builder's `The command ... returned a non-zero
    code`; a load of a non-tar is a 200 stream with the error (docker-py's ImageLoadError),
    not a 400."""
    require_runc()
    client = docker.DockerClient(base_url=f"unix://{service.sock}", version="auto")
    try:
        script = io.BytesIO(b"FROM base:1\nRUN exit 1\n")
        try:
            client.images.build(fileobj=script)
        except docker.errors.BuildError as exc:
            assert "The command '/bin/sh -c exit 1' returned a non-zero code: 1" in str(exc)
        else:
            raise AssertionError("the build did not fail")
        try:
            client.images.load(b"abc")
        except docker.errors.ImageLoadError:
            pass
        else:
            raise AssertionError("the load did not fail")
    finally:
        client.close()


def test_attach_with_logs_before_the_start(service: Service) -> None:
    """An attach with logs=1 made before the start gets the output (the start came while
    the logs were being sent, found no attach parked, and the attach waited forever)."""
    require_runc()
    client = service.client()
    cid = client.create_container("base:1", "printf 'hi there'", host_config=client.
                                  create_host_config(network_mode="none"))["Id"]
    sock = client.attach_socket(cid, {"stdout": 1, "stream": 1, "logs": 1})
    raw = sock._sock
    raw.settimeout(10)
    try:
        client.start(cid)
        assert raw.recv(100) == b"\x01\x00\x00\x00\x00\x00\x00\x08hi there"
    finally:
        sock.close()
        raw.close()
        client.remove_container(cid, force=True)
        client.close()


def test_cgroup_and_platform_fields_are_taken(service: Service) -> None:
    """Isolation, VolumeDriver, CgroupnsMode, DeviceCgroupRules and MemorySwappiness were
    refused at create (400): now kept in HostConfig, the cgroup ones in the runtime spec."""
    require_runc()
    client = service.client()
    host = client.create_host_config(isolation="default", cgroupns="private",
                                     device_cgroup_rules=["c 7:128 rwm"], mem_swappiness=40)
    cid = client.create_container("base:1", ["sh", "-c", "ls /sys/fs/cgroup >/dev/null"],
                                  host_config=host)["Id"]
    try:
        got = client.inspect_container(cid)["HostConfig"]
        assert (got["Isolation"], got["CgroupnsMode"]) == ("default", "private")
        assert got["DeviceCgroupRules"] == ["c 7:128 rwm"] and got["MemorySwappiness"] == 40
        client.start(cid)
        assert client.wait(cid)["StatusCode"] == 0
    finally:
        client.remove_container(cid, force=True)
    try:
        named = client.create_container("base:1", ["true"], host_config=client.
                                        create_host_config(volume_driver="foo"))["Id"]
        assert client.inspect_container(named)["HostConfig"]["VolumeDriver"] == "foo"
        client.remove_container(named)
        bad = client.create_host_config(device_cgroup_rules=["x 1:2 q"])
        with pytest.raises(docker.errors.APIError, match="device cgroup"):
            client.create_container("base:1", ["true"], host_config=bad)
    finally:
        client.close()


def test_wait_answers_at_an_exit_the_restart_policy_restarts(service: Service) -> None:
    """docker-py's test_create_with_restart_policy: wait on a `restart: always` container
    waited for a final exit that never came; dockerd answers at each exit."""
    require_runc()
    client = service.client()
    host = client.create_host_config(restart_policy={"Name": "always"}, network_mode="none")
    cid = client.create_container("base:1", ["sh", "-c", "sleep 1; exit 3"],
                                  host_config=host)["Id"]
    try:
        client.start(cid)
        assert client.wait(cid, timeout=30)["StatusCode"] == 3
        with pytest.raises(docker.errors.APIError, match="(?i)stop the container before"):
            client.remove_container(cid)
    finally:
        client.remove_container(cid, force=True)
        client.close()


def test_archive_reads_and_writes_through_a_volume(service: Service) -> None:
    """docker-py's ArchiveTest: a file under a volume's destination was looked up in the
    container's root folder (the empty mount point); docker reads it in the volume."""
    require_runc()
    client = service.client()
    cid = client.create_container("base:1", ["sh", "-c", "echo -n hi > /vol1/data.txt"],
                                  volumes=["/vol1"])["Id"]
    try:
        client.start(cid)
        assert client.wait(cid)["StatusCode"] == 0
        stream, stat = client.get_archive(cid, "/vol1/data.txt")
        assert (stat["name"], stat["size"]) == ("data.txt", 2)
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            assert tar.extractfile("data.txt").read() == b"hi"  # type: ignore[union-attr]
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w") as tar:
            info = tarfile.TarInfo("more.txt")
            info.size = 3
            tar.addfile(info, io.BytesIO(b"yes"))
        assert client.put_archive(cid, "/vol1", data.getvalue())
        volume = client.inspect_container(cid)["Mounts"][0]["Source"]
        assert Path(volume, "more.txt").read_bytes() == b"yes"
    finally:
        client.remove_container(cid, force=True, v=True)
        client.close()
