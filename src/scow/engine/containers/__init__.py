"""owns: the containers noun — `ContainerService` (service.py), assembled from one mixin a
module on `ContainerBase` (base.py): run.py (start, stop, kill, wait, pause, exec, logs,
attach), fs.py (commit, export), cp.py (archives in and out), inspect.py; model.py
(docker-py's `Container`), records.py, streams.py, config.py (create's options → docker's
Config/HostConfig), filters.py (`ps --filter`), names.py, initlayer.py.

The package's own names load their modules on first use (PEP 562), so a build step, which
needs only `initlayer`, does not load the service's ten modules."""

TYPE_CHECKING = False  # mypy honours the name
if TYPE_CHECKING:
    from scow.engine.containers.model import Container
    from scow.engine.containers.service import ContainerService, ContainerSummary

__all__ = ["Container", "ContainerService", "ContainerSummary"]


def __getattr__(name: str) -> object:
    if name == "Container":
        from scow.engine.containers.model import Container

        return Container
    if name in ("ContainerService", "ContainerSummary"):
        from scow.engine.containers import service

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
