"""owns: what the builder needs from the engine, as Protocols and the records they exchange.

The builder never touches stores, drivers or the runtime; the engine (L7) implements
``BuildEngine`` over its stores. Layers are named the engine's way: a filesystem state is the
ChainID of its layer stack (None for scratch); a step returns the DiffID of the one layer it
added, and the builder derives the new ChainID with ``scow.ids.chain_id``. Implementations must
be thread-safe: independent stages are built in parallel threads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager

from scow.ids import ChainID, DiffID, ImageID

TYPE_CHECKING = False  # mypy honours the name; dataclasses costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass, field
    from typing import Any, BinaryIO, Protocol
else:
    from scow.typeshim import Protocol, dataclass, field


@dataclass(frozen=True)
class ImageView:
    """A local image as the builder sees it: its ID and its config JSON (parsed)."""

    id: ImageID
    config: Mapping[str, Any]  # os, architecture, config, rootfs.diff_ids, history, author

    @property
    def diff_ids(self) -> list[DiffID]:
        return [DiffID(d) for d in self.config.get("rootfs", {}).get("diff_ids", [])]


# -- RUN options from build flags (--add-host, --shm-size, --ulimit) -------------------------
@dataclass(frozen=True)
class RunExtras:
    """What ``docker build --add-host/--shm-size/--ulimit`` give every RUN step."""

    add_hosts: tuple[tuple[str, str], ...] = ()  # (name, ip) lines added to /etc/hosts
    shm_size: int | None = None  # bytes of /dev/shm; None: 64 MiB
    ulimits: tuple[tuple[str, int, int], ...] = ()  # (docker name, soft, hard)

    def cache_part(self) -> dict[str, Any]:
        """For a RUN's cache key (nothing when no flag was given: keys stay as before)."""
        return {} if self == RunExtras() else {"extras": [list(self.add_hosts),
                                                          self.shm_size, list(self.ulimits)]}


@dataclass(frozen=True)
class RunMount:
    """One ``RUN --mount`` resolved for the engine (``scow.build.runmount.Mount`` parsed it).

    ``target`` is absolute. A bind or a cache's ``from`` takes ``source`` (a path inside it)
    from ``source_dir`` (a host folder: the context) or ``source_chain`` (a stage or image
    rootfs; None with ``source_dir`` "" is scratch). Secrets and SSH sockets are looked up by
    ``id`` in the build's `BuildOptions`; they are never part of the step's cache key but by
    ID."""

    type: str  # bind | cache | tmpfs | secret | ssh
    target: str
    readonly: bool
    source: str = ""
    source_dir: str = ""
    source_chain: ChainID | None = None
    has_source: bool = False  # bind (always) or cache with ``from``
    only: tuple[str, ...] | None = None  # a context folder with .dockerignore'd entries:
    # the visible ones (paths under ``source``); the engine mounts a copy of just these
    id: str = ""
    sharing: str = "shared"
    mode: int | None = None
    uid: int = 0
    gid: int = 0
    size: int = 0
    required: bool = False
    env: str = ""


@dataclass(frozen=True)
class Secret:
    """``--secret id=x,src=path`` or ``id=x,env=VAR``: where the engine reads a secret."""

    id: str
    src: str = ""
    env: str = ""


@dataclass(frozen=True)
class SshSource:
    """``--ssh default`` / ``--ssh id=/path/to/agent.sock``: an agent socket to forward;
    ``--ssh id=KEY[,KEY...]``: key files the engine loads into an agent of its own."""

    id: str
    path: str  # the socket; "" = $SSH_AUTH_SOCK (or the keys' agent, once started)
    keys: tuple[str, ...] = ()  # absolute paths of private key files


@dataclass(frozen=True)
class RunSpec:
    """One RUN: argv executed in a container on the parent rootfs."""

    argv: tuple[str, ...]
    env: tuple[str, ...]  # "K=v", build args included (they are not committed)
    user: str  # "" = root; "name", "uid", "uid:gid", resolved inside the rootfs
    workdir: str  # absolute; created if missing
    network: str = "host"  # "host" | "none" (scow's build default is host)
    epoch: int | None = None  # SOURCE_DATE_EPOCH: clamp mtimes of the new layer to it
    extras: RunExtras = RunExtras()  # --add-host, --shm-size, --ulimit
    mounts: tuple[RunMount, ...] = ()
    privileged: bool = False  # RUN --security=insecure (allowed by the caller)


@dataclass(frozen=True)
class RunResult:
    exit_code: int
    diff_id: DiffID | None  # the committed layer when exit_code == 0, else None


@dataclass(frozen=True)
class CopyEntry:
    """One entry to create: ``src`` on this machine, ``rel`` under the destination."""

    src: str
    rel: str
    kind: str  # "file" | "dir" | "symlink" | "other"
    extract: bool = False  # ADD of a local tar: unpack it (safely) into the destination


