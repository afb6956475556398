"""docker run/create -p through the service keep what the body says: an address without a
host port (`127.0.0.1::80`, an ephemeral port on that address) and IPv6 addresses."""

from __future__ import annotations

import json

import pytest
from tests.api.containers.conftest import Service
from tests.api.containers.test_containers_docker_cli import docker

pytestmark = pytest.mark.timeout(180)


def test_publish_an_address_without_a_port_and_ipv6(service: Service) -> None:
    assert docker(service, "network", "create", "pubnet").returncode == 0
    try:
        res = docker(service, "run", "-d", "--name", "pub1", "--network", "pubnet",
                     "-p", "127.0.0.1::80", "bb:1", "sleep", "60")
        assert res.returncode == 0, res.stderr
        res = docker(service, "port", "pub1", "80/tcp")
        assert res.returncode == 0, res.stderr
        ip, _, port = res.stdout.decode().strip().rpartition(":")
        assert ip == "127.0.0.1" and int(port) > 0
        res = docker(service, "create", "--name", "pub2", "--network", "pubnet",
                     "-p", "[::1]:18082:80", "bb:1", "true")
        assert res.returncode == 0, res.stderr
        res = docker(service, "inspect", "-f", "{{json .HostConfig.PortBindings}}", "pub2")
        assert json.loads(res.stdout) == {"80/tcp": [{"HostIp": "::1", "HostPort": "18082"}]}
    finally:
        docker(service, "rm", "-f", "pub1", "pub2")
        docker(service, "network", "rm", "pubnet")
