"""POST /containers/create's body → CreateOptions: the CLI's full body (every field, mostly
empty) and docker-py's sparse one map; a field scow lacks is refused by name."""

from __future__ import annotations

import json

import pytest

from scow.api.create_body import create_options
from scow.errors import InvalidArgument

# docker CLI 28's body for `run -dit --network none … sh` (engine-api-trace.md §4.7)
CLI_BODY = json.loads("""{"Hostname":"","Domainname":"","User":"","AttachStdin":false,
"AttachStdout":false,"AttachStderr":false,"Tty":true,"OpenStdin":true,"StdinOnce":false,
"Env":null,"Cmd":["sh"],"Image":"trace_final:1.0","Volumes":{},"WorkingDir":"",
"Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"",
"LogConfig":{"Type":"","Config":{}},"NetworkMode":"none","PortBindings":{},
"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"",
"VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"",
"Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"",
"Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,
"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"",
"UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,
"CgroupParent":"","BlkioWeight":0,"MemorySwappiness":-1,"OomKillDisable":false,
"PidsLimit":0,"Ulimits":[],"MaskedPaths":null,"ReadonlyPaths":null},
"NetworkingConfig":{"EndpointsConfig":{}}}""")


def test_cli_body_maps() -> None:
    opts = create_options(CLI_BODY, "c1")
    assert (opts.image, opts.cmd, opts.tty, opts.stdin_open, opts.network, opts.name) == \
        ("trace_final:1.0", ["sh"], True, True, "none", "c1")


def test_sparse_body_gets_defaults() -> None:
    opts = create_options({"Image": "bb:1", "HostConfig": {"NetworkMode": "none"}}, None)
    assert (opts.network, opts.name, opts.log_opts, opts.auto_remove) == ("none", None, {},
                                                                         False)


def test_ports_mounts_binds_and_env() -> None:
    opts = create_options({
        "Image": "bb:1", "Env": ["A=1"], "Volumes": {"/anon": {}},
        "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
                       "Binds": ["/src:/dst:ro"],
                       "Mounts": [{"Type": "volume", "Source": "v", "Target": "/v",
                                   "ReadOnly": True}]},
        "NetworkingConfig": {"EndpointsConfig": {"net1": {"Aliases": ["web"]}}}}, None)
    assert opts.publish == ["8080:80/tcp"]
    assert opts.volumes == ["/anon", "/src:/dst:ro"]
    assert opts.mounts == ["type=volume,source=v,target=/v,readonly"]
    assert (opts.env, opts.network_aliases) == (["A=1"], ["web"])


@pytest.mark.parametrize(("section", "field", "value"), [
    ("HostConfig", "OomScoreAdj", 5), ("HostConfig", "Links", ["a:b"]),
    ("HostConfig", "VolumesFrom", ["c"]), ("HostConfig", "Isolation", "hyperv"),
    ("Config", "Healthcheck", {"Test": ["x"]}),
])
def test_unimplemented_fields_are_refused_by_name(section: str, field: str,
                                                  value: object) -> None:
    body: dict[str, object] = {"Image": "bb:1"}
    if section == "HostConfig":
        body["HostConfig"] = {field: value}
    else:
        body[field] = value
    with pytest.raises(InvalidArgument, match=field):
        create_options(body, None)


def test_restart_policy_and_healthcheck_are_taken() -> None:
    """compose 1.29 sends both (issue 14's library has them)."""
    opts = create_options({"Image": "bb:1", "HostConfig": {"RestartPolicy": {
        "Name": "on-failure", "MaximumRetryCount": 3}}, "Healthcheck": {
        "Test": ["CMD", "wget", "-q", "http://localhost/"], "Interval": 1_000_000_000,
        "Retries": 3}}, None)
    assert opts.restart == "on-failure:3"
    assert opts.health is not None and opts.health.test == ("CMD", "wget", "-q",
                                                            "http://localhost/")
    assert (opts.health.interval, opts.health.retries) == (1.0, 3)
    opts = create_options({"Image": "bb:1", "Healthcheck": {"Test": ["NONE"]}}, None)
    assert opts.health is not None and opts.health.disable


def test_port_bindings_keep_the_address_without_a_port_and_ipv6() -> None:
    opts = create_options({"Image": "bb:1", "HostConfig": {"PortBindings": {
        "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
        "81/tcp": [{"HostIp": "::", "HostPort": "8080"}],
        "82/udp": [{"HostIp": "::1", "HostPort": ""}, {"HostIp": "", "HostPort": ""}]}}},
        None)
    assert opts.publish == ["127.0.0.1::80/tcp", "[::]:8080:81/tcp", "[::1]::82/udp",
                            "82/udp"]


def test_resources_restart_log_and_health_fields() -> None:
    """The HostConfig fields the library has (issue 14) map to its options."""
    opts = create_options({
        "Image": "bb:1", "Healthcheck": {"Test": ["CMD", "echo", "a b"], "Interval": 10**9,
                                         "Retries": 2},
        "HostConfig": {"Memory": 1 << 20, "NanoCpus": 5 * 10**8, "PidsLimit": 0,
                       "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
                       "LogConfig": {"Type": "none", "Config": {}},
                       "Tmpfs": {"/t": "size=1m", "/u": ""},
                       "Devices": [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/n",
                                    "CgroupPermissions": "rw"}],
                       "Init": True, "IpcMode": "shareable", "ShmSize": 1 << 26}}, None)
    assert (opts.memory, opts.nano_cpus, opts.pids_limit) == (1 << 20, 5 * 10**8, None)
    assert (opts.restart, opts.log_driver) == ("on-failure:3", "none")
    assert opts.tmpfs == ["/t:size=1m", "/u"]
    assert opts.devices == ["/dev/null:/dev/n:rw"]
    assert (opts.init, opts.ipc, opts.shm_size) == (True, "shareable", 1 << 26)
    assert opts.health is not None
    assert opts.health.test == ("CMD", "echo", "a b")
    assert (opts.health.interval, opts.health.retries) == (1, 2)
