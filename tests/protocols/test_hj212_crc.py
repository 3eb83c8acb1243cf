"""CRC16 of HJ 212-2017 Appendix A and the dialects seen in the field."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecodata.protocols.hj212_crc import (
    CrcDialect,
    crc16,
    crc16_bitwise,
    crc16_modbus,
    crc_for_dialect,
    format_crc,
)

APPENDIX_A = (
    b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    b"CP=&&RtdInterval=30&&"
)


@pytest.mark.parametrize(
    ("data", "hj212", "modbus"),
    [
        # HJ 212-2017 Appendix A example (its prose misprints the result as 1C08)
        (APPENDIX_A, 0x1C80, 0x0759),
        # HJ 212-2025 A.1 example as quoted by a third-party test suite
        (
            b"QN=20240601085857223;ST=32;CN=1011;PW=123456;MN=010000A8900016F000169DC0;"
            b"Flag=9;CP=&&&&",
            0x2200,
            0xCCF4,
        ),
        # the catalogue check input; 4B37 is the published check value of CRC-16/MODBUS
        (b"123456789", 0x2F80, 0x4B37),
        (b"", 0xFFFF, 0xFFFF),
        (b"\x00", 0x4040, 0x40BF),
    ],
)
def test_check_values(data: bytes, hj212: int, modbus: int) -> None:
    assert crc16(data) == hj212
    assert crc16_bitwise(data) == hj212
    assert crc16_modbus(data) == modbus


@given(st.binary(max_size=3000))
def test_fast_crc_equals_the_literal_algorithm(data: bytes) -> None:
    assert crc16(data) == crc16_bitwise(data)


@pytest.mark.parametrize("size", [2047, 2048, 2049, 4096, 9999])
def test_fast_crc_on_long_segments(size: int) -> None:
    data = bytes((i * 131 + 7) % 256 for i in range(size))
    assert crc16(data) == crc16_bitwise(data)


def test_rendering_is_four_zero_padded_digits() -> None:
    # 2176 → 0880, not 880 (the bug of hj-t212-parser issues #18 and #25)
    assert format_crc(0x0880) == b"0880"
    assert format_crc(0x0B40, CrcDialect.LOWERCASE) == b"0b40"
    assert format_crc(0x1C80) == b"1C80"


def test_dialect_values() -> None:
    assert crc_for_dialect(b"123456789", CrcDialect.STANDARD) == 0x2F80
    assert crc_for_dialect(b"123456789", CrcDialect.LOWERCASE) == 0x2F80
    assert crc_for_dialect(b"123456789", CrcDialect.MODBUS) == 0x4B37
    assert crc_for_dialect(b"123456789", CrcDialect.MODBUS_SWAPPED) == 0x374B
