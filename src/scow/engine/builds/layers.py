"""owns: the layer tars a build writes without running anything: COPY/ADD (files from the
context or another rootfs, ``--chown``/``--chmod``, local tars unpacked safely), WORKDIR's
``mkdir -p``, and clamping a RUN diff's mtimes to SOURCE_DATE_EPOCH.

Layers are written moby-style with ``scow.archive.writer.TarWriter``: whole-second mtimes, no
atime/ctime, numeric owners. Files one COPY copies that are hard links of each other (same
device and inode in the source) stay hard links in the layer, as BuildKit keeps them: the
first name carries the content, the others are tar hard-link entries. COPY'd files are owned
by root unless ``--chown`` says otherwise; folders created on the way are 0755. With an epoch,
no mtime in the layer is later than it and folders the step creates get exactly it, so two
builds of one context give the same DiffIDs.
"""

from __future__ import annotations

import os
import posixpath
import stat
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, BinaryIO

from scow.archive.tarheader import Kind, TarHeader
from scow.errors import UnsafeArchive, from_oserror

if TYPE_CHECKING:
    from dataclasses import dataclass
else:
    from scow.typeshim import dataclass

if TYPE_CHECKING:
    from scow.archive.writer import TarWriter
    from scow.build.ports import CopyEntry, CopySpec


@dataclass(frozen=True)
class Owner:
    uid: int
    gid: int


def resolve_owner(rootfs: str, spec: str | None) -> Owner | None:
    """``--chown`` / USER as numbers, names looked up in the rootfs' passwd and group files."""
    from scow.runtime.user import resolve_user

    if not spec:
        return None
    user, _, group = spec.partition(":")
    if user.isdigit() and not group:
        return Owner(int(user), int(user))  # BuildKit: --chown=1000 is 1000:1000
    found = resolve_user(rootfs, spec)
    return Owner(found.uid, found.gid)


