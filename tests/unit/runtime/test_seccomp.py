"""The translation of docker's template seccomp profile into a container's OCI section, checked
against rules of the real file (Debian's golang-github-docker-docker-dev) and moby's fixtures."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from scow.errors import InvalidArgument
from scow.runtime.capabilities import DEFAULT_CAPS, container_caps
from scow.runtime.seccomp import (
    DEFAULT_PROFILE,
    UNCONFINED,
    kernel_version,
    read_profile,
    seccomp_section,
    translate,
)

FIXTURES = os.path.join(os.path.dirname(DEFAULT_PROFILE), "fixtures")
needs_profile = pytest.mark.skipif(not os.path.exists(DEFAULT_PROFILE),
                                   reason="missing tool: docker's seccomp profile "
                                          "(golang-github-docker-docker-dev)")


def section(caps: list[str] | tuple[str, ...] = DEFAULT_CAPS, arch: str = "amd64",
            kernel: tuple[int, int] = (6, 1)) -> dict[str, Any]:
    out = seccomp_section("", list(caps), arch=arch, kernel=kernel)
    assert out is not None
    return out


def allowed(sec: dict[str, Any]) -> set[str]:
    return {n for r in sec["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" and not r.get("args")
            for n in r["names"]}


def rules_for(sec: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [r for r in sec["syscalls"] if name in r["names"]]


@needs_profile
def test_default_caps_on_amd64() -> None:
    sec = section()
    assert sec["defaultAction"] == "SCMP_ACT_ERRNO"
    assert sec["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    names = allowed(sec)
    assert {"read", "arch_prctl", "modify_ldt", "ptrace", "chroot"} <= names
    assert not {"unshare", "mount", "setns", "bpf", "reboot", "kcmp", "syslog"} & names
    clone = rules_for(sec, "clone")  # only without the namespace flags
    assert clone == [{"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                      "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}]}]
    assert rules_for(sec, "clone3") == [
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]  # ENOSYS
    assert all("includes" not in r and "excludes" not in r and "comment" not in r
               for r in sec["syscalls"])


@needs_profile
def test_sys_admin_gets_the_conditional_rules() -> None:
    sec = section(container_caps(["SYS_ADMIN"], []))
    assert {"unshare", "mount", "setns", "clone", "clone3", "bpf"} <= allowed(sec)
    assert all(not r.get("args") for r in rules_for(sec, "clone"))  # the masked rule is gone
    assert not any(r["action"] == "SCMP_ACT_ERRNO" for r in rules_for(sec, "clone3"))


@needs_profile
def test_other_caps_arches_and_kernels() -> None:
    assert {"kcmp", "process_vm_readv"} <= allowed(section(container_caps(["SYS_PTRACE"], [])))
    assert "chroot" not in allowed(section(container_caps([], ["SYS_CHROOT"])))
    assert "ptrace" not in allowed(section(kernel=(4, 4)))  # minKernel 4.8
    arm = section(arch="arm64")
    assert arm["architectures"] == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
    assert "arch_prctl" not in allowed(arm) and "arm_fadvise64_64" in allowed(arm)
    s390 = section(arch="s390x")  # the clone rule for s390 takes its flags in arg 1
    assert [a["index"] for r in rules_for(s390, "clone") for a in r.get("args", [])] == [1]


def test_unconfined_and_empty_profiles_have_no_filter() -> None:
    assert seccomp_section(UNCONFINED, DEFAULT_CAPS) is None
    assert seccomp_section("{}", DEFAULT_CAPS) is None


@pytest.mark.skipif(not os.path.isdir(FIXTURES), reason="missing tool: moby's seccomp fixtures "
                                                   "(golang-github-docker-docker-dev)")
def test_moby_conditional_include_fixture() -> None:
    with open(os.path.join(FIXTURES, "conditional_include.json"), encoding="utf-8") as f:
        doc = json.load(f)
    out = translate(doc, ["CAP_SYSLOG"], arch="amd64", kernel=(6, 1))
    assert out is not None
    assert [r["names"] for r in out["syscalls"]] == [["chmod"], ["syslog"], ["ptrace"]]
    out = translate(doc, ["CAP_SYS_ADMIN"], arch="amd64", kernel=(6, 1))
    assert out is not None and [r["names"] for r in out["syscalls"]] == [["chmod"]]


def test_newer_fields_are_kept() -> None:
    doc = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
           "flags": ["SECCOMP_FILTER_FLAG_LOG"], "architectures": ["SCMP_ARCH_X86_64"],
           "syscalls": [{"name": "read", "action": "SCMP_ACT_ALLOW",
                         "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}]}
    assert translate(doc, [], arch="amd64", kernel=(6, 1)) == {
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
        "flags": ["SECCOMP_FILTER_FLAG_LOG"], "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                      "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]}


@pytest.mark.parametrize("text,message", [
    ("[1]", "not a JSON object"),
    ("{", "expecting"),
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
    ('{"defaultAction":"SCMP_ACT_ERRNO","architectures":["x"],"archMap":[{}]}',
     "'architectures' and 'archMap'"),
    ('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"]}]}',
     "syscalls[0]: 'name' and 'names'"),
    ('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[7]}', "syscalls[0]: not an object"),
    ('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"includes":{"minKernel":"4"}}]}',
     "syscalls[0].includes.minKernel: invalid kernel version"),
    ('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":"read"}]}',
     "syscalls[0].names: not a list of strings"),
    ('{"defaultAction":1}', "defaultAction: not a string"),
])
def test_hostile_profiles_are_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        seccomp_section(text, DEFAULT_CAPS)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith("load seccomp profile")


def test_read_profile_compacts_and_names_the_file(tmp_path: Any) -> None:
    path = tmp_path / "p.json"
    path.write_text('{\n  "defaultAction": "SCMP_ACT_LOG"\n}\n')
    assert read_profile(str(path)) == '{"defaultAction":"SCMP_ACT_LOG"}'
    with pytest.raises(InvalidArgument, match="open seccomp profile .*/nope: no such file"):
        read_profile(str(tmp_path / "nope"))


def test_kernel_version() -> None:
    assert kernel_version("6.1.0-18-amd64") == (6, 1)
    assert kernel_version("3.12-rc5") == (3, 12)
    assert kernel_version() >= (3, 0)
