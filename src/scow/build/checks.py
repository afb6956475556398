"""owns: the Dockerfile frontend checks of BuildKit (``docker build --check`` and the warnings
printed after a build): the ``# syntax=`` and ``# check=`` parser directives, and the rules
scow implements, with BuildKit's names, messages and documentation links (linter/ruleset.go).

    found = run_checks(df, text, base_env)   # [LintWarning(rule, message, line, url), ...]

``# syntax=`` naming docker's own Dockerfile frontend (``docker/dockerfile[-upstream]``, any
tag or digest, on docker.io or not) is accepted and ignored: scow parses every Dockerfile with
its own frontend; any other frontend image is refused, since scow cannot run it.
``# check=skip=A,B;error=true`` skips rules (``skip=all``: every one) and makes any remaining
warning fail the build, as BuildKit does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from scow.build import instructions as ins
from scow.errors import DockerfileError, Unsupported

TYPE_CHECKING = False  # mypy honours the name; dataclasses costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass
else:
    from scow.typeshim import dataclass

DOCS = "https://docs.docker.com/go/dockerfile/rule/"
_DIRECTIVE_RE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$")
_DOCKER_FRONTEND_RE = (  # compiled on first use: most Dockerfiles have no ``# syntax=``
    r"^(?:(?:docker\.io|registry-1\.docker\.io)/)?docker/dockerfile(?:-upstream)?"
    r"(?::[A-Za-z0-9_.-]+)?(?:@sha256:[0-9a-f]{64})?$")
_VAR_RE = re.compile(r"(?<!\\)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_RESERVED_STAGES = ("context", "scratch")


@dataclass(frozen=True)
class LintWarning:
    rule: str
    message: str
    line: int

    @property
    def url(self) -> str:
        kebab = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", self.rule)
        return DOCS + kebab.lower() + "/"


@dataclass(frozen=True)
class CheckConfig:
    """``# check=skip=...;error=true``."""

    skip: frozenset[str] = frozenset()
    error: bool = False

    def skips(self, rule: str) -> bool:
        return "all" in self.skip or rule in self.skip


def directives(text: str) -> dict[str, str]:
    """The parser directives: ``# name=value`` lines before anything else (lower-cased
    names; the first of each wins)."""
    out: dict[str, str] = {}
    for raw in text.lstrip("\ufeff").splitlines():
        m = _DIRECTIVE_RE.match(raw.strip())
        if m is None:
            break
        out.setdefault(m.group(1).lower(), m.group(2))
    return out


def check_syntax(text: str, filename: str = "Dockerfile") -> None:
    """Refuse a ``# syntax=`` naming a frontend other than docker's own Dockerfile one."""
    syntax = directives(text).get("syntax")
    if syntax and not re.match(_DOCKER_FRONTEND_RE, syntax):
        raise Unsupported(f"{filename}:1: syntax {syntax!r}: only docker's own Dockerfile "
                          "frontend (docker/dockerfile) is supported; scow does not run "
                          "frontend images")


def check_config(text: str, override: str | None = None) -> CheckConfig:
    """``# check=`` (or the BUILDKIT_DOCKERFILE_CHECK build arg, which wins)."""
    value = override if override is not None else directives(text).get("check", "")
    skip: set[str] = set()
    error = False
    for part in filter(None, (p.strip() for p in value.split(";"))):
        key, _, val = part.partition("=")
        key = key.strip().lower()
        if key == "skip":
            skip |= {s.strip() for s in val.split(",") if s.strip()}
        elif key == "error":
            if val.strip().lower() not in ("true", "false"):
                raise DockerfileError(f"check: error={val!r}: want true or false")
            error = val.strip().lower() == "true"
        else:
            raise DockerfileError(f"check: unknown option {key!r}: want skip or error")
    return CheckConfig(frozenset(skip), error)


BaseEnv = Callable[[int], "list[str] | None"]  # stage index → its base image's Env or None


