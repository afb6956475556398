"""owns: the ports of pull, push and load: what they report to (`Progress`;
scow.format.progress.ProgressWriter fits; `NullProgress` shows nothing) and what they work
with (`Registries`: the store, the distribution tables and registry clients, which
`DistributionService` provides), so that they never import the service that calls them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from scow.registry.client import RegistryClient
    from scow.store.distribution import DistributionMetadata
    from scow.store.manifests import ManifestStore
    from scow.store.store import Store


class Registries(Protocol):
    """What a pull or push works with (DistributionService fits)."""

    store: Store

    @property
    def metadata(self) -> DistributionMetadata: ...

    @property
    def manifests(self) -> ManifestStore: ...

    def client(self, domain: str) -> RegistryClient: ...


class Progress(Protocol):
    """What pull, push and load report to (scow.format.progress.ProgressWriter fits)."""

    def update(self, id: str, status: str, current: int | None = None,
               total: int | None = None) -> None: ...

    def line(self, text: str, id: str | None = None) -> None: ...


class NullProgress:
    def update(self, id: str, status: str, current: int | None = None,
               total: int | None = None) -> None:
        pass

    def line(self, text: str, id: str | None = None) -> None:
        pass


class CallbackProgress:
    """A Progress that hands each update to `callback` as docker's JSON progress message:
    {"id": ..., "status": ..., "progressDetail": {"current": n, "total": n}} (a bare line
    has no "id" nor "progressDetail")."""

    def __init__(self, callback: Callable[[dict[str, Any]], None]) -> None:
        self.callback = callback

    def update(self, id: str, status: str, current: int | None = None,
               total: int | None = None) -> None:
        detail = {k: v for k, v in (("current", current), ("total", total)) if v is not None}
        self.callback({"id": id, "status": status, "progressDetail": detail})

    def line(self, text: str, id: str | None = None) -> None:
        self.callback({"status": text, **({"id": id} if id else {})})
