"""owns: the HostConfig fields of a container's cgroup and platform options made from
CreateOptions and checked with docker's messages: `Isolation`, `VolumeDriver`,
`CgroupnsMode` (`--cgroupns`), `DeviceCgroupRules` (`--device-cgroup-rule`) and
`MemorySwappiness` (`--memory-swappiness`). runtime/resources.py puts them in the spec."""

from __future__ import annotations

from scow.errors import InvalidArgument
from scow.runtime.resources import device_rule

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

    CreateOptions = Any  # config.CreateOptions (config imports this module: no import back)


def cgroup_host_config(opts: CreateOptions) -> dict[str, Any]:
    """HostConfig's Isolation, VolumeDriver, CgroupnsMode, DeviceCgroupRules and
    MemorySwappiness, checked as dockerd checks them at create."""
    if opts.isolation not in ("", "default"):
        raise InvalidArgument(f"invalid isolation {opts.isolation!r} on linux")
    if opts.cgroupns not in ("", "private", "host"):
        raise InvalidArgument(f"invalid cgroup namespace mode: {opts.cgroupns}")
    for rule in opts.device_cgroup_rules:
        if not isinstance(rule, str) or device_rule(rule) is None:
            raise InvalidArgument(f"invalid device cgroup format '{rule}'")
    swappiness = opts.memory_swappiness
    if swappiness is not None and swappiness != -1 and not 0 <= swappiness <= 100:
        raise InvalidArgument(f"Invalid value: {swappiness}, valid memory swappiness range "
                              "is 0-100")
    _check_volume_driver(opts)
    out: dict[str, Any] = {"Isolation": opts.isolation, "VolumeDriver": opts.volume_driver,
                           "CgroupnsMode": opts.cgroupns or "host"}
    if opts.device_cgroup_rules:
        out["DeviceCgroupRules"] = list(opts.device_cgroup_rules)
    if swappiness is not None and swappiness != -1:
        out["MemorySwappiness"] = swappiness
    return out


def _check_volume_driver(opts: CreateOptions) -> None:
    """A driver other than local is kept (dockerd keeps it) but no volume of the container
    may need it: scow has the local driver only."""
    if opts.volume_driver in ("", "local"):
        return
    named = [v for v in opts.volumes if not v.split(":", 1)[0].startswith("/")]
    named += [m for m in opts.mounts if "type=volume" in m.split(",")]
    if named:
        raise InvalidArgument(f"create container: volume driver {opts.volume_driver!r} is "
                              "not supported by scow (only local)")

