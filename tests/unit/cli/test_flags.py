"""docker's flag grammar (pflag + cobra as docker CLI 24-27 uses them): parsing, the exact
error strings, argument counts, help layout, and a cheap import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from scow.cli.flags import ArgCountError, Command, UsageError, parse_key_value
from scow.errors import InvalidArgument, exit_code_of

FORMAT_HELP = """Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting \
output with templates"""


def images() -> Command:
    cmd = Command("images", usage="scow images [OPTIONS] [REPOSITORY[:TAG]]",
                  short="List images", aliases=("image ls", "image list"), args=(0, 1))
    cmd.bool("quiet", "q", "Only show image IDs")
    cmd.bool("all", "a", "Show all images (default hides intermediate images)")
    cmd.bool("no-trunc", None, "Don't truncate output")
    cmd.bool("digests", None, "Show digests")
    cmd.string("format", None, FORMAT_HELP)
    cmd.string_list("filter", "f", "Filter output based on conditions provided",
                    metavar="filter")
    cmd.bool("tree", None, "List multi-platform images as a tree", hidden=True)
    return cmd


def run() -> Command:
    cmd = Command("run", usage="scow run [OPTIONS] IMAGE [COMMAND] [ARG...]",
                  short="Create and run a new container from an image",
                  aliases=("container run",), args=(1, None), interspersed=False)
    cmd.bool("interactive", "i", "Keep STDIN open even if not attached")
    cmd.bool("tty", "t", "Allocate a pseudo-TTY")
    cmd.bool("detach", "d", "Run container in background and print container ID")
    cmd.bool("rm", None, "Automatically remove the container when it exits")
    cmd.bool("sig-proxy", None, "Proxy received signals to the process", default=True)
    cmd.string("name", None, "Assign a name to the container")
    cmd.string("hostname", "h", "Container host name")
    cmd.string("log-driver", None, "Logging driver for the container", default="json-file")
    cmd.string_list("env", "e", "Set environment variables")
    cmd.int("stop-timeout", None, "Timeout (in seconds) to stop a container", default=10)
    cmd.duration("health-interval", None, "Time between running the check (ms|s|m|h)")
    cmd.duration("health-timeout", None, "Maximum time to allow one check to run", default=30)
    return cmd


def usage_error(cmd: Command, argv: list[str]) -> UsageError:
    with pytest.raises(UsageError) as info:
        cmd.parse(argv)
    return info.value


# -- long and short forms ------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["--format", "{{.ID}}"], ["--format={{.ID}}"],
])
def test_long_flag_takes_next_word_or_equals(argv: list[str]) -> None:
    assert images().parse(argv).format == "{{.ID}}"


def test_long_equals_keeps_empty_and_later_equals() -> None:
    assert images().parse(["--format="]).format == ""
    assert images().parse(["--filter=label=a=b"]).filter == ["label=a=b"]


@pytest.mark.parametrize("argv", [["-f", "x=1"], ["-fx=1"], ["-f=x=1"]])
def test_short_value_forms(argv: list[str]) -> None:
    assert images().parse(argv).filter == ["x=1"]


def test_short_value_may_start_with_dash() -> None:
    assert images().parse(["-f", "-a"]).filter == ["-a"]
    assert images().parse(["--format", "--all"]).format == "--all"


def test_grouped_bools() -> None:
    opts = run().parse(["-itd", "busybox"])
    assert (opts.interactive, opts.tty, opts.detach, opts.args) == (True, True, True, ["busybox"])


def test_grouped_bools_then_long_value() -> None:
    opts = run().parse(["-dit", "--name", "x", "busybox"])
    assert (opts.detach, opts.interactive, opts.tty, opts.name) == (True, True, True, "x")


@pytest.mark.parametrize("argv", [
    ["-qf", "dangling=true"], ["-qfdangling=true"], ["-qf=dangling=true"],
])
def test_value_shorthand_in_group_takes_rest_or_next_word(argv: list[str]) -> None:
    opts = images().parse(argv)
    assert (opts.quiet, opts.filter, opts.args) == (True, ["dangling=true"], [])


def test_value_shorthand_first_in_group_eats_the_rest() -> None:
    opts = images().parse(["-fqa"])
    assert (opts.filter, opts.quiet, opts.all) == (["qa"], False, False)


# -- bools ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("argv", "want"), [
    (["--rm"], True), (["--rm=true"], True), (["--rm=false"], False), (["--rm=0"], False),
    (["--rm=1"], True), (["--rm=T"], True), (["--rm=FALSE"], False), (["--rm", "--rm=f"], False),
])
def test_bool_long_values(argv: list[str], want: bool) -> None:
    assert run().parse([*argv, "busybox"]).rm is want


def test_bool_default_true_can_be_turned_off() -> None:
    assert run().parse(["busybox"]).sig_proxy is True
    assert run().parse(["--sig-proxy=false", "busybox"]).sig_proxy is False


def test_bool_short_equals() -> None:
    assert run().parse(["-d=false", "busybox"]).detach is False
    assert run().parse(["-d=true", "busybox"]).detach is True


def test_bare_bool_never_eats_the_next_word() -> None:
    opts = images().parse(["--all", "false"])
    assert (opts.all, opts.args) == (True, ["false"])


def test_bool_bad_value() -> None:
    err = usage_error(run(), ["--rm=yes", "busybox"])
    assert err.message == ('invalid argument "yes" for "--rm" flag: '
                           'strconv.ParseBool: parsing "yes": invalid syntax')
    err = usage_error(run(), ["-d=no", "busybox"])
    assert err.message == ('invalid argument "no" for "-d, --detach" flag: '
                           'strconv.ParseBool: parsing "no": invalid syntax')


# -- positionals, --, interspersed ---------------------------------------------------------
def test_interspersed_flags_after_positionals() -> None:
    opts = images().parse(["busybox", "-a"])
    assert (opts.all, opts.args) == (True, ["busybox"])


def test_double_dash_ends_flags() -> None:
    opts = images().parse(["-q", "--", "-a"])
    assert (opts.quiet, opts.all, opts.args) == (True, False, ["-a"])


def test_lone_dash_and_empty_word_are_positionals() -> None:
    cmd = Command("x", usage="scow x", args=(0, None))
    assert cmd.parse(["-", ""]).args == ["-", ""]


def test_not_interspersed_stops_at_first_positional() -> None:
    opts = run().parse(["-it", "busybox", "sh", "-c", "ls -l"])
    assert opts.args == ["busybox", "sh", "-c", "ls -l"]
    assert (opts.interactive, opts.tty) == (True, True)


def test_not_interspersed_keeps_double_dash_after_image() -> None:
    assert run().parse(["--rm", "busybox", "--", "-x"]).args == ["busybox", "--", "-x"]
    assert run().parse(["--", "busybox", "--rm"]).args == ["busybox", "--rm"]


def test_not_interspersed_unknown_flag_after_image_is_an_argument() -> None:
    assert run().parse(["busybox", "--nope"]).args == ["busybox", "--nope"]


# -- flag errors: pflag's wording, docker's hint and status 125 ----------------------------
@pytest.mark.parametrize(("argv", "message"), [
    (["--foo"], "unknown flag: --foo"),
    (["--foo=bar"], "unknown flag: --foo"),
    (["-z"], "unknown shorthand flag: 'z' in -z"),
    (["-qz"], "unknown shorthand flag: 'z' in -z"),
    (["-zq"], "unknown shorthand flag: 'z' in -zq"),
    (["--format"], "flag needs an argument: --format"),
    (["-f"], "flag needs an argument: 'f' in -f"),
    (["-qf"], "flag needs an argument: 'f' in -f"),
    (["---all"], "bad flag syntax: ---all"),
    (["--=x"], "bad flag syntax: --=x"),
    (["-a="], "unknown shorthand flag: '=' in -="),
])
def test_flag_errors(argv: list[str], message: str) -> None:
    err = usage_error(images(), argv)
    assert err.message == message
    assert err.hint == "See 'scow images --help'."
    assert err.render() == f"{message}\nSee 'scow images --help'."
    assert err.exit_code == 125 and exit_code_of(err) == 125
    assert isinstance(err, InvalidArgument)


def test_invalid_int_names_both_forms() -> None:
    cmd = Command("logs", usage="scow logs [OPTIONS] CONTAINER", args=(1, 1))
    cmd.int("tail", "n", "Number of lines", default=-1)
    err = usage_error(cmd, ["-n", "x", "c"])
    assert err.message == ('invalid argument "x" for "-n, --tail" flag: '
                           'strconv.ParseInt: parsing "x": invalid syntax')
    err = usage_error(cmd, ["--tail=99999999999999999999", "c"])
    assert err.message.endswith('parsing "99999999999999999999": value out of range')
    assert cmd.parse(["c"]).tail == -1
    assert cmd.parse(["-n0x10", "c"]).tail == 16


def test_invalid_value_is_quoted_like_go() -> None:
    cmd = Command("x", usage="scow x")
    cmd.int("n", None, "")
    err = usage_error(cmd, ["--n", 'a"\n\x01'])
    assert err.message.startswith('invalid argument "a\\"\\n\\x01" for "--n" flag: ')


def test_invalid_duration() -> None:
    err = usage_error(run(), ["--health-interval", "5", "busybox"])
    assert err.message == ('invalid argument "5" for "--health-interval" flag: '
                           'time: missing unit in duration "5"')


def test_custom_value_error_reason() -> None:
    def memory(text: str) -> int:
        if not text.isdigit():
            raise ValueError(f"invalid size: '{text}'")
        return int(text)

    cmd = Command("x", usage="scow x")
    cmd.value("memory", "m", "Memory limit", convert=memory, metavar="bytes")
    assert cmd.parse(["-m", "42"]).memory == 42
    assert cmd.parse([]).memory is None
    err = usage_error(cmd, ["-m", "lots"])
    assert err.message == ('invalid argument "lots" for "-m, --memory" flag: '
                           "invalid size: 'lots'")


def test_usage_error_with_a_plain_path() -> None:
    err = UsageError("unknown flag: --x", "scow container ls")
    assert err.hint == "See 'scow container ls --help'."
    assert UsageError("oops").render() == "oops"


# -- argument counts: docker's cli/required.go wording, status 1 ---------------------------
@pytest.mark.parametrize(("bounds", "argv", "message"), [
    ((0, 0), ["a"], '"scow x" accepts no arguments.'),
    ((1, None), [], '"scow x" requires at least 1 argument.'),
    ((2, None), ["a"], '"scow x" requires at least 2 arguments.'),
    ((0, 1), ["a", "b"], '"scow x" requires at most 1 argument.'),
    ((0, 2), ["a", "b", "c"], '"scow x" requires at most 2 arguments.'),
    ((1, 1), [], '"scow x" requires exactly 1 argument.'),
    ((2, 2), ["a"], '"scow x" requires exactly 2 arguments.'),
    ((1, 2), [], '"scow x" requires at least 1 and at most 2 arguments.'),
])
def test_argument_counts(bounds: tuple[int, int | None], argv: list[str], message: str) -> None:
    cmd = Command("x", usage="scow x [OPTIONS] A", short="Do x", args=bounds)
    err = usage_error(cmd, argv)
    assert isinstance(err, ArgCountError)
    assert err.message == message
    assert err.exit_code == 1 and exit_code_of(err) == 1
    assert err.render() == (f"{message}\nSee 'scow x --help'.\n\n"
                            "Usage:  scow x [OPTIONS] A\n\nDo x")


def test_run_without_image() -> None:
    err = usage_error(run(), ["-it"])
    assert err.message == '"scow run" requires at least 1 argument.'


def test_counts_accept_the_bounds() -> None:
    assert images().parse([]).args == []
    assert images().parse(["a"]).args == ["a"]
    assert run().parse(["a", "b", "c"]).args == ["a", "b", "c"]


# -- values: lists, defaults, changed, aliases, deprecation --------------------------------
def test_list_accumulates_and_default_is_fresh() -> None:
    cmd = run()
    opts = cmd.parse(["-e", "A=1", "--env", "B=2", "-eC=3", "--env=D", "busybox"])
    assert opts.env == ["A=1", "B=2", "C=3", "D"]
    opts.env.append("leak")
    assert cmd.parse(["busybox"]).env == []


def test_last_value_wins_for_scalars() -> None:
    assert run().parse(["--name", "a", "--name=b", "busybox"]).name == "b"


def test_defaults_and_types() -> None:
    opts = run().parse(["busybox"])
    assert (opts.rm, opts.name, opts.log_driver, opts.stop_timeout) == (False, "", "json-file", 10)
    assert (opts.health_interval, opts.health_timeout) == (0.0, 30)
    opts = run().parse(["--health-interval=1m30s", "--stop-timeout", "-1", "busybox"])
    assert (opts.health_interval, opts.stop_timeout) == (90.0, -1)


def test_changed_tracks_given_flags_only() -> None:
    opts = run().parse(["--stop-timeout=10", "busybox"])
    assert opts.changed("stop-timeout") and not opts.changed("name")


def test_unknown_attribute_raises() -> None:
    with pytest.raises(AttributeError):
        _ = images().parse([]).nothing


def test_hidden_flag_parses_but_is_not_shown() -> None:
    cmd = images()
    assert cmd.parse(["--tree"]).tree is True
    assert "--tree" not in cmd.help_text(80)


def test_deprecated_alias_sets_the_same_attribute_and_warns() -> None:
    cmd = Command("x", usage="scow x")
    cmd.string_list("link", None, "Add link to another container")
    cmd.string_list("links", None, "", dest="link", deprecated="use --link")
    opts = cmd.parse(["--link", "a", "--links", "b"])
    assert opts.link == ["a", "b"]
    assert opts.warnings == ["Flag --links has been deprecated, use --link"]
    assert "--links" not in cmd.help_text(80)


def test_redefinition_is_a_programming_error() -> None:
    cmd = images()
    with pytest.raises(ValueError):
        cmd.bool("all", None, "")
    with pytest.raises(ValueError):
        cmd.bool("again", "a", "")
    with pytest.raises(ValueError):
        cmd.bool("two", "ab", "")
    for reserved in ("args", "help", "warnings", "changed"):
        with pytest.raises(ValueError):
            cmd.string(reserved, None, "")


def test_repeated_custom_value() -> None:
    cmd = Command("x", usage="scow x")
    cmd.value("publish", "p", "Publish a port", convert=lambda s: tuple(s.split(":")),
              metavar="list", repeated=True)
    assert cmd.parse([]).publish == []
    assert cmd.parse(["-p", "80:80", "-p8080:80"]).publish == [("80", "80"), ("8080", "80")]
    assert "  -p, --publish list   Publish a port\n" in cmd.help_text(80)


# -- help ----------------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["-ah"], ["a", "b", "--help"]])
def test_help_flag(argv: list[str]) -> None:
    opts = images().parse(argv)  # no argument-count error with --help
    assert opts.help is True


def test_help_shorthand_is_deprecated_like_docker() -> None:
    assert images().parse(["-h"]).warnings == ["Flag shorthand -h has been deprecated, use --help"]
    assert images().parse(["--help"]).warnings == []
    assert images().parse(["--help=false"]).help is False


def test_command_owning_h_keeps_it() -> None:
    opts = run().parse(["-h", "box", "busybox"])
    assert (opts.hostname, opts.help) == ("box", False)
    assert run().parse(["--help"]).help is True


def test_flag_error_wins_over_help() -> None:
    assert usage_error(images(), ["--help", "--nope"]).message == "unknown flag: --nope"


IMAGES_HELP = """
Usage:  scow images [OPTIONS] [REPOSITORY[:TAG]]

