"""HJ 212 frames: bytes → :class:`Packet`. Pure, no I/O.

Frame (HJ 212-2017 §6.3.2 Table 2): ``##`` + four-digit length of the data segment + data
segment + four hex digits of CRC16 over the data segment (Appendix A) + CR LF. This module checks
the frame — header, length (the 1024-byte limit is exceeded by real devices: up to 9999 is accepted
and recorded), CRC in the dialects enabled for the device, SM4 decryption (HJ 212-2025), text
encoding — and hands the data segment to :func:`hj212_packet.decode_segment`.

The common frame (exact length, standard upper-case CRC of Appendix A, ASCII, the standard
header of §6.3.2 Table 3, no ``//`` text) takes a fast lane: :func:`fast_lane` in Python, and the
same in C in ``_hj212_speedups`` when the extension is built. The Python code is the reference:
the C code returns the very packet :func:`fast_lane` would, and None for anything it is unsure of,
which then goes the Python way. :func:`parse_packet_python` decodes without the C code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from ecodata.protocols.hj212_crc import CrcDialect, crc16, crc16_modbus, crc_for_dialect
from ecodata.protocols.hj212_errors import (
    CrcError,
    DecryptionError,
    EncodingError,
    FieldSyntaxError,
    FramingError,
    LengthError,
    TruncatedError,
)
from ecodata.protocols.hj212_packet import (
    MAX_STANDARD_CP,
    MAX_STANDARD_LENGTH,
    STANDARD_ONLY,
    Packet,
    Version,
    decode_segment,
    parse_standard_segment,
)
from ecodata.protocols.hj212_sm4 import decrypt_data_area

__all__ = ["fast_lane", "parse_packet", "parse_packet_python"]

_HEX_DIGITS: Final = b"0123456789abcdefABCDEF"
_STANDARD: Final = CrcDialect.STANDARD


def _load_accelerator() -> Callable[[bytes], Packet | None] | None:
    """The C fast lane, configured to build :class:`Packet`; None when it is not built."""
    try:
        from ecodata.protocols._hj212_speedups import configure, parse_fast
    except ImportError:
        return None
    versions = (Version.V2005, Version.V2017, Version.V2025)  # by version bits, Flag >> 2
    configure(Packet, versions, _STANDARD, MAX_STANDARD_LENGTH, MAX_STANDARD_CP)
    return parse_fast


#: ``_hj212_speedups.parse_fast`` (frame → Packet, or None when unsure), or None.
accelerator: Final = _load_accelerator()


def parse_packet(
    frame: bytes,
    *,
    crc_dialects: Iterable[str] = STANDARD_ONLY,
    sm4_key: bytes | None = None,
    encoding: str | None = None,
    offset: int = 0,
    source: str = "",
) -> Packet:
    """Decode one frame (``##`` … CRC, CR LF optional).

    ``crc_dialects``: the CRC dialects accepted for this device (:class:`CrcDialect` values); the
    standard CRC is always accepted. ``sm4_key``: the device's 16-byte SM4 key (HJ 212-2025).
    ``encoding``: None reads UTF-8 and falls back to GBK; or name the device's encoding.
    ``offset``: where the frame starts in its stream, added to the offsets errors report.
    ``source``: the peer or file, carried into errors.
    """
    if type(frame) is not bytes:
        frame = bytes(frame)
    if accelerator is not None and sm4_key is None and encoding is None:
        packet = accelerator(frame)
        if packet is not None:
            return packet
    return parse_packet_python(
        frame,
        crc_dialects=crc_dialects,
        sm4_key=sm4_key,
        encoding=encoding,
        offset=offset,
        source=source,
    )


def parse_packet_python(
    frame: bytes,
    *,
    crc_dialects: Iterable[str] = STANDARD_ONLY,
    sm4_key: bytes | None = None,
    encoding: str | None = None,
    offset: int = 0,
    source: str = "",
) -> Packet:
    """:func:`parse_packet` without the C accelerator: the reference it is tested against."""
    if type(frame) is not bytes:
        frame = bytes(frame)
    if sm4_key is None and encoding is None:
        packet = fast_lane(frame)
        if packet is not None:
            return packet
    return _parse_in_full(frame, crc_dialects, sm4_key, encoding, offset, source)


def fast_lane(frame: bytes) -> Packet | None:
    """The common case, for a device without SM4 key or set encoding: exact length, standard CRC,
    ASCII text, standard layout. None for any other frame (which :func:`parse_packet` then checks
    in full)."""
    length_field = frame[2:6]
    if frame[:2] == b"##" and len(length_field) == 4 and length_field.isdigit():
        seg_end = 6 + int(length_field)
        n = len(frame)
        if (n == seg_end + 6 and frame[-2:] == b"\r\n") or n == seg_end + 4:
            seg = frame[6:seg_end]
            crc_text = frame[seg_end : seg_end + 4]
            if b"%04X" % crc16(seg) == crc_text and b"CP=&&{0" not in seg and seg.isascii():
                return parse_standard_segment(
                    seg.decode("ascii"),
                    seg,
                    frame,
                    seg_end - 6,
                    _STANDARD,
                    crc_text,
                    "utf-8",
                    False,
                    ["length-over-1024"] if seg_end - 6 > MAX_STANDARD_LENGTH else [],
                )
    return None


def _parse_in_full(
    frame: bytes,
    crc_dialects: Iterable[str],
    sm4_key: bytes | None,
    encoding: str | None,
    offset: int,
    source: str,
) -> Packet:
    """Every check, every dialect, every slip: the path of packets off the fast lane."""
    n = len(frame)
    if frame[:2] != b"##":
        raise FramingError(
            f"a packet starts with '##', this one with {frame[:2]!r}",
            offset=offset,
            field="header",
            source=source,
            raw=frame,
        )
    if n < 6:
        raise TruncatedError(
            f"the frame ends after {n} bytes, inside the '##' + 4-digit length header",
            offset=offset + n,
            field="length",
            source=source,
            raw=frame,
        )
    length_field = frame[2:6]
    if not length_field.isdigit():
        raise FramingError(
            f"the length after '##' must be 4 decimal digits, got {length_field!r}",
            offset=offset + 2,
            field="length",
            source=source,
            raw=frame,
        )
    declared = int(length_field)
    end = n
    if frame[end - 1 : end] == b"\n":
        end -= 1
    if frame[end - 1 : end] == b"\r":
        end -= 1
    seg_end = 6 + declared
    violations: list[str] = []
    dialects = crc_dialects if type(crc_dialects) is frozenset else frozenset(crc_dialects)
    if end != seg_end + 4:
        seg_end = _resolve_length(frame, declared, end, dialects, violations, offset, source)
    seg = frame[6:seg_end]
    crc_text = frame[seg_end : seg_end + 4]

    encrypted = False
    plain = seg
    if b"CP=&&{0" in seg:
        encrypted = True
        plain = _decrypt_segment(seg, sm4_key, offset, source, frame)
        if declared not in (len(seg), len(plain)):
            raise LengthError(
                f"the header declares a {declared}-byte data segment; the segment holds "
                f"{len(seg)} bytes as transmitted and {len(plain)} decrypted",
                offset=offset + 2,
                field="length",
                source=source,
                raw=frame,
            )
    elif sm4_key is not None:
        violations.append("unencrypted")

    dialect = _check_crc(plain, crc_text, dialects, seg_end, offset, source, frame, encrypted, seg)
    if dialect is None:  # encrypted packet whose CRC covers the transmitted text
        dialect = CrcDialect.STANDARD
        violations.append("crc-over-transmitted-text")

    if encoding is None:
        try:
            text = plain.decode("utf-8")
            used = "utf-8"
        except UnicodeDecodeError as exc:
            try:
                text = plain.decode("gbk")
            except UnicodeDecodeError:
                raise EncodingError(
                    f"the data segment is neither UTF-8 nor GBK text (byte {plain[exc.start]:#04x}"
                    ")",
                    offset=offset + 6 + exc.start,
                    source=source,
                    raw=frame,
                ) from None
            used = "gbk"
            violations.append("gbk-text")
    else:
        try:
            text = plain.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            start = exc.start if isinstance(exc, UnicodeDecodeError) else 0
            raise EncodingError(
                f"the data segment is not {encoding} text: {exc}",
                offset=offset + 6 + start,
                source=source,
                raw=frame,
            ) from None
        used = encoding

    if declared > MAX_STANDARD_LENGTH:
        violations.append("length-over-1024")
    return decode_segment(
        text, plain, frame, declared, dialect, crc_text, used, encrypted, violations, offset, source
    )


def _resolve_length(
    frame: bytes,
    declared: int,
    end: int,
    dialects: frozenset[str],
    violations: list[str],
    offset: int,
    source: str,
) -> int:
    """Where the data segment ends when the frame is not exactly 6 + length + 4 bytes long."""
    seg_end = 6 + declared
    if end > seg_end + 4:
        # 1. trailing junk after a CRC that checks (e.g. '**' after reverse-control packets)
        crc_text = frame[seg_end : seg_end + 4]
        if not crc_text.translate(None, _HEX_DIGITS):
            value = int(crc_text, 16)
            segment = frame[6:seg_end]
            if value == crc16(segment) or any(
                value == crc_for_dialect(segment, CrcDialect(d))
                for d in dialects
                if d in (CrcDialect.MODBUS, CrcDialect.MODBUS_SWAPPED)
            ):
                violations.append("trailing-bytes")
                return seg_end
        candidate = frame[6 : end - 4]
        # 2. 2025 encrypted segments: the length may be that of the plaintext
        if b"CP=&&{0" in candidate:
            return end - 4
        # 3. the length counts characters (UTF-8 or GBK text)
        for codec in ("utf-8", "gbk"):
            try:
                if len(candidate.decode(codec)) == declared:
                    violations.append("length-counts-characters")
                    return end - 4
            except UnicodeDecodeError:
                continue
    else:
        tail = frame[max(6, end - 6) : end]
        if not (len(tail) == 6 and tail[:2] == b"&&" and not tail[2:].translate(None, _HEX_DIGITS)):
            raise TruncatedError(
                f"the frame ends after {end} bytes; its header declares a {declared}-byte data "
                f"segment, so it needs {seg_end + 4} bytes up to the CRC",
                offset=offset + end,
                field="length",
                source=source,
                raw=frame,
            )
    actual = end - 4 - 6
    raise LengthError(
        f"the header declares a {declared}-byte data segment, but the segment up to the CRC "
        f"holds {actual} bytes",
        offset=offset + 2,
        field="length",
        source=source,
        raw=frame,
    )


def _decrypt_segment(
    seg: bytes, key: bytes | None, offset: int, source: str, frame: bytes
) -> bytes:
    start = seg.find(b"CP=&&{0") + 5
    stop = len(seg) - 2
    if key is None:
        raise DecryptionError(
            "the data area is SM4-encrypted (HJ 212-2025) but no SM4 key is configured for "
            "this device",
            offset=offset + 6 + start,
            field="CP",
            source=source,
            raw=frame,
        )
    if not seg.endswith(b"&&") or stop < start:
        raise FieldSyntaxError(
            "the data area is not closed by '&&'",
            offset=offset + 6 + len(seg),
            field="CP",
            source=source,
            raw=frame,
        )
    try:
        plain_area = decrypt_data_area(seg[start:stop], key, offset=offset + 6 + start)
    except DecryptionError as exc:
        raise DecryptionError(
            exc.reason, offset=exc.offset, field="CP", source=source, raw=frame
        ) from None
    return seg[:start] + plain_area + seg[stop:]


def _check_crc(
    plain: bytes,
    crc_text: bytes,
    dialects: frozenset[str],
    seg_end: int,
    offset: int,
    source: str,
    frame: bytes,
    encrypted: bool,
    transmitted: bytes,
) -> CrcDialect | None:
    where = offset + seg_end
    if len(crc_text) != 4 or crc_text.translate(None, _HEX_DIGITS):
        raise CrcError(
            f"the CRC after the data segment must be 4 hex digits, got {crc_text!r}",
            carried=crc_text.decode("latin-1"),
            expected=f"{crc16(plain):04X}",
            offset=where,
            source=source,
            raw=frame,
        )
    value = int(crc_text, 16)
    standard = crc16(plain)
    if value == standard:
        if crc_text.isupper() or crc_text.isdigit():
            return CrcDialect.STANDARD
        if CrcDialect.LOWERCASE in dialects:
            return CrcDialect.LOWERCASE
        raise CrcError(
            f"the CRC {crc_text.decode()} is the HJ 212 CRC written in lower case; the standard "
            f"writes {standard:04X} (enable the 'lowercase' CRC dialect for this device)",
            carried=crc_text.decode(),
            expected=f"{standard:04X}",
            matches_dialect=CrcDialect.LOWERCASE,
            offset=where,
            source=source,
            raw=frame,
        )
    modbus = crc16_modbus(plain)
    swapped = ((modbus & 0xFF) << 8) | (modbus >> 8)
    matched = None
    for candidate, expected in ((CrcDialect.MODBUS, modbus), (CrcDialect.MODBUS_SWAPPED, swapped)):
        if value == expected:
            if candidate in dialects:
                return candidate
            matched = matched or candidate
    if encrypted and value == crc16(transmitted):
        return None
    hint = (
        f"; it is the {matched.value} CRC, a dialect not enabled for this device"
        if matched is not None
        else f" (CRC-16/MODBUS would be {modbus:04X}, byte-swapped {swapped:04X})"
    )
    what = "decrypted data segment (wrong SM4 key?)" if encrypted else "data segment"
    raise CrcError(
        f"CRC mismatch: the packet carries {crc_text.decode()}, the HJ 212 CRC of its "
        f"{len(plain)}-byte {what} is {standard:04X}{hint}",
        carried=crc_text.decode(),
        expected=f"{standard:04X}",
        matches_dialect=matched,
        offset=where,
        source=source,
        raw=frame,
    )
