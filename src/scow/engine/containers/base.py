"""owns: what every part of the container service shares: its collaborators (the store, the
image and volume services, the settings and the runtime factory), a container's folder, and
its run state as `docker ps` shows it (with the health check's status). The service is
assembled from mixins, one a module, all on this base: run.py (lifecycle), fs.py (commit,
export), cp.py (archives in and out), inspect.py, and service.py (create, list, remove),
which puts them together.

    <root>/containers/<id>/        hostname, hosts, resolv.conf (bind-mounted), config.json
                                   (the OCI bundle), state.json, container.log*, shim files
"""

from __future__ import annotations

import _thread  # threading's own primitives: threading costs ~1 ms of a cold start
import os
import time
from collections.abc import Callable

from scow.oci.image import parse_time

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)

if TYPE_CHECKING:
    from scow.engine.images import ImageService
    from scow.engine.networks import NetworkService
    from scow.engine.settings import Settings
    from scow.engine.volumes import VolumeService
    from scow.runtime.runc import Runc
    from scow.runtime.state import ContainerState, StateCache
    from scow.store.containers import ContainerRecord, ContainerStore
    from scow.store.store import Store

RuntimeFactory = Callable[[], "Runc"]


class ContainerBase:
    """The collaborators of the container service (see the module doc)."""

    def __init__(self, store: Store, images: Callable[[], ImageService],
                 volumes: Callable[[], VolumeService], settings: Settings,
                 runtime: RuntimeFactory, *,
                 networks: Callable[[], NetworkService] | None = None) -> None:
        self.store = store
        self._network_service = networks  # scow network: the network service, made on first use
        self.records: ContainerStore = store.containers
        self._image_service = images  # made on first use: `rm` never does
        self._volume_service = volumes  # made on first use: `create` without -v never does
        self.settings = settings
        self._runtime = runtime
        self._runc: Runc | None = None
        self._runc_lock = _thread.allocate_lock()
        self._states: StateCache | None = None  # made on the first state()
        # exit claims taken at create for an attached `run` (create_id's `claim_exit`),
        # handed over by claim_exit: container ID -> the descriptor holding the claim
        self._held_claims: dict[str, int] = {}

    @property
    def images(self) -> ImageService:
        """The image service (engine/images), for create's image and ps's names."""
        return self._image_service()

    @property
    def volumes(self) -> VolumeService:
        """The volume service (engine/volumes), for named and anonymous volumes."""
        return self._volume_service()

    @property
    def networks(self) -> NetworkService:
        """The network service (engine/networks.py), for the container's network at run time."""
        if self._network_service is None:
            raise RuntimeError("container service built without a network service")
        return self._network_service()

    @property
    def runc(self) -> Runc:
        """The OCI runtime, made on first use (`ps` never needs it)."""
        with self._runc_lock:
            if self._runc is None:
                self._runc = self._runtime()
            return self._runc

    def runtime_knows(self, container_id: str) -> bool:
        """`runc.knows` without building the runtime (no runc module for the `rm` of a
        container that is not running): the engine's runc keeps its records in
        `<root>/runtime/runc` (engine.py `Engine.runtime`)."""
        if self._runc is not None:
            return self._runc.knows(container_id)
        return os.path.exists(os.path.join(self.store.root, "runtime", "runc", container_id,
                                           "state.json"))

    def folder(self, container_id: str) -> str:
        """The container's folder, `<root>/containers/<id>`."""
        return os.path.join(self.store.containers_dir(), container_id)

    def state(self, record: ContainerRecord) -> ContainerState | None:
        """The container's run state from its state.json; only a run whose monitor died
        (a pid recorded, the monitor's lock free) costs more: it is repaired through runc."""
        from scow.osutil.locks import is_locked
        from scow.runtime.state import LOCK_FILE, StateCache

        folder = self.folder(record.id)
        if self._states is None:
            self._states = StateCache()
        st = self._states.read(folder)
        if st is None or not st.pid or is_locked(os.path.join(folder, LOCK_FILE)):
            return st
        from scow.runtime.monitor import refresh

        return refresh(folder, record.id, self.runc)

    def health_status(self, record: ContainerRecord) -> str:
        """starting | healthy | unhealthy as its monitor last recorded, or none (no health
        check); what `ps --filter health=` matches."""
        if not (record.doc["Config"].get("Healthcheck") or {}).get("Test"):
            return "none"  # no check: runtime.health not loaded (start-up)
        from scow.runtime.health import probe_argv, read_health

        if not probe_argv(record.doc["Config"].get("Healthcheck")):
            return "none"
        health = read_health(self.folder(record.id))
        return str(health["Status"]) if health else "starting"

    def status_of(self, record: ContainerRecord) -> tuple[str, str, int]:
        """(State, Status text, exit code) as `docker ps` shows them."""
        from scow.format.units import human_duration
        from scow.runtime.state import is_paused

        st = self.state(record)
        if st is None:
            return "created", "Created", 0
        if st.status == "running":
            paused = is_paused(self.folder(record.id))
            up = "Up " + human_duration(max(0.0, time.time() - parse_time(st.started_at)))
            if paused:
                return "paused", up + " (Paused)", 0
            health = self.health_status(record)
            suffix = {"starting": " (health: starting)", "healthy": " (healthy)",
                      "unhealthy": " (unhealthy)"}.get(health, "")
            return "running", up + suffix, 0
        if st.status == "restarting":  # between two runs of a restart policy
            ago = human_duration(max(0.0, time.time() - parse_time(st.finished_at)))
            return "restarting", f"Restarting ({st.exit_code}) {ago} ago", st.exit_code
        if st.status == "exited":
            ago = human_duration(max(0.0, time.time() - parse_time(st.finished_at)))
            return "exited", f"Exited ({st.exit_code}) {ago} ago", st.exit_code
        return "created", "Created", 0

    # -- events (scow events) -------------------------------------------------------------
    def event(self, record: ContainerRecord, action: str,
              attributes: dict[str, object] | None = None) -> None:
        """Append docker's container event `action` to the root's event log."""
        from scow.engine.events import container_event

        container_event(self.store, record, action, attributes)

    def volume_events(self, record: ContainerRecord, action: str) -> None:
        """docker's volume `mount`/`unmount` events of the container's named volumes."""
        from scow.engine.events import volume_event

        for m in record.doc.get("MountPoints", []):
            if m.get("Type") != "volume":
                continue
            attrs: dict[str, object] = {"container": record.id}
            if action == "mount":
                attrs.update({"destination": m["Destination"], "read/write": str(
                    bool(m.get("RW"))).lower(), "propagation": m.get("Propagation", "")})
            volume_event(self.store, m["Name"], action, attrs)