List images

Aliases:
  scow image ls, scow image list, scow images

Options:
  -a, --all             Show all images (default hides intermediate images)
      --digests         Show digests
  -f, --filter filter   Filter output based on conditions provided
      --format string   Format output using a custom template:
                        'table':            Print output in table format
                        with column headers (default)
                        'table TEMPLATE':   Print output in table format
                        using the given Go template
                        'json':             Print in JSON format
                        'TEMPLATE':         Print output using the given
                        Go template.
                        Refer to https://docs.docker.com/go/formatting/
                        for more information about formatting output with
                        templates
      --no-trunc        Don't truncate output
  -q, --quiet           Only show image IDs
"""


def test_help_text_snapshot() -> None:
    assert images().help_text(80) == IMAGES_HELP


def test_help_text_unwrapped_on_wide_terminal() -> None:
    text = images().help_text(200)
    assert ("      --format string   Format output using a custom template:\n"
            "                        'table':            Print output in table format with "
            "column headers (default)\n") in text


RUN_OPTIONS = """Options:
  -d, --detach                     Run container in background and print
                                   container ID
  -e, --env list                   Set environment variables
      --health-interval duration   Time between running the check (ms|s|m|h)
      --health-timeout duration    Maximum time to allow one check to run
                                   (default 30s)
  -h, --hostname string            Container host name
  -i, --interactive                Keep STDIN open even if not attached
      --log-driver string          Logging driver for the container
                                   (default "json-file")
      --name string                Assign a name to the container
      --rm                         Automatically remove the container
                                   when it exits
      --sig-proxy                  Proxy received signals to the process
                                   (default true)
      --stop-timeout int           Timeout (in seconds) to stop a
                                   container (default 10)
  -t, --tty                        Allocate a pseudo-TTY
