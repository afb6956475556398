"""The Engine API's request path in one process (no service): the docker CLI's `/v1.41/...`
paths are looked up by their literal prefix instead of being matched against every versioned
pattern in turn, other versions still resolve (and say which version they asked for), and
the quick reads (listings and inspects without sizes) are answered on the event loop, with
no worker thread's hand-off (a listing with sizes still goes to a worker thread), and a write
request's own Engine shares the service's open database; the warm-up loads what the first
requests would."""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from scow.api.app import API_VERSION, make_app, requested_version
from scow.api.operations import operation
from scow.engine.engine import Engine


def _resolve(app: Any, path: str) -> Any:
    async def go() -> Any:
        return await app.router.resolve(make_mocked_request("GET", path, app=app))
    return asyncio.run(go())


def test_the_served_version_is_looked_up_by_its_literal_prefix(tmp_path: Path) -> None:
    with Engine(str(tmp_path / "root"), "vfs") as engine:
        app = make_app(engine)
        match = _resolve(app, f"/v{API_VERSION}/containers/json")
        assert match.route.resource.canonical == f"/v{API_VERSION}/containers/json"
        inspect = _resolve(app, f"/v{API_VERSION}/images/bench/busybox:1/json")
        assert inspect["name"] == "bench/busybox:1"
        other = _resolve(app, "/v1.40/containers/json")
        assert other["api_version"] == "1.40"


def test_requested_version() -> None:
    def version(path: str) -> str | None:
        request = make_mocked_request("GET", path)
        return requested_version(request)
    assert version(f"/v{API_VERSION}/volumes/prune") == API_VERSION
    assert version("/volumes/prune") is None


class _Counting(ThreadPoolExecutor):
    """Counts the engine work handed to it (not the event loop's own, e.g. getaddrinfo)."""

    def __init__(self) -> None:
        super().__init__(2)
        self.engine_work: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        inner = fn.func if isinstance(fn, functools.partial) else fn
        if getattr(inner, "__module__", "").startswith("scow."):
            self.engine_work.append(getattr(inner, "__name__", "?"))
        return super().submit(fn, *args, **kwargs)


def test_quick_reads_are_answered_on_the_loop(tmp_path: Path) -> None:
    async def go(engine: Engine) -> list[str]:
        pool = _Counting()
        asyncio.get_running_loop().set_default_executor(pool)
        async with TestClient(TestServer(make_app(engine))) as client:
            for path in ("containers/json?all=1", "images/json", "_ping"):
                response = await client.get(f"/v{API_VERSION}/{path}")
                assert response.status == 200, path
            assert pool.engine_work == []
            response = await client.get(f"/v{API_VERSION}/containers/json?all=1&size=1")
            assert response.status == 200
        return pool.engine_work
    with Engine(str(tmp_path / "root"), "vfs") as engine:
        assert asyncio.run(go(engine)) == ["list_containers"]


def test_an_operation_shares_the_services_database(tmp_path: Path) -> None:
    """Each write request's Engine has its own owner token but the service's SQLite
    connections (a new connection parses the schema and every statement again)."""
    with Engine(str(tmp_path / "root"), "vfs") as engine:
        with operation(engine) as op:
            assert op.store.db is engine.store.db
            assert op.store.owner.name != engine.store.owner.name
            op.volumes.create("shared", labels={})
        assert [v.name for v in engine.volumes.list()] == ["shared"]  # still open


def test_warm_up_loads_what_the_first_requests_would(tmp_path: Path) -> None:
    """The service's warm-up (run once serving) leaves the first ps, create, run, exec and
    build nothing to load: checked in a process of its own (this one has loaded much)."""
    code = ("import sys\nfrom scow.api.server import WARM_MODULES, warm_up\n"
            "from scow.engine.engine import Engine\n"
            f"with Engine({str(tmp_path / 'root')!r}, 'vfs') as engine:\n"
            "    warm_up(engine)\n"
            "print([m for m in WARM_MODULES if m not in sys.modules])\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert "warm up" not in out.stderr
