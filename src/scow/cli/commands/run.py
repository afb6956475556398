"""owns: `scow run` / `scow container run`: create, start, and (without -d) attach, wait and
exit with the container's code (125 when scow itself fails, 126/127 when the command cannot
be run)."""

from __future__ import annotations

import contextlib
import sys

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import ContainerNotFound, InternalError, ScowError


def command() -> Command:
    from scow.cli.commands.create import add_create_flags

    cmd = Command("run", usage="scow run [OPTIONS] IMAGE [COMMAND] [ARG...]",
                  short="Create and run a new container from an image",
                  aliases=("container run", "run"), args=(1, None), interspersed=False)
    add_create_flags(cmd)
    cmd.bool("detach", "d", "Run container in background and print container ID")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    from scow.cli.commands.create import create_container

    if opts.tty and _attaches_stdin(opts) and not opts.detach and not sys.stdin.isatty():
        sys.stderr.write("the input device is not a TTY\n")  # docker's CheckTty
        return 1
    try:
        container_id = create_container(ctx, opts, claim_exit=not opts.detach)
    except ScowError as exc:
        return _fail(exc)
    containers = ctx.engine.containers
    with contextlib.ExitStack() as claim:
        if not opts.detach:  # the exit work is this process's, not the monitor's (below)
            claim.enter_context(containers.claim_exit(container_id))
        try:
            started = containers.start(container_id, attach=not opts.detach)
        except Exception as exc:  # docker run: whatever fails before the container runs is 125
            claim.close()  # a monitor that did start does its own exit work
            if opts.rm:
                _remove_quietly(ctx, container_id)
            if isinstance(exc, ScowError):
                return _fail(exc)
            if ctx.debug:
                raise
            return _fail(InternalError(f"internal error: {type(exc).__name__}: {exc}"))
        if opts.detach:
            ctx.out(container_id)
            return 0
        from scow.cli.attach_io import pump

        code = None
        if started is not None and started.attach is not None:
            code = pump(started.attach, stdin=_attaches_stdin(opts), tty=opts.tty,
                        streams=_streams(opts))
        # the exit work (mount, network, --rm) is done here, as docker's run returns after it
        done = containers.finish_attached(container_id)
        if code is not None:
            return code
        if done is None:  # removed by a concurrent rm/prune before its exit code was read
            raise ContainerNotFound(f"No such container: {container_id}")
        return done


def _attaches_stdin(opts: Options) -> bool:
    """-i, or -a stdin (docker: -a without stdin leaves stdin detached)."""
    attach = {a.lower() for a in opts.attach}
    return "stdin" in attach if attach else opts.interactive


def _streams(opts: Options) -> frozenset[str]:
    """The output streams `-a/--attach` selects (both when none is named)."""
    attach = frozenset(a.lower() for a in opts.attach) - {"stdin"}
    return attach if opts.attach else frozenset({"stdout", "stderr"})


def _fail(exc: ScowError) -> int:
    sys.stderr.write(f"scow: Error: {exc.message}\n")
    code = exc.exit_code if exc.exit_code in (126, 127) else 125
    if code == 125:
        sys.stderr.write("See 'scow run --help'.\n")
    return code


def _remove_quietly(ctx: Context, container_id: str) -> None:
    try:
        ctx.engine.containers.remove(container_id, force=True, volumes=True)
    except ContainerNotFound:
        pass
