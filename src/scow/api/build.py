"""owns: `POST /build` (a tar context in the body; the classic builder's stream: `Step n/m :
...`, the steps' output, `aux.ID`, `Successfully built/tagged`, and a failure as
`error`/`errorDetail`) and `POST /build/prune` (build_cache.py has its arguments). The
context is the body's tar, or with `remote=` a git repository's checkout (in an owner-named
folder of <root>/tmp, removed after the build). scow's builder reports BuildKit-style
vertices; `ClassicStream` turns them into the classic lines the docker CLI and docker-py read.
Build options scow does not implement are refused with a 400 naming them."""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aiohttp import web

from scow.api.app import ENGINE
from scow.api.blocking import Emit, body_file, error_message, stream_messages
from scow.api.build_cache import prune_arguments
from scow.api.operations import operation, run_operation
from scow.api.params import json_map, qbool
from scow.api.responses import json_response
from scow.errors import InvalidArgument, ScowError

if TYPE_CHECKING:
    from scow.build.gitsource import GitRef
    from scow.store.store import Store

routes = web.RouteTableDef()
_STEP = re.compile(r"^#\d+ \[(?:[^\]\s]+ )?(\d+)/(\d+)\] (.*)$")
_FAMILIAR_FROM = re.compile(r"^FROM docker\.io/(?:library/)?")
_LOG = re.compile(r"^#\d+ \d+\.\d+ (.*)$")
_RUN_FAILED = re.compile(r'process "(.*)" did not complete successfully: exit code: (\d+)')
# accepted: used, or meaningless here (scow's builder makes no intermediate containers: rm,
# forcerm; session/buildid belong to BuildKit's protocol)
USED = ("rm", "forcerm", "version", "q", "t", "dockerfile", "buildargs", "labels", "target",
        "nocache", "networkmode", "session", "buildid", "squash", "pull", "cachefrom",
        "remote", "extrahosts", "shmsize")
# refused unless at their default (empty, 0, false)
DEFAULT_ONLY = ("memory", "memswap", "cpushares", "cpusetcpus", "cpusetmems", "cpuperiod",
                "cpuquota", "cgroupparent", "ulimits", "isolation", "outputs", "platform",
                "securityopt")
_EMPTY = ("", "0", "-1", "[]", "{}", "null", "false", "default")


class ClassicStream:
    """BuildKit plain progress lines in, the classic builder's stream messages out."""

    def __init__(self, emit: Emit, quiet: bool) -> None:
        self.emit = emit
        self.quiet = quiet

    def __call__(self, event: dict[str, Any]) -> None:
        if self.quiet or "stream" not in event:
            return
        for line in str(event["stream"]).splitlines():
            if step := _STEP.match(line):
                text = _FAMILIAR_FROM.sub("FROM ", step[3])  # as the Dockerfile says it
                self.emit({"stream": f"Step {step[1]}/{step[2]} : {text}"})
                self.emit({"stream": "\n"})
            elif log := _LOG.match(line):
                if not log[1].startswith(("writing image ", "naming to ")):
                    self.emit({"stream": log[1] + "\n"})

    def finish(self, image_id: str, tags: list[str]) -> None:
        self.emit({"aux": {"ID": image_id}})
        if self.quiet:
            self.emit({"stream": image_id + "\n"})
            return
        self.emit({"stream": f"Successfully built {image_id.removeprefix('sha256:')[:12]}\n"})
        for tag in tags:
            self.emit({"stream": f"Successfully tagged {tag}\n"})


def classic_error(exc: ScowError) -> ScowError:
    """A failed RUN in the classic builder's words (docker-py's tests read them):
    `The command '/bin/sh -c exit 1' returned a non-zero code: 1`."""
    failed = _RUN_FAILED.search(str(exc))
    if failed is None:
        return exc
    return type(exc)(f"The command '{failed[1]}' returned a non-zero code: {failed[2]}")


def build_options(query: Any) -> dict[str, Any]:
    """The keywords of `engine.builds.stream` from the query; unknown or unsupported
    options are a 400 naming them."""
    for name in query:
        if name not in USED and name not in DEFAULT_ONLY:
            raise InvalidArgument(f"build: unknown option {name!r}")
        if name in DEFAULT_ONLY and query[name].strip().lower() not in _EMPTY:
            raise InvalidArgument(f"build: {name} is not supported by scow's builder")
    if qbool(query, "pull"):
        raise InvalidArgument("build: pull (always pull the base images) is not supported by "
                              "scow's builder; pull them first")
    return {"tag": [t for t in query.getall("t", []) if t] or None,
            "dockerfile": query.get("dockerfile") or None,
            "buildargs": json_map(query, "buildargs"), "labels": json_map(query, "labels"),
            "target": query.get("target") or None, "nocache": qbool(query, "nocache"),
            "squash": qbool(query, "squash"),
            "network_mode": query.get("networkmode") or "host",
            "cache_from": _cache_from(query), "extra_hosts": extra_hosts(query),
            "shm_size": shm_size(query)}


