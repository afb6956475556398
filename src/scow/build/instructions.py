"""owns: the typed Dockerfile: one frozen dataclass per instruction, stages, meta ARGs and the
parser directives, built from e2b-dockerfile-utils' port of BuildKit's parser.

e2b gives the syntax tree (continuations, heredocs, the escape directive, JSON forms, line
numbers); this module adds BuildKit's ``instructions/parse.go`` layer: flags per instruction,
ENV/LABEL/ARG pairs, HEALTHCHECK options, ONBUILD payloads re-parsed, stage names, the
``# syntax=`` value. Words keep their quotes and ``$VAR``s: substitution happens at dispatch
(``scow.build.shell``), as BuildKit does it, with the stage's ARG/ENV in scope.

Every error is one line, ``Dockerfile:3: unknown instruction: FOOBAR``.
"""

from __future__ import annotations

import re

from scow.build.flags import BOOL, LIST, STRING, FlagError, parse_flags
from scow.build.runmount import Mount
from scow.errors import DockerfileError

TYPE_CHECKING = False  # mypy honours the name; dataclasses costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass, field
    from typing import Any
else:
    from scow.typeshim import dataclass, field


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str  # already chomped for ``<<-``
    expand: bool  # unquoted terminator: $VARs are expanded (COPY/ADD)


@dataclass(frozen=True, kw_only=True)
class Instruction:
    name: str  # upper-case keyword
    line: int
    end_line: int
    original: str  # the continuation-joined source line


@dataclass(frozen=True, kw_only=True)
class KeyValue:
    key: str
    value: str | None  # None: ``ARG X`` without a default


@dataclass(frozen=True, kw_only=True)
class From(Instruction):
    image: str
    stage_name: str | None
    platform: str | None


@dataclass(frozen=True, kw_only=True)
class Run(Instruction):
    cmd: tuple[str, ...]
    prepend_shell: bool  # shell form: run through the image's SHELL
    heredocs: tuple[Heredoc, ...]
    mounts: tuple[Mount, ...]
    network: str | None
    security: str | None


@dataclass(frozen=True, kw_only=True)
class Cmd(Instruction):
    cmd: tuple[str, ...]
    prepend_shell: bool


@dataclass(frozen=True, kw_only=True)
class Entrypoint(Instruction):
    cmd: tuple[str, ...]
    prepend_shell: bool


@dataclass(frozen=True, kw_only=True)
class Env(Instruction):
    pairs: tuple[KeyValue, ...]


@dataclass(frozen=True, kw_only=True)
class Label(Instruction):
    pairs: tuple[KeyValue, ...]


@dataclass(frozen=True, kw_only=True)
class Arg(Instruction):
    pairs: tuple[KeyValue, ...]


@dataclass(frozen=True, kw_only=True)
class Maintainer(Instruction):
    maintainer: str


@dataclass(frozen=True, kw_only=True)
class Expose(Instruction):
    ports: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Copy(Instruction):
    """COPY and ADD (``name`` tells which); sources may be heredocs (``<<EOF``)."""

    sources: tuple[str, ...]
    dest: str
    heredocs: tuple[Heredoc, ...]
    from_: str | None = None
    chown: str | None = None
    chmod: str | None = None
    link: bool = False
    excludes: tuple[str, ...] = ()
    keep_git_dir: bool = False
    checksum: str | None = None
    parents: bool = False  # COPY --parents: keep the sources' paths under the destination

    @property
    def is_add(self) -> bool:
        return self.name == "ADD"


@dataclass(frozen=True, kw_only=True)
class Volume(Instruction):
    paths: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class User(Instruction):
    user: str


@dataclass(frozen=True, kw_only=True)
class Workdir(Instruction):
    path: str


@dataclass(frozen=True, kw_only=True)
class StopSignal(Instruction):
    signal: str


@dataclass(frozen=True, kw_only=True)
class Healthcheck(Instruction):
    test: tuple[str, ...]  # ("NONE",) or ("CMD", ...) or ("CMD-SHELL", "cmd")
    interval: int = 0  # nanoseconds, as the image config stores them
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0


@dataclass(frozen=True, kw_only=True)
class Shell(Instruction):
    shell: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Onbuild(Instruction):
    expression: str  # the trigger text as the image config stores it
    trigger: Instruction


@dataclass(frozen=True)
class Stage:
    index: int
    name: str | None  # lower-cased ``AS name``
    from_: From
    instructions: tuple[Instruction, ...]


@dataclass(frozen=True)
class Dockerfile:
    filename: str
    meta_args: tuple[Arg, ...]  # ARGs before the first FROM
    stages: tuple[Stage, ...]
    syntax: str | None  # ``# syntax=`` (informational; scow always uses its own frontend)
    escape: str
    warnings: tuple[str, ...] = field(default=())


MAX_DOCKERFILE_SIZE = 16 << 20  # a bound of scow's own: BuildKit reads any size
MAX_LINE = 65535  # BuildKit's: bufio.MaxScanTokenSize - 1, one physical line

# compiled on first use (re's cache): a parse from the store (parsecache.py) needs neither
_SYNTAX_RE = r"^#\s*syntax\s*=\s*(.+?)\s*$"
_E2B_PREFIX_RE = r"^Dockerfile parse error(?: on line \d+)?: "


