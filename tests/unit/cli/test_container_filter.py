"""engine/containers/filters.py's ContainerFilter on its own: health from the inspect
document's State.Health.Status ("none" without one), key validation before any listing."""

from __future__ import annotations

from typing import Any

import pytest

from scow.engine.containers.filters import ContainerFilter
from scow.engine.containers.records import ContainerSummary
from scow.errors import InvalidArgument
from scow.store.containers import ContainerRecord


def record(cid: str, health: str) -> ContainerRecord:
    doc: dict[str, Any] = {"Config": {}, "HostConfig": {}, "State": {"Health": health}}
    return ContainerRecord(cid, cid, "sha256:0", None, 1.0, "ready", doc)


def summary(cid: str) -> ContainerSummary:
    return ContainerSummary(cid, cid, "img", "sha256:0", "sh", 1.0, "running", "Up", 0, {}, [])


def make(filters: dict[str, list[str]]) -> ContainerFilter:
    return ContainerFilter(None, None, filters,  # type: ignore[arg-type] # unused by these keys
                           lambda r: str(r.doc["State"]["Health"]))


@pytest.mark.parametrize("state", ["starting", "healthy", "unhealthy", "none"])
def test_health(state: str) -> None:
    f = make({"health": [state]})
    for other in ("starting", "healthy", "unhealthy", "none"):
        assert f.match(summary("a"), record("a", other)) is (other == state)


def test_bad_keys_and_values_before_listing() -> None:
    with pytest.raises(InvalidArgument, match="invalid filter 'colour'"):
        make({"colour": ["red"]})
    with pytest.raises(InvalidArgument, match="Unrecognised filter value for health: sick"):
        make({"health": ["sick"]})
    with pytest.raises(InvalidArgument, match="invalid port range: 0"):
        make({"expose": ["0"]})
