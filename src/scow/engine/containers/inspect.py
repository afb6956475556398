"""owns: `docker container inspect`'s object (the fields scow has, keys in docker's order),
its State, and a container's sizes (SizeRw, SizeRootFs)."""

from __future__ import annotations

import os

from scow.engine.containers.base import ContainerBase
from scow.engine.containers.records import HOST_DEFAULTS
from scow.errors import ContainerNotFound

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from scow.runtime.state import ContainerState
    from scow.store.containers import ContainerRecord


class ContainerInspection(ContainerBase):
    def inspect(self, name: str, *, size: bool = False) -> dict[str, Any]:
        """docker container inspect NAME: docker's JSON object."""
        record = self.records.find_known(name)  # the listing's rows while current
        if record is None:
            raise ContainerNotFound(f"No such container: {name}")
        return self._inspect(record, size)

    def _inspect(self, record: ContainerRecord, size: bool) -> dict[str, Any]:
        """docker container inspect's object (the fields scow has), keys in docker's order."""
        doc = record.doc
        folder = self.folder(record.id)
        driver = self.store.driver
        mount_id = record.mount_id or ""
        st = self.state(record)  # read once: State and RestartCount
        out: dict[str, Any] = {
            "Id": record.id, "Created": doc["Created"], "Path": doc["Path"], "Args": doc["Args"],
            "State": self._state_object(record, st), "Image": record.image_id,
            "ResolvConfPath": os.path.join(folder, "resolv.conf"),
            "HostnamePath": os.path.join(folder, "hostname"),
            "HostsPath": os.path.join(folder, "hosts"),
            "LogPath": os.path.join(folder, "container.log") if _file_logs(doc) else "",
            "Name": "/" + record.name, "RestartCount": st.restart_count if st else 0,
            "Driver": driver.name,
            "Platform": "linux", "MountLabel": "", "ProcessLabel": "", "AppArmorProfile": "",
            "ExecIDs": None, "HostConfig": {**HOST_DEFAULTS, **doc["HostConfig"]},
            "GraphDriver": {"Data": driver.metadata(mount_id) if mount_id else None,
                            "Name": driver.name},
        }
        if size:
            rw, root_fs = self.sizes(record.id)
            out["SizeRw"], out["SizeRootFs"] = rw, root_fs
        out["Mounts"] = [{"Type": m["Type"], "Name": m["Name"] or None,
                          "Source": m["Source"] or os.path.join(self.store.root, "volumes",
                                                                m["Name"], "_data"),
                          "Destination": m["Destination"], "Driver": "local" if m["Name"] else "",
                          "Mode": "", "RW": m["RW"],
                          # runc's bind mounts are rprivate unless asked, dockerd says so
                          "Propagation": "rprivate" if m["Type"] == "bind" else ""}
                         for m in doc.get("MountPoints", [])]
        out["Config"] = doc["Config"]
        out["NetworkSettings"] = network_settings(doc)  # scow network
        return out

    def inspect_state(self, record: ContainerRecord) -> dict[str, Any]:
        """docker inspect's State object."""
        return self._state_object(record, self.state(record))

    def _state_object(self, record: ContainerRecord, st: ContainerState | None) -> dict[str, Any]:
        """The State object of `record` whose run state `st` was read."""
        from scow.runtime.state import is_paused

        paused = is_paused(self.folder(record.id))
        zero = "0001-01-01T00:00:00Z"
        if st is None:
            return {"Status": "created", "Running": False, "Paused": False, "Restarting": False,
                    "OOMKilled": False, "Dead": False, "Pid": 0, "ExitCode": 0, "Error": "",
                    "StartedAt": zero, "FinishedAt": zero}
        running, restarting = st.status == "running", st.status == "restarting"
        return self._with_health(record, {"Status": "paused" if running and paused else st.status,
                "Running": running or restarting, "Paused": running and paused,
                "Restarting": restarting, "OOMKilled": st.oom_killed,
                "Dead": False, "Pid": st.pid if running else 0, "ExitCode": st.exit_code,
                "Error": st.error, "StartedAt": st.started_at, "FinishedAt": st.finished_at})

    def _with_health(self, record: ContainerRecord, state: dict[str, Any]) -> dict[str, Any]:
        """State.Health (docker's, last in State) of a container with a health check."""
        if not (record.doc["Config"].get("Healthcheck") or {}).get("Test"):
            return state  # no check: runtime.health not loaded (start-up)
        from scow.runtime.health import probe_argv, read_health

        if probe_argv(record.doc["Config"].get("Healthcheck")):
            state["Health"] = read_health(self.folder(record.id)) or {
                "Status": "starting", "FailingStreak": 0, "Log": []}
        return state

    def sizes(self, name: str) -> tuple[int, int]:
        """(SizeRw, SizeRootFs): what the writable layer adds over the init layer, and that
        plus the image's layers."""
        record = self.records.get(name)
        rw = self.store.layers.rw_size(record.mount_id or "")
        image = self.store.images.find(record.image_id)
        base = self.store.layers.size(image.top_layer) if image else 0
        return rw, base + rw


def _file_logs(doc: dict[str, Any]) -> bool:
    return bool((doc["HostConfig"].get("LogConfig") or {}).get("Type", "json-file") ==
                "json-file")


def network_settings(doc: dict[str, Any]) -> dict[str, Any]:
    """docker inspect's NetworkSettings (the first network's address also at the top level,
    as docker does for the default network)."""
    ns = doc.get("NetworkSettings") or {}
    networks = ns.get("Networks") or {doc["HostConfig"]["NetworkMode"]: {}}
    first = networks.get("bridge") or {}
    out = {"Bridge": "", "SandboxID": "", "SandboxKey": ns.get("SandboxKey", ""),
           "Ports": ns.get("Ports") or {}, "HairpinMode": False,
           "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
           "SecondaryIPAddresses": None, "SecondaryIPv6Addresses": None,
           "EndpointID": first.get("EndpointID", ""), "Gateway": first.get("Gateway", ""),
           "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
           "IPAddress": first.get("IPAddress", ""), "IPPrefixLen": first.get("IPPrefixLen", 0),
           "IPv6Gateway": "", "MacAddress": first.get("MacAddress", "")}
    out["Networks"] = {name: _endpoint_fields(n) for name, n in networks.items()}
    return out


def _endpoint_fields(n: dict[str, Any]) -> dict[str, Any]:
    fields = {"IPAMConfig": None, "Links": None, "Aliases": None, "MacAddress": "",
              "NetworkID": "", "EndpointID": "", "Gateway": "", "IPAddress": "",
              "IPPrefixLen": 0, "IPv6Gateway": "", "GlobalIPv6Address": "",
              "GlobalIPv6PrefixLen": 0, "DriverOpts": None, "DNSNames": None}
    fields.update(n)
    return fields