def parse_dockerfile(text: str | bytes, filename: str = "Dockerfile", *,
                     unique_stages: bool = True) -> Dockerfile:
    """Parse a whole Dockerfile into stages; raise DockerfileError naming file and line
    (`unique_stages=False`: two stages of one name are left to ``build --check``)."""
    from e2b_dockerfile_utils import DockerfileSyntaxError, parse_dockerfile_ast

    check_bounds(text.encode() if isinstance(text, str) else text, filename)
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        ast = parse_dockerfile_ast(text)
    except DockerfileSyntaxError as exc:
        raise _error(filename, exc.line, re.sub(_E2B_PREFIX_RE, "", str(exc))) from None
    if not ast.instructions:
        raise DockerfileError(f"{filename}: file with no instructions")
    parsed = [_to_instruction(node, ast.escape_token, filename) for node in ast.instructions]
    meta: list[Arg] = []
    groups: list[tuple[From, list[Instruction]]] = []
    for ins in parsed:
        if isinstance(ins, From):
            groups.append((ins, []))
        elif groups:
            groups[-1][1].append(ins)
        elif isinstance(ins, Arg):
            meta.append(ins)
        else:
            raise _error(filename, ins.line, f"{ins.name} is not allowed before FROM")
    if not groups:
        raise _error(filename, parsed[-1].line, "no build stage in current context")
    stages = [Stage(i, f.stage_name, f, tuple(body)) for i, (f, body) in enumerate(groups)]
    if unique_stages:
        _check_stage_names(stages, filename)
    return Dockerfile(filename, tuple(meta), tuple(stages), _syntax_of(text), ast.escape_token,
                      tuple(f"{filename}:{w.line}: {w.message}" for w in ast.warnings))


def check_bounds(raw: bytes, filename: str = "Dockerfile") -> None:
    """Refuse a Dockerfile over MAX_DOCKERFILE_SIZE bytes or with a line over MAX_LINE bytes
    (BuildKit's message), before anything parses or builds it."""
    if len(raw) > MAX_DOCKERFILE_SIZE:
        raise DockerfileError(f"{filename}: {len(raw)} bytes is over the "
                              f"{MAX_DOCKERFILE_SIZE} byte limit")
    lines = raw.split(b"\n")
    if max(map(len, lines)) <= MAX_LINE:
        return
    line = next(n for n, text in enumerate(lines, 1) if len(text) > MAX_LINE)
    raise _error(filename, line, f"dockerfile line greater than max allowed size of {MAX_LINE}")


def parse_instruction(text: str, escape: str = "\\", filename: str = "Dockerfile",
                      line: int = 1) -> Instruction:
    """Parse one instruction (an ONBUILD trigger); its line numbers become `line`."""
    from e2b_dockerfile_utils import DockerfileSyntaxError, parse_dockerfile_ast

    try:
        ast = parse_dockerfile_ast(text)
    except DockerfileSyntaxError as exc:
        raise _error(filename, line, re.sub(_E2B_PREFIX_RE, "", str(exc))) from None
    if len(ast.instructions) != 1:
        raise _error(filename, line, "onbuild trigger should be a single expression")
    node = ast.instructions[0]
    node.start_line = node.end_line = line
    return _to_instruction(node, escape, filename)


def _check_stage_names(stages: list[Stage], filename: str) -> None:
    seen: set[str] = set()
    for stage in stages:
        if stage.name is None:
            continue
        if stage.name in seen:
            raise _error(filename, stage.from_.line, f"duplicate stage name {stage.name!r}")
        seen.add(stage.name)


def _syntax_of(text: str) -> str | None:
    for raw in text.lstrip("\ufeff").splitlines():
        if not raw.startswith("#"):
            return None
        m = re.match(_SYNTAX_RE, raw, re.IGNORECASE)
        if m:
            return m.group(1)
    return None


def _error(filename: str, line: int | None, message: str) -> DockerfileError:
    where = f"{filename}:{line}" if line else filename
    return DockerfileError(f"{where}: {message}")


_FLAGS: dict[str, dict[str, str]] = {
    "FROM": {"platform": STRING},
    "RUN": {"mount": LIST, "network": STRING, "security": STRING},
    "COPY": {"from": STRING, "chown": STRING, "chmod": STRING, "link": BOOL, "parents": BOOL,
             "exclude": LIST},
    "ADD": {"chown": STRING, "chmod": STRING, "link": BOOL, "keep-git-dir": BOOL,
            "checksum": STRING, "exclude": LIST},
    "HEALTHCHECK": {"interval": STRING, "timeout": STRING, "start-period": STRING,
                    "start-interval": STRING, "retries": STRING},
}


def _to_instruction(node: Any, escape: str, filename: str) -> Instruction:
    from scow.build import instruction_parsers

    try:
        flags = parse_flags(list(node.flags), _FLAGS.get(node.name, {}))
        return instruction_parsers.build(node, flags, escape, filename)
    except (FlagError, ValueError) as exc:
        raise _error(filename, node.start_line, f"{node.name.lower()} {exc}"
                     if isinstance(exc, FlagError) else str(exc)) from None


__all__ = [
    "Arg", "Cmd", "Copy", "Dockerfile", "Entrypoint", "Env", "Expose", "From", "Healthcheck",
    "Heredoc", "Instruction", "KeyValue", "Label", "Maintainer", "Mount", "Onbuild", "Run",
    "Shell", "Stage", "StopSignal", "User", "Volume", "Workdir", "parse_dockerfile",
    "parse_instruction",
]
