"""owns: the containers noun — `ContainerService` (service.py), assembled from one mixin a
module on `ContainerBase` (base.py): run.py (start, stop, kill, wait, pause, exec, logs,
attach), fs.py (commit, export), cp.py (archives in and out), inspect.py; model.py
(docker-py's `Container`), records.py, streams.py, config.py (create's options → docker's
Config/HostConfig), filters.py (`ps --filter`), names.py, initlayer.py."""

from scow.engine.containers.model import Container
from scow.engine.containers.service import ContainerService, ContainerSummary

__all__ = ["Container", "ContainerService", "ContainerSummary"]
