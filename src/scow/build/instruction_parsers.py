"""owns: one parse function per Dockerfile instruction, from an e2b syntax node and its parsed
flags to the typed instruction of ``scow.build.instructions`` (BuildKit's ``parse.go`` rules
and error texts). Raise ValueError; the caller adds ``Dockerfile:LINE:``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from scow.build import instructions as ins
from scow.build.flags import flag_list, flag_str, parse_duration
from scow.build.runmount import parse_mount

Flags = dict[str, str | bool | list[str]]
_STAGE_NAME_RE = re.compile(r"^[a-z][a-z0-9-_.]*$")
_ONBUILD_RE = re.compile(r"^\s*ONBUILD\s*", re.IGNORECASE)


def build(node: Any, flags: Flags, escape: str, filename: str) -> ins.Instruction:
    parser = _PARSERS[node.name]
    common = {"name": node.name, "line": node.start_line, "end_line": node.end_line,
              "original": node.original}
    return parser(node, flags, common, escape, filename)


def _heredocs(node: Any) -> tuple[ins.Heredoc, ...]:
    from e2b_dockerfile_utils import chomp_heredoc_content

    return tuple(ins.Heredoc(h.name, chomp_heredoc_content(h.content) if h.chomp else h.content,
                             h.expand) for h in node.heredocs)


def _at_least_one(node: Any) -> list[str]:
    if not node.args:
        raise ValueError(f"{node.name} requires at least one argument")
    return list(node.args)


def _exactly_one(node: Any) -> str:
    if len(node.args) != 1:
        raise ValueError(f"{node.name} requires exactly one argument")
    return str(node.args[0])


def _from(node: Any, flags: Flags, c: dict[str, Any], escape: str, fn: str) -> ins.Instruction:
    args = list(node.args)
    if len(args) not in (1, 3) or (len(args) == 3 and args[1].lower() != "as"):
        raise ValueError("FROM requires either one or three arguments")
    name = args[2].lower() if len(args) == 3 else None
    if name is not None and not _STAGE_NAME_RE.match(name):
        raise ValueError(f"invalid name for build stage: {args[2]!r}, name can't start with a "
                         "number or contain symbols")
    return ins.From(**c, image=args[0], stage_name=name, platform=flag_str(flags, "platform"))


def _command(node: Any) -> tuple[tuple[str, ...], bool]:
    if node.json:
        return tuple(node.args), False
    return (tuple(node.args[:1]), True) if node.args else ((), True)


def _run(node: Any, flags: Flags, c: dict[str, Any], escape: str, fn: str) -> ins.Instruction:
    _at_least_one(node)
    cmd, shell = _command(node)
    mounts = tuple(parse_mount(m) for m in flag_list(flags, "mount"))
    return ins.Run(**c, cmd=cmd, prepend_shell=shell, heredocs=_heredocs(node), mounts=mounts,
                   network=flag_str(flags, "network"), security=flag_str(flags, "security"))


def _cmd(node: Any, flags: Flags, c: dict[str, Any], escape: str, fn: str) -> ins.Instruction:
    cmd, shell = _command(node)
    return ins.Cmd(**c, cmd=cmd, prepend_shell=shell)


def _entrypoint(node: Any, flags: Flags, c: dict[str, Any], escape: str,
                fn: str) -> ins.Instruction:
    cmd, shell = _command(node)
    return ins.Entrypoint(**c, cmd=cmd, prepend_shell=shell)


def _pairs(node: Any) -> tuple[ins.KeyValue, ...]:
    args = _at_least_one(node)
    if len(args) % 3:
        raise ValueError(f"{node.name} requires at least one argument")
    return tuple(ins.KeyValue(key=args[i], value=args[i + 1]) for i in range(0, len(args), 3))


def _env(node: Any, flags: Flags, c: dict[str, Any], escape: str, fn: str) -> ins.Instruction:
    return ins.Env(**c, pairs=_pairs(node))


def _label(node: Any, flags: Flags, c: dict[str, Any], escape: str, fn: str) -> ins.Instruction:
    return ins.Label(**c, pairs=_pairs(node))


def _arg(node: Any, flags: Flags, c: dict[str, Any], escape: str, fn: str) -> ins.Instruction:
    pairs = []
    for word in _at_least_one(node):
        key, eq, value = word.partition("=")
        if not key:
            raise ValueError(f"ARG names can not be blank: {word!r}")
        pairs.append(ins.KeyValue(key=key, value=value if eq else None))
    return ins.Arg(**c, pairs=tuple(pairs))


def _maintainer(node: Any, flags: Flags, c: dict[str, Any], escape: str,
                fn: str) -> ins.Instruction:
    return ins.Maintainer(**c, maintainer=_exactly_one(node))


def _expose(node: Any, flags: Flags, c: dict[str, Any], escape: str, fn: str) -> ins.Instruction:
    return ins.Expose(**c, ports=tuple(_at_least_one(node)))


def _copy(node: Any, flags: Flags, c: dict[str, Any], escape: str, fn: str) -> ins.Instruction:
    args = list(node.args)
    docs = _heredocs(node)
    if len(args) < 2:
        raise ValueError(f"{node.name} requires at least two arguments, but only one was "
                         "provided. Destination could not be determined")
    chmod = flag_str(flags, "chmod")
    if chmod is not None and not re.fullmatch(r"[0-7]{1,4}", chmod):
        raise ValueError(f"invalid chmod parameter {chmod!r}: want an octal mode")
    return ins.Copy(**c, sources=tuple(args[:-1]), dest=args[-1], heredocs=docs,
                    from_=flag_str(flags, "from"), chown=flag_str(flags, "chown"), chmod=chmod,
                    link=bool(flags.get("link", False)), excludes=flag_list(flags, "exclude"),
                    keep_git_dir=bool(flags.get("keep-git-dir", False)),
                    checksum=flag_str(flags, "checksum"),
                    parents=bool(flags.get("parents", False)))


def _volume(node: Any, flags: Flags, c: dict[str, Any], escape: str, fn: str) -> ins.Instruction:
    paths = tuple(_at_least_one(node))
    if any(not p.strip() for p in paths):
        raise ValueError("VOLUME specified can not be an empty string")
    return ins.Volume(**c, paths=paths)


def _user(node: Any, flags: Flags, c: dict[str, Any], escape: str, fn: str) -> ins.Instruction:
    return ins.User(**c, user=_exactly_one(node))


def _workdir(node: Any, flags: Flags, c: dict[str, Any], escape: str,
             fn: str) -> ins.Instruction:
    return ins.Workdir(**c, path=_exactly_one(node))


def _stopsignal(node: Any, flags: Flags, c: dict[str, Any], escape: str,
                fn: str) -> ins.Instruction:
    return ins.StopSignal(**c, signal=_exactly_one(node))


def _duration_flag(flags: Flags, name: str) -> int:
    text = flag_str(flags, name)
    if text is None:
        return 0
    value = parse_duration(text)
    if 0 < value < 1_000_000 or value < 0:
        raise ValueError(f"Interval {name!r} cannot be less than 1ms")
    return value


def _healthcheck(node: Any, flags: Flags, c: dict[str, Any], escape: str,
                 fn: str) -> ins.Instruction:
    args = _at_least_one(node)
    kind = args[0].upper()
    if kind == "NONE":
        if len(args) > 1 or flags:
            raise ValueError("HEALTHCHECK NONE takes no arguments")
        return ins.Healthcheck(**c, test=("NONE",))
    if kind != "CMD":
        raise ValueError(f"Unknown type {args[0]!r} in HEALTHCHECK (try CMD)")
    if len(args) < 2:
        raise ValueError("Missing command after HEALTHCHECK CMD")
    test = ("CMD", *args[1:]) if node.json else ("CMD-SHELL", args[1])
    retries_text = flag_str(flags, "retries") or "0"
    if not retries_text.isdigit():
        raise ValueError(f"invalid retries {retries_text!r}")
    return ins.Healthcheck(
        **c, test=test, interval=_duration_flag(flags, "interval"),
        timeout=_duration_flag(flags, "timeout"),
        start_period=_duration_flag(flags, "start-period"),
        start_interval=_duration_flag(flags, "start-interval"), retries=int(retries_text))


def _shell(node: Any, flags: Flags, c: dict[str, Any], escape: str, fn: str) -> ins.Instruction:
    if not node.json:
        raise ValueError("SHELL requires the arguments to be in JSON form")
    if not node.args:
        raise ValueError("SHELL requires at least one argument")
    return ins.Shell(**c, shell=tuple(node.args))


def _onbuild(node: Any, flags: Flags, c: dict[str, Any], escape: str,
             fn: str) -> ins.Instruction:
    expression = _ONBUILD_RE.sub("", node.original).strip()
    if not expression:
        raise ValueError("ONBUILD requires at least one argument")
    keyword = expression.split(None, 1)[0].upper()
    if keyword == "ONBUILD":
        raise ValueError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
    if keyword in ("FROM", "MAINTAINER"):
        raise ValueError(f"{keyword} isn't allowed as an ONBUILD trigger")
    trigger = ins.parse_instruction(expression, escape, fn, node.start_line)
    return ins.Onbuild(**c, expression=expression, trigger=trigger)


_PARSERS: dict[str, Callable[[Any, Flags, dict[str, Any], str, str], ins.Instruction]] = {
    "FROM": _from, "RUN": _run, "CMD": _cmd, "ENTRYPOINT": _entrypoint, "ENV": _env,
    "LABEL": _label, "ARG": _arg, "MAINTAINER": _maintainer, "EXPOSE": _expose, "COPY": _copy,
    "ADD": _copy, "VOLUME": _volume, "USER": _user, "WORKDIR": _workdir,
    "STOPSIGNAL": _stopsignal, "HEALTHCHECK": _healthcheck, "SHELL": _shell,
    "ONBUILD": _onbuild,
}
