"""owns: `scow login`: check credentials against a registry and store them in docker's
config.json (shared with the docker CLI)."""

from __future__ import annotations

import sys

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import InvalidArgument


def command() -> Command:
    cmd = Command("login", usage="scow login [OPTIONS] [SERVER]",
                  short="Authenticate to a registry",
                  long="Authenticate to a registry.\nDefaults to Docker Hub if no server is "
                       "specified.", args=(0, 1))
    cmd.string("username", "u", "Username", metavar="string")
    cmd.string("password", "p", "Password or Personal Access Token (PAT)", metavar="string")
    cmd.bool("password-stdin", None, "Take the Password or Personal Access Token (PAT) from "
             "stdin")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    username, password = opts.username, opts.password
    if password and opts.password_stdin:
        raise InvalidArgument("--password and --password-stdin are mutually exclusive")
    if opts.password_stdin:
        if not username:
            raise InvalidArgument("Must provide --username with --password-stdin")
        password = sys.stdin.read().rstrip("\r\n")
    elif password:
        ctx.stderr.write("WARNING! Using --password via the CLI is insecure. Use "
                         "--password-stdin.\n")
    if not username:
        username = _prompt("Username: ")
    if not password:
        import getpass

        password = getpass.getpass("Password: ") if sys.stdin.isatty() else ""
    if not username or not password:
        raise InvalidArgument("Username and password are required")
    server = opts.args[0] if opts.args else None
    ctx.engine.distribution.login(server, username, password)
    ctx.out("Login Succeeded")
    return 0


def _prompt(text: str) -> str:
    if not sys.stdin.isatty():
        raise InvalidArgument("Cannot perform an interactive login from a non TTY device")
    sys.stderr.write(text)
    sys.stderr.flush()
    return sys.stdin.readline().strip()
