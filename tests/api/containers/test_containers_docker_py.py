"""docker-py (the real SDK) against the container and exec routes on a temp socket."""

from __future__ import annotations

import io
import tarfile
import time
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(120)


def test_run_attached_returns_output(client: Any) -> None:
    out = client.containers.run("bb:1", ["sh", "-c", "echo hi; echo err >&2"],
                                network_mode="none", remove=True)
    assert out == b"hi\n"


def test_run_detached_logs_and_wait(client: Any) -> None:
    c = client.containers.run("bb:1", ["sh", "-c", "echo one; echo two >&2; exit 3"],
                              network_mode="none", detach=True)
    assert c.wait()["StatusCode"] == 3
    assert c.logs() == b"one\ntwo\n"
    assert c.logs(stderr=False) == b"one\n"
    c.remove()


def test_missing_image_is_404(client: Any) -> None:
    import docker

    with pytest.raises(docker.errors.ImageNotFound):
        client.api.create_container("nope:1", ["true"])


def test_unknown_host_config_field_refused(client: Any) -> None:
    import docker

    with pytest.raises(docker.errors.APIError) as exc:
        client.api.create_container("bb:1", ["true"], host_config={"OomScoreAdj": 5})
    assert exc.value.status_code == 400
    assert "HostConfig.OomScoreAdj" in str(exc.value)


def test_exec_run_demux_and_exit_code(client: Any) -> None:
    c = client.containers.run("bb:1", ["sleep", "60"], network_mode="none", detach=True)
    try:
        res = c.exec_run(["sh", "-c", "echo out; echo err >&2; exit 4"], demux=True)
        assert res.exit_code == 4
        assert res.output == (b"out\n", b"err\n")
        res = c.exec_run("echo both")
        assert (res.exit_code, res.output) == (0, b"both\n")
    finally:
        c.remove(force=True)


def test_exec_with_stdin_half_close(client: Any) -> None:
    c = client.containers.run("bb:1", ["sleep", "60"], network_mode="none", detach=True)
    try:
        eid = client.api.exec_create(c.id, ["cat"], stdin=True)["Id"]
        sock = client.api.exec_start(eid, socket=True)
        raw = sock._sock
        raw.sendall(b"hello\n")
        raw.shutdown(1)  # half-close: the end of cat's stdin, output must still come
        data = b""
        while chunk := raw.recv(4096):
            data += chunk
        sock.close()
        raw.close()
        assert data == b"\x01\x00\x00\x00\x00\x00\x00\x06hello\n"
        assert client.api.exec_inspect(eid)["ExitCode"] == 0
    finally:
        c.remove(force=True)


def test_attach_with_stdin_before_start(client: Any) -> None:
    cid = client.api.create_container("bb:1", ["cat"], stdin_open=True,
                                      host_config={"NetworkMode": "none"})["Id"]
    try:
        sock = client.api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stream": 1})
        client.api.start(cid)
        raw = sock._sock
        raw.sendall(b"ping\n")
        raw.shutdown(1)
        data = b""
        while chunk := raw.recv(4096):
            data += chunk
        sock.close()
        raw.close()
        assert data == b"\x01\x00\x00\x00\x00\x00\x00\x05ping\n"
        assert client.api.wait(cid)["StatusCode"] == 0
    finally:
        client.api.remove_container(cid, force=True)


