"""owns: docker's flag grammar (spf13/pflag + cobra as the docker CLI 24-27 uses them).

Table-driven and stdlib-only, so that `scow ps` starts fast (no argparse, no re):

    cmd = Command("images", usage="scow images [OPTIONS] [REPOSITORY[:TAG]]",
                  short="List images", aliases=("image ls", "image list"), args=(0, 1))
    cmd.bool("all", "a", "Show all images (default hides intermediate images)")
    cmd.string_list("filter", "f", "Filter output based on conditions provided", metavar="filter")
    opts = cmd.parse(["-a", "--filter", "dangling=true", "busybox"])
    opts.all, opts.filter, opts.args, opts.help, opts.changed("filter")

Grammar: `--name value`, `--name=value`, `-n value`, `-nvalue`, `-n=value`, grouped shorthands
`-itd` where a value-taking shorthand eats the rest of the group (`-fdangling=true`) or the next
word; a bool never eats the next word but takes `--rm=false`; `--` ends flags; with
interspersed=False the first positional ends flags. Errors carry pflag's and docker's wording.
"""

from __future__ import annotations

import builtins  # Command has methods named bool and int

from scow.cli.govalues import format_duration, go_quote, parse_bool, parse_duration, parse_int
from scow.errors import InvalidArgument

TYPE_CHECKING = False  # mypy honours the name; importing typing costs ~10 ms with re and enum
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

__all__ = ["ArgCountError", "Command", "Flag", "Options", "UsageError", "format_duration",
           "go_quote", "parse_bool", "parse_duration", "parse_int", "parse_key_value"]


# -- errors ----------------------------------------------------------------------------------
class UsageError(InvalidArgument):
    """A command line docker would reject: bad flag, bad value, wrong positional count.

    `message` is docker's first line, `hint` is "See 'scow images --help'.", `usage` is the
    "Usage: ..." trailer docker adds to argument-count errors ("" otherwise), and `render()`
    gives docker's whole stderr text. Flag errors exit 125 (docker's FlagErrorFunc status).
    """

    exit_code = 125

    def __init__(self, message: str, command: Command | str | None = None, *,
                 usage: str = "") -> None:
        path = command.path if isinstance(command, Command) else command
        super().__init__(message, hint=f"See '{path} --help'." if path else None)
        self.command = path or ""
        self.usage = usage

    def render(self) -> str:
        text = self.message if self.hint is None else f"{self.message}\n{self.hint}"
        return f"{text}\n\n{self.usage}" if self.usage else text


class ArgCountError(UsageError):
    """Wrong number of positionals (docker's cli/required.go); docker exits 1 for these."""

    exit_code = 1


def parse_key_value(s: str, sep: str = "=") -> tuple[str, str | None]:
    """Split `K=V` at the first `sep`: ("K", "V"); ("K", None) when there is no `sep`.

    Nothing is trimmed or validated: `-e K` (take K from the environment) and
    `--filter k=v` (which needs a value) give different meanings to None.
    """
    key, found, value = s.partition(sep)
    return key, (value if found else None)


# -- flags -----------------------------------------------------------------------------------

class Flag:
    """One flag definition; `kind` is bool, string, int, duration, list or value."""

    __slots__ = ("name", "short", "usage", "kind", "default", "metavar", "hidden", "deprecated",
                 "short_deprecated", "dest", "convert", "repeated")

    def __init__(self, name: str, short: str | None, usage: str, kind: str, default: Any, *,
                 metavar: str | None = None, hidden: bool = False, deprecated: str | None = None,
                 dest: str | None = None, convert: Callable[[str], Any] | None = None,
                 repeated: bool = False) -> None:
        self.name, self.short, self.usage, self.kind = name, short or "", usage, kind
        self.default, self.metavar, self.convert = default, metavar, convert
        self.repeated = repeated
        self.hidden = hidden or deprecated is not None
        self.deprecated = deprecated
        self.short_deprecated: str | None = None
        self.dest = dest or name.replace("-", "_")

    @property
    def display(self) -> str:
        """How pflag names the flag in "invalid argument" errors: `-n, --tail` or `--tail`."""
        if self.short and not self.short_deprecated:
            return f"-{self.short}, --{self.name}"
        return f"--{self.name}"

    def value_of(self, text: str) -> Any:
        """Convert one command-line word; ValueError carries Go's message."""
        if self.kind == "bool":
            return parse_bool(text)
        if self.kind == "int":
            return parse_int(text)
        if self.kind == "duration":
            return parse_duration(text)
        if self.convert is not None:
            return self.convert(text)
        return text

