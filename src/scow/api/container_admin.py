"""owns: the Engine API's top, stats and update answers for one container: the library's
`top`, `update` and cgroup readings (`engine.containers`) turned into dockerd's shapes:
top's {"Titles", "Processes"}, update's {"Warnings"} from docker's UpdateConfig body
(Resources fields inline, zeros meaning "unchanged", RestartPolicy with an empty Name
meaning "unchanged"), and stats as moby's StatsJSON (`read`, `preread`, `cpu_stats`,
`precpu_stats`, `memory_stats`, `pids_stats`, `blkio_stats`, `networks`): one document
with stream=0 (two readings a second apart, or one with one-shot=1), else one a second."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
from typing import Any

from aiohttp import web

from scow.api.blocking import run_blocking
from scow.engine import Engine
from scow.errors import InvalidArgument, ScowError

ZERO_TIME = "0001-01-01T00:00:00Z"
INTERVAL = 1.0  # seconds between readings, as dockerd's stats collector

Reading = tuple[str, Any, int]  # (name, cgroups.Sample or None when not running, host CPU ns)


def top_answer(result: tuple[list[str], list[list[str]]]) -> dict[str, Any]:
    titles, rows = result
    return {"Titles": titles, "Processes": rows}


def ps_args(query: Any) -> list[str] | None:
    """docker top's ps_args: one string of options, split on blanks as moby does."""
    return str(query.get("ps_args", "")).split() or None


def update_args(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """docker's UpdateConfig → (the resources that change, the restart policy or None)."""
    if not isinstance(body, dict):
        raise InvalidArgument("update container: the body is not a JSON object")
    policy = body.get("RestartPolicy")
    if not isinstance(policy, dict) or not policy.get("Name"):
        policy = None
    resources = {k: v for k, v in body.items()
                 if k != "RestartPolicy" and v not in (None, 0, "", [], {})}
    return resources, policy


def _now() -> str:
    stamp = datetime.datetime.now(datetime.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def _cpu(reading: Reading | None) -> dict[str, Any]:
    throttling = {"periods": 0, "throttled_periods": 0, "throttled_time": 0}
    if reading is None or reading[1] is None:
        return {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0,
                              "usage_in_usermode": 0}, "throttling_data": throttling}
    return {"cpu_usage": {"total_usage": reading[1].cpu_ns, "usage_in_kernelmode": 0,
                          "usage_in_usermode": 0},
            "system_cpu_usage": reading[2], "online_cpus": os.cpu_count() or 1,
            "throttling_data": throttling}


def _blkio(sample: Any) -> dict[str, Any]:
    rows = [{"major": 0, "minor": 0, "op": op, "value": value}
            for op, value in (("read", sample.block_read), ("write", sample.block_write))]
    return {"io_service_bytes_recursive": rows, "io_serviced_recursive": None,
            "io_queue_recursive": None, "io_service_time_recursive": None,
            "io_wait_time_recursive": None, "io_merged_recursive": None,
            "io_time_recursive": None, "sectors_recursive": None}


def _interface(rx: int, tx: int) -> dict[str, int]:
    return {"rx_bytes": rx, "rx_packets": 0, "rx_errors": 0, "rx_dropped": 0,
            "tx_bytes": tx, "tx_packets": 0, "tx_errors": 0, "tx_dropped": 0}


def stats_document(container_id: str, now: Reading, read: str, then: Reading | None,
                   preread: str) -> dict[str, Any]:
    """moby's StatsJSON of one reading against the one before (None: the first)."""
    name, sample = now[0], now[1]
    doc: dict[str, Any] = {"id": container_id, "name": "/" + name, "num_procs": 0,
                           "storage_stats": {}, "read": read, "preread": preread,
                           "cpu_stats": _cpu(now), "precpu_stats": _cpu(then)}
    if sample is None:  # not running: dockerd's zero document
        doc.update(read=ZERO_TIME, preread=ZERO_TIME, memory_stats={}, pids_stats={},
                   blkio_stats=_blkio(_Zero()), networks={})
        return doc
    doc.update(memory_stats={"usage": sample.memory, "limit": sample.memory_limit,
                             "stats": {}},
               pids_stats={"current": sample.pids}, blkio_stats=_blkio(sample),
               networks={"eth0": _interface(sample.net_rx, sample.net_tx)})
    return doc


class _Zero:
    block_read = block_write = 0


async def stats_response(request: web.Request, engine: Engine, name: str, stream: bool,
                         one_shot: bool) -> web.StreamResponse:
    reading = engine.containers.stats_reading
    container_id, first = await run_blocking(reading, name)  # 404 before answering
    read, then, preread = _now(), None, ZERO_TIME
    if not stream:
        if not one_shot and first[1] is not None:
            await asyncio.sleep(INTERVAL)
            then, preread, read = first, read, _now()
            _, first = await run_blocking(reading, name)
        return web.json_response(stats_document(container_id, first, read, then, preread))
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    now = first
    while True:
        doc = stats_document(container_id, now, read, then, preread)
        try:
            await response.write(json.dumps(doc).encode() + b"\n")
        except (ConnectionError, RuntimeError):
            return response  # the client went away
        then, preread = now, read
        await asyncio.sleep(INTERVAL)
        try:
            read, (_, now) = _now(), await run_blocking(reading, name)
        except ScowError:
            return response  # removed meanwhile: the stream ends, as dockerd's
