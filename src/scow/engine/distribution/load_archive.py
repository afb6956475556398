"""owns: an image archive (`docker save`, OCI layout in a tar) as a container of files for
`load`: entries looked up by name, never extracted by their names; symlinks and hardlinks
resolved inside the archive; names that leave it refused.

How the bytes are reached, by what the input allows (staging writes at most the bytes of the
members a manifest names, and a run of zeros or a sparse hole is never written as blocks):

- a seekable plain tar (``-i file.tar``): read in place through tarfile; nothing is written;
- a seekable compressed tar (``-i file.tar.gz``): decompressed twice; the first pass reads
  only ``manifest.json`` / ``index.json`` and the names, the second copies out the members
  those name (an OCI layout without ``manifest.json``: every ``blobs/`` member);
- a stream (stdin): every regular member is copied out, zero runs and holes left as holes.

Headers are bounded as Go's reader bounds them (a long name or PAX header 1 MiB, a sparse map
100,000 entries) and an archive holds at most MAX_ENTRIES entries: a small compressed archive
can declare gigabytes of header or millions of files.

Staged copies go to ``<root>/tmp/<owner>.load-<n>/<position>`` (empty members are not
staged); `load` removes the folder.
"""

from __future__ import annotations

import io
import os
import posixpath
import tarfile
from typing import IO, Any, BinaryIO, cast

from scow.errors import MalformedArchive, UnsafeArchive, from_oserror
from scow.oci.jsondoc import load_document

MAX_JSON = 4 * 1024 * 1024
MAX_ENTRIES = 50_000  # a save of 300 images of 10 layers, legacy layout: about 12,000
_MAX_SPECIAL = 1 << 20  # a long name or a PAX header (Go's maxSpecialFileSize)
_MAX_SPARSE = 100_000  # entries of one sparse map
_MAX_LINK_HOPS = 16
_CHUNK = 1 << 20
_ZEROS = memoryview(bytes(_CHUNK))
_INDEXES = ("manifest.json", "index.json")


class Archive:
    """The archive's regular members by name (see the module docstring for how they are
    reached); `wanted` limits what is staged (None: everything)."""

    def __init__(self, stream: BinaryIO, staging: str | None, *, in_place: bool = False,
                 wanted: set[str] | None = None) -> None:
        self.members: dict[str, tarfile.TarInfo] = {}
        self.staged: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.documents: dict[str, bytes] = {}  # manifest.json / index.json, without staging
        self._tar: tarfile.TarFile | None = None
        try:
            if in_place:
                self._tar = tarfile.open(fileobj=stream, mode="r:", tarinfo=_Bounded)
                self._index(self._tar, None, set())
            else:
                tar = tarfile.open(fileobj=stream, mode="r|", tarinfo=_Bounded)
                self._index(tar, staging, wanted)
        except tarfile.TarError as exc:
            raise MalformedArchive(f"load: not a valid tar archive: {exc}") from exc
        except OSError as exc:
            raise from_oserror("load: read archive", exc) from exc

    def _index(self, tar: tarfile.TarFile, staging: str | None,
               wanted: set[str] | None) -> None:
        for n, member in enumerate(tar):
            if n >= MAX_ENTRIES:
                raise MalformedArchive(f"load: more than {MAX_ENTRIES} archive entries")
            name = _inside(member.name, f"archive entry {member.name!r}")
            if member.isreg():
                self.members[name] = member
                if staging is not None and (wanted is None or name in wanted) and member.size:
                    self.staged[name] = _stage(tar, member, os.path.join(staging, str(n)))
                elif staging is None and name in _INDEXES and self._tar is None and \
                        member.size <= MAX_JSON:
                    src = tar.extractfile(member)
                    assert src is not None
                    self.documents[name] = src.read()
            elif member.issym():
                where = posixpath.join(posixpath.dirname(name), member.linkname)
                self.links[name] = _inside(where, f"symlink {member.name!r}")
            elif member.islnk():
                self.links[name] = _inside(member.linkname, f"hardlink {member.name!r}")

    def has(self, name: str) -> bool:
        return name in self.members or name in self.links

    def resolve(self, name: str, what: str) -> str:
        """The regular member `name` (a path from a manifest) stands for, following links."""
        current = _inside(name, f"{what} path {name!r}")
        for _ in range(_MAX_LINK_HOPS):
            if current in self.members:
                return current
            if current not in self.links:
                raise MalformedArchive(f"load: {what} {name!r} is missing from the archive")
            current = self.links[current]
        raise MalformedArchive(f"load: {what} {name!r}: too many levels of links")

    def size(self, member: str) -> int:
        return self.members[member].size

    def open(self, member: str, what: str) -> BinaryIO:
        """A reader of a resolved member; archive faults come out as MalformedArchive."""
        if member in self.staged:
            try:
                return open(self.staged[member], "rb")
            except OSError as exc:
                raise from_oserror(f"load: open {what}", exc) from exc
        if self._tar is None and not self.members[member].size:
            return io.BytesIO()  # empty members are not staged
        if self._tar is None:
            raise MalformedArchive(f"load: {what} {member!r} is named by no manifest")
        src = self._tar.extractfile(self.members[member])
        assert src is not None
        return cast(BinaryIO, io.BufferedReader(_Member(src, what), _CHUNK))

    def json(self, name: str, what: str) -> Any:
        return parse_json(self.read(name, what), what)

    def read(self, name: str, what: str) -> bytes:
        member = self.resolve(name, what)
        size = self.size(member)
        if size > MAX_JSON:
            raise MalformedArchive(f"load: {what} is too large ({size} bytes, the limit is "
                                   f"{MAX_JSON})")
        with self.open(member, what) as f:
            return f.read()

    def wanted(self) -> set[str]:
        """What the indexes name (with every link on the way): all a load may read."""
        names = set(_INDEXES)
        if "manifest.json" in self.documents:
            names |= _docker_names(self.documents["manifest.json"])
        elif "index.json" in self.documents:
            names |= {n for n in self.members if n.startswith("blobs/")}
        for name in list(names):
            current = posixpath.normpath(name)
            for _ in range(_MAX_LINK_HOPS):
                names.add(current)
                if current not in self.links:
                    break
                current = self.links[current]
        return names


