"""owns: `rename` and `top` of the container service (a mixin on base.py's collaborators):
renaming a container's record, and the processes of a running container as docker's `top`
lists them (the host's `ps` with the user's options, rows kept whose PID runc lists)."""

from __future__ import annotations

from scow.engine.containers.base import ContainerBase
from scow.engine.containers.names import validate_name
from scow.errors import Conflict, InvalidArgument, NameInUse, Unavailable

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)

if TYPE_CHECKING:
    import subprocess


class ContainerAdmin(ContainerBase):
    def id_of(self, name: str) -> str:
        """The full ID of the container `name` (ID, unique ID prefix or name)."""
        return self.records.get(name).id

    def rename(self, name: str, new_name: str) -> None:
        """docker rename: the container `name` (ID, prefix or name) is called `new_name`
        from now on, running or not; the name is unique on the root."""
        if not name or not new_name:
            raise InvalidArgument("Neither old nor new names may be empty")
        record = self.records.get(name)
        new = new_name.removeprefix("/")
        if record.name == new:
            raise InvalidArgument("Renaming a container with the same name as its current name")
        prefix = "Error when allocating new name: "  # moby's order and wording (rename.go)
        try:
            valid = validate_name("/" + new)
        except InvalidArgument as exc:
            raise InvalidArgument(prefix + exc.message) from None
        from scow.engine.network_attach import host_lock, rename_locked  # scow network

        with host_lock():
            try:
                self.records.rename(record.id, valid)
            except NameInUse as exc:
                raise NameInUse(prefix + exc.message) from None
            rename_locked(self, record.id, record.name, valid.removeprefix("/"))
        self.event(self.records.get(record.id), "rename", {"oldName": "/" + record.name})

    def top(self, name: str, ps_args: list[str] | None = None
            ) -> tuple[list[str], list[list[str]]]:
        """docker top: (titles, rows) of the host's `ps` (default `-ef`) for the container's
        processes; the container must be running (or paused)."""
        record = self.records.get(name)
        state, _, _ = self.status_of(record)
        if state not in ("running", "paused"):
            raise Conflict(f"Container {record.id} is not running")
        pids = set(self.runc.ps(record.id))
        args = ps_args or ["-ef"]
        quick = ["-q", ",".join(str(p) for p in sorted(pids))] if pids else []
        proc = _ps([*args, *quick], record.id)
        if proc.returncode != 0 and quick:  # options such as f refuse -q: moby retries
            proc = _ps(args, record.id)
        if proc.returncode != 0:
            raise InvalidArgument(f"Error running ps: {proc.stderr.strip() or 'exit status 1'}")
        result = parse_ps(proc.stdout, pids)
        self.event(record, "top")
        return result


def _ps(args: list[str], container_id: str) -> subprocess.CompletedProcess[str]:
    import subprocess  # not on `ps`'s start-up path

    try:
        return subprocess.run(["ps", *args], capture_output=True, text=True, check=False)
    except OSError as exc:
        raise Unavailable(f"top {container_id[:12]}: run ps: {exc.strerror}") from exc


def parse_ps(text: str, pids: set[int]) -> tuple[list[str], list[list[str]]]:
    """moby's parsePSOutput: the header gives the titles and the PID column; the last column
    takes the rest of the line; rows whose PID is not one of `pids` are dropped."""
    lines = text.splitlines()
    if not lines:
        raise InvalidArgument("ps: no output")
    titles = lines[0].split()
    if "PID" not in titles:
        raise InvalidArgument("Couldn't find PID field in ps output")
    at = titles.index("PID")
    rows = []
    for line in lines[1:]:
        if not line.strip():
            continue
        fields = line.split(None, len(titles) - 1)
        try:
            pid = int(fields[at])
        except (IndexError, ValueError) as exc:
            raise InvalidArgument(f"Unexpected pid '{fields[at:at + 1]}': {exc}") from exc
        if pid in pids:
            rows.append(fields)
    return titles, rows
