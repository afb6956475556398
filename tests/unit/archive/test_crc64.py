from __future__ import annotations

import os

import pytest

from scow.archive import crc64


def _reference(data: bytes) -> int:
    crc = crc64.MASK
    for b in data:
        crc = crc64.TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ crc64.MASK


def test_check_value_of_go_iso_table() -> None:
    assert crc64.checksum(b"123456789") == 0xB90956C775A41001
    assert crc64.update_py(0, b"123456789") == 0xB90956C775A41001
    assert crc64.checksum(b"") == 0


def test_isal_fast_path_is_present_and_takes_any_buffer() -> None:
    assert crc64._isal is not None, "isal no longer exports crc64_iso_refl"
    data = os.urandom(10_000)
    want = _reference(data[7:])
    assert crc64.checksum(memoryview(data)[7:]) == want
    assert crc64.checksum(bytearray(data[7:])) == want


@pytest.mark.parametrize("size", [1, 100, 2047, 2048, 4096, 65_537, 1 << 19, 3_000_001])
def test_vectorised_path_equals_the_byte_loop_and_is_incremental(size: int) -> None:
    data = os.urandom(size)
    whole = crc64.update_py(0, data)
    assert whole == _reference(data) == crc64.checksum(data)
    cut = size // 3
    assert crc64.update_py(crc64.update_py(0, data[:cut]), data[cut:]) == whole
    assert crc64.update(crc64.update(0, data[:cut]), data[cut:]) == whole
