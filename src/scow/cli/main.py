"""owns: the `scow` command line: global flags, the lazy command table, and THE one place that
turns exceptions into messages and exit codes.

Each command lives in `scow.cli.commands.<module>` with `command() -> Command` (its flags and
help) and `run(opts, ctx) -> int`; only the dispatched one is imported, so `scow ps` pays for
nothing else.
"""

from __future__ import annotations

import gc
import os
import sys

from scow import __version__
from scow.cli.context import Context
from scow.cli.flags import Command, UsageError
from scow.errors import InvalidArgument, ScowError

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import NoReturn

# "words as typed" -> module in scow.cli.commands
COMMANDS: dict[str, str] = {
    "images": "images", "image ls": "images", "image list": "images",
    "history": "history", "image history": "history",
    "inspect": "inspect", "image inspect": "image_inspect",
    "import": "import_", "image import": "import_",
    "tag": "tag", "image tag": "tag",
    "rmi": "rmi", "image rm": "rmi", "image remove": "rmi",
    "image prune": "image_prune",
    "image squash": "image_squash",
    "image analyze": "image_analyze",
    "info": "info", "system info": "info",
    "system df": "system_df",
    "events": "events", "system events": "events",
    "system check": "system_check", "system prune": "system_prune",
    "system service": "system_service",
    "version": "version",
    "pull": "pull", "image pull": "pull", "push": "push", "image push": "push",
    "save": "save", "image save": "save", "load": "load", "image load": "load",
    "login": "login", "logout": "logout",
    "create": "create", "container create": "create",
    "run": "run", "container run": "run",
    "start": "start", "container start": "start",
    "stop": "stop", "container stop": "stop",
    "restart": "restart", "container restart": "restart",
    "kill": "kill", "container kill": "kill",
    "pause": "pause", "container pause": "pause",
    "unpause": "unpause", "container unpause": "unpause",
    "wait": "wait", "container wait": "wait",
    "update": "update", "container update": "update",
    "rm": "rm", "container rm": "rm", "container remove": "rm",
    "ps": "ps", "container ls": "ps", "container list": "ps", "container ps": "ps",
    "exec": "exec", "container exec": "exec",
    "logs": "logs", "container logs": "logs",
    "attach": "attach", "container attach": "attach",
    "diff": "diff", "container diff": "diff",
    "commit": "commit", "container commit": "commit",
    "cp": "cp", "container cp": "cp",
    "export": "export", "container export": "export",
    "container prune": "container_prune",
    "container inspect": "container_inspect",
    "container cleanup": "cleanup",
    "volume": "volume",
    "network": "network",
    "port": "port", "container port": "port",
    "top": "top", "container top": "top",
    "rename": "rename", "container rename": "rename",
    "stats": "stats", "container stats": "stats",
    "build": "build", "image build": "build", "builder build": "build",
    "builder prune": "builder_prune",
}
GROUPS = ("image", "system", "container", "volume", "network", "builder")
SHORT_HELP = [
    ("attach", "Attach local standard input, output, and error streams to a running container"),
    ("build", "Build an image from a Dockerfile"),
    ("commit", "Create a new image from a container's changes"),
    ("cp", "Copy files/folders between a container and the local filesystem"),
    ("create", "Create a new container"),
    ("diff", "Inspect changes to files or directories on a container's filesystem"),
    ("events", "Get real time events from the server"),
    ("exec", "Execute a command in a running container"),
    ("export", "Export a container's filesystem as a tar archive"),
    ("history", "Show the history of an image"),
    ("images", "List images"),
    ("import", "Import the contents from a tarball to create a filesystem image"),
    ("info", "Display system-wide information"),
    ("inspect", "Return low-level information on Docker objects"),
    ("kill", "Kill one or more running containers"),
    ("load", "Load an image from a tar archive or STDIN"),
    ("login", "Authenticate to a registry"), ("logout", "Log out from a registry"),
    ("logs", "Fetch the logs of a container"),
    ("pause", "Pause all processes within one or more containers"),
    ("port", "List port mappings or a specific mapping for the container"),
    ("ps", "List containers"),
    ("pull", "Download an image from a registry"), ("push", "Upload an image to a registry"),
    ("restart", "Restart one or more containers"),
    ("rename", "Rename a container"),
    ("rm", "Remove one or more containers"), ("rmi", "Remove one or more images"),
    ("run", "Create and run a new container from an image"),
    ("save", "Save one or more images to a tar archive (streamed to STDOUT by default)"),
    ("start", "Start one or more stopped containers"),
    ("stats", "Display a live stream of container(s) resource usage statistics"),
    ("stop", "Stop one or more running containers"),
    ("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"),
    ("top", "Display the running processes of a container"),
    ("unpause", "Unpause all processes within one or more containers"),
    ("update", "Update configuration of one or more containers"),
    ("version", "Show the scow version information"),
    ("wait", "Block until one or more containers stop, then print their exit codes"),
]


def global_command() -> Command:
    cmd = Command("", usage="scow [OPTIONS] COMMAND",
                  short="Docker's image and container storage, without a daemon",
                  interspersed=False)
    cmd.string("root", None, "Root of the scow store (default /var/lib/scow)", metavar="string")
    cmd.string("storage-driver", "s", "Storage driver to use (overlay2, btrfs, zfs, vfs)",
               metavar="string")
    cmd.string("runtime", None, "OCI runtime for containers (default runc)", metavar="string")
    cmd.bool("debug", "D", "Enable debug mode (tracebacks on errors)")
    cmd.bool("version", "v", "Print version information and quit")
    return cmd


