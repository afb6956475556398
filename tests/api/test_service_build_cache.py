"""The build cache through the service: `/system/df` lists its records in dockerd's
BuildCache shape and `POST /build/prune` is the library's prune_cache (all, until,
keep-storage), with docker-py and the docker CLI 28."""

from __future__ import annotations

import io
import re

import pytest
from tests.api.conftest import Service
from tests.api.test_service_images import context_tar
from tests.tools import require_runc

pytestmark = pytest.mark.timeout(240)


def test_df_lists_and_prune_releases_the_build_cache(service: Service) -> None:
    require_runc()
    client = service.client()
    try:
        tar = context_tar("FROM base:1\nRUN head -c 300000 /dev/urandom > /blob\n")
        list(client.build(fileobj=io.BytesIO(tar), custom_context=True, tag="cached:1",
                          decode=True))
        df = client.df()
        rows = [r for r in df["BuildCache"] if r["Type"] == "regular"]
        assert rows and all(r["Shared"] and not r["InUse"] for r in rows)
        assert df["BuilderSize"] >= 300000 and rows[0]["CreatedAt"].endswith("Z")
        line = next(x for x in service.docker("system", "df").stdout.splitlines()
                    if x.startswith("Build Cache"))
        assert re.match(r"Build Cache\s+[1-9]", line), line
        service.docker("rmi", "cached:1")
        kept = client.prune_builds(filters={"until": "1h"})  # the records are newer
        assert kept == {"CachesDeleted": None, "SpaceReclaimed": 0}
        kept = client.prune_builds(keep_storage=10 << 20)  # they fit 10 MB
        assert kept["SpaceReclaimed"] == 0
        out = service.docker("builder", "prune", "-f").stdout
        assert "Deleted build cache objects:" in out
        assert re.search(r"Total reclaimed space: (\d+\.?\d*)kB", out), out
        assert not [r for r in client.df()["BuildCache"] if r["Type"] == "regular"]
        bad = service.request("POST", '/build/prune?filters={"type":["regular"]}')
        assert bad[0] == 400 and b"invalid filter 'type'" in bad[2]
    finally:
        client.close()
