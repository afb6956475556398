"""owns: the container service: create, look up and remove containers, and the service
assembled from the mixins: running them is run.py, listing (`ps`) listing.py, diff/commit/
export fs.py, cp cp.py, inspect inspect.py, docker-py's collection (get, list, create, run,
prune) objects.py (all on base.py's collaborators); the mixins `create` does not use
(`_DEFERRED`, run.py's lifecycle among them) are imported on first use of one of their
attributes.

A container = its record (store/containers.py) + a writable layer on an ``-init`` layer on the
image's layers + its folder::

    <root>/containers/<id>/        hostname, hosts, resolv.conf (bind-mounted), config.json
                                   (the OCI bundle), state.json, container.log*, shim files
"""

from __future__ import annotations

import contextlib
import os
import sys

from scow.engine.containers.admin import ContainerAdmin
from scow.engine.containers.base import ContainerBase
from scow.engine.containers.records import ContainerSummary
from scow.errors import (
    Conflict,
    InvalidArgument,
    NameInUse,
    NotFound,
    ScowError,
)
from scow.ids import random_id, short_id
from scow.oci.image import rfc3339_nano
from scow.osutil import faults
from scow.osutil.at import remove_tree_quietly
from scow.store.containers import ContainerRecord

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

if TYPE_CHECKING:
    from scow.engine.containers.config import CreateOptions

ZERO_TIME = "0001-01-01T00:00:00Z"
SHALLOW_IMAGE = 128  # an image of fewer layers stacks on every driver (overlay2's limit: 499)

# the mixins that `create` does not use (start/stop/kill's lifecycle, ps's listing, inspect,
# and the verbs no short command uses: `update`, exec and the API's exec instances, cp,
# commit/export, stats): their modules load on the first use of one of their attributes,
# not with every command that builds the service
# (searched in this order: a name of a later one imports the earlier ones too, all light)
_DEFERRED = (("scow.engine.containers.run", "ContainerLifecycle"),  # start, stop, rm's kill
             ("scow.engine.containers.listing", "ContainerListing"),  # `scow ps`
             ("scow.engine.containers.inspect", "ContainerInspection"),  # `inspect`, `logs`
             ("scow.engine.containers.execs", "ContainerExecs"),  # `scow exec`
             ("scow.engine.containers.cp", "ContainerCopy"),
             ("scow.engine.containers.fs", "ContainerFilesystem"),
             ("scow.engine.containers.stats", "ContainerStatistics"),
             ("scow.engine.containers.update", "ContainerUpdate"),
             ("scow.engine.containers.objects", "ContainerObjects"))  # docker-py's collection
# the entry points whose mixin is known without importing the ones searched before it:
# `scow exec` loads neither the listing (with network_files) nor the inspect mixin, `ps` not
# the lifecycle; the names a mixin's module already loaded are searched there first (exec's
# own helpers)
_DEFERRED_HINTS = {"exec": "scow.engine.containers.execs",
                   "list_containers": "scow.engine.containers.listing"}  # `scow ps`: no run

if TYPE_CHECKING:
    from scow.engine.containers.cp import ContainerCopy
    from scow.engine.containers.execs import ContainerExecs
    from scow.engine.containers.fs import ContainerFilesystem
    from scow.engine.containers.inspect import ContainerInspection
    from scow.engine.containers.listing import ContainerListing
    from scow.engine.containers.objects import ContainerObjects
    from scow.engine.containers.run import ContainerLifecycle
    from scow.engine.containers.stats import ContainerStatistics
    from scow.engine.containers.update import ContainerUpdate

    class _DeferredVerbs(ContainerLifecycle, ContainerListing, ContainerInspection,
                         ContainerUpdate, ContainerExecs, ContainerCopy,
                         ContainerFilesystem, ContainerStatistics, ContainerObjects):
        """mypy sees the mixins themselves."""
