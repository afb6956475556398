"""owns: reading an image's layers without extracting them (`engine.images.layers(name)`):
each layer's file list from its tar-split metadata, and one file's bytes from the layer's
folder, verified against the CRC-64 that tar-split recorded when the layer was registered.

    for layer in engine.images.layers("acme/app:1"):
        for f in layer.files():
            print(layer.diff_id[7:19], f.type, f.size, f.path)
        passwd = layer.read("/etc/passwd")      # bytes; NotFound if this layer lacks it

The list costs what the metadata costs, not the layer's size: the tar-split stream (moby's
``<root>/layerdb/<cache-id>.tar-split.gz``) holds every tar header byte for byte and only the
size and checksum of each file's payload, so Python's ``tarfile`` parses the headers (PAX and
GNU long names included) from a virtual tar whose payloads are holes it seeks over.
"""

from __future__ import annotations

import base64
import bisect
import io
import os
import tarfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from scow.errors import (
    DigestMismatch,
    IntegrityError,
    InvalidArgument,
    MalformedArchive,
    NotFound,
)
from scow.ids import ChainID, DiffID, chain_ids, short_id

if TYPE_CHECKING:
    from scow.store.layers import Layer
    from scow.store.store import Store

_TYPES = {tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file", tarfile.CONTTYPE: "file",
          tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink",
          tarfile.CHRTYPE: "char", tarfile.BLKTYPE: "block", tarfile.FIFOTYPE: "fifo"}


class LayerFile(NamedTuple):
    """One entry of a layer as its tar holds it."""

    path: str  # absolute, as `docker diff` shows it: "/etc/passwd"
    type: str  # file | dir | symlink | hardlink | char | block | fifo
    size: int
    mode: int  # permission bits (and setuid/setgid/sticky)
    uid: int
    gid: int
    mtime: float
    linkname: str  # a symlink's target or a hardlink's source; "" otherwise

    @property
    def whiteout(self) -> bool:
        """Whether the entry is a whiteout: `.wh.NAME` deletes NAME of the layers below,
        `.wh..wh..opq` hides everything the layers below have in its folder."""
        return os.path.basename(self.path).startswith(".wh.")


