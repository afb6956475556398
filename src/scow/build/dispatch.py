"""owns: one dispatch function per instruction: how each changes the image config, its
history (BuildKit's ``created_by`` strings, comment ``buildkit.dockerfile.v0``) and, for RUN,
COPY, ADD and WORKDIR, the rootfs through the engine ports, with a cache key per layer step.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping

from scow.build import instructions as ins
from scow.build.context import SourceRoot
from scow.build.ports import BuildEngine, RunExtras, RunSpec
from scow.build.shell import ArgScope, expand_word, expand_words
from scow.errors import BuildStepFailed, InvalidArgument
from scow.fastjson import dumps
from scow.ids import ChainID, DiffID, chain_id, sha256_hex

TYPE_CHECKING = False  # mypy honours the name; dataclasses costs start-up (typeshim.py)
if TYPE_CHECKING:
    import tempfile
    from dataclasses import dataclass, field
    from typing import Any
else:
    from scow.typeshim import dataclass, field

HISTORY_COMMENT = "buildkit.dockerfile.v0"
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHELL = ("/bin/sh", "-c")


@dataclass
class StageState:
    """The image being built by one stage: config, history, layers, scopes."""

    image: dict[str, Any]  # os, architecture, author, config{...}, history, rootfs
    args: ArgScope
    cmd_set: bool = False

    @property
    def config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = self.image.setdefault("config", {})
        return cfg

    @property
    def diff_ids(self) -> list[str]:
        ids: list[str] = self.image.setdefault("rootfs", {"type": "layers"}).setdefault(
            "diff_ids", [])
        return ids

    @property
    def chain(self) -> ChainID | None:
        return chain_id(self.diff_ids) if self.diff_ids else None

    def env(self) -> dict[str, str]:
        return self.args.expansion_env(self.config.get("Env") or [])

    def clone(self) -> StageState:
        import copy  # a stage FROM another stage only

        return StageState(copy.deepcopy(self.image), self.args.copy(), self.cmd_set)


@dataclass
class StepContext:
    """What every dispatch function may use besides the stage state."""

    engine: BuildEngine
    context: SourceRoot | None
    escape: str
    created: str | None  # RFC 3339 time for history entries
    epoch: int | None
    no_cache: bool
    network: str
    stage_chain: Callable[[str], tuple[bool, ChainID | None]]  # --from ref → (is stage, chain)
    step: Callable[[str, Callable[[], bool]], None]  # (label, work→cached?) progress vertex
    output: Callable[[bytes], None]
    onbuild_dispatch: Callable[[StageState, ins.Instruction], None] | None = None
    run_extras: RunExtras = RunExtras()  # --add-host, --shm-size, --ulimit
    contexts: Mapping[str, str] = field(default_factory=dict)  # --build-context name → value
    tmp_dirs: list[tempfile.TemporaryDirectory[str]] = field(default_factory=list)
    allow: tuple[str, ...] = ()  # entitlements: network.host, security.insecure


def commit_history(state: StageState, ctx: StepContext, created_by: str, layer: bool) -> None:
    entry: dict[str, Any] = {"created_by": created_by, "comment": HISTORY_COMMENT}
    if ctx.created is not None:
        entry["created"] = ctx.created
    if not layer:
        entry["empty_layer"] = True
    state.image.setdefault("history", []).append(entry)


def go_quote_list(items: list[str] | tuple[str, ...]) -> str:
    """Go's ``%q`` of a []string: ``["/bin/sh" "-c" "x"]``."""
    return "[" + " ".join(dumps(s, ensure_ascii=False) for s in items) + "]"


def _cache_key(parent: ChainID | None, what: dict[str, Any]) -> str:
    blob = dumps({"parent": parent, **what}, sort_keys=True, separators=(",", ":"))
    return "sha256:" + sha256_hex(blob.encode())


