"""owns: the builds noun — `BuildService` (service.py) and `StoreBuildEngine`, the builder's
port made real over the store: RUN steps in runc (run.py), COPY/ADD/WORKDIR layers
(layers.py), the build cache (cache.py).

`BuildService` is imported on first use of the name: `system df` reads the build cache's
figures (gc.py) without the service's imports (tempfile, threading, json, dataclasses);
the reference documents it under `scow.engine.builds.service`."""

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from scow.engine.builds.service import BuildService as BuildService
else:
    def __getattr__(name: str) -> object:
        if name == "BuildService":
            from scow.engine.builds.service import BuildService

            return BuildService
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
