"""owns: one RUN step in a real container: a writable layer on the step's parent chain (with
its ``-init`` layer), an OCI bundle, ``runc run`` in the foreground with its output streamed,
and the container's changes (against the init layer) registered as one layer. The step's
``--mount``s (engine/builds/mounts.py) are added to the bundle; the mount points runc had to
create are removed again before the diff.

Staging, not fsynced (nothing of it outlives the step), removed after the step (and by the next
writer's recovery if this process dies)::

    <root>/tmp/<owner>.build-<id>/config.json, hosts, hostname, resolv.conf   the bundle

The writable layer is a *held* one (store/layers.py `create_held_rw`): its row is
``incomplete`` under this process's owner token from its first transaction until it is removed,
so a concurrent scow's recovery leaves it alone. If this process dies mid-step, the next
writer's recovery deletes the step's runc container (the engine's `step_reaper`, by the step ID
in the row's label ``build-<step id>``), unmounts and removes the layer.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO, cast

from scow.errors import BuildCancelled, RuntimeFailure
from scow.ids import ChainID, random_id

if TYPE_CHECKING:
    from scow.build.ports import RunSpec
    from scow.engine.builds.mounts import StepMounts
    from scow.runtime.runc import Runc
    from scow.runtime.spec import RunConfig as _RunConfig
    from scow.store.layers import Layer, RWLayer
    from scow.store.store import Store

HOSTNAME = "buildkitsandbox"


class RunOutcome:
    def __init__(self, exit_code: int, layer: Layer | None) -> None:
        self.exit_code, self.layer = exit_code, layer


def run_in_container(store: Store, runc: Runc, lock: threading.RLock, parent: ChainID | None,
                     spec: RunSpec, output: Callable[[bytes], None],
                     mounts: StepMounts | None = None,
                     cancel: threading.Event | None = None) -> RunOutcome:
    """Run `spec` on `parent`; on exit 0 register its changes (leased to this process).
    `mounts`: the step's prepared ``--mount``s (engine/builds/mounts.py). Once `cancel` is set
    the step's container is killed and BuildCancelled raised (the layer goes as on a failure)."""
    from scow.engine.builds.mounts import missing_stubs, remove_stubs
    from scow.engine.containers import initlayer

    step_id = random_id()
    with lock:
        rw = store.layers.create_held_rw(parent, f"build-{step_id}", init=initlayer.setup)
    bundle = store.tmp_path(f"build-{step_id[:12]}")
    try:
        os.makedirs(bundle, mode=0o700)
        with lock:
            rootfs = store.driver.get(rw.mount_id)
        stubs = missing_stubs(rootfs, [str(m["destination"]) for m in mounts.entries]) \
            if mounts else []
        try:
            code = _run(runc, step_id, rootfs, bundle, spec, output, mounts, cancel)
        finally:
            remove_stubs(rootfs, stubs)
            with lock:
                store.driver.put(rw.mount_id)
        if code != 0:
            return RunOutcome(code, None)
        with lock:
            return RunOutcome(0, _commit(store, rw, parent, spec.epoch))
    finally:
        shutil.rmtree(bundle, ignore_errors=True)
        with lock:
            store.layers.remove_rw(rw.mount_id, force=True, durable=False)


def _commit(store: Store, rw: RWLayer, parent: ChainID | None, epoch: int | None) -> Layer:
    from scow.engine.builds.layers import clamp_mtimes
    from scow.engine.layer_stream import register_from

    def diff(out: BinaryIO) -> None:
        store.driver.diff(rw.mount_id, rw.init_id, out)

    produce = diff if epoch is None else clamp_mtimes(diff, epoch)
    return register_from(store, produce, parent)


def _run(runc: Runc, step_id: str, rootfs: str, bundle: str, spec: RunSpec,
         output: Callable[[bytes], None], mounts: StepMounts | None,
         cancel: threading.Event | None) -> int:
    """``runc run`` the step in the foreground; its exit code (runc's own failures raise)."""
    import json

    from scow.osutil.atomic import write_new
    from scow.runtime.runc import last_error, translate
    from scow.runtime.spec import RunConfig, write_bundle, write_etc_files

    write_etc_files(bundle, HOSTNAME)
    cfg = RunConfig(container_id=step_id, cmd=spec.argv,
                    env=spec.env + tuple(mounts.env if mounts else ()), user=spec.user,
                    workdir=spec.workdir or "/", hostname=HOSTNAME, network=spec.network,
                    privileged=spec.privileged)
    cfg = _with_extras(cfg, bundle, spec)
    oci = _make_spec(cfg, rootfs, bundle)
    if mounts:
        oci["mounts"] = [*cast(list[object], oci["mounts"]), *mounts.entries]
    if mounts and mounts.env:  # a secret's value in the env: the spec stays in memory
        shm = write_bundle(mounts.secrets_dir(), oci)
        os.symlink(os.path.join(shm, "config.json"), os.path.join(bundle, "config.json"))
    else:  # a new folder of throw-away files: no temp name, rename or fsync (write_bundle's)
        write_new(os.path.join(bundle, "config.json"),
                  json.dumps(oci, separators=(",", ":")).encode(), 0o600, durable=False)
    os.makedirs(runc.root, mode=0o700, exist_ok=True)
    with tempfile.NamedTemporaryFile(prefix="runc-log-", dir=bundle) as log:
        r, w = os.pipe()
        reader = threading.Thread(target=_pump, args=(r, output), name="scow-run-output",
                                  daemon=True)
        reader.start()
        try:
            with runc.deleted_if_caller_dies(step_id):  # a killed build takes its step down
                code, stopped = _runc_run(runc, bundle, step_id, log.name, w, cancel)
        except BaseException as exc:
            os.close(w)
            reader.join(10)  # a step stopped midway may leave a `runc init` on the pipe
            if isinstance(exc, OSError):
                raise RuntimeFailure(f"run step: run {runc.path}: {exc.strerror}") from exc
            raise
        os.close(w)
        reader.join()
        failure = last_error(log.name)
    if stopped or (code != 0 and failure):
        with contextlib.suppress(Exception):
            runc.delete(step_id, force=True)
        if stopped:
            raise BuildCancelled("run step: cancelled")
        raise translate("runc run failed", failure)
    return code


