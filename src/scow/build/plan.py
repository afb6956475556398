"""owns: the stage graph of a Dockerfile: what each stage is built on (an image, ``scratch``
or an earlier stage), which stages it copies from, the target (``--target``), which stages the
target needs (the rest are skipped), and an order in waves whose stages can run in parallel.
"""

from __future__ import annotations

from collections.abc import Mapping

from scow.build.instructions import Copy, Dockerfile, Onbuild, Run, Stage
from scow.build.shell import expand_word
from scow.errors import DockerfileError, InvalidArgument, Unsupported

TYPE_CHECKING = False  # mypy honours the name; dataclasses costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass
else:
    from scow.typeshim import dataclass

DOCKER_IMAGE = "docker-image://"


@dataclass(frozen=True)
class StagePlan:
    index: int
    name: str | None
    base_stage: int | None  # FROM <earlier stage>
    base_image: str | None  # FROM <image> (after substitution); "scratch" for scratch
    deps: frozenset[int]  # stages needed first: the base stage and COPY --from stages


@dataclass(frozen=True)
class BuildPlan:
    stages: tuple[StagePlan, ...]
    target: int
    needed: tuple[int, ...]  # ascending; stages not listed are skipped
    waves: tuple[tuple[int, ...], ...]  # each wave's stages depend only on earlier waves

    def stage_ref(self, ref: str, before: int) -> int | None:
        """The stage a ``--from``/FROM value names (name or index), if it names one."""
        return _stage_ref(self.stages, ref, before)


def plan_build(df: Dockerfile, meta_env: Mapping[str, str], target: str | None = None,
               contexts: Mapping[str, str] | None = None) -> BuildPlan:
    """Resolve FROM and COPY --from against stages; pick the target and what it needs.
    `contexts` (``--build-context``): a FROM naming one uses its ``docker-image://`` image,
    even over a stage of that name (BuildKit)."""
    plans: list[StagePlan] = []
    for stage in df.stages:
        image = expand_word(stage.from_.image, meta_env, df.escape)
        if not image:
            raise DockerfileError(f"{df.filename}:{stage.from_.line}: base name "
                                  f"({stage.from_.image}) should not be blank")
        named = (contexts or {}).get(image)
        if named is not None:
            if not named.startswith(DOCKER_IMAGE):
                raise Unsupported(f"{df.filename}:{stage.from_.line}: FROM {image}: a build "
                                  "context folder as a base is not supported (use "
                                  "docker-image:// or COPY --from)")
            image = named[len(DOCKER_IMAGE):]
        base = None if named is not None else _stage_ref(plans, image, stage.index)
        deps = set() if base is None else {base}
        deps |= _copy_from_deps(df, stage, plans, meta_env)
        deps |= _mount_from_deps(stage, plans)
        plans.append(StagePlan(stage.index, stage.name, base,
                               None if base is not None else image, frozenset(deps)))
    chosen = _target_index(plans, target)
    needed = _closure(plans, chosen)
    return BuildPlan(tuple(plans), chosen, tuple(sorted(needed)), _waves(plans, needed))


def _stage_ref(plans: tuple[StagePlan, ...] | list[StagePlan], ref: str,
               before: int) -> int | None:
    low = ref.lower()
    for plan in plans[:before]:
        if plan.name is not None and plan.name == low:
            return plan.index
    if ref.isdigit():
        index = int(ref)
        if index >= before:
            raise InvalidArgument(f"invalid stage index {index}: stages must come before "
                                  f"the stage using them")
        return index
    return None


def _copy_from_deps(df: Dockerfile, stage: Stage, plans: list[StagePlan],
                    meta_env: Mapping[str, str]) -> set[int]:
    deps: set[int] = set()
    for ins in stage.instructions:
        copy = ins.trigger if isinstance(ins, Onbuild) else ins
        if not isinstance(copy, Copy) or copy.from_ is None or isinstance(ins, Onbuild):
            continue
        ref = expand_word(copy.from_, meta_env, df.escape)
        later = [s for s in df.stages[stage.index:] if s.name == ref.lower()]
        if later and _stage_ref(plans, ref, stage.index) is None:
            raise DockerfileError(f"{df.filename}:{copy.line}: cannot copy from stage "
                                  f"{ref!r}, it needs to be defined before current stage")
        found = _stage_ref(plans, ref, stage.index)
        if found is not None:
            deps.add(found)
    return deps


def _mount_from_deps(stage: Stage, plans: list[StagePlan]) -> set[int]:
    """Stages a ``RUN --mount=from=<stage>`` names (``from`` takes no variables)."""
    refs = [m.from_ for ins in stage.instructions if isinstance(ins, Run)
            for m in ins.mounts if m.from_]
    found = (_stage_ref(plans, ref, stage.index) for ref in refs)
    return {i for i in found if i is not None}


def _target_index(plans: list[StagePlan], target: str | None) -> int:
    if target is None:
        return plans[-1].index
    for plan in plans:
        if plan.name == target.lower():
            return plan.index
    raise InvalidArgument(f"target stage {target!r} could not be found")


def _closure(plans: list[StagePlan], start: int) -> set[int]:
    needed: set[int] = set()
    todo = [start]
    while todo:
        index = todo.pop()
        if index not in needed:
            needed.add(index)
            todo.extend(plans[index].deps)
    return needed


def _waves(plans: list[StagePlan], needed: set[int]) -> tuple[tuple[int, ...], ...]:
    level: dict[int, int] = {}
    for index in sorted(needed):  # deps always have lower indexes
        level[index] = 1 + max((level[d] for d in plans[index].deps), default=-1)
    waves: dict[int, list[int]] = {}
    for index, lvl in level.items():
        waves.setdefault(lvl, []).append(index)
    return tuple(tuple(sorted(waves[k])) for k in sorted(waves))