def _layer_step(state: StageState, ctx: StepContext, label: str, key_parts: dict[str, Any],
                work: Callable[[], DiffID]) -> None:
    """Run one layer step through the cache: reuse a layer for the same key, else build it."""
    parent = state.chain
    key = _cache_key(parent, key_parts)
    result: list[DiffID] = []

    def run() -> bool:
        hit = None if ctx.no_cache else ctx.engine.cache_lookup(key)
        if hit is not None:
            result.append(hit)
            return True
        diff = work()
        ctx.engine.cache_store(key, diff)
        result.append(diff)
        return False

    ctx.step(label, run)
    state.diff_ids.append(result[0])


# -- metadata instructions ---------------------------------------------------------------------
def add_env(env: list[str], key: str, value: str) -> list[str]:
    out = list(env)
    for i, item in enumerate(out):
        if item.partition("=")[0] == key:
            out[i] = f"{key}={value}"
            return out
    return out + [f"{key}={value}"]


def dispatch_env(state: StageState, ctx: StepContext, c: ins.Env) -> None:
    parts = []
    for pair in c.pairs:
        env = state.env()
        key = expand_word(pair.key, env, ctx.escape)
        value = expand_word(pair.value or "", env, ctx.escape)
        state.config["Env"] = add_env(state.config.get("Env") or [], key, value)
        parts.append(f"{key}={value}")
    commit_history(state, ctx, "ENV " + " ".join(parts), False)


def dispatch_label(state: StageState, ctx: StepContext, c: ins.Label) -> None:
    labels = state.config.setdefault("Labels", {}) or {}
    state.config["Labels"] = labels
    parts = []
    for pair in c.pairs:
        env = state.env()
        key = expand_word(pair.key, env, ctx.escape)
        labels[key] = expand_word(pair.value or "", env, ctx.escape)
        parts.append(f"{key}={labels[key]}")
    commit_history(state, ctx, "LABEL " + " ".join(parts), False)


def dispatch_arg(state: StageState, ctx: StepContext, c: ins.Arg) -> None:
    parts = []
    for pair in c.pairs:
        value = state.args.declare(pair.key, pair.value, state.env(), ctx.escape)
        parts.append(pair.key if value is None else f"{pair.key}={value}")
    commit_history(state, ctx, "ARG " + " ".join(parts), False)


def _command(state: StageState, cmd: tuple[str, ...], prepend_shell: bool) -> list[str]:
    if not prepend_shell:
        return list(cmd)
    shell = list(state.config.get("Shell") or DEFAULT_SHELL)
    return shell + [" ".join(cmd)]


def dispatch_cmd(state: StageState, ctx: StepContext, c: ins.Cmd) -> None:
    args = _command(state, c.cmd, c.prepend_shell)
    state.config["Cmd"] = args
    state.config["ArgsEscaped"] = True
    state.cmd_set = True
    commit_history(state, ctx, "CMD " + go_quote_list(args), False)


def dispatch_entrypoint(state: StageState, ctx: StepContext, c: ins.Entrypoint) -> None:
    args = _command(state, c.cmd, c.prepend_shell)
    state.config["Entrypoint"] = args
    if not state.cmd_set:
        state.config["Cmd"] = None
    commit_history(state, ctx, "ENTRYPOINT " + go_quote_list(args), False)


def dispatch_maintainer(state: StageState, ctx: StepContext, c: ins.Maintainer) -> None:
    state.image["author"] = c.maintainer
    commit_history(state, ctx, f"MAINTAINER {c.maintainer}", False)


_PORT_RE = (r"^(?:(?:[\d.]+|\[[0-9a-f:]+\]):)?(?:\d*(?:-\d+)?:)?(\d+)(?:-(\d+))?"
            r"(?:/(tcp|udp|sctp))?$")  # compiled on first use (EXPOSE), as _SIGNAL_RE


