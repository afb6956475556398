"""owns: a whole build: parse, plan the stages, build the needed ones (independent ones in
parallel threads), the step loop of a stage (FROM, ONBUILD triggers of its base image, then
each instruction through ``dispatch``), and committing the target's image config.

    result = build(engine, BuildContext.from_dir("."), BuildOptions(tags=("app:1",)), progress)
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping

from scow.build import checks, parsecache
from scow.build import dispatch as d
from scow.build import instructions as ins
from scow.build.context import BuildContext
from scow.build.plan import BuildPlan, plan_build
from scow.build.ports import BuildEngine, BuildOptions
from scow.build.progress import Progress, Vertex
from scow.build.shell import ArgScope, check_platform, expand_word, platform_args, resolve_meta_args
from scow.errors import BuildStepFailed, DockerfileError, ScowError
from scow.fastjson import dumps, loads
from scow.ids import ChainID, ImageID, chain_id

TYPE_CHECKING = False  # mypy honours the name; dataclasses costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass
    from typing import Any
else:
    from scow.typeshim import dataclass

_LAYER_STEPS = (ins.Run, ins.Copy, ins.Workdir)


@dataclass(frozen=True)
class BuildResult:
    image_id: ImageID
    image: dict[str, Any]  # the committed config JSON
    built_stages: tuple[int, ...]
    warnings: tuple[checks.LintWarning, ...] = ()  # frontend checks (printed after a build)
    reused: bool = False  # every step a cache hit: the image an earlier such build committed


@dataclass(frozen=True)
class CheckResult:
    """``build --check``: the warnings, and the Dockerfile they point into."""

    warnings: tuple[checks.LintWarning, ...]
    filename: str
    text: str


def check(engine: BuildEngine, context: BuildContext | None,
          options: BuildOptions) -> CheckResult:
    """Run the frontend checks on the Dockerfile without building it."""
    text, name = _read(context, options)
    df = parsecache.parse(engine, text, name, unique_stages=False)
    config = checks.check_config(text, options.build_args.get("BUILDKIT_DOCKERFILE_CHECK"))
    meta = resolve_meta_args(df.meta_args, options.build_args, df.escape)
    plan = plan_build(df, meta, options.target)
    return CheckResult(tuple(_lint(engine, df, plan, config)), name, text)


def _read(context: BuildContext | None, options: BuildOptions) -> tuple[str, str]:
    """The Dockerfile's text and name; a ``# syntax=`` of another frontend is refused."""
    raw = options.dockerfile_text
    if raw is None:
        if context is None:
            raise DockerfileError("read dockerfile: no build context and no Dockerfile given")
        raw = context.read_dockerfile(options.dockerfile)
    ins.check_bounds(raw)
    text = raw.decode("utf-8", errors="replace")
    name = "Dockerfile" if options.dockerfile == "-" else os.path.basename(options.dockerfile)
    checks.check_syntax(text, name)
    return text, name


def _lint(engine: BuildEngine, df: ins.Dockerfile, plan: BuildPlan,
          config: checks.CheckConfig) -> list[checks.LintWarning]:
    def base_env(index: int) -> list[str] | None:
        ref = plan.stages[index].base_image
        if ref is None or ref == "scratch":
            return None
        try:
            env = engine.get_image(ref).config.get("config", {}).get("Env")
        except ScowError:
            return None  # the build says why, at the FROM line
        return list(env or [])

    return checks.run_checks(df, config, base_env)


def build(engine: BuildEngine, context: BuildContext | None, options: BuildOptions,
          progress: Progress) -> BuildResult:
    """Build `options.target` (or the last stage) of the Dockerfile; return the image."""
    started = time.monotonic()
    if options.platform:
        check_platform(options.platform)
    text, name = _read(context, options)
    df = parsecache.parse(engine, text, name)  # the store's entry on a rebuild
    config = checks.check_config(text, options.build_args.get("BUILDKIT_DOCKERFILE_CHECK"))
    meta = resolve_meta_args(df.meta_args, options.build_args, df.escape)
    plan = plan_build(df, meta, options.target, options.build_contexts)
    warnings = _lint(engine, df, plan, config)
    if config.error and warnings:
        rules = ", ".join(sorted({w.rule for w in warnings}))
        raise DockerfileError(f"{name}: lint violation found for rules: {rules}")
    created = _rfc3339(options.epoch)
    runner = _Runner(engine, context, options, progress, df, plan, meta, created)
    for wave in plan.waves:
        if len(wave) == 1:
            runner.build_stage(wave[0])
        else:
            _build_in_parallel(engine, runner, wave)
    state = runner.states[plan.target]
    image_id = _export(engine, options, state, created, progress)
    progress.finish(time.monotonic() - started)
    return BuildResult(image_id, state.image, plan.needed, tuple(warnings))


