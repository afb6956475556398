"""owns: BuildKit's variable substitution in Dockerfile words and the scoping of build args.

Substitution is e2b's port of BuildKit's shell lexer (``$X``, ``${X:-d}``, ``${X:+y}``,
``${X%.*}``, ``${X#*/}``, ``${X/a/b}``, quotes, ``\\$``). Which instructions expand words is
the dispatcher's business (ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR ARG;
never RUN/CMD/ENTRYPOINT/ONBUILD, whose words reach the shell or the image untouched).

Build args (BuildKit rules):
- ARGs before the first FROM are the *meta* args: usable in FROM lines only, unless a stage
  redeclares them with ``ARG NAME`` (no value), which then takes the meta value.
- ``--build-arg K=v`` overrides a declared ARG's default; ``--build-arg K`` takes K from the
  environment of the scow process (and is dropped if unset there).
- The predefined proxy args (HTTP_PROXY ...) reach RUN without a declaration, but are kept out
  of history and cache keys unless declared.
- ENV of the same name always wins over an ARG when expanding.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from scow.build import e2bparts
from scow.build.instructions import Arg
from scow.errors import InvalidArgument, Unsupported

TYPE_CHECKING = False  # mypy honours the name; dataclasses costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass, field
else:
    from scow.typeshim import dataclass, field

PROXY_ARGS = frozenset(
    k for base in ("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY")
    for k in (base, base.lower()))


class SubstitutionError(InvalidArgument):
    """A word whose ``${...}`` cannot be expanded (bad syntax, ``${X:?msg}``)."""


_ASCII_SPACES = " \t\n\v\f\r"  # the lexer's word breaks (Go's unicode.IsSpace) in ASCII


def _plain(word: str, escape: str) -> bool:
    """A word the lexer would give back as it is: no ``$``, quote, ``<`` (a heredoc) or escape
    token, each character then kept by e2b's ``process_stop_on`` (so the lexer, and `typing`
    that it imports, are loaded only for a word that needs them)."""
    return not any(c in word for c in ("$", "'", '"', "<", escape))


def expand_word(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """One word with quotes removed and variables expanded (unset variables: empty)."""
    if _plain(word, escape):
        return word
    ShellLex = e2bparts.shell_lex()

    try:
        return str(ShellLex(escape, env=env, skip_unset_env=False).process_word(word))
    except ValueError as exc:
        raise SubstitutionError(str(exc)) from None


def expand_words(word: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """A line split into words the shell way, each expanded (``EXPOSE $PORTS`` → many)."""
    if _plain(word, escape) and word.isascii() and not any(c in word for c in _ASCII_SPACES):
        return [word] if word else []
    ShellLex = e2bparts.shell_lex()

    try:
        return list(ShellLex(escape, env=env, skip_unset_env=False).process_words(word))
    except ValueError as exc:
        raise SubstitutionError(str(exc)) from None


def platform_args() -> dict[str, str]:
    """BuildKit's automatic platform args, for the machine scow runs on."""
    machine = os.uname().machine  # platform.machine()'s value, without its module
    arch = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(machine, machine)
    plat = f"linux/{arch}"
    return {"BUILDPLATFORM": plat, "BUILDOS": "linux", "BUILDARCH": arch, "BUILDVARIANT": "",
            "TARGETPLATFORM": plat, "TARGETOS": "linux", "TARGETARCH": arch,
            "TARGETVARIANT": ""}


def check_platform(value: str, what: str = "--platform") -> None:
    """Accept `value` (``linux/amd64``, ``amd64``, ``linux/x86_64``, comma lists) only when
    each names this machine's platform: scow runs RUN steps natively, with no emulation."""
    host = platform_args()["TARGETPLATFORM"]
    aliases = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64"}
    for item in (v.strip() for v in value.split(",")):
        parts = item.lower().split("/")
        if len(parts) == 1:
            parts = ["linux", *parts]
        parts[1] = aliases.get(parts[1], parts[1])
        if "/".join(parts[:2]) != host:
            raise Unsupported(f"{what}={item}: scow builds for this machine's platform "
                              f"({host}) only; other platforms would need emulation")


def parse_build_args(items: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """``["K=v", "K"]`` (``--build-arg``) → values; a bare K reads the environment."""
    out: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not key:
            raise InvalidArgument(f"invalid build arg {item!r}: want KEY=value")
        if eq:
            out[key] = value
        elif key in environ:
            out[key] = environ[key]
    return out


def resolve_meta_args(meta: Iterable[Arg], build_args: Mapping[str, str],
                      escape: str = "\\") -> dict[str, str]:
    """The meta ARG values (before the first FROM), for FROM lines and redeclarations."""
    env = platform_args()
    out: dict[str, str] = {}
    for arg in meta:
        for pair in arg.pairs:
            if pair.key in build_args:
                value: str | None = build_args[pair.key]
            elif pair.value is not None:
                value = expand_word(pair.value, {**env, **out}, escape)
            else:
                value = None
            if value is not None:
                out[pair.key] = value
    return {**env, **out}


@dataclass
class ArgScope:
    """The ARGs a stage has declared so far, in order, with their resolved values."""

    meta: Mapping[str, str]
    build_args: Mapping[str, str]
    declared: dict[str, str | None] = field(default_factory=dict)

    def declare(self, key: str, default: str | None, env: Mapping[str, str],
                escape: str = "\\") -> str | None:
        """Declare ``ARG key[=default]``; return its value (None: declared but unset)."""
        if key in self.build_args:
            value: str | None = self.build_args[key]
        elif default is not None:
            value = expand_word(default, env, escape)
        else:
            value = self.meta.get(key)
        self.declared.pop(key, None)
        self.declared[key] = value
        return value

    def values(self) -> dict[str, str]:
        """Declared args that have a value, in declaration order."""
        return {k: v for k, v in self.declared.items() if v is not None}

    def expansion_env(self, config_env: Iterable[str]) -> dict[str, str]:
        """What ``$X`` sees in a stage: its ARGs, overridden by the image's ENV."""
        env = self.values()
        for item in config_env:
            key, _, value = item.partition("=")
            env[key] = value
        return env

    def run_env(self) -> dict[str, str]:
        """Extra env for RUN: declared args plus proxy build args given but not declared."""
        extra = {k: v for k, v in self.build_args.items()
                 if k in PROXY_ARGS and k not in self.declared}
        return {**extra, **self.values()}

    def copy(self) -> ArgScope:
        return ArgScope(self.meta, self.build_args, dict(self.declared))