else:
    class _DeferredVerbs:
        """The attributes of `_DEFERRED`'s mixins, looked up when the service's own class
        has no such name (`__getattr__`), their module imported then."""

        def __getattr__(self, name: str) -> object:
            if not name.startswith("__"):
                hinted = _DEFERRED_HINTS.get(name)
                for module, cls_name in sorted(_DEFERRED, key=lambda mc: (
                        mc[0] != hinted, mc[0] not in sys.modules)):  # stable: else in order
                    cls = getattr(__import__(module, fromlist=[cls_name]), cls_name)
                    for klass in cls.__mro__:
                        if klass is ContainerBase:
                            break
                        if name in vars(klass):
                            attr = vars(klass)[name]
                            get = getattr(type(attr), "__get__", None)
                            return get(attr, self, type(self)) if get else attr
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class ContainerService(ContainerAdmin, _DeferredVerbs):
    """docker's container verbs (create, start, stop, exec, logs, commit, cp, rm...), each a
    method; built by `Engine` with the collaborators `ContainerBase` names."""

    # -- create ---------------------------------------------------------------------------
    def _create(self, opts: CreateOptions, *, claim_exit: bool = False) -> str:
        """docker create: the records, the init and writable layers and the folder; with
        `claim_exit`, the folder's exit claim taken before the record is published and kept
        for `claim_exit` (an attached `run`: no concurrent prune removes it before its
        start)."""
        from scow.engine.containers import initlayer
        from scow.engine.containers.config import (
            command_of,
            container_config,
            host_config,
            log_config,
        )
        self.store.recover()
        record = self.images.record(opts.image)
        image_id = record.id
        image = self.store.images.config(image_id)  # read and verified once
        if len(image.diff_ids) >= SHALLOW_IMAGE:
            from scow.engine.images.squash import check_depth

            check_depth(self.store, len(image.diff_ids), opts.image)
        container_id = random_id()
        config = container_config(opts, image.config, container_id)
        mounts = _mount_points(opts)
        path, args = command_of(config)
        doc: dict[str, Any] = {
            "Id": container_id, "Created": rfc3339_nano(), "Path": path, "Args": args,
            "Config": config, "Image": image_id,
            "HostConfig": host_config(opts, log_config(opts, self.settings.log_driver,
                                                       self.settings.log_opts)),
            "MountPoints": mounts, "Mounted": False,
        }
        doc["NetworkSettings"] = self._networks(doc, opts)  # scow network
        name = self._reserve(container_id, opts.name, image_id, doc)
        doc["Name"] = "/" + name
        files = tuple(m["Destination"] for m in mounts if _file_bind(m)) + \
            (("/sbin/docker-init",) if opts.init else ())  # --init's bind mount point
        dests = tuple(m["Destination"] for m in mounts if not _file_bind(m))
        try:
            rw = self.store.layers.create_rw(record.top_layer, container_id,
                                             init=lambda p, lowers: initlayer.setup(
                                                 p, lowers, dests, files),
                                             ready_durable=False)  # publish's commit is
            self._create_volumes(rw.mount_id, mounts)
            faults.point("containers.create.after_volumes")
            folder = self.folder(container_id)
            os.makedirs(folder, mode=0o710, exist_ok=True)
            if claim_exit:
                from scow.runtime.exit_claim import try_claim

                claim = try_claim(folder)  # a new folder: nobody else holds it
                if claim is not None:
                    self._held_claims[container_id] = claim
            from scow.runtime.etcfiles import write_etc_files

            write_etc_files(folder, config["Hostname"])
            published = self.records.publish(container_id, rw.mount_id, doc)
        except BaseException:
            held = self._held_claims.pop(container_id, None)
            if held is not None:
                os.close(held)
            self._discard(container_id, mounts)
            raise
        self.event(published, "create")
        return container_id

    def _create_volumes(self, mount_id: str, mounts: list[dict[str, Any]]) -> None:
        """The container's volumes, made at create as moby makes them (their `create` event
        comes before the container's), each new or empty one filled with the image's content
        at its destination (moby's populateVolumes), so that `cp` into a created container
        writes next to it. The reserved record already names them: no prune takes them."""
        fill = []
        for m in mounts:
            if m["Type"] != "volume":
                continue
            fresh = self.volumes.find(m["Name"]) is None
            volume = self.volumes.create(m["Name"], anonymous=m.get("Anonymous", False))
            faults.point("containers.create.after_volume")
            if fresh or not os.listdir(volume.mountpoint):
                fill.append((m["Destination"], volume.mountpoint))
        if not fill:
            return
        from scow.engine.containers.run import fill_volume

        rootfs = self.store.driver.get(mount_id)
        try:
            for dest, folder in fill:
                fill_volume(rootfs, dest, folder)
        finally:
            self.store.driver.put(mount_id)

    def _networks(self, doc: dict[str, Any], opts: CreateOptions) -> dict[str, Any]:
        """NetworkSettings at create: the network named by --network (checked to exist),
        with --network-alias (user networks only, as docker)."""
        from scow.engine.network_files import uses_namespace

        mode = doc["HostConfig"]["NetworkMode"]
        if mode.startswith("container:"):
            self.records.get(mode.removeprefix("container:"))
        if not uses_namespace(mode):
            if opts.network_aliases or opts.ip:
                raise InvalidArgument("network-scoped alias and --ip are supported only for "
                                      "containers in user defined networks")
            return {"Networks": {mode: {}}, "Ports": {}}
        from scow.engine.networks import check_aliases

        net = self.networks.get(mode)
        check_aliases(opts.network_aliases)
        if (opts.network_aliases or opts.ip) and net.name == "bridge":
            raise InvalidArgument("network-scoped alias and --ip are supported only for "
                                  "containers in user defined networks")
        return {"Networks": {net.name: {
            "Aliases": list(opts.network_aliases) or None, "NetworkID": net.id,
            "IPAMConfig": {"IPv4Address": opts.ip} if opts.ip else None}}, "Ports": {}}

    def _reserve(self, container_id: str, name: str | None, image_id: str,
                 doc: dict[str, Any]) -> str:
        from scow.engine.containers.names import random_name, validate_name

        if name:
            name = validate_name(name)
            self.records.reserve(container_id, name, image_id, doc)
            return name
        for attempt in range(10):
            candidate = random_name(attempt)
            try:
                self.records.reserve(container_id, candidate, image_id, doc)
                return candidate
            except NameInUse:
                continue
        raise Conflict("create container: could not find a free random name")

    def _discard(self, container_id: str, mounts: Sequence[dict[str, Any]] = ()) -> None:
        """Remove whatever a failed or interrupted create left, its anonymous volumes
        included before its record goes (never masks its error)."""
        with contextlib.suppress(ScowError, OSError):
            for mount_id in self.store.layers.rw_of_container(container_id):
                self.store.layers.remove_rw(mount_id)
            remove_tree_quietly(self.folder(container_id))
            self.volumes.discard_anonymous(list(mounts))
            self.records.delete(container_id)

    def exists(self, name: str) -> bool:
        """Whether a container (finished creating) has this ID, ID prefix or name."""
        return self.records.find(name) is not None

    def config(self, name: str) -> dict[str, Any]:
        """The container's Config object (docker's JSON: Image, Cmd, Env, Tty, Labels...)."""
        config: dict[str, Any] = self.records.get(name).doc["Config"]
        return dict(config)

    def using_image(self, image_id: str) -> list[tuple[str, bool]]:
        """(short ID, running) of the containers made from `image_id` (for rmi)."""
        out = []
        for record in self.records.using_image(image_id):
            st = self.state(record) if record.state == "ready" else None
            out.append((short_id(record.id),
                        bool(st and st.active)))
        return out

    # -- remove ---------------------------------------------------------------------------
    def remove(self, name: str, *, force: bool = False, volumes: bool = False) -> str:
        """docker rm; returns the name as given."""
        self.store.recover()
        record = self.records.get(name)
        st = self.state(record)
        if st is not None and st.active:
            if not force:
                raise _running(record.id)
            self.kill_for_removal(record)  # not under the start lock: the monitor's exit
            if self.records.find(record.id) is None:  # command (--rm) takes it
                return name  # it was run with --rm: its monitor removed it
        with self.start_lock(record.id):  # never while a start is between mount and running
            record = self.records.get(record.id)  # a --rm monitor may have removed it meanwhile
            st = self.state(record)
            if st is not None and st.active:
                raise _running(record.id)  # started meanwhile
            self.records.mark_removing(record.id)
            self._remove_marked(record, volumes)
        self.event(record, "destroy")
        return name

    def _remove_marked(self, record: ContainerRecord, volumes: bool) -> None:
        """The removal after the durable ``removing`` mark: its commits do not wait for the
        disk (a power loss leaves what a kill leaves: the row ``removing`` of a dead owner,
        which recovery finishes; tests/reliability/test_crash.py)."""
        self.cleanup(record, remove_runtime=True)
        if record.mount_id:
            self.store.layers.remove_rw(record.mount_id, durable=False)
        remove_tree_quietly(self.folder(record.id))
        self.records.delete(record.id, durable=False)
        if volumes:
            for mount in record.doc.get("MountPoints", []):
                if mount.get("Anonymous"):
                    with contextlib.suppress(Conflict):  # another container mounts it
                        self.volumes.remove(mount["Name"], force=True)

    def exit_cleanup(self, container_id: str) -> None:
        """What the monitor runs after the container stopped: cleanup, then --rm."""
        record = self.records.find(container_id)
        if record is not None:
            self._exit_work(record)

    def _exit_work(self, record: ContainerRecord) -> None:
        """A stopped container's exit work: release its mount and network, then remove it
        for --rm (AutoRemove)."""
        self.cleanup(record)
        if record.doc["HostConfig"].get("AutoRemove"):
            self.remove(record.id, volumes=True)

    def finish_attached(self, container_id: str) -> int | None:
        """The exit work of an attached `run`, done by the waiting process itself (under its
        `claim_exit`) instead of by the monitor's exit command: wait for the exit, release
        the mount and network, remove the container for --rm; its exit code (None when a
        concurrent `rm`/`prune` removed the stopped container before it could be read)."""
        from scow.runtime.exit_claim import mark_done
        from scow.runtime.monitor import wait as wait_monitor

        record = self.records.find(container_id)
        if record is None:
            return None
        folder = self.folder(record.id)
        code = wait_monitor(folder, record.id, self.runc).exit_code
        try:
            self._exit_work(record)
        except NotFound:
            return code  # a concurrent prune or rm took the stopped container: its work
        mark_done(folder)
        return code

    def reap(self, record: ContainerRecord) -> None:
        """Stop and release what an interrupted create or rm left running (store recovery);
        an interrupted create's anonymous volumes go too (recovery deletes its row after)."""
        st = self.state(record) if os.path.isdir(self.folder(record.id)) else None
        if st is not None and st.active:
            self.kill_for_removal(record)
        self.cleanup(record, remove_runtime=True)
        if record.state == "creating":
            self.volumes.discard_anonymous(record.doc.get("MountPoints") or [])

    # -- docker-py's object model ------------------------------------------------------------
    def create_id(self, opts: CreateOptions, *, claim_exit: bool = False) -> str:
        """docker create as the CLI prints it: the new container's ID only (`create`'s
        Container is a whole inspect: state, mounts, sizes). `claim_exit`: an attached
        `run`'s create, whose exit claim `claim_exit` then hands over (`_create`)."""
        return self._create(opts, claim_exit=claim_exit)