def test_put_and_get_archive(client: Any) -> None:
    c = client.containers.create("bb:1", ["true"], network_mode="none")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("f.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    assert c.put_archive("/tmp", buf.getvalue())
    chunks, stat = c.get_archive("/tmp/f.txt")
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        member = tar.extractfile("f.txt")
        assert member is not None and member.read() == b"abc"
    assert stat["name"] == "f.txt" and stat["size"] == 3
    c.remove()


def test_commit_and_prune(client: Any) -> None:
    c = client.containers.run("bb:1", ["sh", "-c", "echo x > /made"], network_mode="none",
                              detach=True)
    c.wait()
    assert {"Path": "/made", "Kind": 1} in c.diff()
    image_id = client.api.commit(c.id, "committed", "1")["Id"]  # image inspect is not here
    assert image_id.startswith("sha256:")
    out = client.containers.run("committed:1", ["cat", "/made"], network_mode="none",
                                remove=True)
    assert out == b"x\n"
    pruned = client.containers.prune()
    assert c.id in pruned["ContainersDeleted"]
    assert client.containers.list(all=True) == []


def test_lifecycle_verbs(client: Any) -> None:
    import docker

    c = client.containers.run("bb:1", ["sleep", "60"], network_mode="none", detach=True)
    try:
        c.pause()
        c.reload()
        assert c.status == "paused"
        c.unpause()
        c.kill()
        assert c.wait()["StatusCode"] == 137
        c.start()
        c.reload()
        assert c.status == "running"
        c.restart(timeout=0)
        c.reload()
        assert c.status == "running"
        c.stop(timeout=0)
        c.reload()
        assert c.attrs["State"]["ExitCode"] == 137
        listed = client.api.containers(all=True, filters={"name": "nosuch"})
        assert listed == []
        assert [x["Id"] for x in client.api.containers(all=True, size=True)] == [c.id]
        with pytest.raises(docker.errors.APIError) as exc:
            client.api.top(c.id)
        assert exc.value.status_code in (200, 409, 501)
    finally:
        c.remove(force=True)
    with pytest.raises(docker.errors.NotFound):
        client.api.inspect_container(c.id)


def test_logs_timestamps_and_tail(client: Any) -> None:
    c = client.containers.run("bb:1", ["sh", "-c", "echo a; echo b; echo c"],
                              network_mode="none", detach=True)
    c.wait()
    assert c.logs(tail=1) == b"c\n"
    stamped = c.logs(timestamps=True).splitlines()
    assert len(stamped) == 3 and stamped[0].endswith(b"Z a")
    c.remove()


def test_tty_logs_are_raw(client: Any) -> None:
    c = client.containers.run("bb:1", ["echo", "tty"], network_mode="none", tty=True,
                              detach=True)
    c.wait()
    assert client.api.logs(c.id) == b"tty\r\n"  # no 8-byte frame headers with a tty
    c.remove()


@pytest.mark.parametrize("body", [b"[]", b'{"Image": "bb:1", "HostConfig": "x"}',
                                  b'{"Image": "bb:1", "HostConfig": {"PortBindings": 3}}',
                                  b'{"Image": "bb:1", "HostConfig": {"Mounts": [1]}}',
                                  b"{not json"])
def test_hostile_create_body_is_400(client: Any, body: bytes) -> None:
    res = client.api._post(client.api._url("/containers/create"), data=body,
                           headers={"Content-Type": "application/json"})
    assert res.status_code == 400, res.text
    assert set(res.json()) == {"message"}


def test_start_attach_of_exited_container_waits_for_next_exit(client: Any) -> None:
    c = client.containers.run("bb:1", ["sh", "-c", "sleep 0.5; exit 7"], network_mode="none",
                              detach=True)
    assert c.wait()["StatusCode"] == 7
    res = client.api._post(client.api._url("/containers/{0}/wait", c.id),
                           params={"condition": "next-exit"}, stream=True)
    c.start()
    assert res.json()["StatusCode"] == 7
    res.close()
    c.remove()


def test_exec_tty_and_attach_logs(client: Any) -> None:
    c = client.containers.run("bb:1", ["sh", "-c", "echo early; sleep 60"],
                              network_mode="none", detach=True)
    try:
        res = c.exec_run(["sh", "-c", "echo t; echo e >&2"], tty=True)
        assert (res.exit_code, res.output) == (0, b"t\r\ne\r\n")  # one pty, raw
        for _ in range(50):
            if c.logs():
                break
            time.sleep(0.1)
        assert client.api.attach(c.id, logs=True, stream=False) == b"early\n"
        since = client.api.logs(c.id, since=int(time.time()) + 5)
        assert since == b""
    finally:
        c.remove(force=True)


def test_attach_waiting_for_start_is_dropped_with_its_client(client: Any) -> None:
    cid = client.api.create_container("bb:1", ["echo", "x"],
                                      host_config={"NetworkMode": "none"})["Id"]
    sock = client.api.attach_socket(cid, params={"stdout": 1, "stream": 1})
    sock._sock.close()
    sock.close()
    time.sleep(0.3)
    client.api.start(cid)  # no attach left to hand the connection to: a plain start
    assert client.api.wait(cid)["StatusCode"] == 0
    assert client.api.logs(cid) == b"x\n"
    client.api.remove_container(cid)


def test_many_pending_waits_leave_the_service_answering(client: Any) -> None:
    """Waits (every `docker run` holds one) run on threads of their own: the shared pool's
    few threads stay free for other requests."""
    ids = [client.api.create_container("bb:1", ["sleep", "30"],
                                       host_config={"NetworkMode": "none"})["Id"]
           for _ in range(8)]
    waits = [client.api._post(client.api._url("/containers/{0}/wait", cid),
                              params={"condition": "next-exit"}, stream=True) for cid in ids]
    try:
        started = time.monotonic()
        assert len(client.api.containers(all=True)) == 8
        assert time.monotonic() - started < 10
    finally:
        for res in waits:
            res.close()
        for cid in ids:
            client.api.remove_container(cid, force=True)


def test_put_archive_hostile_tar_is_refused(client: Any) -> None:
    import docker

    c = client.containers.create("bb:1", ["true"], network_mode="none")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("../../../../escaped")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    try:
        with pytest.raises(docker.errors.APIError) as exc:
            c.put_archive("/tmp", buf.getvalue())
        assert exc.value.status_code == 400
        with pytest.raises(docker.errors.APIError):
            c.put_archive("/tmp", b"not a tar at all" * 64)
    finally:
        c.remove()