"""


def test_help_types_and_defaults() -> None:
    text = run().help_text(80)
    assert text.startswith("\nUsage:  scow run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
                           "Create and run a new container from an image\n\n"
                           "Aliases:\n  scow container run, scow run\n\n")
    assert text.endswith(RUN_OPTIONS)


def test_help_metavar_from_backquotes() -> None:
    cmd = Command("x", usage="scow x", short="X")
    cmd.string("volume", "v", "Bind mount a `volume` here")
    assert "  -v, --volume volume   Bind mount a volume here\n" in cmd.help_text(80)


def test_help_narrow_terminal_wraps_usage_as_a_block() -> None:
    cmd = Command("x", usage="scow x", short="X")
    cmd.bool("a-rather-long-flag-name", None, "one two three four five six seven eight nine")
    assert cmd.help_text(50).splitlines()[-3:] == [
        "      --a-rather-long-flag-name   ",  # pflag leaves the separator spaces
        "                one two three four five six",
        "                seven eight nine"]
    # narrower still: pflag gives up wrapping and keeps the usage on the flag's line
    assert cmd.help_text(40).splitlines()[-1] == (
        "      --a-rather-long-flag-name   one two three four five six seven eight nine")


def test_help_without_flags_or_aliases() -> None:
    cmd = Command("version", usage="scow version", short="Show the scow version information")
    assert cmd.help_text(80) == ("\nUsage:  scow version\n\n"
                                 "Show the scow version information\n")


def test_help_long_and_example() -> None:
    cmd = Command("x", usage="scow x", short="Short", long="  Long text.\n", example="  scow x")
    cmd.bool("y", None, "Why")
    assert cmd.help_text(80) == ("\nUsage:  scow x\n\nLong text.\n\nExamples:\n  scow x\n\n"
                                 "Options:\n      --y   Why\n")


# -- helpers -------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "sep", "want"), [
    ("K=V", "=", ("K", "V")), ("K=", "=", ("K", "")), ("K", "=", ("K", None)),
    ("a=b=c", "=", ("a", "b=c")), ("host:ip", ":", ("host", "ip")),
])
def test_parse_key_value(text: str, sep: str, want: tuple[str, str | None]) -> None:
    assert parse_key_value(text, sep) == want


# -- import cost ---------------------------------------------------------------------------
def test_module_imports_only_cheap_stdlib() -> None:
    src = Path(__file__).resolve().parents[3] / "src" / "scow" / "cli"
    for name in ("flags.py", "govalues.py"):
        tree = ast.parse((src / name).read_text())
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        mods = {a.name for n in top if isinstance(n, ast.Import) for a in n.names}
        mods |= {n.module or "" for n in top if isinstance(n, ast.ImportFrom)}
        assert mods <= {"__future__", "builtins", "os", "scow.cli.govalues", "scow.errors"}


def test_import_pulls_no_argparse() -> None:
    code = ("import sys; import scow.cli.flags as f; "
            "f.Command('x', usage='scow x').parse(['--help']); "
            "print(sorted({'argparse', 'optparse', 'getopt'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(Path(__file__).parents[3] / "src")})
    assert out.stdout.strip() == "[]"