def run_checks(df: ins.Dockerfile, config: CheckConfig, base_env: BaseEnv) -> list[LintWarning]:
    """Every warning of the rules scow implements, in line order, minus skipped rules."""
    found: list[LintWarning] = []
    _casing(df, found)
    _stage_names(df, found)
    for stage in df.stages:
        _stage_rules(stage, found)
    _undefined_vars(df, base_env, found)
    return sorted((w for w in found if not config.skips(w.rule)), key=lambda w: w.line)


def _keyword(c: ins.Instruction) -> str:
    return c.original.strip().split(None, 1)[0] if c.original.strip() else c.name


def _all_instructions(df: ins.Dockerfile) -> list[ins.Instruction]:
    out: list[ins.Instruction] = list(df.meta_args)
    for stage in df.stages:
        out.append(stage.from_)
        out.extend(stage.instructions)
    return sorted(out, key=lambda c: c.line)


def _casing(df: ins.Dockerfile, found: list[LintWarning]) -> None:
    """ConsistentInstructionCasing and FromAsCasing."""
    every = _all_instructions(df)
    words = [_keyword(c) for c in every]
    lower = sum(w == w.lower() for w in words)
    upper = sum(w == w.upper() for w in words)
    majority_lower = lower > upper
    for c, word in zip(every, words, strict=True):
        correct = word.lower() if majority_lower else word.upper()
        if word != correct:
            found.append(LintWarning("ConsistentInstructionCasing",
                                 f"Command '{word}' should match the case of the command "
                                 f"majority ({correct})", c.line))
    for stage in df.stages:
        parts = stage.from_.original.split()
        as_word = next((p for p in parts[1:] if p.lower() == "as"), None)
        from_word = parts[0]
        if as_word is None or from_word not in (from_word.lower(), from_word.upper()):
            continue
        want = as_word.upper() if from_word == from_word.upper() else as_word.lower()
        if as_word != want:
            found.append(LintWarning("FromAsCasing", f"'{as_word}' and '{from_word}' keywords' "
                                 "casing do not match", stage.from_.line))


def _stage_names(df: ins.Dockerfile, found: list[LintWarning]) -> None:
    """StageNameCasing, ReservedStageName, DuplicateStageName (names as written)."""
    seen: set[str] = set()
    for stage in df.stages:
        words = stage.from_.original.split()
        written = words[-1] if len(words) >= 3 and words[-2].lower() == "as" else None
        if written is None:
            continue
        line = stage.from_.line
        if written != written.lower():
            found.append(LintWarning("StageNameCasing",
                                 f"Stage name '{written}' should be lowercase", line))
        name = written.lower()
        if name in _RESERVED_STAGES:
            found.append(LintWarning("ReservedStageName", "Stage name should not use the same "
                                 f'name as reserved stage "{name}"', line))
        if name in seen:
            found.append(LintWarning("DuplicateStageName", f'Duplicate stage name "{name}", '
                                 "stage names should be unique", line))
        seen.add(name)


def _stage_rules(stage: ins.Stage, found: list[LintWarning]) -> None:
    """JSONArgsRecommended, MaintainerDeprecated, WorkdirRelativePath, LegacyKeyValueFormat."""
    workdir_set = False
    for c in stage.instructions:
        if isinstance(c, (ins.Cmd, ins.Entrypoint)) and c.prepend_shell and c.cmd:
            found.append(LintWarning("JSONArgsRecommended", f"JSON arguments recommended for "
                                 f"{c.name} to prevent unintended behavior related to OS "
                                 "signals", c.line))
        elif isinstance(c, ins.Maintainer):
            found.append(LintWarning("MaintainerDeprecated",
                                 "Maintainer instruction is deprecated in favor of using "
                                 "label", c.line))
        elif isinstance(c, ins.Workdir):
            if c.path.startswith(("/", "$")):
                workdir_set = True
            elif not workdir_set:
                found.append(LintWarning("WorkdirRelativePath", f'Relative workdir "{c.path}" '
                                     "can have unexpected results if the base image "
                                     "changes", c.line))
        elif isinstance(c, (ins.Env, ins.Label)) and _legacy_pairs(c):
            found.append(LintWarning("LegacyKeyValueFormat", f'"{c.name} key=value" should be '
                                 f'used instead of legacy "{c.name} key value" format',
                                 c.line))


