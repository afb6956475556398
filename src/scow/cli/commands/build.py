"""owns: `scow build` / `scow image build` / `scow builder build`: docker's flags, the context
(a folder, a tar file, or ``-``: a tar or a lone Dockerfile on stdin), BuildKit-style progress
on stderr, the image ID on stdout with ``-q`` and in ``--iidfile``."""

from __future__ import annotations

import os
import sys

from scow.cli.context import Context
from scow.cli.flags import Command, Options, UsageError
from scow.errors import InvalidArgument, ScowError, Unsupported, from_oserror

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import IO

    from scow.engine.builds.options import BuildContext, BuildOptions, OutputSpec, RunExtras

PROGRESS_MODES = ("auto", "plain", "tty", "quiet", "rawjson")


def command() -> Command:
    cmd = Command("build", usage="scow build [OPTIONS] PATH | URL | -",
                  short="Build an image from a Dockerfile",
                  aliases=("image build", "build", "builder build"), args=(1, 1))
    cmd.string_list("build-arg", None, "Set build-time variables", metavar="stringArray")
    cmd.string("file", "f", "Name of the Dockerfile (default: \"PATH/Dockerfile\")",
               metavar="string")
    cmd.string("iidfile", None, "Write the image ID to a file", metavar="string")
    cmd.string_list("label", None, "Set metadata for an image", metavar="stringArray")
    cmd.string("network", None, "Set the networking mode for the RUN instructions during "
               "build (host, none)", default="default", metavar="string")
    cmd.bool("no-cache", None, "Do not use cache when building the image")
    cmd.string("progress", None, "Set type of progress output (\"auto\", \"plain\", \"tty\", "
               "\"quiet\")", default="auto", metavar="string")
    cmd.bool("quiet", "q", "Suppress the build output and print image ID on success")
    cmd.bool("squash", None, "Squash newly built layers into a single new layer")
    cmd.string_list("tag", "t", "Name and optionally a tag (format: \"name:tag\")",
                    metavar="stringArray")
    cmd.string("target", None, "Set the target build stage to build", metavar="string")
    _check_flags(cmd)
    _run_flags(cmd)
    _stage_flags(cmd)
    _cache_flags(cmd)
    cmd.bool("analyze-ci", None, "Fail (exit 1) when `scow image analyze` has findings on the "
             "new image (they are printed as warnings after every build)")
    _mount_flags(cmd)
    return cmd


# -- --cache-from / --cache-to (engine/builds/remote_cache.py) ------------------------------
def _cache_flags(cmd: Command) -> None:
    cmd.string_list("cache-from", None, "External cache sources (e.g. \"user/app:cache\", "
                    "\"type=local,src=path/to/dir\", \"type=registry,ref=user/app\")",
                    metavar="stringArray")
    cmd.string_list("cache-to", None, "Cache export destinations (e.g. \"type=inline\", "
                    "\"type=local,dest=path/to/dir\")", metavar="stringArray")


# -- RUN step flags, --platform and --pull ---------------------------------------------------
def _run_flags(cmd: Command) -> None:
    cmd.string_list("add-host", None, "Add a custom host-to-IP mapping (\"host:ip\")",
                    metavar="list")
    cmd.string("shm-size", None, "Size of \"/dev/shm\" in RUN steps", metavar="bytes")
    cmd.string_list("ulimit", None, "Ulimit options for RUN steps (never above this "
                    "process's hard limits)", metavar="ulimit")
    cmd.string("platform", None, "Set the target platform for the build (this machine's only)",
               metavar="string")
    cmd.bool("pull", None, "Always attempt to pull all referenced images")
    cmd.string_list("output", "o", "Output destination (format: \"type=local,dest=path\", "
                    "\"type=tar,dest=file|-\"; type=image|docker: an image, the default)",
                    metavar="stringArray")