def _mount_points(opts: CreateOptions) -> list[dict[str, Any]]:
    """The MountPoints of `-v` and `--mount`; a volume without a name gets a random one and
    is marked Anonymous (removed with the container by `rm -v`)."""
    if not opts.volumes and not opts.mounts:
        return []  # the volume module is not loaded for none
    from scow.engine.volumes import MountSpec, parse_mount_flag, parse_volume_flag

    mounts = [parse_volume_flag(v) for v in opts.volumes] + \
        [parse_mount_flag(m) for m in opts.mounts]
    anonymous = {m.destination for m in mounts if m.kind == "volume" and not m.source}
    mounts = [MountSpec("volume", random_id(), m.destination, m.read_only)
              if m.destination in anonymous else m for m in mounts]
    return [_mount_doc(m, m.destination in anonymous) for m in mounts]


def _file_bind(m: dict[str, Any]) -> bool:
    """A bind of a host file (not a folder): its mount point is a file (runc's rule)."""
    return m["Type"] == "bind" and os.path.exists(m["Source"]) and \
        not os.path.isdir(m["Source"])


def _mount_doc(m: Any, anonymous: bool) -> dict[str, Any]:
    return {"Type": m.kind, "Name": m.source if m.kind == "volume" else "",
            "Source": m.source if m.kind == "bind" else "", "Destination": m.destination,
            "RW": not m.read_only, "Anonymous": anonymous}


__all__ = ["ContainerService", "ContainerSummary", "ZERO_TIME"]


def _running(container_id: str) -> Conflict:
    return Conflict(f"You cannot remove a running container {container_id}. Stop the "
                    "container before attempting removal or force remove")
