"""CRC16 of HJ 212 packets and the CRC dialects met in the field.

HJ 212-2017 Appendix A defines the check over the *data segment* only (not ``##``, the length,
the CRC itself or CR LF): register 0xFFFF; for each byte ``crc = (crc >> 8) ^ byte``, then eight
times "shift right, XOR 0xA001 if the bit shifted out was 1"; no final XOR; rendered as four
upper-case hex digits, high byte first. Note the ``(crc >> 8) ^ byte`` step: it is *not*
CRC-16/MODBUS (``crc ^= byte``), whose result differs (``"123456789"`` → 2F80 here, 4B37 in
Modbus).

Speed. Because each step keeps only ``(crc >> 8) ^ byte`` (eight bits), the state between bytes
is one byte ``h`` and the step is ``h' = M(h ^ b)`` where ``M`` (the high byte of the 0xA001
table) is linear over GF(2) and has order 8 (``M⁸ = I``). Unrolling gives, for the index ``s``
used at the last byte, ``s = M^(n-1)·0xFF ⊕ Σ_j M^j·X_j`` where ``X_j`` is the XOR of the bytes
whose distance from the end is ≡ j (mod 8). The eight XORs come from folding the segment, read as
one big integer, into a 64-bit word (a handful of C-level integer operations), so the CRC of a
300-byte segment costs a few dozen interpreter steps instead of 300 table look-ups.
:func:`crc16_bitwise` is the literal algorithm of Appendix A, kept as the oracle of the tests.
The C extension ``_hj212_speedups`` computes the same fold in C; :func:`crc16` uses it when built
and :func:`crc16_python` is the Python reference.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "CrcDialect",
    "crc16",
    "crc16_bitwise",
    "crc16_modbus",
    "crc16_python",
    "crc_for_dialect",
    "format_crc",
]


class CrcDialect(enum.StrEnum):
    """How a device computes and writes the four CRC characters.

    Only ``STANDARD`` is HJ 212. The others were seen in real devices and tools, and are
    accepted only for devices configured with them.
    """

    STANDARD = "standard"  # HJ 212 Appendix A, upper-case hex
    LOWERCASE = "lowercase"  # HJ 212 Appendix A, written in lower-case hex
    MODBUS = "modbus"  # plain CRC-16/MODBUS (crc ^= byte), either case
    MODBUS_SWAPPED = "modbus-swapped"  # CRC-16/MODBUS with its two bytes swapped, either case


def _step_table() -> list[int]:
    """``T[x]``: eight shift/XOR-0xA001 rounds applied to the byte ``x`` (Appendix A steps 4-7)."""
    table = []
    for x in range(256):
        crc = x
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_T: Final = _step_table()
_H: Final = [t >> 8 for t in _T]  # the linear map M on the one-byte state


def _power_tables() -> list[list[int]]:
    """``P[j][x] = M^j x`` for j = 0..7 (M has order 8)."""
    tables = [list(range(256))]
    for _ in range(7):
        previous = tables[-1]
        tables.append([_H[v] for v in previous])
    if [_H[v] for v in tables[-1]] != tables[0]:  # pragma: no cover - a property of 0xA001
        raise AssertionError("the HJ 212 CRC state map is expected to have order 8")
    return tables


_P: Final = _power_tables()
_P0, _P1, _P2, _P3, _P4, _P5, _P6, _P7 = _P
#: M^k · 0xFF, the contribution of the initial register 0xFFFF after k more bytes.
_INIT: Final = tuple(_P[k % 8][0xFF] for k in range(8))
#: Low-bit masks for the folds of segments up to 2,048 bytes (longer ones build theirs).
_FOLD_MASKS: Final = tuple((1 << (half << 6)) - 1 for half in range(129))


def _fold_plan(words: int) -> tuple[tuple[int, int], ...]:
    """(shift, mask) of each halving fold of a ``words``-word integer down to one 64-bit word."""
    steps = []
    while words > 1:
        half = (words + 1) >> 1
        steps.append((half << 6, _FOLD_MASKS[half] if half < 129 else (1 << (half << 6)) - 1))
        words = half
    return tuple(steps)


_FOLD_PLANS: Final = tuple(_fold_plan(words) for words in range(257))


def crc16(data: bytes) -> int:
    """HJ 212 CRC16 of ``data`` (the data-segment bytes), as an integer 0..0xFFFF."""
    if _crc16_c is not None and type(data) is bytes:
        return _crc16_c(data)
    return crc16_python(data)


def crc16_python(data: bytes) -> int:
    """:func:`crc16` in Python (the reference of the C code in ``_hj212_speedups``)."""
    n = len(data)
    if n == 0:
        return 0xFFFF
    v = int.from_bytes(data, "big")
    # Fold the big integer into one 64-bit word: byte k of the result (from the low end) is the
    # XOR of the bytes whose distance from the end of ``data`` is ≡ k (mod 8).
    words = (n + 7) >> 3
    for shift, mask in _FOLD_PLANS[words] if words < 257 else _fold_plan(words):
        v = (v >> shift) ^ (v & mask)
    s = (
        _INIT[(n - 1) & 7]
        ^ _P0[v & 0xFF]
        ^ _P1[(v >> 8) & 0xFF]
        ^ _P2[(v >> 16) & 0xFF]
        ^ _P3[(v >> 24) & 0xFF]
        ^ _P4[(v >> 32) & 0xFF]
        ^ _P5[(v >> 40) & 0xFF]
        ^ _P6[(v >> 48) & 0xFF]
        ^ _P7[(v >> 56) & 0xFF]
    )
    return _T[s]


try:  # the same computation in C, when the extension is built
    from ecodata.protocols._hj212_speedups import crc16 as _crc16_c
except ImportError:  # pragma: no cover - a build without the C extension
    _crc16_c = None  # type: ignore[assignment]


def crc16_bitwise(data: bytes) -> int:
    """The literal algorithm of HJ 212-2017 Appendix A, bit by bit (slow; the test oracle)."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ byte
        for _ in range(8):
            lsb = crc & 1
            crc >>= 1
            if lsb:
                crc ^= 0xA001
    return crc


def _modbus_table() -> list[int]:
    return _T  # CRC-16/MODBUS uses the same reflected 0xA001 byte table


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS (init 0xFFFF, reflected 0xA001, ``crc ^= byte``): a dialect, not HJ 212."""
    table = _modbus_table()
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def crc_for_dialect(data: bytes, dialect: CrcDialect) -> int:
    """The integer a device of ``dialect`` writes for ``data``."""
    if dialect in (CrcDialect.STANDARD, CrcDialect.LOWERCASE):
        return crc16(data)
    modbus = crc16_modbus(data)
    if dialect is CrcDialect.MODBUS:
        return modbus
    return ((modbus & 0xFF) << 8) | (modbus >> 8)


def format_crc(value: int, dialect: CrcDialect = CrcDialect.STANDARD) -> bytes:
    """Four hex digits, zero-padded (dropping the leading zeros is a bug known in the field)."""
    text = b"%04X" % value
    return text.lower() if dialect is CrcDialect.LOWERCASE else text
