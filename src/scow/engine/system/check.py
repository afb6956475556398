"""owns: `system check`: the store's consistency check (store/check.py) plus what only the
engine knows — which mounts under the root belong to running containers — and the repair run.

    report = engine.system.check(repair=True)
    for line in report.lines(): print(line)
    sys.exit(report.exit_code)

The exit rule (shared by every check, including the security and network ones):

- 0: the store is sound. Nothing was found, or only *pending* leftovers of processes that died
  (interrupted rows, stale leases and staging entries, unused layers, mounts of stopped
  containers or dead build steps), which the next scow command that writes recovers on its own;
  or `--repair` fixed everything that was not pending.
- 1: something needs `--repair`: a *repairable* problem (orphans, loose file modes, network
  leftovers) is there (after a `--repair`: one whose repair failed).
- 2: something is *damaged*: no repair can undo it; the user decides.

`--repair` runs the fix of every finding (recovery for the pending ones), checks again and
reports what remains.

A repair never loses a finished image, container or volume: it rolls back interrupted work
(the store's `recover`), removes what nothing references (orphan folders, links, tar-split
files and blobs, unreferenced layers), unmounts layers no running container uses, and drops
references and parent links to images that are gone. Damage it cannot undo (a layer whose
folder or content is gone) is reported and left for the user.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from scow.errors import ScowError
from scow.osutil.fs import process_alive
from scow.store.check import Findings, Problem, check_store
from scow.store.recovery import is_quiet, stale_rows

if TYPE_CHECKING:
    from scow.engine.containers import ContainerService
    from scow.store.store import Store


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    remaining: list[Problem] = field(default_factory=list)  # still there after the repair

    @property
    def repaired(self) -> list[Problem]:
        """The problems that `--repair` fixed."""
        return [p for p in self.problems if p.repaired]

    @property
    def exit_code(self) -> int:
        """0 sound (nothing or only pending left), 1 needs --repair, 2 damaged."""
        states = {p.state for p in self.remaining}
        if "damaged" in states:
            return 2
        return 1 if "repairable" in states else 0

    def lines(self) -> list[str]:
        """One line per problem, as `scow system check` prints them."""
        return [p.line() for p in self.problems]

    def summary(self) -> str:
        """The closing line: no problems found, or how many, what was checked."""
        checked = ", ".join(f"{n} {k}" for k, n in self.counts.items())
        if not self.problems:
            return f"No problems found (checked {checked})"
        pending = sum(1 for p in self.remaining if p.state == "pending")
        tail = f", {pending} pending (recovered by the next write)" if pending else ""
        return (f"{len(self.problems)} problems found, {len(self.repaired)} repaired, "
                f"{len(self.remaining) - pending} remaining{tail} (checked {checked})")


def check(store: Store, containers: ContainerService, *, repair: bool = False,
          quick: bool = False) -> Report:
    """Check `store`; with `repair`, fix what can be fixed and check
    again, so `remaining` is what a second run would still find."""
    found = _find(store, containers, quick)
    report = Report(found.problems, found.counts)
    if not repair:
        report.remaining = [p for p in found.problems]
        return report
    for problem in found.problems:
        if problem.fix is None:
            continue
        try:
            problem.fix()
            problem.repaired = True
        except (ScowError, OSError) as exc:
            problem.error = str(exc)
    report.remaining = _find(store, containers, quick=True).problems
    if not quick:  # the content re-hash already ran; keep its damage
        report.remaining += [p for p in found.problems if p.kind == "corrupt-layer"]
    for problem in found.problems:  # a fix that did not take is not "repaired"
        if problem.repaired and any(r.text == problem.text for r in report.remaining):
            problem.repaired = False
    return report


def _find(store: Store, containers: ContainerService, quick: bool) -> Findings:
    quiet = is_quiet(store)
    found = check_store(store, quick=quick, quiet=quiet)
    _runc_scratch(store, found)
    if quiet:
        _stale_mounts(store, containers, found)
        _network_leftovers(store, containers, found)  # scow network
    return found


def _network_leftovers(store: Store, containers: ContainerService,
                       found: Findings) -> None:
    """Network state (namespace, netavark's veths/rules/DNS entries, addresses) of containers
    that do not run: what a killed scow or monitor left. Repairable: --repair tears it down
    with the options it was set up with."""
    from scow.engine import network_attach

    svc = containers
    left = network_attach.leftovers(svc)
    found.counts["network endpoints"] = len(store.networks.endpoints())
    for net in store.networks.all():
        if network_attach.bridge_left(net) and not store.networks.endpoints(
                network_id=net.id):
            found.add("network-leftover", f"network {net.name}: bridge {net.bridge} and its "
                      "rules are left with no container on it",
                      lambda net=net: network_attach.sweep(svc, net))  # type: ignore[misc, arg-type]
    for cid in left:
        # the next write's recovery runs the container's cleanup (network included) for a
        # row left creating/removing (its reaper) or still marked mounted (mount_releaser)
        doc = store.containers.doc_of(cid)
        pending = doc is not None and (bool(doc.get("Mounted")) or
                                       store.containers.find(cid) is None)
        found.add("network-leftover", f"container {cid[:12]} is not running but holds network "
                  "state (namespace, veth, rules or addresses)",
                  lambda cid=cid: network_attach.repair(svc, cid),  # type: ignore[misc]
                  pending=pending)


# one runc call's files that runtime/runc.py `Runc.scratch` names by the caller's pid
_SCRATCH = re.compile(r"^(?:exec|runc-log)-(\d+)-[0-9a-f]{12}(?:\.json|\.log)?$")


def _runc_scratch(store: Store, found: Findings) -> None:
    """Scratch files in runc's folder of processes that are gone: a container monitor's
    runc logs, or an exec's process.json (its Env: maybe a secret) left by a scow before
    the engine's went to <root>/tmp under its owner token. A live pid's are left alone
    (even a reused one's: its files may be the new process's)."""
    folder = os.path.join(store.root, "runtime", "runc")
    try:
        names = [n for n in os.listdir(folder) if _SCRATCH.match(n)]
    except FileNotFoundError:
        return
    for name in names:
        pid = int(cast(re.Match[str], _SCRATCH.match(name))[1])
        if not process_alive(pid):
            path = os.path.join(folder, name)
            found.add("stale-scratch", f"runtime/runc/{name}: a runc scratch file of process "
                      f"{pid}, which is gone", lambda path=path: _unlink(path))  # type: ignore[misc]


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _stale_mounts(store: Store, containers: ContainerService, found: Findings) -> None:
    """Mounts under the root that no running or paused container uses (only judged when no
    other scow process runs: a commit or cp mounts a layer for a moment)."""
    from scow.osutil.mounts import mounts_under

    home = os.path.realpath(store.driver.home)
    netns = os.path.join(os.path.realpath(store.root), "network", "netns") + "/"
    points = [m for m in mounts_under(store.root) if m != os.path.realpath(store.root)
              and not m.startswith(netns)]  # network namespaces: _network_leftovers
    if store.driver.name == "zfs":  # a layer's own dataset is mounted while it exists, and
        # the driver's parent dataset may be mounted at its home itself
        points = [m for m in points
                  if m != home and os.path.dirname(m) != os.path.join(home, "graph")]
    found.counts["mounts"] = len(points)
    if not points:
        return
    by_mount = {r.mount_id: r for r in store.containers.all() if r.mount_id}
    dead_steps = {r["mount_id"] for r in stale_rows(store, "rw_layers")}
    for point in points:
        rel = os.path.relpath(point, home)
        id = rel.split("/", 1)[0] if not rel.startswith("..") else ""
        record = by_mount.get(id)
        if record is not None and containers.status_of(record)[0] in (
                "running", "paused", "restarting"):  # restarting: the monitor keeps the mount
            continue
        what = f"container {record.id[:12]}" if record else (f"layer {id[:12]}" if id else "?")
        # pending: the monitor's exit command releases a stopped container's mount (a killed
        # monitor's: the next recovery a dead owner's row starts, rm, start or --repair);
        # recovery releases a dead owner's layer by itself
        found.add("stale-mount", f"{point} ({what}) is mounted but no running container uses it",
                  lambda id=id, record=record, point=point:  # type: ignore[misc]
                  _unmount(store, containers, id, record, point),
                  pending=record is not None or id in dead_steps)


def _unmount(store: Store, containers: ContainerService, id: str, record: object,
             point: str) -> None:
    from scow.osutil.mounts import unmount_all_under

    driver = store.driver
    if record is not None:
        containers.cleanup(record)  # type: ignore[arg-type]
    if id and driver.exists(id):
        for _ in range(64):
            if not driver.is_mounted(id):
                break
            driver.put(id)
    if os.path.ismount(point):
        unmount_all_under(point)