class ImageLayer:
    """One layer of an image: its identifiers and size, and its files read in place."""

    __slots__ = ("_store", "_layer")

    def __init__(self, store: Store, layer: Layer) -> None:
        self._store = store
        self._layer = layer

    @property
    def diff_id(self) -> DiffID:
        """The sha256 of the layer's uncompressed tar (an entry of the image's RootFS.Layers)."""
        return self._layer.diff_id

    @property
    def chain_id(self) -> ChainID:
        """The layer's ChainID: it and every layer below it."""
        return self._layer.chain_id

    @property
    def size(self) -> int:
        """Bytes the layer adds (its DiffSize, as `docker history` shows it)."""
        return self._layer.size

    def __repr__(self) -> str:
        return f"<ImageLayer {short_id(self.diff_id)} {self.size}B>"

    def files(self) -> list[LayerFile]:
        """Every entry of the layer's tar, in the tar's order, read from its tar-split."""
        return self._listing(self._tar_split())

    def _listing(self, tar_split: bytes) -> list[LayerFile]:
        return [LayerFile(_absolute(info.name), _TYPES.get(info.type, "other"), info.size,
                          info.mode, info.uid, info.gid, float(info.mtime), info.linkname)
                for info in _members(tar_split, self.diff_id)]

    def read(self, path: str) -> bytes:
        """The bytes of the regular file `path` as this layer holds it, checked against the
        CRC-64 recorded at registration; NotFound if the layer has no such entry."""
        from scow.archive.crc64 import update
        from scow.archive.tarsplit import file_entries

        wanted = "/" + path.strip("/")
        tar_split = self._tar_split()
        found = [f for f in self._listing(tar_split) if f.path == wanted]
        if not found:
            raise NotFound(f"read layer {short_id(self.diff_id)}: no such file: {wanted}")
        if found[-1].type != "file":
            raise InvalidArgument(f"read layer {short_id(self.diff_id)}: {wanted}: not a "
                                  f"regular file ({found[-1].type})")
        # a tar's later entry of a name replaces the earlier one
        name, size, crc = [e for e in file_entries(tar_split) if _absolute(e[0]) == wanted][-1]
        data = _read_in_layer(self._store.driver.layer_path(self._layer.cache_id), name,
                              self.diff_id)
        if len(data) != size or (size and update(0, data).to_bytes(8, "big") != crc):
            raise DigestMismatch(f"read layer {short_id(self.diff_id)}: {wanted}: checksum "
                                 "mismatch (the layer's files were modified)")
        return data

    def _tar_split(self) -> bytes:
        path = self._store.layers.tar_split_path(self._layer.cache_id)
        try:
            with open(path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            raise IntegrityError(f"read layer {short_id(self.diff_id)}: tar-split data is "
                                 "missing", hint="run `scow system check`") from None


def image_layers(store: Store, image_id: str) -> list[ImageLayer]:
    """The layers of the image `image_id`, bottom first."""
    config = store.images.config(image_id)
    return [ImageLayer(store, store.layers.get(chain)) for chain in chain_ids(config.diff_ids)]


def _members(tar_split: bytes, diff_id: str) -> Iterator[tarfile.TarInfo]:
    try:
        with tarfile.open(fileobj=_HoleyTar(tar_split), mode="r:") as tar:
            yield from tar
    except (tarfile.TarError, ValueError, MalformedArchive) as exc:
        what = str(exc) if isinstance(exc, MalformedArchive) else f"tar-split: {exc}"
        raise IntegrityError(f"read layer {short_id(diff_id)}: {what}",
                             hint="run `scow system check`") from None


def _absolute(name: str) -> str:
    """A tar entry's name as `docker diff` shows a path: "./etc/" → "/etc"."""
    return "/" + name.removeprefix("./").strip("/")


def _read_in_layer(base: str, name: str, diff_id: str) -> bytes:
    """A file of the layer's folder, resolved with that folder as its root (a tampered
    tar-split cannot name a file outside it)."""
    from scow.osutil.openat2 import open_in_root

    root_fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = open_in_root(root_fd, name.lstrip("/") or ".",
                          os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise IntegrityError(f"read layer {short_id(diff_id)}: open {name!r}: "
                             f"{exc.strerror or exc}", hint="run `scow system check`") from None
    finally:
        os.close(root_fd)
    with os.fdopen(fd, "rb") as f:
        return f.read()


class _HoleyTar(io.RawIOBase):
    """The layer's tar as tar-split describes it: the header and padding bytes it stores,
    and a hole of the right size for each file's payload (which tarfile seeks over)."""

    def __init__(self, tar_split: bytes) -> None:
        from scow.archive.tarsplit import SEGMENT, entries

        self._starts: list[int] = []
        self._parts: list[bytes | int] = []  # stored bytes, or the length of a hole
        offset = 0
        for entry in entries(tar_split):
            part: bytes | int
            if entry["type"] == SEGMENT:
                part = base64.b64decode(entry.get("payload") or "")
            else:
                part = max(0, int(entry.get("size") or 0))
            length = part if isinstance(part, int) else len(part)
            if length:
                self._starts.append(offset)
                self._parts.append(part)
                offset += length
        self._size = offset
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all that is left when negative); short only at the end."""
        end = self._size if size < 0 else min(self._size, self._pos + size)
        out = bytearray()
        while self._pos < end:
            i = bisect.bisect_right(self._starts, self._pos) - 1
            part, start = self._parts[i], self._starts[i]
            stop = min(end, start + (part if isinstance(part, int) else len(part)))
            if isinstance(part, int):
                out += bytes(stop - self._pos)
            else:
                out += part[self._pos - start:stop - start]
            self._pos = stop
        return bytes(out)

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


__all__ = ["ImageLayer", "LayerFile", "image_layers"]