def _output(items: list[str]) -> OutputSpec | None:
    """docker's ``-o``: ``type=local,dest=DIR``, ``type=tar,dest=FILE|-``, a bare path
    (``-o DIR`` = local, ``-o -`` = tar to stdout), ``type=image|docker`` (the default)."""
    from scow.engine.builds.options import OutputSpec

    if not items:
        return None
    if len(items) > 1:
        raise InvalidArgument("-o/--output: only one output is supported")
    item = items[0]
    if "=" not in item:
        fields = {"type": "tar" if item == "-" else "local", "dest": item}
    else:
        fields = dict(f.partition("=")[::2] for f in item.split(","))
    kind, dest = fields.get("type", ""), fields.get("dest", "")
    if kind in ("image", "docker"):
        return None
    if kind not in ("local", "tar") or not dest:
        raise InvalidArgument(f"invalid output {item!r}: want type=local,dest=DIR, "
                              "type=tar,dest=FILE|- or type=image")
    if kind == "local" and dest == "-":
        raise InvalidArgument("invalid output: type=local needs a folder, not -")
    return OutputSpec(kind, dest, sys.stdout.buffer if dest == "-" else None)


def _run_extras(opts: Options) -> RunExtras:
    from scow.engine.builds.options import RunExtras
    from scow.format.units import parse_size

    hosts = []
    for item in opts.add_host:
        name, sep, ip = item.partition("=" if "=" in item else ":")
        if not (sep and name and ip) or ip == "host-gateway":
            raise InvalidArgument(f"invalid argument {item!r} for \"--add-host\" flag: want "
                                  "host:ip (host-gateway is not supported by scow build)")
        hosts.append((name, ip.strip("[]")))
    shm = parse_size(opts.shm_size) if opts.shm_size else None
    if shm is not None and shm <= 0:
        raise InvalidArgument(f"invalid argument {opts.shm_size!r} for \"--shm-size\" flag")
    return RunExtras(tuple(hosts), shm, tuple(_ulimit(u) for u in opts.ulimit))


_ULIMITS = ("nofile", "nproc", "core", "memlock", "stack", "fsize")


def _ulimit(item: str) -> tuple[str, int, int]:
    """docker's ``name=soft[:hard]``."""
    name, _, values = item.partition("=")
    soft, _, hard = values.partition(":")
    try:
        numbers = int(soft), int(hard or soft)
    except ValueError:
        numbers = (-1, -1)
    if name not in _ULIMITS or min(numbers) < 0 or numbers[0] > numbers[1]:
        raise InvalidArgument(f"invalid argument {item!r} for \"--ulimit\" flag: want "
                              f"name=soft[:hard], name one of {', '.join(_ULIMITS)}")
    return name, numbers[0], numbers[1]


# -- --no-cache-filter, --build-context ------------------------------------------------------
def _stage_flags(cmd: Command) -> None:
    cmd.string_list("no-cache-filter", None, "Do not cache specified stages",
                    metavar="stringArray")
    cmd.string_list("build-context", None, "Additional build contexts (e.g., "
                    "name=path or name=docker-image://ref)", metavar="stringArray")