def parse_ports(specs: list[str]) -> list[str]:
    """``80``, ``80/udp``, ``8000-8002``, ``127.0.0.1:80:8080`` → ``["8080/tcp", ...]``."""
    out: list[str] = []
    for spec in specs:
        m = re.match(_PORT_RE, spec, re.IGNORECASE)
        if m is None:
            raise InvalidArgument(f"invalid containerPort: {spec}")
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        proto = (m.group(3) or "tcp").lower()
        if last < first or last > 65535:
            raise InvalidArgument(f"invalid range specified for container port: {spec}")
        out.extend(f"{p}/{proto}" for p in range(first, last + 1))
    return out


def dispatch_expose(state: StageState, ctx: StepContext, c: ins.Expose) -> None:
    env = state.env()
    words = [w for p in c.ports for w in expand_words(p, env, ctx.escape)]
    ports = parse_ports(words)
    exposed = state.config.get("ExposedPorts") or {}
    for port in ports:
        exposed[port] = {}
    state.config["ExposedPorts"] = exposed
    shown = " ".join(f"{p}:{{}}" for p in sorted(set(ports)))
    commit_history(state, ctx, f"EXPOSE map[{shown}]", False)


def dispatch_volume(state: StageState, ctx: StepContext, c: ins.Volume) -> None:
    env = state.env()
    paths = [expand_word(p, env, ctx.escape) for p in c.paths]
    if any(not p for p in paths):
        raise InvalidArgument("VOLUME specified can not be an empty string")
    volumes = state.config.get("Volumes") or {}
    for path in paths:
        volumes[path] = {}
    state.config["Volumes"] = volumes
    commit_history(state, ctx, "VOLUME [" + " ".join(paths) + "]", False)


def dispatch_user(state: StageState, ctx: StepContext, c: ins.User) -> None:
    user = expand_word(c.user, state.env(), ctx.escape)
    state.config["User"] = user
    commit_history(state, ctx, f"USER {user}", False)


_SIGNAL_RE = r"^(\d+|(SIG)?[A-Z][A-Z0-9]*([+-]\d+)?)$"


def dispatch_stopsignal(state: StageState, ctx: StepContext, c: ins.StopSignal) -> None:
    signal = expand_word(c.signal, state.env(), ctx.escape)
    if not re.match(_SIGNAL_RE, signal):
        raise InvalidArgument(f"invalid signal: {signal}")
    state.config["StopSignal"] = signal
    commit_history(state, ctx, f"STOPSIGNAL {signal}", False)


def dispatch_shell(state: StageState, ctx: StepContext, c: ins.Shell) -> None:
    state.config["Shell"] = list(c.shell)
    commit_history(state, ctx, "SHELL [" + " ".join(c.shell) + "]", False)


def dispatch_healthcheck(state: StageState, ctx: StepContext, c: ins.Healthcheck) -> None:
    from scow.build.flags import format_duration as fd

    hc: dict[str, Any] = {"Test": list(c.test)}
    for key, value in (("Interval", c.interval), ("Timeout", c.timeout),
                       ("StartPeriod", c.start_period), ("StartInterval", c.start_interval),
                       ("Retries", c.retries)):
        if value:
            hc[key] = value
    state.config["Healthcheck"] = hc
    commit_history(state, ctx, f"HEALTHCHECK {{Test:[{' '.join(c.test)}] "
                               f"Interval:{fd(c.interval)} Timeout:{fd(c.timeout)} "
                               f"StartPeriod:{fd(c.start_period)} "
                               f"StartInterval:{fd(c.start_interval)} Retries:{c.retries}}}",
                   False)


def dispatch_onbuild(state: StageState, ctx: StepContext, c: ins.Onbuild) -> None:
    state.config["OnBuild"] = (state.config.get("OnBuild") or []) + [c.expression]


# -- filesystem instructions -------------------------------------------------------------------
def normalize_workdir(current: str, path: str) -> str:
    joined = path if path.startswith("/") else posixpath.join(current or "/", path)
    return posixpath.normpath(joined).replace("//", "/")


