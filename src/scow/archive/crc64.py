"""owns: CRC-64/ISO as tar-split uses it (Go's ``hash/crc64`` with the ``crc64.ISO`` table).

``update(crc, data)`` continues a checksum exactly like Go's ``crc64.Update(crc, ISO, data)``
(start from 0; the result is the value tar-split stores big-endian in its FileType entries).

Fast path: ISA-L's ``crc64_iso_refl`` (same seed/result inversion as Go), which the ``isal``
package we already depend on exports from its ``isal_zlib`` extension; called through ctypes
on the caller's buffer without a copy (several GB/s).

Fallback (no such symbol), still pure Python but vectorised: a CRC is linear over GF(2), so a
block of K*L bytes is split into K lanes of L bytes, all lanes advance one byte per step using
``bytes.translate`` as a 256-entry table lookup over K bytes at once (the 64-bit state is kept
as 8 byte planes), then the lane results are folded pairwise with precomputed "append
L*2^l zero bytes" operators. Short inputs use the plain byte-at-a-time table loop.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Buffer

MASK = (1 << 64) - 1
POLY = 0xD800000000000000  # ISO 3309, reflected
LANE_BYTES = 64  # L: bytes per lane
MAX_LEVEL = 13  # up to 2**13 lanes per block (512 KiB)
MIN_LANES = 32  # below 32 lanes (2 KiB) the byte loop is as fast


def _make_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ POLY if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = _make_table()
# byte j of TABLE[b], as translate tables
_PLANE_TABLES = [bytes((TABLE[b] >> (8 * j)) & 0xFF for b in range(256)) for j in range(8)]


def _raw(s: int, data: Buffer) -> int:
    table = TABLE
    for b in memoryview(data).cast("B"):
        s = table[(s ^ b) & 0xFF] ^ (s >> 8)
    return s


class _ZeroShift:
    """The linear map "feed n zero bytes" as 8 lookup tables of 256 entries."""

    def __init__(self, basis: list[int]) -> None:
        self.basis = basis  # image of each of the 64 state bits
        self.tables: list[list[int]] = []
        for j in range(8):
            tab = [0] * 256
            for b in range(1, 256):
                low = b & -b
                tab[b] = tab[b ^ low] ^ basis[8 * j + low.bit_length() - 1]
            self.tables.append(tab)
        # planes[j][k]: byte k of the image of (b << 8j), for vectorised application
        self.planes = [[bytes((t[b] >> (8 * k)) & 0xFF for b in range(256)) for k in range(8)]
                       for t in self.tables]

    def apply(self, s: int) -> int:
        t = self.tables
        return (t[0][s & 0xFF] ^ t[1][(s >> 8) & 0xFF] ^ t[2][(s >> 16) & 0xFF]
                ^ t[3][(s >> 24) & 0xFF] ^ t[4][(s >> 32) & 0xFF] ^ t[5][(s >> 40) & 0xFF]
                ^ t[6][(s >> 48) & 0xFF] ^ t[7][s >> 56])

    def squared(self) -> _ZeroShift:
        return _ZeroShift([self.apply(v) for v in self.basis])


_levels: list[_ZeroShift] = []


def _level(n: int) -> _ZeroShift:
    """The operator appending LANE_BYTES * 2**n zero bytes."""
    if not _levels:
        z = _ZeroShift([_raw(1 << k, b"\0") for k in range(64)])
        for _ in range(LANE_BYTES.bit_length() - 1):
            z = z.squared()
        _levels.append(z)
        for _ in range(MAX_LEVEL):
            _levels.append(_levels[-1].squared())
    return _levels[n]


def _lanes(block: bytes, lanes: int) -> int:
    """CRC (zero start, no final xor) of `block`, len(block) == lanes * LANE_BYTES."""
    fb = int.from_bytes
    pt = _PLANE_TABLES
    p0 = p1 = p2 = p3 = p4 = p5 = p6 = p7 = 0
    for t in range(LANE_BYTES):
        idx = (p0 ^ fb(block[t::LANE_BYTES], "little")).to_bytes(lanes, "little")
        p0 = fb(idx.translate(pt[0]), "little") ^ p1
        p1 = fb(idx.translate(pt[1]), "little") ^ p2
        p2 = fb(idx.translate(pt[2]), "little") ^ p3
        p3 = fb(idx.translate(pt[3]), "little") ^ p4
        p4 = fb(idx.translate(pt[4]), "little") ^ p5
        p5 = fb(idx.translate(pt[5]), "little") ^ p6
        p6 = fb(idx.translate(pt[6]), "little") ^ p7
        p7 = fb(idx.translate(pt[7]), "little")
    planes = [p.to_bytes(lanes, "little") for p in (p0, p1, p2, p3, p4, p5, p6, p7)]
    level = 0
    while lanes > 1:
        zs = _level(level).planes
        lanes //= 2
        left = [p[0::2] for p in planes]
        acc = [fb(p[1::2], "little") for p in planes]
        for j in range(8):
            lj = left[j]
            zj = zs[j]
            for k in range(8):
                acc[k] ^= fb(lj.translate(zj[k]), "little")
        planes = [a.to_bytes(lanes, "little") for a in acc]
        level += 1
    return sum(planes[k][0] << (8 * k) for k in range(8))


def update(crc: int, data: Buffer) -> int:
    """Go's ``crc64.Update(crc, crc64.MakeTable(crc64.ISO), data)``."""
    if _isal is not None:
        return _isal_update(crc, data)
    return update_py(crc, data)


