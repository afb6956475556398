"""Each short command imports only what its path uses (issue 18): the scow modules it may
load are listed here, and standard-library modules it must not load. The command runs on a
temp root the way `.venv/bin/scow` runs it (`python -I -S`, scow's source on sys.path), and
`sys.modules` is dumped when it returns; a new module fails the test with its name.

A budget may shrink freely (drop the names); it grows only with a reason in the commit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.containers.kit import REPO, Scow, loaded_modules
from tests.tools import require_root, require_runc

# never on any short command's path: typing (7 ms with re and enum; scow.typeshim instead),
# the network and archive stacks, the API server, the builder, optional UIs
FORBIDDEN = {"typing", "argparse", "asyncio", "ssl", "http", "urllib", "urllib3", "aiohttp",
             "email", "tarfile", "zipfile", "uuid", "isal", "backports", "textual", "rich",
             "scow.format.gotemplate", "scow.archive", "scow.registry", "scow.build", "scow.api",
             "scow.network.netavark"}
# dataclasses loads inspect, ast, dis and tokenize; shutil loads bz2, lzma and fnmatch
HEAVY = {"dataclasses", "inspect", "ast", "tempfile", "random", "socket"}
NO_RUNTIME = HEAVY | {"shutil", "subprocess", "ctypes", "scow.runtime.runc",
                      "scow.runtime.monitor", "scow.runtime.spec", "scow.network"}
# listing loads no OpenSSL (hashlib), datetime (the sqlite3 package), threading, platform;
# nor json, re and enum (~4 ms: scow.fastjson, references split by hand)
NO_REGEX = {"re", "json", "enum"}
LISTING = NO_RUNTIME | NO_REGEX | {"hashlib", "datetime", "threading", "platform", "signal",
                                   "scow.drivers.select", "scow.osutil.fs"}
FORBIDDEN_BY_COMMAND: dict[str, set[str]] = {
    # nor the lifecycle mixin (_DEFERRED_HINTS), nor the image service for an IMAGE column
    # its tag still names (the refs table), nor unicodedata for docker's "…" (issue 18)
    "ps": LISTING | {"scow.engine.containers.run", "scow.engine.images.service",
                     "unicodedata"},
    "images": LISTING | {"scow.engine.containers"},
    "inspect": HEAVY | NO_REGEX | {"subprocess", "hashlib", "threading", "scow.runtime.runc",
                                   "scow.engine.networks"},
    "logs": LISTING,
    # create fills the init layer in place (no mount: no ctypes), writes the etc files
    # without the spec's machinery, prints the ID without an inspect, and loads the volume
    # and security modules only for -v/--mount and --cap-*/--security-opt (issue 18)
    "create": HEAVY | NO_REGEX | {"subprocess", "scow.runtime.runc", "scow.runtime.monitor",
                                  "scow.engine.networks", "scow.format", "ctypes", "datetime",
                                  "base64", "scow.runtime.spec", "scow.runtime.state",
                                  "scow.runtime.user", "scow.engine.network_attach",
                                  "scow.engine.volumes", "scow.runtime.seccomp",
                                  "scow.runtime.capabilities",
                                  "scow.engine.containers.security",
                                  # the service's listing and inspect mixins, docker-py's
                                  # Container: deferred (service.py `_DEFERRED`)
                                  "scow.engine.containers.listing",
                                  "scow.engine.containers.inspect",
                                  "scow.engine.containers.model",
                                  # start/stop's lifecycle mixin, the squash module for its
                                  # depth check (an image under 128 layers), the modes table
                                  "scow.engine.containers.run", "scow.engine.images.squash",
                                  "scow.store.modes"},
    # runc runs by posix_spawn (no subprocess, threading, locale); its log and exec's
    # process.json need no tempfile/shutil; events write no datetime. The monitor (the
    # forked shim) needs socket, selectors and ctypes: start loads them, not exec or stop
    "start": {"dataclasses", "inspect", "ast", "shutil", "tempfile", "random", "subprocess",
              "threading", "datetime", "re", "json",
              # the monitor's signal setup and attach socket load in the forked monitor; no
              # network module for a `--network none` one; container_attributes without the
              # event machinery; no text codec for an ascii file (issue 18)
              "enum", "signal", "scow.runtime.attach", "scow.engine.network_attach",
              "scow.events", "encodings.ascii",
              "ctypes",  # mounts and openat2 call libc through _ctypes (osutil/syscalls.py)
              "resource", "scow.runtime.signals"},
    # and none of them json or re (scow.fastjson; times parsed only where they are read)
    "exec": HEAVY | NO_REGEX | {"shutil", "subprocess", "threading", "datetime", "select",
                                "signal", "scow.runtime.monitor", "scow.runtime.shim",
                                "scow.drivers.select", "ctypes", "scow.runtime.spec",
                                "scow.runtime.seccomp", "scow.osutil.openat2",
                                # the service's `exec` is found without them (_DEFERRED_HINTS)
                                "scow.engine.containers.listing",
                                "scow.engine.containers.inspect", "scow.engine.network_files",
                                # nor the image, blob and reference stores (store.py)
                                "scow.store.images", "scow.store.refs", "scow.blobs.store"},
    "stop": HEAVY | NO_REGEX | {"shutil", "subprocess", "threading", "datetime", "signal",
                                "scow.runtime.spec", "scow.runtime.shim", "ctypes", "enum",
                                "encodings.ascii"},
    # rm of a stopped container: runc's record is a stat, a `--network none` one detaches
    # nothing (issue 18)
    "rm": HEAVY | NO_REGEX | {"shutil", "ipaddress", "subprocess", "threading", "datetime",
                              "signal", "scow.runtime.runc", "scow.store.networks",
                              "scow.engine.network_attach", "ctypes",
                              "scow.engine.containers.listing",
                              "scow.engine.containers.inspect",
                              "scow.engine.containers.model", "scow.engine.volumes",
                              "scow.engine.images"},
}

# the scow modules each command may load, without the "scow." prefix: COMMON (the CLI, the
# store: every command here opens the store) plus the command's own; every one but `rm`
# builds the image service (IMAGE_SERVICE)
COMMON = {"blobs", "blobs.store", "cli", "cli.commands", "cli.context", "cli.flags", "cli.govalues",
          "cli.main", "drivers", "drivers.base", "engine", "engine.engine", "fastjson",
          "engine.settings", "errors",
          "ids", "oci", "oci.image", "oci.jsondoc", "oci.reference", "osutil",
          "osutil.at", "osutil.atomic", "osutil.faults", "osutil.locks", "scow", "store",
          "store.containers", "store.db", "store.images", "store.layers",
          "store.recovery", "store.refs", "store.store", "typeshim"}
BUDGET: dict[str, set[str]] = {
    "ps": COMMON | {"cli.commands.ps", "cli.filters", "cli.output", "engine.containers",
                    "engine.containers.admin", "engine.containers.base",
                    "engine.containers.filters",
                    "engine.containers.inspect",
                    "engine.containers.model", "engine.containers.names",
                    "engine.containers.records", "engine.containers.run",
                    "engine.containers.service", "engine.containers.listing",
                    "engine.network_files", "engine.volumes",
                    "engine.volumes.service", "format", "format.filters",
                    "format.tabwriter", "format.units", "runtime", "runtime.state"},
    "logs": COMMON | {"cli.commands.logs", "engine.containers", "engine.containers.admin",
                      "engine.containers.base", "engine.containers.inspect",
                      "engine.containers.listing", "engine.containers.model",
                      "engine.containers.names", "engine.containers.records",
                      "engine.containers.run", "engine.containers.service",
                      "engine.network_files", "engine.volumes", "engine.volumes.service",
                      "runtime", "runtime.locallog", "runtime.logdriver", "runtime.logs"},
    "images": COMMON | {"cli.commands.images", "cli.filters", "cli.output", "format",
                        "format.tabwriter", "format.units"},
    "inspect": COMMON | {"cli.commands.image_inspect", "cli.commands.inspect", "cli.output",
                         "drivers.folders", "drivers.naive",
                         "drivers.select", "drivers.vfs",
                         "engine.containers", "engine.containers.admin",
                         "engine.containers.base",
                         "engine.containers.inspect",
                         "engine.containers.model",
                         "engine.containers.names",
                         "engine.containers.records",
                         "engine.containers.run",
                         "engine.containers.service", "engine.containers.listing",
                         "engine.images.inspect", "engine.network_files",
                         "engine.volumes", "engine.volumes.service",
                         "format", "format.gojson", "format.govalue",
                         "osutil.fs", "osutil.mounts", "osutil.syscalls",
                         "runtime", "runtime.state"},
    # create's own resource flags (issue 14): their definitions, HostConfig's fields, the
    # host's cgroup check (which reads no file when no resource is asked for)
    "create": COMMON | {"engine.containers.cgroupns",  # HostConfig cgroup fields
                        "cli.commands.create", "cli.commands.create_resources",
                        "engine.containers.resources", "runtime.resources",
                        "drivers.folders", "drivers.naive", "drivers.select",
                        "drivers.vfs", "engine.containers",
                        "engine.containers.admin", "engine.containers.base",
                        "engine.containers.config",
                        "engine.containers.initlayer",
                        "drivers.overlay2_changes",  # the init layer: overlay's whiteout rules
                        "osutil.xattrs",  # the init layer's copy-up (osutil.fs's copy's too)
                        "engine.containers.names",
                        "engine.containers.records",
                        "engine.containers.service",
                        "engine.network_files",
                        "osutil.fs", "osutil.mounts", "osutil.syscalls",
                        "runtime", "runtime.etcfiles"},
    # start applies the resource flags to the spec, hands the monitor its log driver's fields
    # and clears the restart policy's "manually stopped" mark (issue 14), all light modules
    "start": COMMON | {"cli.commands.start", "engine.containers.resources", "runtime.exit_claim",
                       "runtime.logdriver", "runtime.resources", "runtime.restart",
                       "drivers.folders", "drivers.naive", "drivers.select",
                       "drivers.vfs", "engine.containers",
                       "engine.containers.admin", "engine.containers.base",
                       "engine.containers.security",
                       "engine.containers.inspect",
                       "engine.containers.model", "engine.containers.names",
                       "engine.containers.records", "engine.containers.run",
                       "engine.containers.service", "engine.containers.listing",
                       "engine.volumes",
                       "engine.volumes.service", "osutil.fs",
                       "osutil.mounts", "osutil.openat2", "osutil.syscalls",
                       "runtime", "runtime.capabilities",
                       "runtime.etcfiles", "runtime.monitor", "runtime.runc",
                       "runtime.seccomp", "runtime.shim", "runtime.spec",
                       "runtime.state", "runtime.user", "store.networks",
                       "runtime.procenv", "runtime.signals"},
    # exec opens no storage driver: the rootfs is the running bundle's; its process starts
    # from the bundle's (moby's exec): no spec, seccomp, security or resources modules, and
    # no passwd read (openat2, ctypes) without -u
    "exec": COMMON | {"cli.commands.exec",
                      "engine.containers",
                      "engine.containers.admin", "engine.containers.base",
                      "engine.containers.config", "engine.containers.execs",
                      "engine.containers.names",
                      "engine.containers.records", "engine.containers.run",
                      "engine.containers.service", "runtime",
                      "runtime.capabilities", "runtime.exec", "runtime.procenv",
                      "runtime.runc", "runtime.state", "runtime.user"},
    # stop does the exit work itself (the exit claim): the driver's put, the network detach
    "stop": COMMON | {"cli.commands.stop", "cli.output", "drivers.folders", "drivers.naive",
                      "drivers.select", "drivers.vfs", "engine.containers",
                      "engine.containers.admin", "engine.containers.base",
                      "engine.containers.inspect", "engine.containers.listing",
                      "engine.containers.model", "engine.containers.names",
                      "engine.containers.records", "engine.containers.run",
                      "engine.containers.service", "engine.network_attach",
                      "engine.network_files", "engine.volumes", "engine.volumes.service",
                      "osutil.fs", "osutil.mounts", "osutil.syscalls", "runtime",
                      "runtime.attach", "runtime.exit_claim", "runtime.monitor",
                      "runtime.restart", "runtime.runc", "runtime.state", "store.networks",
                      "runtime.signals"},  # stop signals through a pidfd, not runc
    "rm": COMMON | {"cli.commands.rm", "cli.output", "drivers.folders", "drivers.naive",
                    "drivers.select", "drivers.vfs", "engine.containers",
                    "engine.containers.admin", "engine.containers.base",
                    "engine.containers.names", "engine.containers.records",
                    "engine.containers.run", "engine.containers.service",
                    "osutil.fs", "osutil.mounts", "osutil.syscalls", "runtime",
                    "runtime.state"},
}
# (without docker-py's Image, engine/images/model.py: loaded by images.get only)
IMAGE_SERVICE = {"engine.images", "engine.images.naming", "engine.images.records",
                 "engine.images.service"}
for _command in BUDGET:
    if _command != "rm":
        BUDGET[_command] |= IMAGE_SERVICE
# scow events: a command that changes a container appends to the root's event log (the
# monitor a start forks logs the run's start and die)
EVENTS = {"engine.events", "events", "events.log", "events.message", "runtime.eventlog"}
for _command in ("create", "rm", "start", "exec", "stop"):
    BUDGET[_command] |= EVENTS
BUDGET["start"] -= {"events", "events.log", "events.message"}  # the forked monitor logs them
# runc (and netavark, unshare) start through osutil/spawn.py, runtime/runc.py's spawn before
for _command in ("start", "exec", "stop"):
    BUDGET[_command] |= {"osutil.spawn"}


def _check(command: str, modules: set[str]) -> None:
    scow_mods = {m.removeprefix("scow.") for m in modules if m.split(".")[0] == "scow"}
    extra = sorted(f"scow.{m}" for m in scow_mods - BUDGET[command])
    bad = sorted(m for m in modules for f in FORBIDDEN | FORBIDDEN_BY_COMMAND[command]
                 if m == f or m.startswith(f + "."))
    assert not extra and not bad, (
        f"scow {command} imports more than its budget: new scow modules {extra}, "
        f"forbidden modules {bad}")


@pytest.fixture
def store(tmp_path: Path, busybox_tar: Path) -> Scow:
    scow = Scow(tmp_path / "root", "vfs")
    scow("import", str(busybox_tar), "bb:1")
    scow("create", "--name", "idle", "--network", "none", "bb:1", "true")
    return scow


@pytest.mark.parametrize("args", [("ps", "-a"), ("images",), ("inspect", "idle"),
                                  ("inspect", "bb:1"), ("logs", "idle"),
                                  ("create", "--network", "none", "bb:1", "true"),
                                  ("rm", "idle")],
                         ids=lambda a: a[0])
def test_short_command_budget(store: Scow, tmp_path: Path, args: tuple[str, ...]) -> None:
    _check(args[0], loaded_modules(store, tmp_path, *args))


@pytest.mark.runc
def test_start_exec_stop_and_listing_a_running_one_budget(store: Scow, tmp_path: Path) -> None:
    require_root()
    require_runc()
    store("create", "--name", "live", "--network", "none", "bb:1", "sleep", "60")
    try:
        _check("start", loaded_modules(store, tmp_path, "start", "live"))
        _check("ps", loaded_modules(store, tmp_path, "ps", "-a"))  # a running one: its health
        _check("inspect", loaded_modules(store, tmp_path, "inspect", "live"))
        _check("exec", loaded_modules(store, tmp_path, "exec", "live", "true"))
        _check("stop", loaded_modules(store, tmp_path, "stop", "-t", "0", "live"))
    finally:
        store("rm", "-f", "live", check=False)


def test_system_df_loads_no_build_or_distribution_service(store: Scow, tmp_path: Path) -> None:
    """`system df` reads the build cache's figures (engine/builds/gc.py) and the cache mounts
    without the build service, the distribution service or platform (its scow modules
    depend on the driver: vfs's sizes come from the archive walk, so no budget list here)."""
    modules = loaded_modules(store, tmp_path, "system", "df")
    bad = sorted(m for m in modules for f in ("scow.engine.builds.service", "scow.build",
                                              "scow.engine.distribution", "scow.registry",
                                              "platform", "tempfile", "scow.api")
                 if m == f or m.startswith(f + "."))
    assert not bad, f"scow system df imports {bad}"


def test_inspect_of_an_image_builds_no_container_service(store: Scow, tmp_path: Path) -> None:
    """`inspect NAME` tries containers first (docker's order) by asking the store, so an
    image's name loads none of the container service's modules."""
    modules = loaded_modules(store, tmp_path, "inspect", "bb:1")
    assert not [m for m in modules if m.startswith("scow.engine.containers")], modules


COUNT_STATE_READS = """\
import sys
sys.argv = ["scow", *sys.argv[2:]]
sys.path.append({src!r})
import scow.runtime.state as state
reads = []
real, cached = state.read_state, state.StateCache.read
state.read_state = lambda folder: (reads.append(folder), real(folder))[1]
state.StateCache.read = lambda self, folder: (reads.append(folder), cached(self, folder))[1]
from scow.cli.main import main
rc = main()
print("reads", len(reads))
sys.exit(rc)
"""


def test_inspect_reads_the_run_state_once(store: Scow, tmp_path: Path) -> None:
    """State and RestartCount come from one read of state.json (no file read twice)."""
    script = COUNT_STATE_READS.format(src=str(REPO / "src"))
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", script, "-", "--root",
                           str(store.root), "-s", store.driver, "inspect", "idle"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("reads 1"), proc.stdout[-200:]
