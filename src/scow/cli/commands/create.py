"""owns: `scow create` / `scow container create`, and the flags `run` shares with it."""

from __future__ import annotations

import sys

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.engine.containers.config import CreateOptions, HealthOptions
from scow.errors import ImageNotFound, InvalidArgument


def add_create_flags(cmd: Command) -> None:
    cmd.bool("interactive", "i", "Keep STDIN open even if not attached")
    cmd.bool("tty", "t", "Allocate a pseudo-TTY")
    cmd.bool("rm", None, "Automatically remove the container and its associated anonymous "
             "volumes when it exits")
    cmd.string("name", None, "Assign a name to the container", metavar="string")
    cmd.string_list("env", "e", "Set environment variables", metavar="list")
    cmd.string_list("env-file", None, "Read in a file of environment variables", metavar="list")
    cmd.string("workdir", "w", "Working directory inside the container", metavar="string")
    cmd.string("user", "u", "Username or UID (format: <name|uid>[:<group|gid>])",
               metavar="string")
    cmd.string("entrypoint", None, "Overwrite the default ENTRYPOINT of the image",
               metavar="string", default=None)  # type: ignore[arg-type]
    cmd.string_list("volume", "v", "Bind mount a volume", metavar="list")
    cmd.string_list("mount", None, "Attach a filesystem mount to the container", metavar="mount")
    cmd.string("network", None, "Connect a container to a network", metavar="network",
               default="bridge")
    cmd.string_list("network-alias", None, "Add network-scoped alias for the container",
                    metavar="list")
    cmd.string("ip", None, "IPv4 address (e.g., 172.30.100.104)", metavar="string")
    cmd.string("mac-address", None, "Container MAC address (e.g., 92:d0:c6:0a:29:33)",
               metavar="string")
    cmd.string_list("publish", "p", "Publish a container's port(s) to the host", metavar="list")
    cmd.bool("publish-all", "P", "Publish all exposed ports to random ports")
    cmd.string_list("dns", None, "Set custom DNS servers", metavar="list")
    cmd.string_list("dns-search", None, "Set custom DNS search domains", metavar="list")
    cmd.string_list("dns-option", None, "Set DNS options", metavar="list")
    cmd.string_list("add-host", None, "Add a custom host-to-IP mapping (host:ip)",
                    metavar="list")
    cmd.string("hostname", "h", "Container host name", metavar="string")
    cmd.string_list("label", "l", "Set meta data on a container", metavar="list")
    cmd.string("log-driver", None, "Logging driver for the container", metavar="string")
    cmd.string_list("log-opt", None, "Log driver options", metavar="list")
    cmd.bool("read-only", None, "Mount the container's root filesystem as read only")
    cmd.string_list("group-add", None, "Add additional groups to join", metavar="list")
    cmd.string_list("cap-add", None, "Add Linux capabilities", metavar="list")
    cmd.string_list("cap-drop", None, "Drop Linux capabilities", metavar="list")
    cmd.bool("privileged", None, "Give extended privileges to this container")
    cmd.string_list("security-opt", None, "Security Options", metavar="list")
    add_health_flags(cmd)
    cmd.string("restart", None, "Restart policy to apply when a container exits",
               metavar="string", default="no")
    cmd.string("stop-signal", None, "Signal to stop the container", metavar="string")
    cmd.int("stop-timeout", None, "Timeout (in seconds) to stop a container", default=-1)
    cmd.string("platform", None, "Set platform if server is multi-platform capable",
               metavar="string")
    cmd.string("pull", None, 'Pull image before creating ("always", "missing", "never")',
               metavar="string", default="missing")
    from scow.cli.commands.create_resources import add_resource_flags

    add_resource_flags(cmd)  # --memory, --cpus, --ulimit, --init, --cidfile...


def add_health_flags(cmd: Command) -> None:
    cmd.string("health-cmd", None, "Command to run to check health", metavar="string")
    cmd.duration("health-interval", None, "Time between running the check (ms|s|m|h) "
                  "(default 0s)")
    cmd.int("health-retries", None, "Consecutive failures needed to report unhealthy")
    cmd.duration("health-start-interval", None, "Time between running the check during the "
                  "start period (ms|s|m|h) (default 0s)")
    cmd.duration("health-start-period", None, "Start period for the container to initialize "
                  "before starting health-retries countdown (ms|s|m|h) (default 0s)")
    cmd.duration("health-timeout", None, "Maximum time to allow one check to run (ms|s|m|h) "
                  "(default 0s)")
    cmd.bool("no-healthcheck", None, "Disable any container-specified HEALTHCHECK")


