"""owns: the image routes: list, inspect, history, tag, remove, prune, create (pull with
`fromImage`, import with `fromSrc`), push, get (save), load, and search (refused). Names may
hold `/` and `:` (`127.0.0.1:5077/x:1`): the `{name:.+}` paths match greedily as dockerd's
router; the fixed paths (`/images/json`, `/images/get`, ...) are registered first."""

from __future__ import annotations

from typing import Any, BinaryIO, cast

from aiohttp import web

from scow.api.app import ENGINE
from scow.api.blocking import (
    Emit,
    body_file,
    error_message,
    on_loop,
    run_blocking,
    stream_bytes,
    stream_messages,
)
from scow.api.operations import operation, run_operation
from scow.api.params import filters, qbool, registry_auth
from scow.api.responses import json_response
from scow.engine.engine import Engine
from scow.engine.images.naming import ref_matches
from scow.errors import InvalidArgument, ScowError, Unsupported

routes = web.RouteTableDef()


# (all, filters) → (the database's change version, GET /images/json's body then)
LISTINGS: web.AppKey[dict[Any, Any]] = web.AppKey("image_listings", dict)


def _engine(request: web.Request) -> Engine:
    return request.app[ENGINE]


def list_body(engine: Engine, all: bool, wanted: dict[str, list[str]]) -> list[dict[str, Any]]:
    patterns = wanted.get("reference", [])
    out = []
    for s in engine.images.list_images(all=all, filters=wanted):
        tags, digests = s.repo_tags, s.repo_digests
        if patterns:  # dockerd lists only the names that match (one CLI row per name)
            tags = [t for t in tags if any(ref_matches(p, t) for p in patterns)]
            digests = [d for d in digests
                       if any(ref_matches(p, d.split("@", 1)[0]) for p in patterns)]
        out.append({"Containers": -1, "Created": int(s.created), "Id": s.id,
                    "Labels": s.labels or None, "ParentId": s.parent,
                    "RepoDigests": digests or None, "RepoTags": tags or None,
                    "SharedSize": -1, "Size": s.size, "VirtualSize": s.size})
    return out


@routes.get("/images/json")
async def images_list(request: web.Request) -> web.Response:
    wanted = filters(request.query)
    if "filter" in request.query:  # API < 1.41's name filter
        wanted.setdefault("reference", []).append(request.query["filter"])
    body = on_loop(_listed, request.app[LISTINGS], _engine(request),
                   qbool(request.query, "all"), wanted)
    return json_response(body)


def _listed(kept: dict[Any, Any], engine: Engine, all: bool,
            wanted: dict[str, list[str]]) -> list[dict[str, Any]]:
    """list_body, answered again while no connection of any process committed since (the
    database's change version, store/changes.py: the listing is made of rows and of
    content-addressed configs only)."""
    key = (all, tuple(sorted((k, tuple(v)) for k, v in wanted.items())))
    version = engine.store.db.changes.version()
    hit = kept.get(key)
    if hit is not None and version is not None and hit[0] == version:
        return cast("list[dict[str, Any]]", hit[1])
    body = list_body(engine, all, wanted)
    if len(kept) >= 64:
        kept.clear()
    kept[key] = (version, body)
    return body


def init_app(app: web.Application) -> None:
    """The image listings kept (`_listed`)."""
    app[LISTINGS] = {}


@routes.post("/images/create")
async def images_create(request: web.Request) -> web.StreamResponse:
    q = request.query
    registry_auth(request.headers.get("X-Registry-Auth"))  # checked; stored logins are used
    if q.get("fromImage"):
        return await _pull(request, q["fromImage"], q.get("tag", ""))
    if q.get("fromSrc"):
        return await _import(request)
    raise InvalidArgument("create image: give fromImage or fromSrc")


async def _pull(request: web.Request, image: str, tag: str) -> web.StreamResponse:
    engine = _engine(request)
    if tag.startswith("sha256:"):
        image, tag = f"{image}@{tag}", ""
    elif tag and ":" in image.rsplit("/", 1)[-1]:
        raise InvalidArgument(f"pull {image}: give the tag once (in fromImage or in tag)")
    # dockerd: no tag anywhere pulls every tag of the repository (`docker pull -a`)
    all_tags = not tag and ":" not in image.rsplit("/", 1)[-1] and "@" not in image

    def work(emit: Emit) -> None:
        with operation(engine) as op:
            op.images.pull(image, tag or None, all_tags=all_tags, progress=emit)
    return await stream_messages(
        request, work, hold=lambda m: str(m.get("status", "")).startswith("Pulling from"))


async def _import(request: web.Request) -> web.StreamResponse:
    q = request.query
    engine = _engine(request)
    source = q["fromSrc"]
    reference = q.get("repo") or None
    if reference and q.get("tag"):
        reference = f"{reference}:{q['tag']}"
    changes = q.getall("changes", [])
    body = body_file(request)

    def work(emit: Emit) -> None:
        stream = body if source == "-" else _download(source)
        try:
            with operation(engine) as op:
                image_id = op.images.import_image(stream, reference=reference,
                                                  changes=changes, source=source,
                                                  message=q.get("message", ""))
        finally:
            if source != "-":
                stream.close()
        emit({"status": image_id})
    return await stream_messages(request, work)