def is_dir_in(rootfs: str, path: str) -> bool:
    """`path` (resolved as inside `rootfs`, symlinks included) is a folder."""
    from scow.osutil.openat2 import open_in_root

    root_fd = os.open(rootfs, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = open_in_root(root_fd, path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return False
    finally:
        os.close(root_fd)
    os.close(fd)
    return True


class LayerTar:
    """One layer being written: remembers the folders it holds and makes missing parents."""

    def __init__(self, writer: TarWriter, rootfs: str, epoch: int | None,
                 owner: Owner | None) -> None:
        self.writer, self.rootfs, self.epoch, self.owner = writer, rootfs, epoch, owner
        self.now = int(time.time()) if epoch is None else epoch
        self.dirs: set[str] = set()
        self.links: dict[tuple[int, int], str] = {}  # (st_dev, st_ino) → first name written

    def mtime(self, value: float) -> int:
        whole = int(value)
        return whole if self.epoch is None else min(whole, self.epoch)

    def parents(self, name: str) -> None:
        """Folders above `name` (relative) that neither the rootfs nor this layer has."""
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.folder("/".join(parts[:i]))

    def folder(self, name: str) -> None:
        if name in self.dirs or is_dir_in(self.rootfs, "/" + name):
            return
        uid, gid = (self.owner.uid, self.owner.gid) if self.owner else (0, 0)
        self.writer.add(TarHeader(name=name, kind=Kind.DIR, mode=0o755, uid=uid, gid=gid,
                                  size=0, mtime=self.now))
        self.dirs.add(name)

    def add(self, h: TarHeader, data: BinaryIO | None = None) -> None:
        if h.kind is Kind.DIR and h.name in self.dirs:
            return  # a folder two sources both hold: once
        self.parents(h.name)
        self.writer.add(h, data)
        if h.kind is Kind.DIR:
            self.dirs.add(h.name)


def write_copy(out: BinaryIO, rootfs: str, spec: CopySpec, base: str | None = None) -> None:
    """The layer of one COPY/ADD on the rootfs mounted at `rootfs`; `base` (default
    `rootfs`) is the tree looked at for folders that exist (an empty one for ``--link``)."""
    from scow.archive.writer import TarWriter

    base = rootfs if base is None else base
    writer = TarWriter(out)
    layer = LayerTar(writer, base, spec.epoch, resolve_owner(rootfs, spec.chown))
    dest = spec.dest.strip("/")
    into = spec.dest_is_dir or is_dir_in(base, spec.dest)
    if into and dest:
        layer.parents(dest + "/x")
        layer.folder(dest)
    names = [posixpath.join(dest, e.rel) if into else dest for e in spec.entries]
    last = {name: i for i, name in enumerate(names)}  # two sources, one name: the later wins
    for i, (entry, name) in enumerate(zip(spec.entries, names, strict=True)):
        if entry.extract:
            _extract(layer, entry.src, dest)
        elif last[name] == i or entry.kind == "dir":
            _copy_entry(layer, entry, name, spec.chmod)
    writer.close()


def _copy_entry(layer: LayerTar, entry: CopyEntry, name: str, chmod: int | None) -> None:
    try:
        st = os.lstat(entry.src)
    except OSError as exc:
        raise from_oserror(f"copy {entry.rel}", exc) from exc
    uid, gid = (layer.owner.uid, layer.owner.gid) if layer.owner else (0, 0)
    mode = chmod if chmod is not None else stat.S_IMODE(st.st_mode)
    h = TarHeader(name=name, kind=Kind.REG, mode=mode, uid=uid, gid=gid, size=0,
                  mtime=layer.mtime(st.st_mtime))
    if stat.S_ISDIR(st.st_mode):
        layer.add(replace(h, kind=Kind.DIR))
    elif stat.S_ISLNK(st.st_mode):
        layer.add(replace(h, kind=Kind.SYMLINK, mode=0o777, linkname=os.readlink(entry.src)))
    elif stat.S_ISREG(st.st_mode) and st.st_nlink > 1 and (st.st_dev, st.st_ino) in layer.links:
        layer.add(replace(h, kind=Kind.HARDLINK, linkname=layer.links[st.st_dev, st.st_ino]))
    elif stat.S_ISREG(st.st_mode):
        if st.st_nlink > 1:
            layer.links[st.st_dev, st.st_ino] = name
        fd = os.open(entry.src, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            layer.add(replace(h, size=os.fstat(fd).st_size), f)
    # sockets, fifos and devices are not copied (BuildKit copies neither from a context)


def _extract(layer: LayerTar, archive: str, dest: str) -> None:
    """ADD of a local tar: its members under `dest`, refusing any that would land elsewhere
    (absolute or ``..`` names, hard links out of it) or act as whiteouts."""
    import tarfile

    try:
        tar = tarfile.open(archive, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise UnsafeArchive(f"ADD {os.path.basename(archive)}: {exc}") from None
    with tar:
        for member in tar:
            name = _member_name(member.name, archive)
            if name is None:
                continue
            full = posixpath.join(dest, name) if dest else name
            h = _member_header(layer, member, full, dest, archive)
            if h is None:
                continue
            data = tar.extractfile(member) if member.isreg() else None
            layer.add(h, data)  # type: ignore[arg-type]


def _member_name(raw: str, archive: str) -> str | None:
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise UnsafeArchive(f"ADD {os.path.basename(archive)}: member {raw!r} leads outside "
                            "the destination")
    if parts and parts[-1].startswith(".wh."):
        raise UnsafeArchive(f"ADD {os.path.basename(archive)}: member {raw!r} is a whiteout")
    return "/".join(parts) or None


def _member_header(layer: LayerTar, m: object, full: str, dest: str,
                   archive: str) -> TarHeader | None:
    import tarfile

    assert isinstance(m, tarfile.TarInfo)
    uid, gid = (layer.owner.uid, layer.owner.gid) if layer.owner else (m.uid, m.gid)
    h = TarHeader(name=full, kind=Kind.REG, mode=m.mode & 0o7777, uid=uid, gid=gid, size=0,
                  mtime=layer.mtime(m.mtime))
    if m.isdir():
        return replace(h, kind=Kind.DIR)
    if m.issym():
        return replace(h, kind=Kind.SYMLINK, linkname=m.linkname)
    if m.islnk():
        target = _member_name(m.linkname, archive)
        return None if target is None else replace(
            h, kind=Kind.HARDLINK, linkname=posixpath.join(dest, target) if dest else target)
    if m.isreg():
        return replace(h, size=m.size)
    if m.isfifo():
        return replace(h, kind=Kind.FIFO)
    return None  # devices: not made by a build


def write_mkdir(out: BinaryIO, rootfs: str, path: str, owner: Owner | None,
                epoch: int | None) -> None:
    """WORKDIR: the folders of `path` the rootfs lacks (an empty layer when it has them)."""
    from scow.archive.writer import TarWriter

    writer = TarWriter(out)
    layer = LayerTar(writer, rootfs, epoch, owner)
    name = path.strip("/")
    if name:
        layer.parents(name + "/x")
    writer.close()


def clamp_mtimes(produce: Callable[[BinaryIO], None],
                 epoch: int) -> Callable[[BinaryIO], None]:
    """A producer writing `produce`'s tar again with every mtime later than `epoch` set to
    it (BuildKit's rewrite-timestamp)."""

    def clamped(out: BinaryIO) -> None:
        from scow.archive.tarstream import LayerReader
        from scow.archive.writer import TarWriter
        from scow.engine.layer_stream import piped

        writer = TarWriter(out)
        with piped(produce) as source:
            reader = LayerReader(source, tar_split=False)
            for entry in reader.entries():
                h = entry.header
                if h.mtime > epoch:
                    h = replace(h, mtime=epoch)
                writer.add(h, entry if h.kind is Kind.REG and h.size else None)  # type: ignore[arg-type]
            reader.finish()
            while source.read(1 << 16):  # the producer's trailing padding
                pass
        writer.close()

    return clamped


