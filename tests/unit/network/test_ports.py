"""docker's -p syntax → HostConfig.PortBindings, and hostile specs → one-line errors."""

from __future__ import annotations

import pytest

from scow.errors import InvalidArgument
from scow.network.ports import parse_publish


@pytest.mark.parametrize(("spec", "want"), [
    ("8080:80", {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}),
    ("127.0.0.1:8080:80", {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}),
    ("80", {"80/tcp": [{"HostIp": "", "HostPort": ""}]}),
    ("53:53/udp", {"53/udp": [{"HostIp": "", "HostPort": "53"}]}),
    ("127.0.0.1::80", {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}),
    ("[::1]:8080:80", {"80/tcp": [{"HostIp": "::1", "HostPort": "8080"}]}),
    ("8000-8001:80-81", {"80/tcp": [{"HostIp": "", "HostPort": "8000"}],
                         "81/tcp": [{"HostIp": "", "HostPort": "8001"}]}),
])
def test_publish_specs(spec: str, want: dict[str, object]) -> None:
    assert parse_publish([spec]) == want


@pytest.mark.parametrize("spec", ["0:80", "8080:99999", "x:80", "1.2.3:8080:80", "80/icmp",
                                  "8000-8002:80-81", "a:b:c:d", "[::1]80"])
def test_hostile_specs_are_one_line_errors(spec: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_publish([spec])
    assert "\n" not in str(info.value) and spec in str(info.value)


def test_ps_ports_as_docker_prints_them() -> None:
    """The oracle: docker 28's `ps` for `-p 18089:80 -p 127.0.0.1:18090:53/udp`
    (bench/network_docker.py printed it from a private dockerd)."""
    from scow.engine.network_files import display_ports

    ports = {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18089"},
                        {"HostIp": "::", "HostPort": "18089"}],
             "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "18090"}], "443/tcp": None}
    assert display_ports(ports) == ("443/tcp, 127.0.0.1:18090->53/udp, 0.0.0.0:18089->80/tcp, "
                                    "[::]:18089->80/tcp")  # groups first (DisplayablePorts)


def test_ps_ports_groups_ranges_as_docker() -> None:
    from scow.engine.network_files import display_ports

    ports = {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "80"}],
             "81/tcp": [{"HostIp": "0.0.0.0", "HostPort": "81"}],
             "7000/tcp": None, "7001/tcp": None, "9000/udp": None}
    assert display_ports(ports) == "0.0.0.0:80-81->80-81/tcp, 7000-7001/tcp, 9000/udp"