def update_py(crc: int, data: Buffer) -> int:
    """The pure-Python implementation (used when ISA-L's symbol is missing)."""
    s = crc ^ MASK
    view = memoryview(data).cast("B")
    n = len(view)
    pos = 0
    while n - pos >= MIN_LANES * LANE_BYTES:
        lanes = min((n - pos) // LANE_BYTES, 1 << MAX_LEVEL)
        level = lanes.bit_length() - 1
        lanes = 1 << level
        size = lanes * LANE_BYTES
        s = _level(level).apply(s) ^ _lanes(bytes(view[pos:pos + size]), lanes)
        pos += size
    if pos < n:
        s = _raw(s, view[pos:])
    return s ^ MASK


class _PyBuffer(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_void_p), ("obj", ctypes.c_void_p), ("len", ctypes.c_ssize_t),
                ("itemsize", ctypes.c_ssize_t), ("readonly", ctypes.c_int),
                ("ndim", ctypes.c_int), ("format", ctypes.c_char_p),
                ("shape", ctypes.c_void_p), ("strides", ctypes.c_void_p),
                ("suboffsets", ctypes.c_void_p), ("internal", ctypes.c_void_p)]


def _load_isal() -> Any:
    try:
        from isal import isal_zlib
        lib = ctypes.CDLL(isal_zlib.__file__)
        fn = lib.crc64_iso_refl
    except (ImportError, OSError, AttributeError):
        return None
    fn.restype = ctypes.c_uint64
    fn.argtypes = [ctypes.c_uint64, ctypes.c_void_p, ctypes.c_uint64]
    return fn


_isal = _load_isal()
_get_buffer = ctypes.pythonapi.PyObject_GetBuffer
_get_buffer.argtypes = [ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int]
_release_buffer = ctypes.pythonapi.PyBuffer_Release
_release_buffer.argtypes = [ctypes.POINTER(_PyBuffer)]


def _isal_update(crc: int, data: Buffer) -> int:
    if type(data) is bytes:
        return int(_isal(crc, data, len(data)))
    view = _PyBuffer()
    _get_buffer(data, ctypes.byref(view), 0)  # PyBUF_SIMPLE: contiguous bytes
    try:
        return int(_isal(crc, view.buf, view.len))
    finally:
        _release_buffer(ctypes.byref(view))


def checksum(data: Buffer) -> int:
    return update(0, data)
