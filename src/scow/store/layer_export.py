"""owns: a registered layer's tar written back exactly as it was registered: its tar-split
(<root>/layerdb/<cache_id>.tar-split.gz, store/layers.py) reassembled with the files of the
driver's layer folder, opened inside that folder only, and verified against the DiffID."""

from __future__ import annotations

import os

from scow.errors import IntegrityError
from scow.ids import short_id

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import BinaryIO


def write_layer_tar(chain: str, diff_id: str, tar_split_path: str, base: str,
                    out: BinaryIO) -> None:
    """Write the tar of the layer `chain` (files in `base`) to `out`; IntegrityError when
    its tar-split is missing or the bytes do not hash to `diff_id`."""
    from scow.archive.tarsplit import assemble

    try:
        with open(tar_split_path, "rb") as f:
            tar_split = f.read()
    except FileNotFoundError:
        raise IntegrityError(f"export layer {short_id(chain)}: tar-split data is missing",
                             hint="run `scow system check`") from None
    hashing = _HashingWriter(out)
    assemble(tar_split, lambda name: _open_in_layer(base, name), hashing)  # type: ignore[arg-type]
    if hashing.digest() != diff_id:
        raise IntegrityError(f"export layer {short_id(chain)}: could not verify layer data: "
                             "files in the layer store were modified",
                             hint="run `scow system check`")


def _open_in_layer(base: str, name: str) -> BinaryIO:
    """Open a layer file named by tar-split; names are resolved with the layer folder as
    their root (RESOLVE_IN_ROOT: where extraction wrote an entry under a symlinked folder), so
    nothing is followed out of it (a tampered tar-split cannot read host files)."""
    from scow.osutil.openat2 import open_in_root

    root_fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = open_in_root(root_fd, name.lstrip("/") or ".", os.O_RDONLY | os.O_NOFOLLOW
                          | os.O_CLOEXEC)
    except OSError as exc:
        raise IntegrityError(f"export layer: open {name!r}: {exc.strerror or exc}",
                             hint="run `scow system check`") from None
    finally:
        os.close(root_fd)
    return os.fdopen(fd, "rb")


class _HashingWriter:
    def __init__(self, out: BinaryIO) -> None:
        import hashlib  # here, not at the top: it loads OpenSSL (start-up)

        self.out = out
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return self.out.write(data)

    def digest(self) -> str:
        return "sha256:" + self.hash.hexdigest()