def _cache_from(query: Any) -> list[str] | None:
    """cachefrom: a JSON list of images whose inline build cache the build may use."""
    raw = query.get("cachefrom", "")
    if not raw.strip():
        return None
    try:
        images = json.loads(raw)
    except json.JSONDecodeError:
        images = None
    if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
        raise InvalidArgument("build: cachefrom: want a JSON list of image references")
    return [i for i in images if i] or None


def remote_git(remote: str) -> GitRef:
    """remote=: a git repository URL (``#ref:subdir`` as BuildKit's); other URLs (a tar or
    a Dockerfile to download) are refused."""
    from scow.build.gitsource import parse_git_ref

    ref = parse_git_ref(remote)
    if ref is None:
        raise InvalidArgument(f"build: remote {remote!r}: only a git repository URL is "
                              "supported by scow (git://, ssh://, git@, or http(s)://….git)")
    return ref


@contextlib.contextmanager
def remote_context(store: Store, ref: GitRef) -> Iterator[str]:
    """The folder of `ref`'s checkout (its subdir), in a temp folder of the store's that
    names this operation's owner (recovery removes it if the service dies)."""
    from scow.engine.builds.git import checkout

    with store.temp_folder("remote-context-") as tmp:
        path, _ = checkout(ref.remote, ref.ref, tmp)
        folder = os.path.realpath(os.path.join(path, ref.subdir))
        if not folder.startswith(os.path.realpath(path)) or not os.path.isdir(folder):
            raise InvalidArgument(f"build: remote: no folder {ref.subdir!r} in the checkout")
        yield folder


def extra_hosts(query: Any) -> tuple[tuple[str, str], ...]:
    """`extrahosts=name:ip` (repeated, or comma-separated as older clients send it)."""
    pairs = []
    for value in query.getall("extrahosts", []):
        for item in filter(None, value.split(",")):
            name, sep, ip = item.partition(":")
            if not sep or not name or not ip:
                raise InvalidArgument(f"build: extrahosts: {item!r} is not name:ip")
            pairs.append((name, ip))
    return tuple(pairs)


def shm_size(query: Any) -> int | None:
    text = query.get("shmsize", "0") or "0"
    try:
        size = int(text)
    except ValueError:
        raise InvalidArgument(f"build: shmsize: {text!r} is not a number of bytes") from None
    if size < 0:
        raise InvalidArgument(f"build: shmsize: {text!r} is negative")
    return size or None


@routes.post("/build")
async def build(request: web.Request) -> web.StreamResponse:
    engine = request.app[ENGINE]
    options = build_options(request.query)
    quiet = qbool(request.query, "q")
    git = remote_git(request.query["remote"]) if request.query.get("remote") else None
    if request.headers.get("Content-Encoding", "identity") not in ("identity", "gzip"):
        raise InvalidArgument("build: the context must be a tar (plain or gzip)")
    body = body_file(request)
    gone = threading.Event()  # the client closed its connection: the build is cancelled

    def work(emit: Emit) -> None:
        out = ClassicStream(emit, quiet)
        image_id = ""
        try:
            with operation(engine) as op, contextlib.ExitStack() as stack:
                source: dict[str, Any] = {"fileobj": body} if git is None else \
                    {"path": stack.enter_context(remote_context(op.store, git))}
                events = stack.enter_context(contextlib.closing(
                    op.builds.stream(**source, **options, cancel=gone)))
                for event in events:
                    if "aux" in event:
                        image_id = event["aux"]["ID"]
                    else:
                        out(event)
        except ScowError as exc:
            emit(error_message(classic_error(exc)))
            return
        out.finish(image_id, list(options["tag"] or []))
    return await stream_messages(request, work, gone=gone)


@routes.post("/build/prune")
async def build_prune(request: web.Request) -> web.Response:
    """docker builder prune: the library's `prune_cache` (engine/builds/gc.py's rules)."""
    arguments = prune_arguments(request.query)
    report = await run_operation(request, lambda op: op.builds.prune_cache(**arguments))
    return json_response({"CachesDeleted": report.ids or None,
                          "SpaceReclaimed": report.reclaimed})