def _legacy_pairs(c: ins.Instruction) -> bool:
    """``ENV key value`` (one pair, whitespace-separated) rather than ``ENV key=value``."""
    rest = c.original.strip().split(None, 1)
    if len(rest) < 2:
        return False
    first = rest[1].split(None, 1)[0]
    return "=" not in first


def _undefined_vars(df: ins.Dockerfile, base_env: BaseEnv, found: list[LintWarning]) -> None:
    """UndefinedVar: ``$X`` in an instruction the frontend expands (not RUN/CMD/ENTRYPOINT,
    which the shell expands) naming no ARG, ENV or variable of the base image's config."""
    known: dict[int, set[str]] = {}
    stage_names = {s.name: s.index for s in df.stages if s.name}
    for stage in df.stages:
        base = stage_names.get(stage.from_.image.lower())
        if base is not None and base < stage.index:
            defined = set(known.get(base, set()))
        elif stage.from_.image == "scratch":
            defined = set()
        else:
            env = base_env(stage.index)
            if env is None:
                known[stage.index] = set()
                continue  # base unknown: nothing to say
            defined = {e.partition("=")[0] for e in env}
        defined.add("PATH")
        for c in stage.instructions:
            _check_words(c, defined, found)
            if isinstance(c, (ins.Arg, ins.Env)):
                defined |= {p.key for p in c.pairs}
        known[stage.index] = defined


def _words(c: ins.Instruction) -> list[str]:
    if isinstance(c, ins.Copy):
        return [*c.sources, c.dest, c.chown or "", c.chmod or ""]
    if isinstance(c, (ins.Env, ins.Label, ins.Arg)):
        return [p.value or "" for p in c.pairs]
    single: Mapping[type, Callable[[ins.Instruction], list[str]]] = {
        ins.Workdir: lambda i: [i.path], ins.User: lambda i: [i.user],  # type: ignore[attr-defined]
        ins.Expose: lambda i: list(i.ports), ins.Volume: lambda i: list(i.paths),  # type: ignore[attr-defined]
        ins.StopSignal: lambda i: [i.signal],  # type: ignore[attr-defined]
    }
    fn = single.get(type(c))
    return fn(c) if fn else []


def _check_words(c: ins.Instruction, defined: set[str], found: list[LintWarning]) -> None:
    for word in _words(c):
        for m in _VAR_RE.finditer(word):
            name = m.group(1) or m.group(2)
            if name not in defined:
                found.append(LintWarning("UndefinedVar",
                                     f"Usage of undefined variable '${name}'", c.line))


def format_summary(warnings: list[LintWarning]) -> str:
    """After a build, as buildx prints it."""
    noun = "warning" if len(warnings) == 1 else "warnings"
    lines = [f" {len(warnings)} {noun} found:"]
    lines += [f" - {w.rule}: {w.message} (line {w.line})" for w in warnings]
    return "\n".join(lines) + "\n"


def format_check(warnings: list[LintWarning], filename: str, text: str) -> str:
    """``build --check``, as ``docker build --check`` prints it."""
    if not warnings:
        return "Check complete, no warnings found.\n"
    noun = "warning has" if len(warnings) == 1 else "warnings have"
    out = [f"Check complete, {len(warnings)} {noun} been found!", ""]
    source = text.splitlines()
    for w in warnings:
        shown = source[w.line - 1] if 0 < w.line <= len(source) else ""
        out += [f"WARNING: {w.rule} - {w.url}", w.message, f"{filename}:{w.line}",
                "-" * 20, f" {w.line:>3} | >>> {shown}", "-" * 20, ""]
    return "\n".join(out)