_RESERVED = frozenset({"args", "help", "warnings", "changed", "_changed"})  # Options' own


class Options:
    """The parse result: one attribute per flag (dashes → underscores), `args`, `help`."""

    def __init__(self) -> None:
        self.args: list[str] = []
        self.help = False
        self.warnings: list[str] = []  # pflag's "Flag --x has been deprecated, ..." lines
        self._changed: set[str] = set()

    def changed(self, name: str) -> bool:
        """Whether the flag `name` (long name) was given on the command line (cobra's Changed)."""
        return name in self._changed

    def __getattr__(self, name: str) -> Any:  # only reached for names never set
        raise AttributeError(f"no flag sets {name!r}")


# -- the command -----------------------------------------------------------------------------
class Command:
    """One docker-style command: its flags, positional count and help text."""

    def __init__(self, name: str, *, usage: str, short: str = "", long: str = "",
                 aliases: Iterable[str] = (), args: tuple[builtins.int, int | None] = (0, None),
                 interspersed: builtins.bool = True, example: str = "", prog: str = "scow") -> None:
        self.name, self.usage, self.short, self.long = name, usage, short, long
        self.aliases, self.example, self.prog = tuple(aliases), example, prog
        self.min_args, self.max_args = args
        self.interspersed = interspersed
        self.path = prog if name in ("", prog) else f"{prog} {name}"
        self._long: dict[str, Flag] = {}
        self._short: dict[str, Flag] = {}
        self._help = Flag("help", None, "Print usage", "bool", False, hidden=True)
        self._help.short_deprecated = "use --help"

    # -- definitions -------------------------------------------------------------------------
    def add(self, flag: Flag) -> Flag:
        """Register a Flag; a redefined name or shorthand is a programming error."""
        if flag.name in self._long or not flag.name or flag.name.startswith("-") \
                or flag.dest in _RESERVED:
            raise ValueError(f"flag redefined or invalid: --{flag.name}")
        if flag.short and (len(flag.short) != 1 or flag.short in self._short or flag.short in "-="):
            raise ValueError(f"shorthand redefined or invalid: -{flag.short}")
        self._long[flag.name] = flag
        if flag.short:
            self._short[flag.short] = flag
        return flag

    def bool(self, name: str, short: str | None = None, usage: str = "", *,
             default: builtins.bool = False, **kw: Any) -> Flag:
        return self.add(Flag(name, short, usage, "bool", default, **kw))

    def string(self, name: str, short: str | None = None, usage: str = "", *,
               default: str = "", **kw: Any) -> Flag:
        return self.add(Flag(name, short, usage, "string", default, **kw))

    def int(self, name: str, short: str | None = None, usage: str = "", *,
            default: builtins.int = 0, **kw: Any) -> Flag:
        return self.add(Flag(name, short, usage, "int", default, **kw))

    def duration(self, name: str, short: str | None = None, usage: str = "", *,
                 default: float = 0.0, **kw: Any) -> Flag:
        """A Go duration ("10s", "1m30s"), stored as float seconds."""
        return self.add(Flag(name, short, usage, "duration", default, **kw))

    def string_list(self, name: str, short: str | None = None, usage: str = "", *,
                    default: Sequence[str] = (), **kw: Any) -> Flag:
        """A repeatable flag (docker's ListOpts): each use appends one value, no splitting."""
        return self.add(Flag(name, short, usage, "list", list(default), repeated=True, **kw))

    def value(self, name: str, short: str | None = None, usage: str = "", *,
              convert: Callable[[str], Any], default: Any = None, metavar: str = "value",
              repeated: builtins.bool = False, **kw: Any) -> Flag:
        """A custom-typed flag (bytes, decimal, ...): `convert` raises ValueError(reason)."""
        if repeated:
            default = list(default or ())
        return self.add(Flag(name, short, usage, "value", default, convert=convert,
                             metavar=metavar, repeated=repeated, **kw))

    def flag(self, name: str) -> Flag:
        return self._long[name]

    # -- parsing -----------------------------------------------------------------------------
    def parse(self, argv: Sequence[str]) -> Options:
        """Parse argv (without the command words); raise UsageError as docker would."""
        opts = Options()
        for flag in self._long.values():
            if flag.dest not in opts.__dict__:  # an alias (dest=) keeps the first default
                setattr(opts, flag.dest, list(flag.default) if flag.repeated else flag.default)
        words, i = list(argv), 0
        while i < len(words):
            word = words[i]
            i += 1
            if len(word) < 2 or word[0] != "-":
                opts.args.append(word)
                if not self.interspersed:
                    opts.args += words[i:]
                    break
            elif word == "--":
                opts.args += words[i:]
                break
            elif word[1] == "-":
                i = self._parse_long(word, words, i, opts)
            else:
                i = self._parse_shorts(word, words, i, opts)
        if not opts.help:
            self._check_count(opts.args)
        return opts

    def _parse_long(self, word: str, words: list[str], i: builtins.int,
                    opts: Options) -> builtins.int:
        name = word[2:]
        if name[0] in "-=":
            raise UsageError(f"bad flag syntax: {word}", self)
        name, eq, value = name.partition("=")
        flag = self._long.get(name) or (self._help if name == "help" else None)
        if flag is None:
            raise UsageError(f"unknown flag: --{name}", self)
        if not eq:
            if flag.kind == "bool":
                value = "true"
            elif i < len(words):
                value, i = words[i], i + 1
            else:
                raise UsageError(f"flag needs an argument: --{name}", self)
        self._set(flag, value, opts)
        return i

    def _parse_shorts(self, word: str, words: list[str], i: builtins.int,
                      opts: Options) -> builtins.int:
        shorts = word[1:]
        while shorts:
            c, rest = shorts[0], shorts[1:]
            flag = self._short.get(c) or (self._help if c == "h" else None)
            if flag is None:
                raise UsageError(f"unknown shorthand flag: {_char(c)} in -{shorts}", self)
            if len(shorts) > 2 and shorts[1] == "=":
                value, rest = shorts[2:], ""
            elif flag.kind == "bool":
                value = "true"
            elif rest:
                value, rest = rest, ""
            elif i < len(words):
                value, i = words[i], i + 1
            else:
                raise UsageError(f"flag needs an argument: {_char(c)} in -{shorts}", self)
            if flag.short_deprecated:
                opts.warnings.append(
                    f"Flag shorthand -{c} has been deprecated, {flag.short_deprecated}")
            self._set(flag, value, opts)
            shorts = rest
        return i

    def _set(self, flag: Flag, text: str, opts: Options) -> None:
        try:
            value = flag.value_of(text)
        except ValueError as exc:
            raise UsageError(f"invalid argument {go_quote(text)} for {go_quote(flag.display)} "
                             f"flag: {exc}", self) from None
        if flag.repeated:
            getattr(opts, flag.dest).append(value)
        else:
            setattr(opts, flag.dest, value)
        opts._changed.add(flag.name)
        if flag.deprecated is not None:
            opts.warnings.append(f"Flag --{flag.name} has been deprecated, {flag.deprecated}")

    def _check_count(self, args: list[str]) -> None:
        n, lo, hi = len(args), self.min_args, self.max_args
        if lo <= n and (hi is None or n <= hi):
            return
        q = f'"{self.path}"'
        if hi == 0:
            msg = f"{q} accepts no arguments."
        elif hi is None:
            msg = f"{q} requires at least {lo} {_plural(lo)}."
        elif lo == hi:
            msg = f"{q} requires exactly {lo} {_plural(lo)}."
        elif lo == 0:
            msg = f"{q} requires at most {hi} {_plural(hi)}."
        else:
            msg = f"{q} requires at least {lo} and at most {hi} {_plural(hi)}."
        raise ArgCountError(msg, self, usage=f"Usage:  {self.usage}\n\n{self.short}")

    # -- help (cli/flag_help.py, loaded only to print it) -----------------------------------
    def help_text(self, width: builtins.int | None = None) -> str:
        """docker's `--help` page; `width` is the terminal's (default: stdin's, else 80)."""
        from scow.cli.flag_help import help_text

        return help_text(self, width)

    def flag_usages(self, cols: builtins.int = 0) -> str:
        """pflag's FlagUsagesWrapped(cols): visible flags by name, usage column aligned."""
        from scow.cli.flag_help import flag_usages

        return flag_usages([f for _, f in sorted(self._long.items()) if not f.hidden], cols)


def _char(c: str) -> str:
    """Go's %q of one byte, as pflag prints the shorthand in its errors."""
    return "'\\''" if c == "'" else "'" + go_quote(c)[1:-1].replace('\\"', '"') + "'"


def _plural(n: int) -> str:
    return "argument" if n == 1 else "arguments"
