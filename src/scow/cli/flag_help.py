"""owns: docker's `--help` page of a Command (cobra's usage template: usage, description,
aliases, examples, options) and pflag's FlagUsagesWrapped: each visible flag's column with its
type word and its default as pflag prints it, the usage wrapped to the terminal's width.

Loaded only when help is printed (Command.help_text and flag_usages in cli/flags.py), never on
a command's ordinary path.
"""

from __future__ import annotations

import os

from scow.cli.govalues import format_duration, go_quote

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from scow.cli.flags import Command, Flag

_TYPE_WORDS = {"bool": "", "string": "string", "int": "int", "duration": "duration",
               "list": "list", "value": "value"}


def help_text(cmd: Command, width: int | None = None) -> str:
    """docker's `--help` page; `width` is the terminal's (default: stdin's, else 80)."""
    out = ["", f"Usage:  {cmd.usage}", "", (cmd.long or cmd.short).strip()]
    if cmd.aliases:
        names = [f"{cmd.prog} {a}" for a in cmd.aliases]  # cobra: path, then aliases
        if cmd.name not in cmd.aliases:
            names.append(cmd.path)
        out += ["", "Aliases:", "  " + ", ".join(names)]
    if cmd.example:
        out += ["", "Examples:", cmd.example]
    flags = cmd.flag_usages((width or _terminal_width()) - 1).rstrip()
    if flags:
        out += ["", "Options:", flags]
    return "\n".join(out) + "\n"


def flag_usages(flags: list[Flag], cols: int = 0) -> str:
    """pflag's FlagUsagesWrapped(cols): visible flags by name, usage column aligned."""
    rows = [usage_line(f) for f in flags]
    if not rows:
        return ""
    col = max(len(left) for left, _ in rows) + 3
    return "".join(f"{left.ljust(col - 2)}  {_wrap(col, cols, usage)}\n"
                   for left, usage in rows)


def usage_line(flag: Flag) -> tuple[str, str]:
    """pflag's (left column, usage text with default) for FlagUsagesWrapped."""
    left = f"  -{flag.short}, --{flag.name}" if flag.short and not flag.short_deprecated \
        else f"      --{flag.name}"
    usage, word = flag.usage, _TYPE_WORDS[flag.kind]
    start = usage.find("`")
    end = usage.find("`", start + 1) if start >= 0 else -1
    if end > 0:
        word = usage[start + 1:end]
        usage = usage[:start] + word + usage[end + 1:]
    word = flag.metavar if flag.metavar is not None else word
    left += f" {word}" if word else ""
    shown = default_text(flag)
    if shown is not None:
        usage += f" (default {shown})"
    return left, usage

def default_text(flag: Flag) -> str | None:
    """The default as pflag prints it, or None when it is the zero value."""
    d = flag.default
    if flag.kind == "bool":
        return "true" if d else None
    if flag.kind == "string":
        return go_quote(d) if d else None
    if flag.kind == "int":
        return str(d) if d else None
    if flag.kind == "duration":
        return format_duration(d) if d else None
    if flag.kind == "list" or isinstance(d, (list, tuple)):
        return "[" + " ".join(map(str, d)) + "]" if d else None
    text = "" if d is None else str(d)
    return None if text in ("", "0", "false", "<nil>") else text


def _terminal_width() -> int:
    try:
        return os.get_terminal_size(0).columns
    except OSError:
        return 80


def _wrap_n(i: int, slop: int, s: str) -> tuple[str, str]:
    if i + slop > len(s):
        return s, ""
    w = max(s.rfind(" ", 0, i), s.rfind("\t", 0, i), s.rfind("\n", 0, i))
    if w <= 0:
        return s, ""
    nl = s.rfind("\n", 0, i)
    if 0 < nl < w:
        return s[:nl], s[nl + 1:]
    return s[:w], s[w + 1:]


def _wrap(i: int, w: int, s: str) -> str:
    """pflag's wrap: indent continuation lines by `i`, wrap at `w` columns (0: never)."""
    if w == 0:
        return s.replace("\n", "\n" + " " * i)
    room, head = w - i, ""
    if room < 24:
        i, room, head = 16, w - 16, "\n" + " " * 16
    if room < 24:
        return s.replace("\n", head)
    first, s = _wrap_n(room - 5, 5, s)
    lines = [head + first.replace("\n", "\n" + " " * i)]
    while s:
        part, s = _wrap_n(room - 5, 5, s)
        lines.append(" " * i + part.replace("\n", "\n" + " " * i))
    return "\n".join(lines)
