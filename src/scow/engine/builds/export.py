"""owns: ``build -o type=local|tar``: the target stage's filesystem (a mounted rootfs) written
as a tar stream (``type=tar``: to a file, or to the CLI's stdout for ``dest=-``) or into a
folder (``type=local``), as BuildKit's local and tar exporters do: no image is made.

The tar holds the rootfs' entries with names relative to it (``bin/sh``, no ``./``), numeric
owners only, symlinks as symlinks and hard links between its files as hard-link entries.
``type=local`` extracts that same stream with Python's ``tar`` filter, so nothing lands
outside `dest` (an image's symlinks cannot lead the extraction out of it); set-user/group-ID
bits and group/other write bits are cleared by that filter.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from typing import TYPE_CHECKING, BinaryIO

from scow.errors import InvalidArgument, from_oserror

if TYPE_CHECKING:
    from scow.build.ports import OutputSpec


def export(rootfs: str, output: OutputSpec) -> None:
    """Write `rootfs` as `output` says."""
    if output.type == "tar":
        if output.stream is not None:
            write_tar(rootfs, output.stream)
            return
        try:
            with open(output.dest, "wb") as f:
                write_tar(rootfs, f)
        except OSError as exc:
            raise from_oserror(f"export to {output.dest}", exc) from None
        return
    if output.type != "local":
        raise InvalidArgument(f"export: unknown output type {output.type!r}")
    _export_local(rootfs, output.dest)


def write_tar(rootfs: str, out: BinaryIO) -> None:
    """The tar stream of everything under `rootfs` (sorted, numeric owners)."""
    def numeric(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uname = info.gname = ""
        return info

    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(os.listdir(rootfs)):
            tar.add(os.path.join(rootfs, name), arcname=name, filter=numeric)


def _export_local(rootfs: str, dest: str) -> None:
    try:
        os.makedirs(dest, exist_ok=True)
        with tempfile.TemporaryFile(prefix="scow-export-") as spool:
            write_tar(rootfs, spool)
            spool.seek(0)
            with tarfile.open(fileobj=spool, mode="r|") as tar:
                tar.extractall(dest, filter="tar")
    except tarfile.TarError as exc:
        raise InvalidArgument(f"export to {dest}: {exc}") from None
    except OSError as exc:
        raise from_oserror(f"export to {dest}", exc) from None