@dataclass(frozen=True)
class CopySpec:
    """One COPY/ADD: docker's rules for where things land.

    ``dest_is_dir``: every entry goes to ``dest/rel``. Otherwise there is one file entry and
    it becomes ``dest`` itself, unless ``dest`` already is a folder in the parent rootfs, then
    ``dest/<rel>``. Missing parent folders are created (0755, owned like the entries when
    ``chown`` is given). ``chown`` ("user[:group]", names looked up in the parent rootfs'
    /etc/passwd and /etc/group) and ``chmod`` apply to every entry created.
    """

    dest: str
    dest_is_dir: bool
    entries: tuple[CopyEntry, ...]
    chown: str | None = None
    chmod: int | None = None
    epoch: int | None = None
    link: bool = False  # --link: the layer is written without looking at the parent rootfs


# -- -o/--output ----------------------------------------------------------------------------
@dataclass(frozen=True)
class OutputSpec:
    """``-o type=local,dest=DIR`` or ``type=tar,dest=FILE|-``: the target stage's filesystem
    written there instead of an image (``stream`` is the open file for ``dest=-``)."""

    type: str  # "local" | "tar"
    dest: str
    stream: BinaryIO | None = None


class BuildEngine(Protocol):
    def get_image(self, ref: str) -> ImageView:
        """The local image `ref` (pulling it is the engine's choice); NotFound otherwise."""

    def run_step(self, parent: ChainID | None, spec: RunSpec,
                 output: Callable[[bytes], None]) -> RunResult:
        """Run `spec` in a real container on `parent`; stream its stdout+stderr to
        `output`; on exit code 0 commit the container's changes as one layer."""

    def copy_step(self, parent: ChainID | None, spec: CopySpec) -> DiffID:
        """Create `spec`'s entries on `parent` and commit them as one layer."""

    def mkdir_step(self, parent: ChainID | None, path: str, user: str) -> DiffID:
        """``mkdir -p path`` (owned by `user` if set) on `parent`, as one layer (WORKDIR)."""

    def open_rootfs(self, chain: ChainID | None) -> AbstractContextManager[str]:
        """A read-only folder holding the rootfs of `chain` (COPY --from), for the with-block."""

    def download(self, url: str, dest_dir: str) -> str:
        """Fetch `url` into `dest_dir` (ADD <url>); return the file's path. Unavailable when
        offline, with the URL in the message."""

    def fetch_git(self, remote: str, ref: str | None, dest_dir: str) -> tuple[str, str]:
        """Check out `ref` (None: HEAD) of the git repository `remote` under `dest_dir`
        (ADD <git source>); return (the checkout's folder, its commit ID)."""

    def cache_lookup(self, key: str) -> DiffID | None:
        """A layer an earlier build made for this cache key, still present on the parent
        the key names; None when there is none."""

    def cache_store(self, key: str, diff_id: DiffID) -> None:
        """Remember that step `key` produced layer `diff_id`."""

    def cached_parse(self, key: str) -> bytes | None:
        """The entry `keep_parse` stored under `key` (build/parsecache.py), or None."""

    def keep_parse(self, key: str, data: bytes) -> None:
        """Keep a parsed Dockerfile's entry for later builds (best effort)."""

    def commit_image(self, config: bytes) -> ImageID:
        """Store an image config (its rootfs.diff_ids are layers made or looked up here);
        return its ID, the digest of exactly these bytes."""

    def tag(self, image_id: ImageID, ref: str) -> None:
        """Point the reference `ref` (``name[:tag]``) at `image_id`."""

    def export_rootfs(self, chain: ChainID | None, output: OutputSpec) -> None:
        """Write the filesystem of `chain` as `output` says (``-o type=local|tar``)."""

    def stop_steps(self) -> None:
        """Stop the steps under way in other threads (a parallel stage failed or was
        interrupted): a running RUN is killed and each stage's next step raises."""


@dataclass
class BuildOptions:
    """What a caller (CLI ``build`` or the API) chooses."""

    dockerfile: str = "Dockerfile"  # name in the context, a path, or "-" with dockerfile_text
    dockerfile_text: bytes | None = None  # the Dockerfile itself (``-f -``)
    tags: tuple[str, ...] = ()
    target: str | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    no_cache: bool = False
    network: str = "host"
    epoch: int | None = None  # SOURCE_DATE_EPOCH
    run_extras: RunExtras = RunExtras()  # --add-host, --shm-size, --ulimit for RUN steps
    pull: bool = False  # --pull: pull every base image, even one the store has
    platform: str | None = None  # --platform: only this machine's is accepted
    output: OutputSpec | None = None  # -o type=local|tar (None: an image, as today)
    no_cache_filter: tuple[str, ...] = ()  # --no-cache-filter: stages built without cache
    build_contexts: Mapping[str, str] = field(default_factory=dict)  # --build-context
    # name → a folder, or docker-image://ref; FROM name and COPY --from=name use it
    # -- RUN --mount sources and entitlements (docker build --secret, --ssh, --allow)
    secrets: tuple[Secret, ...] = ()
    ssh: tuple[SshSource, ...] = ()
    allow: tuple[str, ...] = ()  # "network.host", "security.insecure"
    # --cache-from / --cache-to as typed (engine/builds/remote_cache.py parses them)
    cache_from: tuple[str, ...] = ()
    cache_to: tuple[str, ...] = ()