def _build_in_parallel(engine: BuildEngine, runner: _Runner, wave: tuple[int, ...]) -> None:
    """Build independent stages in threads (concurrent.futures loads logging: only here).
    The first error (or an interrupt of this thread) stops the others' steps before it goes
    on: a sibling's RUN left running would hold the build, and its caller, until it ended."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(wave)) as pool:
        futures = [pool.submit(runner.build_stage, i) for i in wave]
        try:
            for future in futures:
                future.result()
        except BaseException:
            engine.stop_steps()
            pool.shutdown(cancel_futures=True)
            raise


def _export(engine: BuildEngine, options: BuildOptions, state: d.StageState, created: str,
            progress: Progress) -> ImageID:
    """Commit and tag the target's image; or, with ``-o type=local|tar``, write its
    filesystem there instead (no image: the returned ID is empty)."""
    image = state.image
    if options.labels:
        labels = image.setdefault("config", {}).get("Labels") or {}
        image["config"]["Labels"] = {**labels, **options.labels}
    image["created"] = created
    if options.output is not None:
        with progress.vertex(f"exporting to {options.output.type}"):
            engine.export_rootfs(state.chain, options.output)
        return ImageID("")
    blob = dumps(image, sort_keys=True, separators=(",", ":")).encode()
    with progress.vertex("exporting to image") as vertex:
        image_id = engine.commit_image(blob)
        vertex.log(f"writing image {image_id}\n".encode())
        for tag in options.tags:
            engine.tag(image_id, tag)
            vertex.log(f"naming to {normalize_ref(tag)}\n".encode())
    return image_id


def normalize_ref(ref: str) -> str:
    """``alpine`` → ``docker.io/library/alpine``; ``acme/x:1`` → ``docker.io/acme/x:1``."""
    first = ref.split("/", 1)[0]
    if "/" not in ref:
        return f"docker.io/library/{ref}"
    if "." in first or ":" in first or first == "localhost":
        return ref
    return f"docker.io/{ref}"


def _rfc3339(epoch: int | None) -> str:
    """`datetime.isoformat` of `epoch` (SOURCE_DATE_EPOCH) or of now, in UTC with ``Z``; now
    without the datetime module (its import is a few % of an unchanged rebuild)."""
    if epoch is not None:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")
    ns = time.time_ns()
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000))
    micros = ns // 1000 % 1_000_000
    return f"{text}.{micros:06d}Z" if micros else text + "Z"  # isoformat drops a zero fraction


class _Runner:
    def __init__(self, engine: BuildEngine, context: BuildContext | None,
                 options: BuildOptions, progress: Progress, df: ins.Dockerfile,
                 plan: BuildPlan, meta: Mapping[str, str], created: str) -> None:
        self.engine, self.context, self.options = engine, context, options
        self.progress, self.df, self.plan, self.meta = progress, df, plan, meta
        self.created = created
        self.states: dict[int, d.StageState] = {}
        self.lock = threading.Lock()

    # -- one stage -------------------------------------------------------------------------
    def build_stage(self, index: int) -> None:
        stage = self.df.stages[index]
        total = 1 + sum(isinstance(i, _LAYER_STEPS) for i in stage.instructions)
        counter = iter(range(1, total + 1))
        width = len(str(total))
        prefix = f"{stage.name} " if stage.name else ""
        current: list[Vertex] = []

        def label(text: str) -> str:
            return f"[{prefix}{next(counter):>{width}}/{total}] {text}"

        ctx = self._context(current, index)
        state = self._from(stage, label(f"FROM {self._from_label(stage)}"), current)
        for trigger in list(state.config.get("OnBuild") or []):
            parsed = ins.parse_instruction(trigger, self.df.escape, self.df.filename,
                                           stage.from_.line)
            self._dispatch(state, ctx, parsed, lambda t: f"[{prefix}ONBUILD] {t}")
        state.config["OnBuild"] = None
        for instruction in stage.instructions:
            self._dispatch(state, ctx, instruction, label)
        with self.lock:
            self.states[index] = state

    def _from_label(self, stage: ins.Stage) -> str:
        plan = self.plan.stages[stage.index]
        if plan.base_stage is not None:
            return self.df.stages[plan.base_stage].name or str(plan.base_stage)
        assert plan.base_image is not None
        return plan.base_image if plan.base_image == "scratch" else normalize_ref(
            plan.base_image)

    def _from(self, stage: ins.Stage, label: str, current: list[Vertex]) -> d.StageState:
        plan = self.plan.stages[stage.index]
        args = ArgScope({**platform_args(), **self.meta}, self.options.build_args)
        if stage.from_.platform is not None:
            try:
                check_platform(expand_word(stage.from_.platform, {**platform_args(),
                                                                  **self.meta}),
                               "FROM --platform")
            except ScowError as exc:
                raise _located(exc, self.df.filename, stage.from_.line) from None
        if plan.base_stage is not None:
            with self.lock:
                state = self.states[plan.base_stage].clone()
            state.config["OnBuild"] = None
            state.cmd_set = False
            return state
        if plan.base_image == "scratch":
            image: dict[str, Any] = {"architecture": platform_args()["TARGETARCH"],
                                     "os": "linux", "config": {},
                                     "rootfs": {"type": "layers", "diff_ids": []},
                                     "history": []}
        else:
            assert plan.base_image is not None
            with self.progress.vertex(label) as vertex:
                try:
                    view = self.engine.get_image(plan.base_image)
                except ScowError as exc:
                    vertex.error(str(exc))
                    raise _located(exc, self.df.filename, stage.from_.line) from None
            image = _base_image(dict(view.config))
        state = d.StageState(image, args)
        env = state.config.get("Env") or []
        if not any(e.startswith("PATH=") for e in env):
            state.config["Env"] = [d.DEFAULT_PATH, *env]
        return state

    def _context(self, current: list[Vertex], index: int) -> d.StepContext:
        def step(text: str, work: Callable[[], bool]) -> None:
            with self.progress.vertex(text) as vertex:
                current.append(vertex)
                try:
                    vertex.done(cached=work())
                except ScowError as exc:
                    vertex.error(str(exc))
                    raise
                finally:
                    current.pop()

        def output(data: bytes) -> None:
            if current:
                current[-1].log(data)

        return d.StepContext(
            engine=self.engine, context=self.context.source if self.context else None,
            escape=self.df.escape, created=self.created, epoch=self.options.epoch,
            no_cache=self._no_cache(index), network=self.options.network,
            stage_chain=lambda ref: self._stage_chain(ref, index), step=step, output=output,
            run_extras=self.options.run_extras, contexts=self.options.build_contexts,
            allow=tuple(self.options.allow))

    def _no_cache(self, index: int) -> bool:
        """--no-cache, or --no-cache-filter naming this stage (by name or index)."""
        name = self.df.stages[index].name
        wanted = {f.lower() for f in self.options.no_cache_filter}
        return self.options.no_cache or name in wanted or str(index) in wanted

    def _stage_chain(self, ref: str, before: int) -> tuple[bool, ChainID | None]:
        found = self.plan.stage_ref(ref, before)
        if found is None:
            return False, None
        with self.lock:
            state = self.states.get(found)
        if state is None:
            raise BuildStepFailed(f"stage {ref!r} was not built before it was needed")
        return True, (chain_id(state.diff_ids) if state.diff_ids else None)

    def _dispatch(self, state: d.StageState, ctx: d.StepContext, c: ins.Instruction,
                  label: Callable[[str], str]) -> None:
        try:
            _dispatch_one(state, ctx, c, label)
        except DockerfileError:
            raise
        except ScowError as exc:
            raise _located(exc, self.df.filename, c.line) from None


def _dispatch_one(state: d.StageState, ctx: d.StepContext, c: ins.Instruction,
                  label: Callable[[str], str]) -> None:
    simple: dict[type, Callable[..., None]] = {
        ins.Env: d.dispatch_env, ins.Label: d.dispatch_label, ins.Arg: d.dispatch_arg,
        ins.Cmd: d.dispatch_cmd, ins.Entrypoint: d.dispatch_entrypoint,
        ins.Maintainer: d.dispatch_maintainer, ins.Expose: d.dispatch_expose,
        ins.Volume: d.dispatch_volume, ins.User: d.dispatch_user,
        ins.StopSignal: d.dispatch_stopsignal, ins.Shell: d.dispatch_shell,
        ins.Healthcheck: d.dispatch_healthcheck, ins.Onbuild: d.dispatch_onbuild,
    }
    fn = simple.get(type(c))
    if fn is not None:
        fn(state, ctx, c)
        return
    text = _display(c)
    if isinstance(c, ins.Run):
        d.dispatch_run(state, ctx, c, label(text))
    elif isinstance(c, ins.Copy):
        d.dispatch_copy(state, ctx, c, label(text))
    elif isinstance(c, ins.Workdir):
        d.dispatch_workdir(state, ctx, c, label(text))
    else:  # pragma: no cover - every instruction type is listed above
        raise DockerfileError(f"unsupported instruction {c.name}")


def _display(c: ins.Instruction) -> str:
    keyword, _, rest = c.original.strip().partition(" ")
    return f"{keyword.upper()} {rest.strip()}".strip()


def _base_image(config: dict[str, Any]) -> dict[str, Any]:
    keep = ("architecture", "os", "variant", "author", "config", "rootfs", "history")
    image = {k: loads(dumps(config[k])) for k in keep if k in config}
    image.setdefault("config", {})
    image.setdefault("rootfs", {"type": "layers", "diff_ids": []})
    image.setdefault("history", [])
    return image


def _located(exc: ScowError, filename: str, line: int) -> ScowError:
    message = f"{filename}:{line}: {exc.message}"
    try:
        return type(exc)(message)
    except TypeError:
        return BuildStepFailed(message)