def _download(url: str) -> BinaryIO:
    if not url.startswith(("http://", "https://")):
        raise InvalidArgument(f"import {url}: fromSrc is '-' (the body) or an http(s) URL")
    import urllib3

    try:
        response = urllib3.PoolManager().request("GET", url, preload_content=False,
                                                 timeout=urllib3.Timeout(30, read=300))
    except urllib3.exceptions.HTTPError as exc:
        raise InvalidArgument(f"import {url}: {exc}") from None
    if response.status != 200:
        response.release_conn()
        raise InvalidArgument(f"import {url}: HTTP {response.status}")
    response.auto_close = False  # type: ignore[attr-defined]  # then reads at the end give b""
    return cast(BinaryIO, response)


@routes.post("/images/load")
async def images_load(request: web.Request) -> web.StreamResponse:
    engine = _engine(request)
    quiet = qbool(request.query, "quiet")
    body = body_file(request)

    def work(emit: Emit) -> None:
        try:
            with operation(engine) as op:
                lines = op.distribution.load(body,
                                             progress=None if quiet else _LoadProgress(emit))
        except ScowError as exc:  # dockerd answers 200 and tells the failure in the stream
            emit(error_message(exc))
            return
        for line in lines:
            emit({"stream": line + "\n"})
    return await stream_messages(request, work)


class _LoadProgress:
    """docker load's `Loading layer` rows (quiet=0)."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit

    def update(self, id: str, status: str, current: int | None = None,
               total: int | None = None) -> None:
        detail = {k: v for k, v in (("current", current), ("total", total)) if v is not None}
        self.emit({"status": status, "progressDetail": detail, "id": id})

    def line(self, text: str, id: str | None = None) -> None:
        pass  # the `Loaded image` lines are sent from load's answer


@routes.get("/images/get")
async def images_get_many(request: web.Request) -> web.StreamResponse:
    names = request.query.getall("names", [])
    if not names:
        raise InvalidArgument("save: give at least one name")
    return await _save(request, names)


@routes.get("/images/search")
async def images_search(request: web.Request) -> web.Response:
    raise Unsupported("search images: not supported by scow (registries have no search API "
                      "scow speaks; Docker Hub's search is a separate service)")


@routes.post("/images/prune")
async def images_prune(request: web.Request) -> web.Response:
    wanted = filters(request.query)
    dangling = wanted.pop("dangling", ["true"])
    all_unused = any(v.lower() in ("false", "0") for v in dangling)
    records, reclaimed = await run_operation(
        request, lambda op: op.images.prune(all=all_unused, filters=wanted))
    return json_response({"ImagesDeleted": records or None, "SpaceReclaimed": reclaimed})


@routes.get("/images/{name:.+}/json")
async def images_inspect(request: web.Request) -> web.Response:
    body = on_loop(_engine(request).images.inspect, request.match_info["name"])
    return json_response(body)


@routes.get("/images/{name:.+}/history")
async def images_history(request: web.Request) -> web.Response:
    rows = await run_blocking(_engine(request).images.history, request.match_info["name"])
    return json_response([row.attrs for row in rows])


@routes.post("/images/{name:.+}/tag")
async def images_tag(request: web.Request) -> web.Response:
    repo, tag = request.query.get("repo", ""), request.query.get("tag", "")
    if not repo:
        raise InvalidArgument("tag: repo is required")
    target = f"{repo}:{tag}" if tag else repo
    source = request.match_info["name"]
    await run_operation(request, lambda op: op.images.tag(source, target))
    return web.Response(status=201)


@routes.post("/images/{name:.+}/push")
async def images_push(request: web.Request) -> web.StreamResponse:
    engine = _engine(request)
    name, tag = request.match_info["name"], request.query.get("tag", "")
    registry_auth(request.headers.get("X-Registry-Auth"))

    def work(emit: Emit) -> None:
        with operation(engine) as op:
            digests = op.images.push(name, tag or None, progress=emit)
        for digest in digests:
            emit({"status": f"{tag or 'latest'}: digest: {digest}"})
            emit({"progressDetail": {}, "aux": {"Tag": tag or "latest", "Digest": digest}})
    return await stream_messages(request, work)


@routes.get("/images/{name:.+}/get")
async def images_get(request: web.Request) -> web.StreamResponse:
    return await _save(request, [request.match_info["name"]])


async def _save(request: web.Request, names: list[str]) -> web.StreamResponse:
    engine = _engine(request)
    await run_blocking(lambda: [engine.images.resolve(n) for n in names])  # 404 before 200

    def work(out: BinaryIO) -> None:
        with operation(engine) as op:  # save leases the layers it reads
            op.images.save(names, out)
    return await stream_bytes(request, work, "application/x-tar")


@routes.delete("/images/{name:.+}")
async def images_remove(request: web.Request) -> web.Response:
    name, force = request.match_info["name"], qbool(request.query, "force")
    prune = not qbool(request.query, "noprune")
    records = await run_operation(request,
                                  lambda op: op.images.remove(name, force=force, prune=prune))
    return json_response(records)