def dispatch_workdir(state: StageState, ctx: StepContext, c: ins.Workdir, label: str) -> None:
    wd = normalize_workdir(state.config.get("WorkingDir") or "/",
                           expand_word(c.path, state.env(), ctx.escape))
    state.config["WorkingDir"] = wd
    if wd == "/":
        commit_history(state, ctx, "WORKDIR /", False)
        return
    user = state.config.get("User") or ""
    parent = state.chain
    _layer_step(state, ctx, label, {"cmd": f"WORKDIR {wd}", "user": user},
                lambda: ctx.engine.mkdir_step(parent, wd, user))
    commit_history(state, ctx, f"WORKDIR {wd}", True)


def run_argv(state: StageState, c: ins.Run) -> list[str]:
    """The argv of a RUN, with BuildKit's heredoc rules."""
    args = list(c.cmd)
    if c.heredocs:
        from e2b_dockerfile_utils import parse_heredoc

        if len(args) == 1 and parse_heredoc(args[0]) is not None:
            args = [c.heredocs[0].content]
        else:
            text = args[0]
            for doc in c.heredocs:
                text += "\n" + doc.content + doc.name
            args = [text]
    return _command(state, tuple(args), c.prepend_shell)


def run_created_by(state: StageState, argv: list[str]) -> str:
    """``RUN [|N K=v ...] argv`` as BuildKit's runCommandString."""
    env = state.env()
    pairs = [f"{k}={env.get(k, v or '')}" for k, v in state.args.declared.items()]
    prefix = [f"|{len(pairs)}", *pairs] if pairs else []
    return "RUN " + " ".join(prefix + argv)


def dispatch_run(state: StageState, ctx: StepContext, c: ins.Run, label: str) -> None:
    from scow.build.run_mounts import resolve_mounts, run_network, run_privileged

    network = run_network(c, ctx)
    privileged = run_privileged(c, ctx)
    mounts, mount_keys = resolve_mounts(state, ctx, c)
    argv = run_argv(state, c)
    created_by = run_created_by(state, argv)
    env = list(state.config.get("Env") or [])
    for key, value in state.args.run_env().items():
        if not any(e.partition("=")[0] == key for e in env):
            env.append(f"{key}={value}")
    ssh = next((m.target for m in mounts if m.type == "ssh"), None)
    if ssh and not any(e.startswith("SSH_AUTH_SOCK=") for e in env):
        env.append(f"SSH_AUTH_SOCK={ssh}")
    spec = RunSpec(tuple(argv), tuple(env), state.config.get("User") or "",
                   state.config.get("WorkingDir") or "/", network, ctx.epoch,
                   extras=ctx.run_extras, mounts=mounts, privileged=privileged)
    parent = state.chain

    def work() -> DiffID:
        result = ctx.engine.run_step(parent, spec, ctx.output)
        if result.exit_code != 0 or result.diff_id is None:
            raise BuildStepFailed(f"process {dumps(' '.join(argv), ensure_ascii=False)} "
                                  f"did not complete successfully: exit code: "
                                  f"{result.exit_code}")
        return result.diff_id

    parts: dict[str, Any] = {"cmd": created_by, "config": state.config, "network": network,
                             **ctx.run_extras.cache_part()}
    if mounts or privileged:
        parts.update(mounts=mount_keys, privileged=privileged)
    _layer_step(state, ctx, label, parts, work)
    commit_history(state, ctx, created_by + " # buildkit", True)


def dispatch_copy(state: StageState, ctx: StepContext, c: ins.Copy, label: str) -> None:
    from scow.build.copying import plan_copy

    parent = state.chain
    with plan_copy(state, ctx, c, state.env()) as (spec, checksum, shown):
        created_by = f"{c.name} {' '.join(shown)} # buildkit"
        _layer_step(state, ctx, label, {"cmd": created_by, "sum": checksum,
                                        "chown": spec.chown, "chmod": spec.chmod,
                                        "dest_is_dir": spec.dest_is_dir},
                    lambda: ctx.engine.copy_step(parent, spec))
    commit_history(state, ctx, created_by, True)
