"""owns: JSON answers as dockerd writes them: `Content-Type: application/json` exactly (the
docker CLI reads an error's message only under that exact type), compact JSON, one newline."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def json_response(data: Any, status: int = 200) -> web.Response:
    body = json.dumps(data, separators=(",", ":")).encode() + b"\n"
    return web.Response(status=status, body=body, headers={"Content-Type": "application/json"})
