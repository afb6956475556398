"""Helpers for the runtime tests: a busybox rootfs and a container factory that always cleans
up (runc delete -f) whatever a test started."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

from scow.ids import random_id
from scow.runtime.monitor import MonitorOptions, Started, refresh, start_container
from scow.runtime.runc import Runc
from scow.runtime.spec import RunConfig, make_spec, write_bundle, write_etc_files

BUSYBOX = "/usr/bin/busybox"
APPLETS = ("sh", "echo", "cat", "sleep", "id", "true", "false", "printf", "ls", "pwd", "env",
           "seq", "tty", "stty")


def build_rootfs(root: str) -> str:
    for d in ("bin", "etc", "proc", "sys", "dev", "tmp", "home/app"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy2(BUSYBOX, os.path.join(root, "bin/busybox"))
    for name in APPLETS:
        os.symlink("busybox", os.path.join(root, "bin", name))
    with open(os.path.join(root, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n")
    with open(os.path.join(root, "etc/group"), "w") as f:
        f.write("root:x:0:\napp:x:1000:\nextra:x:2000:app\n")
    return root


@dataclass
class Ctr:
    id: str
    dir: str
    rootfs: str
    runc: Runc
    started: Started | None = None


@dataclass
class Factory:
    base: str
    rootfs: str
    runc: Runc
    made: list[Ctr] = field(default_factory=list)

    def create(self, *cmd: str, **kw: object) -> Ctr:
        cid = random_id()
        cdir = os.path.join(self.base, "containers", cid)
        os.makedirs(cdir)
        cfg = RunConfig(cid, cmd=cmd, hostname=cid[:12], **kw)  # type: ignore[arg-type]
        write_etc_files(cdir, cfg.hostname)
        write_bundle(cdir, make_spec(cfg, self.rootfs, cdir))
        ctr = Ctr(cid, cdir, self.rootfs, self.runc)
        self.made.append(ctr)
        return ctr

    def start(self, ctr: Ctr, opts: MonitorOptions | None = None, *,
              attach: bool = False) -> Started:
        ctr.started = start_container(ctr.dir, ctr.id, self.runc, opts, attach=attach)
        return ctr.started

    def run(self, *cmd: str, opts: MonitorOptions | None = None,
            **kw: object) -> tuple[bytes, bytes, int | None, Ctr]:
        """Run attached; (stdout, stderr, exit code from the monitor, container)."""
        ctr = self.create(*cmd, **kw)
        started = self.start(ctr, opts, attach=True)
        assert started.attach is not None
        out, err = b"", b""
        for kind, data in started.attach.frames():
            if kind == 1:
                out += data
            else:
                err += data
        started.attach.close()
        return out, err, started.attach.exit_code, ctr

    def started_pid(self, ctr: Ctr) -> int:
        assert ctr.started is not None
        return ctr.started.pid

    def cleanup(self) -> None:
        for ctr in self.made:
            self.runc.delete(ctr.id, force=True)
            refresh(ctr.dir, ctr.id, self.runc)


