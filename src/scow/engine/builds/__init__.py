"""owns: the builds noun — `BuildService` (service.py) and `StoreBuildEngine`, the builder's
port made real over the store: RUN steps in runc (run.py), COPY/ADD/WORKDIR layers
(layers.py), the build cache (cache.py)."""

from scow.engine.builds.service import BuildService

__all__ = ["BuildService"]
