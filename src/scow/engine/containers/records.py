"""owns: the typed records the container service returns (`ContainerSummary`, a row of
`docker ps`); NamedTuples, as they are on `scow ps`'s start-up path. And HostConfig's
fields as docker shows them (`HOST_DEFAULTS`: inspect shows them, create's resources.py
makes them; here so `create` loads no inspect.py)."""

from __future__ import annotations

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from scow.typeshim import NamedTuple


class ContainerSummary(NamedTuple):
    id: str
    name: str
    image: str
    image_id: str
    command: str
    created: float
    state: str  # created | running | paused | exited
    status: str
    exit_code: int
    labels: dict[str, str]
    mounts: list[str]
    size_rw: int | None = None
    size_root_fs: int | None = None
    ports: str = ""  # docker ps's PORTS (scow network)
    networks: str = ""
    # the Engine API's Ports and Mounts are made from these (api/summaries.py)
    port_map: dict[str, Any] | None = None  # NetworkSettings.Ports: "80/tcp" → bindings
    mount_points: list[dict[str, Any]] | None = None  # the container's MountPoints

    @property
    def attrs(self) -> dict[str, Any]:
        """docker's JSON of the row (the Engine API's GET /containers/json)."""
        out: dict[str, Any] = {
            "Id": self.id, "Names": ["/" + self.name], "Image": self.image,
            "ImageID": self.image_id, "Command": self.command, "Created": int(self.created),
            "State": self.state, "Status": self.status, "Labels": dict(self.labels)}
        if self.size_rw is not None:
            out["SizeRw"], out["SizeRootFs"] = self.size_rw, self.size_root_fs
        return out


HOST_FIXED = {  # what docker shows of the resources scow has no flag for
    "CgroupParent": "", "BlkioWeightDevice": [], "BlkioDeviceReadBps": [],
    "BlkioDeviceWriteBps": [], "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [],
    "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0, "DeviceCgroupRules": None,
    "DeviceRequests": None, "MemorySwappiness": None, "CpuCount": 0, "CpuPercent": 0,
    "IOMaximumIOps": 0, "IOMaximumBandwidth": 0, "OomScoreAdj": 0}
# HostConfig's resource fields (resources.py makes them at create) as docker shows them
HOST_DEFAULTS = {
    "Memory": 0, "MemorySwap": 0, "MemoryReservation": 0, "NanoCpus": 0, "CpuShares": 0,
    "CpuPeriod": 0, "CpuQuota": 0, "CpusetCpus": "", "CpusetMems": "", "PidsLimit": None,
    "OomKillDisable": False, "BlkioWeight": 0, "Ulimits": [], "ShmSize": 67108864,
    "Devices": [], "IpcMode": "private", "PidMode": "", "UTSMode": "",
    **HOST_FIXED}  # inspect of a container made before these fields
