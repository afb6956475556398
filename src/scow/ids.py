"""owns: Docker's identifiers (DiffID, ChainID, CacheID, ImageID, ContainerID, MountID) and
the pure functions that make them: digests, ChainIDs (OCI image spec), random IDs and short IDs.

Every identifier is a ``NewType`` over ``str`` so mypy refuses a DiffID where a ChainID is
expected. Digests are always the full ``sha256:<64 hex>`` string; random IDs are bare 64 hex.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from scow.errors import InvalidDigest

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import NewType, Protocol

    class _Hash(Protocol):  # what a sha256 object gives (hashlib's _Hash is typeshed's only)
        def update(self, data: bytes, /) -> None: ...
        def digest(self) -> bytes: ...
        def hexdigest(self) -> str: ...
else:
    from scow.typeshim import NewType

Digest = NewType("Digest", str)  # "sha256:<hex>"
DiffID = NewType("DiffID", str)  # digest of the uncompressed layer tar
ChainID = NewType("ChainID", str)  # digest naming a layer with its parents
ImageID = NewType("ImageID", str)  # digest of the exact config bytes
CacheID = NewType("CacheID", str)  # 64 random hex: the driver's folder name
MountID = NewType("MountID", str)  # 64 random hex: a container's writable layer
ContainerID = NewType("ContainerID", str)  # 64 random hex

EMPTY_TAR_DIFF_ID = DiffID(
    "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
)  # 1024 NUL bytes: the empty layer

_HEX = "0123456789abcdef"  # lowercase only: str checks, not `re` (its import costs start-up)


def sha256_hex(data: bytes) -> str:
    """The hex sha256 of `data`. hashlib loads OpenSSL (5-10 ms of a cold start), so the small
    buffers of the short commands' paths (image configs, manifests) are hashed by the
    interpreter's own sha256 (~13 µs per KB, loaded in 0.3 ms); larger ones by hashlib."""
    h = sha256_for(len(data))
    h.update(data)
    return h.hexdigest()


_BUILTIN: dict[str, Callable[[bytes], _Hash]] = {}  # the interpreter's own, found once


def builtin_hash(name: str) -> Callable[[bytes], _Hash]:
    """The interpreter's own constructor of `name` ("sha256", "sha512"), without hashlib's
    OpenSSL load; hashlib's only where the interpreter was built without its own."""
    found = _BUILTIN.get(name)
    if found is None:
        for module in ("_sha2", f"_{name}", "hashlib"):  # Python 3.12+, then 3.11
            try:
                found = getattr(__import__(module), name)
                break
            except (ImportError, AttributeError):
                continue
        assert found is not None  # hashlib has every name asked for here
        _BUILTIN[name] = found
    return found


def sha256_for(size: int) -> _Hash:
    """A new sha256 object for about `size` bytes: the interpreter's own up to 64 KiB,
    hashlib's (OpenSSL: several times faster, but costly to load) beyond."""
    if size > 65536:
        import hashlib

        return hashlib.sha256()
    return builtin_hash("sha256")(b"")


def digest_of(data: bytes) -> Digest:
    return Digest("sha256:" + sha256_hex(data))


def validate_digest(value: str) -> Digest:
    """Return `value` as a Digest, or raise InvalidDigest naming it."""
    if not (value.startswith("sha256:") and is_hex64(value[7:])):
        raise InvalidDigest(f"invalid digest {value!r}: want sha256:<64 lowercase hex>")
    return Digest(value)


def is_hex64(value: str) -> bool:
    """`value` is 64 lowercase hex digits (nothing before or after)."""
    return len(value) == 64 and not value.strip(_HEX)


def hex_of(digest: str) -> str:
    """The hex part of ``sha256:<hex>`` (or the value itself when it has no algorithm)."""
    return digest.split(":", 1)[1] if ":" in digest else digest


def short_id(value: str) -> str:
    """Docker's 12-character form of an ID or digest."""
    return hex_of(value)[:12]


def chain_id(diff_ids: Iterable[str]) -> ChainID:
    """ChainID of a stack of layers: ChainID(L0)=DiffID(L0), then sha256("<parent> <diff>")."""
    current: str | None = None
    for diff in diff_ids:
        current = diff if current is None else "sha256:" + sha256_hex(
            f"{current} {diff}".encode())
    if current is None:
        raise ValueError("chain_id of no layers")
    return ChainID(current)


def chain_ids(diff_ids: Iterable[str]) -> list[ChainID]:
    """ChainID of every prefix of the stack, bottom first."""
    out: list[ChainID] = []
    for diff in diff_ids:
        out.append(ChainID(diff) if not out else chain_id([out[-1], diff]))
    return out


def random_id() -> str:
    """64 random hex characters, never all digits in the first 12 (as moby's stringid)."""
    while True:
        value = os.urandom(32).hex()
        if not value[:12].isdigit():
            return value
