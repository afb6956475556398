"""owns: the `Ports` and `Mounts` of GET /containers/json's rows, as dockerd makes them
(moby's daemon/list.go): one port object per host binding (`IP`, `PrivatePort`,
`PublicPort`, `Type`), a bare `PrivatePort`/`Type` for an exposed port without one; one
mount object per mount point, a named volume's `Source` under the store's volumes folder."""

from __future__ import annotations

import os
from typing import Any

from scow.engine.containers.records import ContainerSummary


def ports(port_map: dict[str, Any] | None) -> list[dict[str, Any]]:
    """NetworkSettings.Ports ("80/tcp" → host bindings or None) as the row's Ports."""
    out: list[dict[str, Any]] = []
    for key, bindings in (port_map or {}).items():
        port, _, proto = key.partition("/")
        if not bindings:
            out.append({"PrivatePort": int(port), "Type": proto or "tcp"})
            continue
        for b in bindings:
            out.append({"IP": b.get("HostIp") or "0.0.0.0", "PrivatePort": int(port),
                        "PublicPort": int(b.get("HostPort") or 0), "Type": proto or "tcp"})
    return out


def mounts(points: list[dict[str, Any]] | None, root: str) -> list[dict[str, Any]]:
    """The container's mount points as the row's Mounts (the shape of inspect's Mounts)."""
    return [{"Type": m["Type"], "Name": m["Name"] or "",
             "Source": m["Source"] or os.path.join(root, "volumes", m["Name"], "_data"),
             "Destination": m["Destination"], "Driver": "local" if m["Name"] else "",
             "Mode": m.get("Mode") or "", "RW": m["RW"],
             "Propagation": m.get("Propagation") or ""}
            for m in points or []]


def row(summary: ContainerSummary, root: str) -> dict[str, Any]:
    """One row of GET /containers/json."""
    item = summary.attrs
    if item.get("SizeRw") == 0:
        del item["SizeRw"]  # dockerd omits it when 0
    item.update({"Ports": ports(summary.port_map),
                 "Mounts": mounts(summary.mount_points, root),
                 "HostConfig": {"NetworkMode": summary.networks or "default"}})
    return item