def _build_contexts(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not (sep and name and value):
            raise InvalidArgument(f"invalid argument {item!r} for \"--build-context\" flag: "
                                  "want name=path or name=docker-image://ref")
        if "://" in value and not value.startswith("docker-image://"):
            raise Unsupported(f"--build-context {item}: only folders and docker-image:// "
                              "are supported")
        out[name] = value if "://" in value else os.path.abspath(value)
    return out


# -- frontend checks (BuildKit's build checks) ---------------------------------------------
def _check_flags(cmd: Command) -> None:
    cmd.bool("check", None, "Run the Dockerfile's build checks instead of building (exit 1 "
             "when any warns)")


def _run_check(ctx: Context, context: BuildContext | None, options: BuildOptions) -> int:
    from scow.engine.builds.options import format_check

    try:
        found = ctx.engine.build.check(context, options)
    finally:
        if context is not None:
            context.close()
    ctx.stdout.write(format_check(list(found.warnings), found.filename, found.text))
    return 1 if found.warnings else 0


def _print_warnings(ctx: Context, warnings: tuple[object, ...]) -> None:
    from scow.engine.builds.options import LintWarning, format_summary

    if warnings:
        ctx.stderr.write("\n" + format_summary([w for w in warnings
                                                if isinstance(w, LintWarning)]))


# -- RUN --mount sources and entitlements (--secret, --ssh, --allow) ------------------------
def _mount_flags(cmd: Command) -> None:
    cmd.string_list("secret", None, "Secret to expose to the build (format: "
                    "\"id=mysecret[,src=/local/secret]\" or \"id=x,env=VAR\")",
                    metavar="stringArray")
    cmd.string_list("ssh", None, "SSH agent socket or keys to expose to the build (format: "
                    "\"default|<id>[=<socket>|<key>[,<key>]]\")", metavar="stringArray")
    cmd.string_list("allow", None, "Allow extra privileged entitlement (network.host, "
                    "security.insecure)", metavar="stringArray")


def _mount_options(opts: Options, options: BuildOptions) -> None:
    from scow.engine.builds.options import parse_allow, parse_secret, parse_ssh

    options.secrets = tuple(parse_secret(v) for v in opts.secret)
    options.ssh = tuple(parse_ssh(v) for v in opts.ssh)
    options.allow = parse_allow(opts.allow)


def run(opts: Options, ctx: Context) -> int:
    from scow.engine.builds.options import BuildOptions, make_progress

    mode = "quiet" if opts.quiet else opts.progress
    if mode not in PROGRESS_MODES:
        raise UsageError(f"invalid progress mode {mode!r}: use auto, plain, tty or quiet",
                         "scow build")
    network = "host" if opts.network in ("default", "host", "") else opts.network
    if network not in ("host", "none"):
        raise InvalidArgument(f"network mode {opts.network!r} not supported by scow build "
                              "(use host or none)")
    build_args = _pairs(opts.build_arg, "build-arg", from_env=True)
    options = BuildOptions(
        tags=tuple(opts.tag), target=opts.target or None, build_args=build_args,
        labels=_pairs(opts.label, "label"), no_cache=opts.no_cache, network=network,
        epoch=_epoch(build_args))
    options.run_extras, options.pull = _run_extras(opts), opts.pull
    options.platform = opts.platform or None
    options.output = _output(opts.output)
    options.no_cache_filter = tuple(opts.no_cache_filter)
    options.build_contexts = _build_contexts(opts.build_context)
    options.cache_from, options.cache_to = tuple(opts.cache_from), tuple(opts.cache_to)
    if options.output is not None and opts.squash:
        raise InvalidArgument("--squash needs an image: it cannot be used with -o "
                              f"type={options.output.type}")
    _mount_options(opts, options)
    context = _context(opts.args[0], opts.file, options)
    if opts.check:
        return _run_check(ctx, context, options)
    progress = make_progress(ctx.stderr, "plain" if mode == "rawjson" else mode)
    try:
        result = ctx.engine.build.build(context, options, progress, squash=opts.squash)
    except ScowError:
        if mode == "quiet":
            _dump_failed(progress, ctx.stderr)
        raise
    finally:
        if context is not None:
            context.close()
    if mode != "quiet":
        _print_warnings(ctx, result.warnings)
    if not result.image_id:
        return 0  # -o type=local|tar: no image
    if opts.iidfile:
        _write_iidfile(opts.iidfile, result.image_id)
    if opts.quiet:
        ctx.out(result.image_id)
    if (opts.quiet or result.reused) and not opts.analyze_ci:
        return 0  # an unchanged rebuild: its findings were those of the build that made it
    return _analysis_warnings(ctx, result.image_id, fail=opts.analyze_ci)


def _analysis_warnings(ctx: Context, image_id: str, *, fail: bool) -> int:
    """`scow image analyze`'s findings on the new image as warnings on stderr, BuildKit
    style; with --analyze-ci any finding fails the build (exit 1; the image is kept). Only
    the findings are computed: the base layer is read where the build's layers touch it."""
    from scow.analyze.image import image_findings
    from scow.analyze.report import finding_lines

    engine = ctx.engine
    findings = image_findings(engine.store, engine.images.resolve(image_id))
    if not findings:
        return 0
    noun = "warning" if len(findings) == 1 else "warnings"
    ctx.stderr.write(f"\n{len(findings)} image analysis {noun} found (scow image analyze "
                     f"{image_id.removeprefix('sha256:')[:12]} for details):\n")
    ctx.stderr.write("".join(f"{line}\n" for f in findings for line in finding_lines(f)))
    if fail:
        ctx.stderr.write(f"ERROR: build: {len(findings)} image analysis {noun} "
                         "(--analyze-ci)\n")
        return 1
    return 0


def _context(path: str, dockerfile: str, options: BuildOptions) -> BuildContext | None:
    """The BuildContext for PATH (or None for a lone Dockerfile on stdin); fills in
    `options.dockerfile` / `dockerfile_text`."""
    from scow.engine.builds.options import BuildContext as Ctx

    if "://" in path or path.startswith("git@"):
        raise Unsupported(f"remote build contexts are not supported: {path}")
    if dockerfile == "-":
        if path == "-":
            raise InvalidArgument("invalid argument: can't use stdin for both build context "
                                  "and dockerfile")
        from scow.engine.builds.options import MAX_DOCKERFILE_SIZE  # one over: the parser says so

        options.dockerfile = "-"
        options.dockerfile_text = sys.stdin.buffer.read(MAX_DOCKERFILE_SIZE + 1)
        return Ctx.from_dir(path)
    if dockerfile:
        options.dockerfile = (os.path.abspath(dockerfile) if os.path.exists(dockerfile)
                              else dockerfile)
    name = options.dockerfile
    if path == "-":
        return _stdin_context(options, name)
    if os.path.isdir(path):
        return Ctx.from_dir(path, name)
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise from_oserror(f"unable to prepare context: path {path!r}", exc) from None
    with f:
        return Ctx.from_tar(f, name)


def _stdin_context(options: BuildOptions, name: str) -> BuildContext | None:
    """``-``: a tar (plain or compressed) is the context; anything else is the Dockerfile."""
    import tarfile
    import tempfile

    from scow.engine.builds.options import BuildContext as Ctx

    spool: IO[bytes] = tempfile.TemporaryFile(prefix="scow-build-stdin-")
    with spool:
        while chunk := sys.stdin.buffer.read(1 << 20):
            spool.write(chunk)
        spool.seek(0)
        try:
            with tarfile.open(fileobj=spool, mode="r:*") as tar:
                is_tar = tar.next() is not None
        except tarfile.TarError:
            is_tar = False
        spool.seek(0)
        if is_tar:
            return Ctx.from_tar(spool, name)
        options.dockerfile, options.dockerfile_text = "-", spool.read()
        return None


def _pairs(items: list[str], flag: str, *, from_env: bool = False) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key:
            raise InvalidArgument(f"invalid argument {item!r} for \"--{flag}\" flag")
        if not sep:
            if not from_env:
                value = ""
            elif key in os.environ:
                value = os.environ[key]
            else:
                continue  # docker: an unset variable named alone is skipped
        out[key] = value
    return out


def _epoch(build_args: dict[str, str]) -> int | None:
    value = build_args.get("SOURCE_DATE_EPOCH", os.environ.get("SOURCE_DATE_EPOCH", ""))
    if not value:
        return None
    if not value.isdigit():
        raise InvalidArgument(f"invalid SOURCE_DATE_EPOCH {value!r}: want seconds since 1970")
    return int(value)


def _write_iidfile(path: str, image_id: str) -> None:
    try:
        with open(path, "w") as f:  # as docker writes it (os.WriteFile)
            f.write(image_id)
    except OSError as exc:
        raise from_oserror(f"write iidfile {path}", exc) from None


def _dump_failed(progress: object, err: IO[str]) -> None:
    """With -q nothing was shown: print the failed step's output, as docker does."""
    for vertex in getattr(progress, "vertices", []):
        if vertex.failed is not None:
            err.write(f"#{vertex.number} {vertex.name}\n")
            for line in vertex.logs:
                err.write(f"#{vertex.number} {line}\n")
