"""owns: docker-py's `Container` object over the container service: typed attributes (id,
name, status, image_id, labels), docker's JSON as `.attrs` (refreshed by `.reload()`), and the
verbs as methods (start, stop, wait, logs, exec_run, put_archive, get_archive, diff, commit,
remove...). It holds the service through `ContainerVerbs`, the narrow port it needs, so this
module never imports the service that hands its objects out.

    c = engine.containers.run("busybox", ["sh", "-c", "echo hi"], detach=True)
    assert c.wait()["StatusCode"] == 0 and c.logs() == b"hi\\n"
    c.remove()

A Container is a handle, not a lock: another thread or process may stop or remove the
container meanwhile; a method then raises the error the service raises (NotFound,
Conflict...).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from scow.errors import NotFound

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any, BinaryIO, Protocol
else:
    from scow.typeshim import Protocol

if TYPE_CHECKING:
    from scow.engine.containers.cp import ArchiveStat
    from scow.engine.containers.execs import ExecResult
    from scow.engine.containers.streams import AttachConnection, LogEntry
    from scow.engine.images import ImageService
    from scow.engine.images.model import Image


class ContainerVerbs(Protocol):
    """What a Container needs of the container service (ContainerService fits)."""

    @property
    def images(self) -> ImageService: ...

    def inspect(self, name: str, *, size: bool = False) -> dict[str, Any]: ...

    def start(self, name: str, *, attach: bool = False) -> object: ...

    def stop(self, name: str, *, timeout: float | None = None,
             signal: str | None = None) -> object: ...

    def restart(self, name: str, *, timeout: float | None = None,
                signal: str | None = None) -> None: ...

    def kill(self, name: str, signal: str = "KILL") -> None: ...

    def pause(self, name: str) -> None: ...

    def unpause(self, name: str) -> None: ...

    def update(self, name: str, resources: dict[str, Any] | None = None,
               restart_policy: dict[str, Any] | str | None = None) -> list[str]: ...

    def wait(self, name: str) -> int: ...

    def logs(self, name: str, *, follow: bool = False, tail: int | None = None,
             since: str | None = None, until: str | None = None) -> Iterator[LogEntry]: ...

    def attach(self, name: str) -> AttachConnection: ...

    def exec_run(self, name: str, cmd: str | list[str], *, stdout: bool = True,
                 stderr: bool = True, tty: bool = False, user: str = "", workdir: str = "",
                 environment: list[str] | dict[str, str] | None = None, detach: bool = False,
                 demux: bool = False) -> ExecResult: ...

    def put_archive(self, name: str, path: str, data: bytes | BinaryIO) -> bool: ...

    def get_archive(self, name: str, path: str, *, chunk_size: int = 1 << 20
                    ) -> tuple[Iterator[bytes], ArchiveStat]: ...

    def diff(self, name: str) -> list[dict[str, Any]]: ...

    def export(self, name: str, out: BinaryIO | str) -> None: ...

    def commit(self, name: str, reference: str | None = None, *, message: str = "",
               author: str = "", changes: list[str] | None = None, pause: bool = True
               ) -> str: ...

    def remove(self, name: str, *, force: bool = False, volumes: bool = False) -> str: ...


class Container:
    """One container, docker-py's way (see the module doc)."""

    def __init__(self, service: ContainerVerbs, attrs: dict[str, Any]) -> None:
        self._service = service
        self.attrs = attrs

    def __repr__(self) -> str:
        return f"<Container: {self.short_id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Container) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    # -- typed attributes (from .attrs) -------------------------------------------------------
    @property
    def id(self) -> str:
        """The full container ID."""
        return str(self.attrs["Id"])

    @property
    def short_id(self) -> str:
        """The first 12 hex digits of the ID."""
        return self.id[:12]

    @property
    def name(self) -> str:
        """The container's name, without docker's leading slash."""
        return str(self.attrs["Name"]).removeprefix("/")

    @property
    def status(self) -> str:
        """created | running | paused | exited (as of the last reload)."""
        return str(self.attrs["State"]["Status"])

    @property
    def image_id(self) -> str:
        """The ID of the image it was made from."""
        return str(self.attrs["Image"])

    @property
    def labels(self) -> dict[str, str]:
        """Its config's labels."""
        return dict(self.attrs["Config"].get("Labels") or {})

    @property
    def exit_code(self) -> int:
        """The exit code of its last run (0 before it ran); as of the last `reload`."""
        return int(self.attrs["State"]["ExitCode"])

    def reload(self) -> None:
        """Read the container's JSON again (its state changes as it runs)."""
        self.attrs = self._service.inspect(self.id)

    # -- verbs ----------------------------------------------------------------------------------
    def start(self) -> None:
        """docker start, then `reload`."""
        self._service.start(self.id)
        self._reload_unless_gone()

    def stop(self, *, timeout: float | None = None, signal: str | None = None) -> None:
        """docker stop (the stop signal, then KILL after `timeout` seconds), then `reload`."""
        self._service.stop(self.id, timeout=timeout, signal=signal)
        self._reload_unless_gone()

    def _reload_unless_gone(self) -> None:
        """After start or stop an auto-removed container may be gone already: the last
        attrs stay (a later reload raises NotFound)."""
        with contextlib.suppress(NotFound):
            self.reload()

    def restart(self, *, timeout: float | None = None) -> None:
        """docker restart, then `reload`."""
        self._service.restart(self.id, timeout=timeout)
        self.reload()

    def kill(self, signal: str = "KILL") -> None:
        """docker kill with `signal`."""
        self._service.kill(self.id, signal)

    def pause(self) -> None:
        """docker pause."""
        self._service.pause(self.id)

    def unpause(self) -> None:
        """docker unpause."""
        self._service.unpause(self.id)

    def update(self, **kwargs: Any) -> dict[str, Any]:
        """docker-py's update: mem_limit, memswap_limit, mem_reservation, nano_cpus,
        cpu_shares, cpu_period, cpu_quota, cpuset_cpus, cpuset_mems, pids_limit, blkio_weight
        (sizes as ints or "512m"), restart_policy ({"Name": ..., "MaximumRetryCount": N})."""
        from scow.engine.containers.update import resources_of

        policy = kwargs.pop("restart_policy", None)
        warnings = self._service.update(self.id, resources_of(kwargs), policy)
        self.reload()
        return {"Warnings": warnings or None}

    def wait(self) -> dict[str, Any]:
        """Until it exits: docker-py's {"StatusCode": exit code, "Error": None}."""
        code = self._service.wait(self.id)
        return {"StatusCode": code, "Error": None}

    def logs(self, *, stdout: bool = True, stderr: bool = True, stream: bool = False,
             follow: bool | None = None, timestamps: bool = False, tail: int | str = "all",
             since: str | None = None, until: str | None = None) -> bytes | Iterator[bytes]:
        """Its output: all of it as bytes, or with `stream` an iterator of chunks (following
        the container while it runs unless `follow=False`), as docker-py."""
        entries = self._service.logs(
            self.id, follow=stream if follow is None else follow,
            tail=None if tail == "all" else int(tail), since=since, until=until)
        wanted = {name for name, on in (("stdout", stdout), ("stderr", stderr)) if on}
        chunks = ((e.time.encode() + b" " + e.data) if timestamps else e.data
                  for e in entries if e.stream in wanted)
        return chunks if stream else b"".join(chunks)

    def attach(self) -> AttachConnection:
        """The container's attach stream (frames of stdout/stderr; stdin when open)."""
        return self._service.attach(self.id)

    def exec_run(self, cmd: str | list[str], *, stdout: bool = True, stderr: bool = True,
                 tty: bool = False, user: str = "", workdir: str = "",
                 environment: list[str] | dict[str, str] | None = None, detach: bool = False,
                 demux: bool = False) -> ExecResult:
        """docker exec: run `cmd` in the running container; an ExecResult (exit code, output;
        (stdout, stderr) with `demux`)."""
        return self._service.exec_run(self.id, cmd, stdout=stdout, stderr=stderr, tty=tty,
                                      user=user, workdir=workdir, environment=environment,
                                      detach=detach, demux=demux)

    def put_archive(self, path: str, data: bytes | BinaryIO) -> bool:
        """Extract the tar `data` into the folder `path` of the container (docker cp in)."""
        return self._service.put_archive(self.id, path, data)

    def get_archive(self, path: str, *, chunk_size: int = 1 << 20
                    ) -> tuple[Iterator[bytes], ArchiveStat]:
        """`path` of the container as a tar stream (chunks) and its stat (docker cp out)."""
        return self._service.get_archive(self.id, path, chunk_size=chunk_size)

    def diff(self) -> list[dict[str, Any]]:
        """docker diff: [{"Path": ..., "Kind": 0 changed, 1 added, 2 deleted}]."""
        return self._service.diff(self.id)

    def export(self, out: BinaryIO | str) -> None:
        """Its whole root filesystem as a tar, to a stream or a file path."""
        self._service.export(self.id, out)

    def commit(self, repository: str | None = None, tag: str | None = None, *,
               message: str = "", author: str = "", changes: list[str] | None = None,
               pause: bool = True) -> Image:
        """Its changes as a new image (tagged `repository[:tag]` if given)."""
        ref = f"{repository}:{tag}" if repository and tag else repository
        image_id = self._service.commit(self.id, ref, message=message, author=author,
                                        changes=changes, pause=pause)
        return self._service.images.get(image_id)

    def remove(self, *, force: bool = False, v: bool = False) -> None:
        """docker rm (`force` kills a running one first; `v` removes its anonymous volumes)."""
        self._service.remove(self.id, force=force, volumes=v)
