"""owns: docker-py's ContainerCollection on the container service (a mixin on base.py's
collaborators, one of service.py's `_DEFERRED`): `get` and `list` as docker-py's `Container`
objects (model.py), `create` from CreateOptions or docker-py's arguments (pyargs.py), `run`
(create, start, and wait for the output unless detached), and `prune` (docker container
prune). No short command uses them: the module loads on first use of one of its names.
"""

from __future__ import annotations

import builtins
import contextlib
import os

from scow.engine.containers.base import ContainerBase
from scow.errors import Conflict, ContainerError, ContainerNotFound, NotFound, ScowError

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from scow.engine.containers.config import CreateOptions
    from scow.engine.containers.model import Container
    from scow.engine.containers.records import ContainerSummary
    from scow.engine.containers.streams import LogEntry


class ContainerObjects(ContainerBase):
    if TYPE_CHECKING:  # the other mixins', in the assembled service (service.py)
        def _create(self, opts: CreateOptions) -> str: ...

        def inspect(self, name: str, *, size: bool = False) -> dict[str, Any]: ...

        def list_containers(self, *, all: bool = False, size: bool = False,
                            filters: dict[str, builtins.list[str]] | None = None,
                            last: int = -1) -> builtins.list[ContainerSummary]: ...

        def logs(self, name: str, *, follow: bool = False, tail: int | None = None,
                 since: str | None = None, until: str | None = None) -> Iterator[LogEntry]: ...

        def remove(self, name: str, *, force: bool = False, volumes: bool = False) -> str: ...

        def sizes(self, name: str) -> tuple[int, int]: ...

    def get(self, name: str) -> Container:
        """docker-py's containers.get: the Container with this ID, ID prefix or name."""
        from scow.engine.containers.model import Container

        return Container(self, self.inspect(name))  # type: ignore[arg-type]  # the service's

    def list(self, *, all: bool = False, filters: dict[str, builtins.list[str]] | None = None,
             limit: int = -1) -> builtins.list[Container]:
        """docker-py's containers.list: running ones (every one with `all`), newest first."""
        out = []
        for s in self.list_containers(all=all, filters=filters, last=limit):
            with contextlib.suppress(ContainerNotFound):  # removed since it was listed
                out.append(self.get(s.id))
        return out

    def create(self, image: str | CreateOptions, command: str | builtins.list[str] | None = None,
               **kwargs: Any) -> Container:
        """docker create: from `CreateOptions`, or docker-py's way (image, command and
        keyword arguments: name, environment, entrypoint, working_dir, user, tty,
        stdin_open, hostname, labels, network_mode, volumes, mounts, auto_remove,
        read_only, cap_add, cap_drop, privileged, security_opt, stop_signal, group_add)."""
        from scow.engine.containers.pyargs import options_of

        opts = image if not isinstance(image, str) else options_of(image, command, kwargs)
        return self.get(self._create(opts))

    def run(self, image: str, command: str | builtins.list[str] | None = None, *,
            detach: bool = False, remove: bool = False, stdout: bool = True,
            stderr: bool = False, **kwargs: Any) -> Container | bytes:
        """docker-py's containers.run: create and start; with `detach` the Container, else
        wait and return its output (stdout; stderr too when asked), raising ContainerError
        when it exits non-zero. `remove` removes it once it has exited (detached: docker's
        --rm, `auto_remove`)."""
        if detach and remove:
            kwargs["auto_remove"] = True
        container = self.create(image, command, **kwargs)
        try:
            container.start()
        except BaseException:
            with contextlib.suppress(ScowError):
                container.remove(force=True)
            raise
        if detach:
            return container
        code = container.wait()["StatusCode"]
        wanted = {name for name, on in (("stdout", stdout), ("stderr", stderr)) if on}
        entries = list(self.logs(container.id))
        if remove:
            container.remove(force=True)
        if code:
            raise ContainerError(
                f"run container {container.short_id}: command exited with {code}",
                exit_status=code, stderr=b"".join(e.data for e in entries
                                                  if e.stream == "stderr"))
        return b"".join(e.data for e in entries if e.stream in wanted)

    def prune(self) -> tuple[builtins.list[str], int]:
        """docker container prune: remove every stopped container; (IDs, bytes reclaimed)."""
        from scow.runtime import exit_claim

        removed, reclaimed = [], 0
        for record in self.records.all():
            state, _, _ = self.status_of(record)
            if state in ("running", "paused", "restarting"):
                continue
            folder = self.folder(record.id)
            claim = exit_claim.try_claim(folder)
            if claim is None and os.path.isdir(folder):
                continue  # busy: an attached `run` about to start it, a `stop`, its monitor
            exit_claim.release(claim)
            try:
                size = self.sizes(record.id)[0]
                self.remove(record.id)
            except (NotFound, Conflict):
                continue  # removed by its --rm monitor, or started meanwhile: moby skips it too
            reclaimed += size
            removed.append(record.id)
        from scow.engine.events import prune_event

        prune_event(self.store, "container", reclaimed)
        return removed, reclaimed