def main(argv: list[str] | None = None) -> int:
    # a command's imports make ~10^5 objects that live to its end: the young generation is
    # collected every 10,000 allocations instead of 700, and what the interpreter made before
    # this line is never scanned again (gc.freeze): 4-7 % of a cold `images`/`ps`/`inspect`;
    # long runs (the API server, `logs -f`, builds) still collect what they make
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv or "-D" in argv
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except UsageError as exc:
        sys.stderr.write(exc.render() + "\n")
        return exc.exit_code
    except ScowError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        sys.stderr.write(f"Error: {exc.message}\n")
        if exc.hint and not isinstance(exc, UsageError):
            sys.stderr.write(f"hint: {exc.hint}\n")
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the one place that catches everything
        if debug:
            raise
        sys.stderr.write(f"Error: internal error: {type(exc).__name__}: {exc} "
                         "(run with --debug for details)\n")
        return 1


def exit_now(code: int) -> NoReturn:
    """End the program with `code` (the launcher's and `python -m scow`'s last call). When no
    other thread runs and nothing is registered with atexit, stdout and stderr are flushed
    and the process ends at once (os._exit), without the interpreter's finalization: it
    visits every object the imports made (~10 M instructions, a tenth of `exec` or `inspect`),
    and after `start`'s fork of the monitor, which shares the pages, each page it writes is
    copied too. The store is closed by then (Context.close); anything else exits the usual
    way."""
    import _thread
    import atexit

    pending = getattr(atexit, "_ncallbacks", lambda: 1)()
    if _thread._count() == 0 and pending == 0:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):  # a closed pipe: the usual exit reports it
            pass
        else:
            os._exit(code)
    raise SystemExit(code)


def _dispatch(argv: list[str]) -> int:
    top = global_command()
    opts = top.parse(argv)
    if opts.version:
        print(f"scow version {__version__}")
        return 0
    words = opts.args
    if opts.help or not words or words[0] == "help":
        sys.stdout.write(_top_help(top))
        return 0
    if words[0] in GROUPS and (len(words) == 1 or words[1] in ("-h", "--help")):
        sys.stdout.write(_group_help(words[0]))
        return 0
    name, rest = _command_words(words)
    if name is None:
        typed = " ".join(words[:2]) if words[0] in GROUPS else words[0]
        raise UsageError(f"'{typed}' is not a scow command.", "scow")
    __import__(f"scow.cli.commands.{COMMANDS[name]}")  # not importlib: one module less
    module = sys.modules[f"scow.cli.commands.{COMMANDS[name]}"]
    cmd: Command = module.command()
    cmd.name, cmd.path = name, f"scow {name}"
    cmd_opts = cmd.parse(rest)
    for warning in cmd_opts.warnings:  # pflag's "Flag --x has been deprecated, ..." on the
        sys.stdout.write(warning + "\n")  # command's output, as the docker CLI prints it
    if cmd_opts.help:
        sys.stdout.write(cmd.help_text())
        return 0
    if opts.root or os.environ.get("SCOW_ROOT"):
        check_root(opts.root or os.environ["SCOW_ROOT"])
    ctx = Context(root=opts.root or None, storage_driver=opts.storage_driver or None,
                  runtime=opts.runtime or None, debug=opts.debug)
    try:
        return int(module.run(cmd_opts, ctx))
    finally:
        ctx.close()


def check_root(root: str) -> None:
    """Refuse a --root that is, or lies below, something other than a folder, in one line
    naming it (a root that cannot be created, e.g. under /proc, fails when the store is
    opened: see Context.engine)."""
    probe = os.path.abspath(root)
    while not os.path.isdir(probe):
        if os.path.lexists(probe):
            what = "not a directory" if probe == os.path.abspath(root) else \
                f"{probe} is not a directory"
            raise InvalidArgument(f"open root {root}: {what}")
        probe = os.path.dirname(probe)


def _command_words(words: list[str]) -> tuple[str | None, list[str]]:
    if len(words) >= 2 and f"{words[0]} {words[1]}" in COMMANDS:
        return f"{words[0]} {words[1]}", words[2:]
    if words[0] in COMMANDS:
        return words[0], words[1:]
    return None, words


def _top_help(top: Command) -> str:
    lines = ["", "Usage:  scow [OPTIONS] COMMAND", "",
             "Docker's image and container storage system, without a daemon", "",
             "Commands:"]
    lines += [f"  {name:<10}{text}" for name, text in SHORT_HELP]
    lines += ["", "Management Commands:",
              "  container Manage containers", "  image     Manage images",
              "  network   Manage networks", "  system    Manage scow",
              "  volume    Manage volumes", "",
              "Global Options:", top.flag_usages(100).rstrip(), "",
              "Run 'scow COMMAND --help' for more information on a command.", ""]
    return "\n".join(lines)


def _group_help(group: str) -> str:
    """`scow image` alone or with --help: the group's commands, as docker's management
    commands show them (cli/groups.py)."""
    from scow.cli.groups import group_help

    return group_help(group, COMMANDS)


def _quiet_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