def _health(opts: Options) -> HealthOptions:
    return HealthOptions(cmd=opts.health_cmd, interval=opts.health_interval,
                         timeout=opts.health_timeout, start_period=opts.health_start_period,
                         start_interval=opts.health_start_interval,
                         retries=opts.health_retries, disable=opts.no_healthcheck)


def command() -> Command:
    cmd = Command("create", usage="scow create [OPTIONS] IMAGE [COMMAND] [ARG...]",
                  short="Create a new container", aliases=("container create", "create"),
                  args=(1, None), interspersed=False)
    add_create_flags(cmd)
    return cmd


def _env_file(path: str) -> list[str]:
    import os

    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise InvalidArgument(f"open {path}: {exc.strerror or exc}") from None
    out = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, _ = line.partition("=")
        out.append(line if sep else f"{key}={os.environ.get(key, '')}")
    return out


def _pairs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key] = value
    return out


def options_from(opts: Options) -> CreateOptions:
    import os

    env: list[str] = []
    for path in opts.env_file:
        env += _env_file(path)
    for item in opts.env:  # `-e KEY` takes KEY's value from the environment, as docker
        env.append(item if "=" in item else f"{item}={os.environ.get(item, '')}")
    from scow.cli.commands.create_resources import label_file_labels, resource_options

    entrypoint = None if opts.entrypoint is None else ([opts.entrypoint] if opts.entrypoint
                                                       else [])
    return CreateOptions(
        image=opts.args[0], cmd=opts.args[1:] or None, entrypoint=entrypoint,
        name=opts.name or None, env=env, workdir=opts.workdir, user=opts.user, tty=opts.tty,
        stdin_open=opts.interactive, hostname=opts.hostname,
        labels={**label_file_labels(opts.label_file), **_pairs(opts.label)},
        network=opts.network, volumes=opts.volume, mounts=opts.mount, auto_remove=opts.rm,
        log_opts=_pairs(opts.log_opt), stop_signal=opts.stop_signal,
        stop_timeout=opts.stop_timeout if opts.stop_timeout >= 0 else None,
        read_only=opts.read_only, group_add=opts.group_add, cap_add=opts.cap_add,
        cap_drop=opts.cap_drop, privileged=opts.privileged, security_opt=opts.security_opt,
        network_aliases=opts.network_alias, ip=opts.ip,
        mac_address=opts.mac_address, publish=opts.publish,
        publish_all=opts.publish_all, dns=opts.dns, dns_search=opts.dns_search,
        dns_options=opts.dns_option, add_hosts=opts.add_host, restart=opts.restart,
        log_driver=opts.log_driver, health=_health(opts), **resource_options(opts))


def create_container(ctx: Context, opts: Options, *, claim_exit: bool = False) -> str:
    """Create, pulling the image first when it is missing (docker's "Unable to find");
    `claim_exit`: an attached `run`'s, its exit claim held from before it is seen
    (ContainerService.create_id)."""
    from scow.cli.commands.create_resources import check_cidfile, write_cidfile

    check_cidfile(opts.cidfile)
    create = options_from(opts)
    engine = ctx.engine
    if opts.pull == "always" or (opts.pull == "missing"
                                 and engine.images.find(create.image) is None):
        if opts.pull != "always":
            sys.stderr.write(f"Unable to find image '{_familiar(create.image)}' locally\n")
        try:
            from scow.format.progress import ProgressWriter

            engine.distribution.pull(create.image, platform=opts.platform or None,
                                     progress=ProgressWriter(sys.stderr))
        except ImageNotFound:
            raise
    container_id = engine.containers.create_id(create, claim_exit=claim_exit)
    write_cidfile(opts.cidfile, container_id)
    return container_id


def _familiar(name: str) -> str:
    from scow.oci.reference import parse_reference

    try:
        return parse_reference(name).familiar()
    except InvalidArgument:
        return name


def run(opts: Options, ctx: Context) -> int:
    ctx.out(create_container(ctx, opts))
    return 0
