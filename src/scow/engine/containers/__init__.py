"""owns: the containers noun — `ContainerService` (service.py), assembled from one mixin a
module on `ContainerBase` (base.py): run.py (start, stop, kill, wait, pause, exec, logs,
attach), fs.py (commit, export), cp.py (archives in and out), inspect.py; config.py (create's
options → docker's Config/HostConfig), filters.py (`ps --filter`), names.py, initlayer.py."""

from scow.engine.containers.service import ContainerService, ContainerSummary

__all__ = ["ContainerService", "ContainerSummary"]
