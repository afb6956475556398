"""owns: the JSON object of `image inspect`, with docker's keys in docker's order (the
container's is containers/inspect.py). Values that are Go maps in docker are listed in
GO_MAP_KEYS so `--format` prints them as maps (sorted keys) and everything else as structs
(field order)."""

from __future__ import annotations

from scow.oci.image import ordered_config, rfc3339_nano
from scow.store.store import Store

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

GO_ZERO_TIME = "0001-01-01T00:00:00Z"
# keys whose values are Go maps (printed `map[k:v]`, keys sorted) rather than structs
GO_MAP_KEYS = frozenset({"Data", "Labels", "ExposedPorts", "Volumes", "Options", "Networks",
                         "Ports", "Config@LogConfig"})


def image_inspect(store: Store, image_id: str) -> dict[str, Any]:
    record = store.images.get(image_id)
    config = store.images.config(image_id)
    refs = store.refs.refs_of(image_id)
    graph: dict[str, Any] = {"Data": None, "Name": store.driver.name}
    if record.top_layer:
        layer = store.layers.get(record.top_layer)
        graph["Data"] = store.driver.metadata(layer.cache_id)
    out: dict[str, Any] = {
        "Id": image_id,
        "RepoTags": [r.familiar() for r in refs if not r.digest],
        "RepoDigests": [r.familiar() for r in refs if r.digest],
        "Parent": record.parent or "",
        "Comment": str(config.get("comment") or ""),
        "Created": config.created or rfc3339_nano(record.created),
        "DockerVersion": str(config.get("docker_version") or ""),
        "Author": str(config.get("author") or ""),
        "Config": ordered_config(config.config),
        "Architecture": config.architecture,
    }
    if config.get("variant"):
        out["Variant"] = config.get("variant")
    out.update({
        "Os": config.os,
        "Size": store.layers.size(record.top_layer),
        "GraphDriver": graph,
        "RootFS": {"Type": "layers", "Layers": list(config.diff_ids)},
        "Metadata": {"LastTagTime": rfc3339_nano(record.last_tag_time)
                     if record.last_tag_time else GO_ZERO_TIME},
    })
    return out