class _Bounded(tarfile.TarInfo):
    """tarfile's member header, with Go's bound on what it reads into memory: a long name or
    a PAX header over 1 MiB, or a sparse map of over 100,000 entries, is refused (a small
    compressed archive could otherwise declare gigabytes of header)."""

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        special = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE,
                   tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)
        if self.type in special and self.size > _MAX_SPECIAL:
            raise tarfile.ReadError(f"a {self.size}-byte extended header is over the "
                                    f"{_MAX_SPECIAL} byte limit")
        member: tarfile.TarInfo = super()._proc_member(tarfile_)  # type: ignore[misc]
        if len(cast("list[tuple[int, int]] | None", member.sparse) or ()) > _MAX_SPARSE:
            raise tarfile.ReadError(f"a sparse map of over {_MAX_SPARSE} entries")
        return member


def open_archive(stream: BinaryIO, staging: str) -> Archive:
    """The archive on `stream`, reached the cheapest way the input allows."""
    from scow.archive.compression import decompressed

    start = _tell(stream)
    plain = decompressed(stream)
    if _seekable(plain):
        return Archive(plain, None, in_place=True)
    if start is None:
        return Archive(plain, staging)
    names = Archive(plain, None)
    try:
        stream.seek(start)
    except OSError as exc:
        raise from_oserror("load: read archive", exc) from exc
    return Archive(decompressed(stream), staging, wanted=names.wanted())


def _docker_names(data: bytes) -> set[str]:
    try:
        doc = parse_json(data, "manifest.json")
    except MalformedArchive:
        return set()  # the second pass reports it
    out: set[str] = set()
    for entry in doc if isinstance(doc, list) else []:
        if isinstance(entry, dict):
            values = [entry.get("Config")] + list(entry.get("Layers") or [])
            out |= {v for v in values if isinstance(v, str)}
    return out


def _seekable(stream: IO[bytes]) -> bool:
    try:
        return stream.seekable()
    except (OSError, ValueError):
        return False


def _tell(stream: BinaryIO) -> int | None:
    """Where a seekable input starts (None: a pipe, read once)."""
    if not _seekable(stream):
        return None
    try:
        return stream.tell()
    except OSError:
        return None


def _stage(tar: tarfile.TarFile, member: tarfile.TarInfo, path: str) -> str:
    """Copy `member` to `path`: its data segments only (a sparse member's holes stay holes),
    and runs of zeros skipped rather than written."""
    src = tar.extractfile(member)
    assert src is not None
    # the raw member reader maps positions onto the data segments; its seek only moves a
    # position (the buffered one asks the tar stream whether it is seekable: it is not)
    raw: Any = cast(io.BufferedReader, src).raw
    segments = cast("list[tuple[int, int]] | None", member.sparse) or [(0, member.size)]
    with open(path, "wb") as dst:
        for offset, length in segments:
            raw.seek(offset)
            dst.seek(offset)
            while length > 0:
                chunk = raw.read(min(length, _CHUNK))
                if not chunk:
                    raise MalformedArchive(f"load: archive entry {member.name!r} is truncated")
                if chunk == _ZEROS[:len(chunk)]:
                    dst.seek(len(chunk), os.SEEK_CUR)
                else:
                    dst.write(chunk)
                length -= len(chunk)
        dst.truncate(member.size)
    return path


class _Member(io.RawIOBase):
    """A member of a seekable archive, read in place; tar faults become MalformedArchive."""

    def __init__(self, inner: IO[bytes], what: str) -> None:
        self._inner = inner
        self._what = what

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        try:
            return int(self._inner.readinto(b))  # type: ignore[attr-defined]
        except tarfile.TarError as exc:
            raise MalformedArchive(f"load: read {self._what}: {exc}") from exc


def _inside(name: str, what: str) -> str:
    """`name` as a clean relative path, refusing one that leaves the archive."""
    clean = posixpath.normpath(name) if name else "."
    if name.startswith("/") or clean == ".." or clean.startswith("../"):
        raise UnsafeArchive(f"load: {what} points outside the archive")
    return clean


def parse_json(data: bytes, what: str) -> Any:
    return load_document(data, f"load: {what}", limit=MAX_JSON, error=MalformedArchive)
