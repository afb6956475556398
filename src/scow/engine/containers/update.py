"""owns: docker update: a container's resources (`--memory`, `--cpus`, `--pids-limit`...)
and restart policy changed in its stored HostConfig, and, while it runs, in its cgroups by
`runc update`; the resources also in its bundle's `linux.resources` (the monitor's next run
of it, on a restart policy, is made from the bundle), the restart policy also written for its
monitor (runtime/monitor.write_restart_policy). Everything is checked before anything is
stored; the restart policy by runtime/restart.py, as at create."""

from __future__ import annotations

from scow.engine.containers.base import ContainerBase
from scow.errors import Conflict, InvalidArgument

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

    from scow.store.containers import ContainerRecord


_KWARGS = {"mem_limit": "Memory", "memswap_limit": "MemorySwap",
           "mem_reservation": "MemoryReservation", "nano_cpus": "NanoCpus",
           "cpu_shares": "CpuShares", "cpu_period": "CpuPeriod", "cpu_quota": "CpuQuota",
           "cpuset_cpus": "CpusetCpus", "cpuset_mems": "CpusetMems",
           "pids_limit": "PidsLimit", "blkio_weight": "BlkioWeight"}


def resources_of(kwargs: dict[str, Any]) -> dict[str, Any]:
    """HostConfig fields from docker-py's update arguments ("512m" sizes parsed)."""
    from scow.format.units import parse_size

    out = {}
    for key, value in kwargs.items():
        if key not in _KWARGS:
            raise InvalidArgument(f"update container: unknown argument {key!r}")
        if key.startswith("mem") and isinstance(value, str):
            value = -1 if value == "-1" else parse_size(value)
        out[_KWARGS[key]] = value
    return out


class ContainerUpdate(ContainerBase):
    def update(self, name: str, resources: dict[str, Any] | None = None,
               restart_policy: dict[str, Any] | str | None = None) -> list[str]:
        """docker update NAME: `resources` HostConfig fields (Memory, MemorySwap,
        MemoryReservation, NanoCpus, CpuShares, CpuPeriod, CpuQuota, CpusetCpus, CpusetMems,
        PidsLimit, BlkioWeight) and/or a restart policy (a dict or docker's --restart text);
        the warnings (none today)."""
        from scow.engine.containers.resources import UPDATABLE, verify
        from scow.runtime.resources import check_host

        record = self.records.get(name)
        changes = dict(resources or {})
        unknown = set(changes) - set(UPDATABLE)
        if unknown:
            raise InvalidArgument(f"update container: unknown resource {sorted(unknown)[0]!r}")
        if not changes and restart_policy is None:
            raise InvalidArgument("you must provide one or more flags when using this command")
        host = dict(record.doc["HostConfig"])
        merged = _merge(host, changes, record.id)
        verify(merged, update=True)
        check_host(merged)
        if restart_policy is not None:
            merged["RestartPolicy"] = _checked_policy(restart_policy, host)
        if changes:
            self._apply(record, changes, merged)
        self.records.patch_doc(record.id, {"HostConfig": merged})
        if restart_policy is not None:
            from scow.runtime.monitor import write_restart_policy

            write_restart_policy(self.folder(record.id), merged["RestartPolicy"])
        self.event(record, "update")
        return []

    def _apply(self, record: ContainerRecord, changes: dict[str, Any], host: dict[str, Any]
               ) -> None:
        """`host`'s resources in the running container's cgroups (`runc update`) and in its
        bundle, which the monitor re-creates it from on a policy restart."""
        from scow.runtime.resources import linux_resources, update
        from scow.runtime.spec import rewrite_resources

        st = self.state(record)
        if st is not None and st.status == "running":
            unlimited = "PidsLimit" in changes and (changes["PidsLimit"] or 0) <= 0
            update(self.runc.argv(), record.id, host, pids_unlimited=unlimited)
        rewrite_resources(self.folder(record.id), linux_resources(host))


def _checked_policy(value: dict[str, Any] | str, host: dict[str, Any]) -> dict[str, Any]:
    """The restart policy `value` (docker's --restart text or an API dict), checked before
    anything is stored, as at create (runtime/restart.py)."""
    from scow.runtime.restart import check_policy, parse_policy

    if isinstance(value, str):
        policy = parse_policy(value)
    else:
        policy = {"Name": value.get("Name") or "no",
                  "MaximumRetryCount": value.get("MaximumRetryCount") or 0}
        check_policy(policy)
    if host.get("AutoRemove") and policy["Name"] != "no":
        raise InvalidArgument("Restart policy cannot be updated because AutoRemove is "
                              "enabled for the container")
    return policy


def _merge(host: dict[str, Any], changes: dict[str, Any], container_id: str
           ) -> dict[str, Any]:
    """`host` with `changes` (moby's daemon/update_linux rules for memory and swap)."""
    out = dict(host)
    memory = changes.get("Memory") or 0
    if memory and memory > (host.get("MemorySwap") or 0) > 0 and not changes.get("MemorySwap"):
        raise Conflict(f"Cannot update container {container_id}: Memory limit should be "
                       "smaller than already set memoryswap limit, update the memoryswap at "
                       "the same time")
    for key, value in changes.items():
        if key == "PidsLimit":
            out[key] = value if value and value > 0 else None
        elif value or key in ("CpusetCpus", "CpusetMems"):
            out[key] = value
    return out


__all__ = ["ContainerUpdate"]
