"""The image, build, volume, network and system routes driven by the docker CLI 28 and
docker-py against `scow system service` (a subprocess on a temp socket and root)."""

from __future__ import annotations

import io
import json
import tarfile
import time
from pathlib import Path

import pytest
from tests.api.conftest import Service
from tests.integration.conftest import start_registry


def context_tar(dockerfile: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = dockerfile.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_version_negotiation(service: Service) -> None:
    status, headers, body = service.request("HEAD", "/_ping")
    assert status == 200 and body == b""
    assert headers["Api-Version"] == "1.41" and headers["Ostype"] == "linux"
    assert headers["Docker-Experimental"] == "false"
    assert headers["Cache-Control"] == "no-cache, no-store, must-revalidate"
    assert service.request("GET", "/v1.41/_ping")[2] == b"OK"
    status, _, body = service.request("GET", "/v1.11/version")
    assert status == 400 and b"client version 1.11 is too old" in body
    out = service.docker("version").stdout
    assert "1.41 (downgraded from" in out
    client = service.client()
    try:
        assert client.api_version == "1.41"
        assert client.version()["ApiVersion"] == "1.41"
        assert client.info()["Images"] == len(client.images(all=True))
    finally:
        client.close()


def test_images_with_the_docker_cli(service: Service) -> None:
    out = service.docker("image", "ls", "--filter", "reference=base*").stdout
    assert out.splitlines()[1].split()[:2] == ["base", "1"]
    image_id = service.docker("image", "inspect", "--format", "{{.Id}}", "base:1").stdout
    assert image_id.strip().startswith("sha256:")
    service.docker("tag", "base:1", "127.0.0.1:5000/team/base:2")
    out = service.docker("image", "inspect", "--format", "{{json .RepoTags}}",
                         "127.0.0.1:5000/team/base:2").stdout
    assert json.loads(out) == ["127.0.0.1:5000/team/base:2", "base:1"] or \
        sorted(json.loads(out)) == ["127.0.0.1:5000/team/base:2", "base:1"]
    assert "Imported from -" in service.docker("history", "base:1").stdout
    out = service.docker("rmi", "127.0.0.1:5000/team/base:2").stdout
    assert out.strip() == "Untagged: 127.0.0.1:5000/team/base:2"
    bad = service.docker("image", "inspect", "nothere", check=False)
    assert bad.returncode == 1 and "No such image: nothere" in bad.stderr


def test_build_streams_the_classic_builder(service: Service) -> None:
    client = service.client()
    try:
        tar = context_tar("FROM base:1\nRUN echo built > /x\nLABEL a=b\n")
        events = list(client.build(fileobj=io.BytesIO(tar), custom_context=True,
                                   tag="app:1", decode=True, rm=True))
        streams = "".join(e.get("stream", "") for e in events)
        assert "Step 1/2 : FROM base:1\n" in streams
        assert "Successfully tagged app:1" in streams
        image_id = next(e["aux"]["ID"] for e in events if "aux" in e)
        assert f"Successfully built {image_id[7:19]}" in streams
        assert client.inspect_image("app:1")["Config"]["Labels"] == {"a": "b"}
        bad = context_tar("FROM base:1\nRUN exit 3\n")
        events = list(client.build(fileobj=io.BytesIO(bad), custom_context=True,
                                   decode=True))
        assert "error" in events[-1] and events[-1]["errorDetail"]["message"]
        unknown = service.request("POST", "/build?remote=https://example.invalid/x.tar")
        assert unknown[0] == 400 and b"only a git repository URL" in unknown[2]
        for query, named in (("pull=1", b"pull"), ("cachefrom=x", b"cachefrom"),
                             ("memory=1000000", b"memory"), ("bogus=1", b"bogus")):
            status, _, body = service.request("POST", f"/build?{query}", body=tar)
            assert status == 400 and named in body, (query, body)
    finally:
        client.close()
    assert service.docker("builder", "prune", "-f").stdout == "Total reclaimed space: 0B\n"
    out = service.docker("build", "-q", "-t", "app:2", "-", input=tar.replace(
        b"echo built", b"echo again")).stdout
    assert out.strip().startswith("sha256:")


def test_save_load_and_rmi(service: Service, tmp_path: Path) -> None:
    archive = tmp_path / "base.tar"
    service.docker("save", "-o", str(archive), "base:1")
    out = service.docker("rmi", "base:1").stdout
    assert "Untagged: base:1" in out and "Deleted: sha256:" in out
    assert service.docker("load", "-i", str(archive)).stdout.strip() == "Loaded image: base:1"
    client = service.client()
    try:
        data = b"".join(client.get_image("base:1"))
        client.remove_image("base:1")
        messages = list(client.load_image(data))  # read to the end: the response is closed
        assert {"stream": "Loaded image: base:1\n"} in messages
        assert client.inspect_image("base:1")["RepoTags"] == ["base:1"]
        with pytest.raises(Exception, match="No such image"):
            client.remove_image("base:9")
    finally:
        client.close()


def test_pull_and_push_through_a_registry(service: Service, tmp_path: Path) -> None:
    (tmp_path / "registry").mkdir()
    registry = start_registry(tmp_path / "registry")
    try:
        name = f"{registry.domain}/team/base"
        service.docker("tag", "base:1", f"{name}:1")
        out = service.docker("push", f"{name}:1").stdout
        assert "digest: sha256:" in out
        service.docker("rmi", f"{name}:1")
        service.docker("pull", f"{name}:1")
        digests = service.docker("image", "inspect", "--format", "{{json .RepoDigests}}",
                                 f"{name}:1").stdout
        assert f"{name}@sha256:" in digests
        service.docker("tag", "base:1", f"{name}:2")
        service.docker("push", f"{name}:2")
        service.docker("rmi", f"{name}:1", f"{name}:2")
        service.docker("pull", "-a", name)
        tags = service.docker("image", "ls", "--format", "{{.Tag}}", name).stdout.split()
        assert sorted(tags) == ["1", "2"]
        missing = service.docker("pull", f"{name}:nope", check=False)
        assert missing.returncode == 1
        assert missing.stderr.startswith("Error response from daemon: ") and not missing.stdout
    finally:
        registry.stop()


def test_volumes_and_networks(service: Service) -> None:
    import docker

    client = docker.DockerClient(base_url=f"unix://{service.sock}", version="auto")
    try:
        volume = client.volumes.create("data", labels={"k": "v"})
        assert volume.name == "data"
        assert [v.name for v in client.volumes.list(filters={"label": "k=v"})] == ["data"]
        assert client.volumes.list(filters={"name": "nothing"}) == []
        volume.remove()
        with pytest.raises(docker.errors.NotFound):
            client.volumes.get("data")
        net = client.networks.create("backend", labels={"tier": "db"})
        assert client.networks.get("backend").id == net.id
        names = {n.name for n in client.networks.list()}
        assert {"backend", "bridge", "host", "none"} <= names
        assert [n.name for n in client.networks.list(filters={"label": "tier=db"})] == [
            "backend"]
        net.remove()
        with pytest.raises(docker.errors.NotFound):
            client.networks.get("backend")
        assert client.df()["Images"][0]["RepoTags"] == ["base:1"]
    finally:
        client.close()
    bad = service.docker("volume", "create", "x", check=False)  # docker's rule: 2+ characters
    assert bad.stderr.startswith('Error response from daemon: create x: "x" includes invalid')
    service.docker("network", "create", "--label", "a=b", "front")
    assert service.docker("network", "inspect", "-f", "{{.Labels.a}}", "front").stdout == "b\n"
    refused = service.docker("network", "create", "--ipv6", "v6", check=False)
    assert refused.stderr == ("Error response from daemon: create network: EnableIPv6 is not "
                              "supported by scow\n")
    assert service.docker("volume", "create", "v2").stdout.strip() == "v2"
    assert "v2" in service.docker("volume", "ls", "-q").stdout
    service.docker("volume", "rm", "v2")


def test_events_stream_until(service: Service) -> None:
    started = time.monotonic()
    status, _, body = service.request("GET", f"/events?until={int(time.time()) + 1}")
    assert status == 200  # dockerd: with `until` and no `since`, the past events up to it
    assert all(json.loads(line)["Type"] for line in body.splitlines())
    assert time.monotonic() - started < 5


def test_events_include_what_a_cli_process_did(service: Service) -> None:
    """/events replays the root's log: a tag made by a scow CLI process on the same root, and
    one made through the API, in order, filtered by type; the docker CLI prints them."""
    since = time.time() - 1
    service.scow("tag", "base:1", "from-cli:1")
    service.docker("tag", "base:1", "from-api:1")
    with service.client() as client:
        seen = list(client.events(since=since, until=time.time() + 1, decode=True,
                                  filters={"type": "image"}))
    tags = [e["Actor"]["Attributes"]["name"] for e in seen if e["Action"] == "tag"
            and e["Actor"]["Attributes"]["name"].startswith("from-")]
    assert tags == ["from-cli:1", "from-api:1"]
    assert all(e["Type"] == "image" and e["scope"] == "local" for e in seen)
    out = service.docker("events", "--since", str(int(since)), "--until",
                         str(int(time.time()) + 1), "--filter", "event=tag").stdout
    assert "image tag" in out and "name=from-cli:1" in out


def test_import_from_a_url_and_bad_auth(service: Service, busybox_tar: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    data = busybox_tar.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200 if self.path == "/rootfs.tar" else 404)
            self.send_header("Content-Length", str(len(data) if self.path == "/rootfs.tar"
                                                   else 0))
            self.end_headers()
            if self.path == "/rootfs.tar":
                self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        status, _, body = service.request(
            "POST", f"/images/create?fromSrc={url}/rootfs.tar&repo=fromurl&tag=2")
        assert status == 200 and json.loads(body)["status"].startswith("sha256:")
        out = service.docker("history", "--format", "{{.Comment}}", "fromurl:2").stdout
        assert out.strip() == f"Imported from {url}/rootfs.tar"
        status, _, body = service.request(
            "POST", f"/images/create?fromSrc={url}/missing.tar&repo=nope")
        assert status == 400 and b"HTTP 404" in body
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    status, _, body = service.request("POST", "/images/create?fromImage=x&tag=1",
                                      headers={"X-Registry-Auth": "!!!"})
    assert status == 400 and b"decode X-Registry-Auth" in body


def test_login_and_push_with_basic_auth(service: Service, tmp_path: Path) -> None:
    import subprocess

    from tests.integration.conftest import PASSWORD, USER, make_cert
    from tests.tools import require_tool

    htpasswd = require_tool("htpasswd", package="apache2-utils")
    home = tmp_path / "registry"
    home.mkdir()
    users = home / "htpasswd"
    users.write_bytes(subprocess.run([htpasswd, "-Bbn", USER, PASSWORD], capture_output=True,
                                     check=True).stdout)
    registry = start_registry(home, cert=make_cert(home),
                              auth={"htpasswd": {"realm": "scow-test", "path": str(users)}})
    # TLS with a self-signed certificate: named insecure in the root's settings, which each
    # operation of the service reads afresh
    (service.root / "scow.toml").write_text(f'insecure-registries = ["{registry.domain}"]\n')
    try:
        bad = service.docker("login", "-u", USER, "-p", "wrong", registry.domain, check=False)
        assert bad.returncode == 1 and "Error response from daemon" in bad.stderr
        out = service.docker("login", "-u", USER, "-p", PASSWORD, registry.domain).stdout
        assert "Login Succeeded" in out
        service.docker("tag", "base:1", f"{registry.domain}/private/base:1")
        assert "digest: sha256:" in service.docker("push",
                                                   f"{registry.domain}/private/base:1").stdout
    finally:
        registry.stop()