def _runc_run(runc: Runc, bundle: str, step_id: str, log: str, out: int,
              cancel: threading.Event | None) -> tuple[int, bool]:
    """``runc run`` the bundle with its output to `out`; its exit code, and whether the build
    was cancelled meanwhile: a watcher thread kills the step's container once `cancel` is set
    (again every quarter second: runc may not have made it yet), and runc run ends with it.
    Interrupted (SIGINT), the step is stopped the same way before the interrupt goes on."""
    proc = subprocess.Popen(runc.argv("run", "--bundle", bundle, step_id, log=log),
                            stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    done = threading.Event()

    def watch() -> None:
        assert cancel is not None
        while not done.is_set():
            if cancel.wait(0.25):
                with contextlib.suppress(Exception):
                    runc.kill(step_id, "KILL")
                done.wait(0.25)

    watcher = threading.Thread(target=watch, name="scow-run-cancel", daemon=True) \
        if cancel is not None else None
    if watcher is not None:
        watcher.start()
    try:
        proc.wait()
    except BaseException:
        _stop(proc, runc, step_id)
        raise
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
    return proc.returncode, cancel is not None and cancel.is_set()


def _stop(proc: subprocess.Popen[bytes], runc: Runc, step_id: str) -> None:
    """Stop an interrupted step: its container killed (a killed runc run would leave it
    running: measured, `RUN sleep 30` ran on after scow build exited 130), runc waited for
    (killed after 10 s), its record deleted."""
    with contextlib.suppress(Exception):
        runc.kill(step_id, "KILL")
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    with contextlib.suppress(Exception):
        runc.delete(step_id, force=True)


# the translated seccomp filter of a step's (default) profile and capabilities, made once per
# process: every RUN step of a build has the same (privileged steps have none)
_SECCOMP: dict[str, object] = {}


def _make_spec(cfg: _RunConfig, rootfs: str, bundle: str) -> dict[str, object]:
    """runtime.spec.make_spec, the seccomp filter translated by the first step only."""
    from dataclasses import replace

    from scow.runtime.seccomp import UNCONFINED
    from scow.runtime.spec import make_spec

    if cfg.privileged or cfg.seccomp == UNCONFINED:
        return make_spec(cfg, rootfs, bundle)
    key = cfg.seccomp
    if key not in _SECCOMP:
        oci = make_spec(cfg, rootfs, bundle)
        _SECCOMP[key] = cast(dict[str, object], oci["linux"]).get("seccomp")
        return oci
    oci = make_spec(replace(cfg, seccomp=UNCONFINED), rootfs, bundle)
    if _SECCOMP[key] is not None:
        cast(dict[str, object], oci["linux"])["seccomp"] = _SECCOMP[key]
    return oci


def _with_extras(cfg: _RunConfig, bundle: str, spec: RunSpec) -> _RunConfig:
    """``build --add-host`` lines in the step's /etc/hosts, ``--shm-size``, ``--ulimit``
    (a hard limit above this process's is refused by the runtime spec, as for `run`)."""
    from dataclasses import replace

    from scow.runtime.spec import Ulimit

    extras = spec.extras
    if extras.add_hosts:
        with open(os.path.join(bundle, "hosts"), "a", encoding="utf-8") as f:
            f.writelines(f"{ip}\t{name}\n" for name, ip in extras.add_hosts)
    ulimits = tuple(Ulimit(name, soft, hard) for name, soft, hard in extras.ulimits)
    return replace(cfg, ulimits=ulimits, shm_size=extras.shm_size or cfg.shm_size)


def _pump(fd: int, output: Callable[[bytes], None]) -> None:
    with os.fdopen(fd, "rb", buffering=0) as f:
        while chunk := f.read(65536):
            output(chunk)
