"""HJ 212 packets: the :class:`Packet` model and the grammar of the data segment. Pure.

Data segment (HJ 212-2017 §6.3.2 Table 3):
``QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&<data area>&&``. Data area (§6.3.3):
``field=value``, categories of one item separated by ``,``, items by ``;``.

Parsing is lenient and validation strict: a packet that can be used is returned with the list of
the standard's rules it breaks (``violations``); one that cannot raises an :class:`Hj212Error`
subclass saying what and where. The common case (standard header order, no spaces) is decoded in
one pass of ``translate``/``replace``/``split``; everything else goes through a general tokenizer.
Framing, length, CRC and decryption are in ``hj212_frame``; building in ``hj212_build``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Final, NamedTuple

from ecodata.protocols.hj212_crc import CrcDialect
from ecodata.protocols.hj212_errors import (
    FieldSyntaxError,
    MissingFieldError,
    UnsupportedVersionError,
)

__all__ = [
    "ALL_DIALECTS",
    "MAX_STANDARD_CP",
    "MAX_STANDARD_LENGTH",
    "STANDARD_ONLY",
    "VIOLATIONS",
    "Packet",
    "Version",
    "decode_segment",
    "parse_standard_segment",
    "value_index",
]

STANDARD_ONLY: Final = frozenset({CrcDialect.STANDARD})
ALL_DIALECTS: Final = frozenset(CrcDialect)

#: HJ 212-2017 Table 2: the data segment holds at most 1024 bytes; Table 3: CP at most 950.
MAX_STANDARD_LENGTH: Final = 1024
MAX_STANDARD_CP: Final = 950


class Version(enum.StrEnum):
    """Protocol version from the Flag's V5..V0 bits (HJ 212-2017 Table 3)."""

    V2005 = "2005"  # 000000, and packets without Flag
    V2017 = "2017"  # 000001 → Flag 4..7
    V2025 = "2025"  # 000010 → Flag 8..11 (also the CNEMC surface-water variant)

    @property
    def bits(self) -> int:
        return _BITS_OF_VERSION[self]


_VERSION_OF_BITS: Final = {0: Version.V2005, 1: Version.V2017, 2: Version.V2025}
_BITS_OF_VERSION: Final = {v: b for b, v in _VERSION_OF_BITS.items()}
_V2005: Final = Version.V2005

#: Stable names of the deviations from the standard that a packet may show, with their meaning.
VIOLATIONS: Final[Mapping[str, str]] = {
    "length-over-1024": "data segment longer than the 1024 bytes of HJ 212-2017 Table 2",
    "cp-over-950": "CP field longer than the 950 bytes of HJ 212-2017 Table 3",
    "length-counts-characters": "the length field counts characters, not bytes",
    "trailing-bytes": "bytes after the CRC other than CR LF (ignored)",
    "missing-qn": "no QN (HJ/T 212-2005 style)",
    "missing-flag": "no Flag (HJ/T 212-2005 style)",
    "missing-st": "no ST",
    "missing-pw": "no PW",
    "qn-format": "QN is not 17 digits YYYYMMDDhhmmsszzz",
    "mn-format": "MN is not 24 hexadecimal characters",
    "st-format": "ST is not two characters 0-9/A-Z",
    "header-key-case": "a header field name in the wrong case (e.g. FLAG)",
    "header-comma": "',' between header fields instead of ';'",
    "empty-header-item": "an empty item between header separators (e.g. ';,MN=')",
    "duplicate-header-field": "a header field given twice (the first is used)",
    "unknown-header-field": "a header field the standard does not define",
    "missing-separator-before-cp": "no ';' before CP=",
    "pnum-without-d-flag": "PNUM/PNO present although Flag does not set D",
    "spaces": "spaces around fields or values (removed)",
    "cp-item-without-equals": "an item of the data area without '=' (skipped)",
    "gbk-text": "the data segment is GBK, not UTF-8",
    "crc-over-transmitted-text": "encrypted packet whose CRC covers the transmitted text",
    "unencrypted": "plain data area from a device configured with an SM4 key",
}

_HEADER_KEYS: Final = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO", "RF")
_HEADER_KEY_SET: Final = frozenset(_HEADER_KEYS)
_HEADER_KEY_BY_UPPER: Final = {k.upper(): k for k in _HEADER_KEYS}
_SEPARATOR_TABLE: Final = bytes.maketrans(b",", b";")
_NOT_SEPARATORS: Final = bytes(b for b in range(256) if b not in b"=;,")
_MN_HEX: Final = frozenset("0123456789ABCDEFabcdef")
_ST_CHARS: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class Packet(NamedTuple):
    """One decoded HJ 212 packet (immutable).

    ``fields`` holds the data area flat, ``(name₀, value₀, name₁, value₁, …)`` in order and as text
    (a name may repeat); :attr:`cp` gives the same as pairs. ``header_fields`` holds the header the
    same way. ``crc_dialect`` records which CRC the packet carried; ``violations`` names the rules
    of the standard it breaks (keys of :data:`VIOLATIONS`).
    """

    qn: str | None
    st: str | None
    cn: str
    pw: str | None
    mn: str
    flag: int | None
    pnum: int | None
    pno: int | None
    fields: tuple[str, ...]
    version: Version
    crc_dialect: CrcDialect
    crc: str
    length: int
    encoding: str
    encrypted: bool
    header_fields: tuple[str, ...]
    violations: tuple[str, ...]
    raw: bytes

    @property
    def cp(self) -> tuple[tuple[str, str], ...]:
        """The data area as ``(name, value)`` pairs, in order."""
        flat = self.fields
        return tuple(zip(flat[0::2], flat[1::2], strict=True))

    @property
    def header(self) -> tuple[tuple[str, str], ...]:
        """The header fields as received (names normalised), as ``(name, value)`` pairs."""
        flat = self.header_fields
        return tuple(zip(flat[0::2], flat[1::2], strict=True))

    @property
    def ack_requested(self) -> bool | None:
        """Flag bit A; None when the packet has no Flag (2005 style)."""
        return None if self.flag is None else bool(self.flag & 1)

    @property
    def split(self) -> bool:
        """Whether this is one sub-packet of several (Flag bit D, or PNUM/PNO without Flag)."""
        if self.flag is not None and self.flag & 2:
            return True
        return self.pnum is not None and self.pnum > 1

    @property
    def oversize(self) -> bool:
        return self.length > MAX_STANDARD_LENGTH

    @property
    def resend(self) -> bool:
        """HJ 212-2025 ``RF=1``: re-sent (补传) data (unverified against the official text)."""
        return self.header_field("RF") == "1"

    @property
    def data_time(self) -> str | None:
        return self.get("DataTime")

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of data-area field ``name``."""
        return _lookup(self.fields, name, default)

    def header_field(self, name: str) -> str | None:
        return _lookup(self.header_fields, name, None)


def value_index(flat: tuple[str, ...], name: str) -> int:
    """Where the first value of field ``name`` is in a flat ``(name, value, …)`` tuple (-1 when
    the field is not there), e.g. ``Packet.fields``."""
    try:
        return 2 * flat[0::2].index(name) + 1
    except ValueError:
        return -1


def _lookup(flat: tuple[str, ...], name: str, default: str | None) -> str | None:
    index = value_index(flat, name)
    return default if index < 0 else flat[index]


_STANDARD_HEADER: Final = ["QN", "ST", "CN", "PW", "MN", "Flag"]
_SPLIT_HEADER: Final = ["QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO"]
_CP_OPEN: Final = "CP=&&"


def parse_standard_segment(
    text: str,
    plain: bytes,
    frame: bytes,
    declared: int,
    dialect: CrcDialect,
    crc_text: bytes,
    encoding: str,
    encrypted: bool,
    violations: list[str],
) -> Packet | None:
    """The common case in one pass: the header in the standard's order with ';' separators and a
    data area without spaces or ``//`` text. Returns None for anything else (the general parser
    then decides, and names what is wrong)."""
    cp_at = text.find(_CP_OPEN)
    if cp_at < 1 or text[cp_at - 1] != ";" or text[-2:] != "&&" or len(text) < cp_at + 7:
        return None
    if " " in text or "//" in text or text.find(",", 0, cp_at) >= 0:
        return None
    if not text.isascii():
        return None
    # One pass over the separators of the whole segment: the header gives "=;" per item, then
    # "CP=" gives "=", then the data area must alternate "=" and ";"/",".
    seps = plain.translate(_SEPARATOR_TABLE, _NOT_SEPARATORS)
    size = 2 * plain.count(b";", 0, cp_at)  # header separators, "=;" per item
    if size >= len(_ALTERNATING) or seps[: size + 1] != _HEADER_SEPARATORS[size]:
        return None
    area_seps = seps[size + 1 :]
    if area_seps and area_seps != _alternating(len(area_seps)):
        return None
    flat = (text[:cp_at] + text[cp_at + 5 : -2]).replace(",", ";").replace("=", ";").split(";")
    names = flat[0:size:2]
    if names == _STANDARD_HEADER:
        pnum = pno = None
    elif names == _SPLIT_HEADER and flat[13].isdigit() and flat[15].isdigit():
        if len(flat[13]) > 4 or len(flat[15]) > 4 or not flat[13].isascii():
            return None
        pnum, pno = int(flat[13]), int(flat[15])
    else:
        return None
    qn, st, cn, pw, mn, flag_text = flat[1:12:2]
    if len(cn) != 4 or not cn.isdigit() or not mn:
        return None
    if len(flag_text) > 3 or not flag_text.isdigit():
        return None
    flag = int(flag_text)
    version = _VERSION_OF_BITS.get(flag >> 2)
    if version is None or (flag & 2) != (0 if pnum is None else 2):
        return None
    if len(qn) != 17 or not qn.isdigit():
        violations.append("qn-format")
    if len(st) != 2 or not _ST_CHARS.issuperset(st):
        violations.append("st-format")
    if version is not _V2005 and (len(mn) != 24 or not _MN_HEX.issuperset(mn)):
        violations.append("mn-format")
    if declared > MAX_STANDARD_CP and len(plain) - cp_at > MAX_STANDARD_CP:
        violations.append("cp-over-950")
    return tuple.__new__(
        Packet,
        (
            qn,
            st,
            cn,
            pw,
            mn,
            flag,
            pnum,
            pno,
            tuple(flat[size:]) if area_seps else (),
            version,
            dialect,
            crc_text.decode("ascii"),
            declared,
            encoding,
            encrypted,
            tuple(flat[:size]),
            tuple(violations),
            frame,
        ),
    )


def _parse_segment(
    text: str,
    plain: bytes,
    frame: bytes,
    declared: int,
    dialect: CrcDialect,
    crc_text: bytes,
    encoding: str,
    encrypted: bool,
    violations: list[str],
    offset: int,
    source: str,
) -> Packet:
    cp_at = text.find("CP=&&")
    if cp_at < 0:
        raise MissingFieldError(
            "no data area: the data segment must contain 'CP=&&…&&'",
            offset=offset + 6,
            field="CP",
            source=source,
            raw=frame,
        )
    if len(text) < cp_at + 7 or text[-2:] != "&&":
        raise FieldSyntaxError(
            "the data area is not closed by '&&' at the end of the data segment",
            offset=offset + 6 + len(plain),
            field="CP",
            source=source,
            raw=frame,
        )
    head = text[:cp_at]
    if head[-1:] == ";":
        head = head[:-1]
    elif head:
        violations.append("missing-separator-before-cp")
    ascii_text = text.isascii()
    head_bytes = plain[: len(head)] if ascii_text else head.encode(encoding, "replace")
    fast = "," not in head and " " not in head and _alternates(head_bytes)
    flat: list[str] = head.replace("=", ";").split(";") if fast else []
    fields = dict(zip(flat[0::2], flat[1::2], strict=True)) if fast else {}
    if not fast or len(fields) * 2 != len(flat) or not _HEADER_KEY_SET.issuperset(fields):
        flat, fields = _parse_header_slowly(head, text, encoding, violations, offset, source, frame)

    def where(name: str) -> int:
        at = text.find(name + "=")
        return offset + 6 + (len(text[: max(at, 0)].encode(encoding, "replace")))

    cn = fields.get("CN")
    mn = fields.get("MN")
    if cn is None:
        raise MissingFieldError(
            "no CN (command code)", offset=offset + 6, field="CN", source=source, raw=frame
        )
    if len(cn) != 4 or not cn.isdigit() or not cn.isascii():
        raise FieldSyntaxError(
            f"CN must be 4 digits (HJ 212-2017 Table 9), got {cn[:20]!r}",
            offset=where("CN"),
            field="CN",
            source=source,
            raw=frame,
        )
    if not mn:
        raise MissingFieldError(
            "no MN (device identifier)", offset=offset + 6, field="MN", source=source, raw=frame
        )
    flag_text = fields.get("Flag")
    flag: int | None = None
    version = Version.V2005
    if flag_text is None:
        violations.append("missing-flag")
    else:
        if not flag_text.isdigit() or not flag_text.isascii() or len(flag_text) > 3:
            raise FieldSyntaxError(
                f"Flag must be an integer 0-255, got {flag_text[:20]!r}",
                offset=where("Flag"),
                field="Flag",
                source=source,
                raw=frame,
            )
        flag = int(flag_text)
        found = _VERSION_OF_BITS.get(flag >> 2) if flag < 256 else None
        if found is None:
            raise UnsupportedVersionError(
                f"Flag={flag} carries version bits {flag >> 2:06b}; known are 000000 "
                "(HJ/T 212-2005), 000001 (HJ 212-2017) and 000010 (HJ 212-2025)"
                if flag < 256
                else f"Flag must be an integer 0-255, got {flag}",
                offset=where("Flag"),
                field="Flag",
                source=source,
                raw=frame,
            )
        version = found
    pnum = pno = None
    if "PNUM" in fields or "PNO" in fields:
        pnum = _optional_int(fields, "PNUM", where, source, frame)
        pno = _optional_int(fields, "PNO", where, source, frame)
    if flag is not None:
        if flag & 2 and (pnum is None or pno is None):
            missing = "PNUM" if pnum is None else "PNO"
            raise MissingFieldError(
                f"Flag={flag} sets D (split packet) but the header has no {missing}",
                offset=offset + 6,
                field=missing,
                source=source,
                raw=frame,
            )
        if not flag & 2 and pnum is not None:
            violations.append("pnum-without-d-flag")
    qn = fields.get("QN")
    if qn is None:
        violations.append("missing-qn")
    elif len(qn) != 17 or not qn.isdigit():
        violations.append("qn-format")
    st = fields.get("ST")
    if st is None:
        violations.append("missing-st")
    elif len(st) != 2 or not _ST_CHARS.issuperset(st):
        violations.append("st-format")
    pw = fields.get("PW")
    if pw is None:
        violations.append("missing-pw")
    if version is not Version.V2005 and (len(mn) != 24 or not _MN_HEX.issuperset(mn)):
        violations.append("mn-format")

    area = text[cp_at + 5 : -2]
    area_bytes = plain[cp_at + 5 : -2] if ascii_text else area.encode(encoding, "replace")
    data = _parse_data_area(area, area_bytes, violations)
    if declared > MAX_STANDARD_CP and len(area_bytes) + 7 > MAX_STANDARD_CP:
        violations.append("cp-over-950")
    return Packet(
        qn,
        st,
        cn,
        pw,
        mn,
        flag,
        pnum,
        pno,
        data,
        version,
        dialect,
        crc_text.decode("ascii"),
        declared,
        encoding,
        encrypted,
        tuple(flat),
        tuple(dict.fromkeys(violations)) if violations else (),
        frame,
    )


def _alternates(separated: bytes) -> bool:
    """Whether the ``=``/``;``/``,`` separators in ``separated`` alternate ``=`` and ``;`` or ``,``
    exactly as ``name=value;name=value`` requires."""
    seps = separated.translate(_SEPARATOR_TABLE, _NOT_SEPARATORS)
    return len(seps) % 2 == 1 and seps == _alternating(len(seps))


def _alternating(size: int) -> bytes:
    """``=;=;…=`` of length ``size`` (empty for an even size, which cannot alternate)."""
    if size < len(_ALTERNATING):
        return _ALTERNATING[size]
    return b"=;" * (size // 2) + b"=" if size % 2 else b""


def _parse_header_slowly(
    head: str,
    text: str,
    encoding: str,
    violations: list[str],
    offset: int,
    source: str,
    frame: bytes,
) -> tuple[list[str], dict[str, str]]:
    """The header with the slips seen in the field: ``,`` for ``;``, ``;,MN=``, ``FLAG=``,
    spaces, unknown or repeated names."""
    if "," in head:
        violations.append("header-comma")
        head = head.replace(",", ";")
    if " " in head:
        violations.append("spaces")
    fields: dict[str, str] = {}
    flat: list[str] = []
    for item in head.split(";"):
        key, sep, value = item.partition("=")
        if not sep:
            if not item.strip():
                violations.append("empty-header-item")
                continue
            at = max(text.find(item), 0)
            raise FieldSyntaxError(
                f"header item {item[:30]!r} has no '='; expected name=value",
                offset=offset + 6 + len(text[:at].encode(encoding, "replace")),
                field=item.strip()[:12],
                source=source,
                raw=frame,
            )
        key, value = key.strip(), value.strip()
        if key not in _HEADER_KEY_SET:
            canonical = _HEADER_KEY_BY_UPPER.get(key.upper())
            if canonical is not None:
                violations.append("header-key-case")
                key = canonical
            else:
                violations.append("unknown-header-field")
        if key in fields:
            violations.append("duplicate-header-field")
            continue
        fields[key] = value
        flat += (key, value)
    return flat, fields


def _optional_int(
    fields: Mapping[str, str],
    name: str,
    where: Callable[[str], int],
    source: str,
    frame: bytes,
) -> int | None:
    value = fields.get(name)
    if value is None:
        return None
    if not value.isdigit() or not value.isascii() or len(value) > 4:
        raise FieldSyntaxError(
            f"{name} must be a number of at most 4 digits, got {value[:20]!r}",
            offset=where(name),
            field=name,
            source=source,
            raw=frame,
        )
    return int(value)


def _parse_data_area(area: str, area_bytes: bytes, violations: list[str]) -> tuple[str, ...]:
    """The data area as flat ``(name, value, …)`` text, in order (HJ 212-2017 §6.3.3)."""
    if not area:
        return ()
    if "//" not in area and " " not in area and _alternates(area_bytes):
        # Fast path: the separators alternate '=' and ';'/',' exactly as the grammar says, so
        # one split yields names and values in turn. (UTF-8 and GBK multi-byte characters never
        # contain the bytes of '=', ';' or ',', so the check can run on the bytes.)
        return tuple(area.replace(",", ";").replace("=", ";").split(";"))
    return _parse_data_area_slowly(area, violations)


_ALTERNATING: Final = tuple(b"=;" * (k // 2) + b"=" if k % 2 else b"" for k in range(512))
#: the separators of a header of k/2 items followed by the '=' of "CP="
_HEADER_SEPARATORS: Final = tuple(b"=;" * (k // 2) + b"=" for k in range(512))


def _parse_data_area_slowly(area: str, violations: list[str]) -> tuple[str, ...]:
    """The general tokenizer: ``//…//`` text values, spaces, stray or doubled separators."""
    flat: list[str] = []
    position = 0
    size = len(area)
    while position < size:
        if area[position] in ";,":
            position += 1
            continue
        equals = area.find("=", position)
        next_sep = _next_separator(area, position)
        if equals < 0 or (next_sep >= 0 and next_sep < equals):
            stop = size if next_sep < 0 else next_sep
            if area[position:stop].strip():
                violations.append("cp-item-without-equals")
            position = stop + 1
            continue
        key = area[position:equals]
        value_start = equals + 1
        if area.startswith("//", value_start):  # HJ 212-2017 C.40: text between '//' and '//'
            close = area.find("//", value_start + 2)
            stop = size if close < 0 else close + 2
            value = area[value_start:stop]
            following = _next_separator(area, stop)
            if area[stop : size if following < 0 else following].strip():
                violations.append("cp-item-without-equals")
        else:
            following = _next_separator(area, value_start)
            value = area[value_start : size if following < 0 else following]
        if key != key.strip() or value != value.strip():
            violations.append("spaces")
            key, value = key.strip(), value.strip()
        flat += (key, value)
        position = size if following < 0 else following + 1
    return tuple(flat)


def _next_separator(text: str, start: int) -> int:
    semicolon = text.find(";", start)
    comma = text.find(",", start)
    if semicolon < 0:
        return comma
    if comma < 0:
        return semicolon
    return min(semicolon, comma)


def decode_segment(
    text: str,
    plain: bytes,
    frame: bytes,
    declared: int,
    dialect: CrcDialect,
    crc_text: bytes,
    encoding: str,
    encrypted: bool,
    violations: list[str],
    offset: int,
    source: str,
) -> Packet:
    """The :class:`Packet` of a checked data segment (``text``, decoded from ``plain`` bytes).

    The other arguments describe the frame it came from and are recorded in the packet;
    ``violations`` already found by the framer are kept; ``offset`` and ``source`` locate errors.
    """
    fast = parse_standard_segment(
        text, plain, frame, declared, dialect, crc_text, encoding, encrypted, violations
    )
    if fast is not None:
        return fast
    return _parse_segment(
        text,
        plain,
        frame,
        declared,
        dialect,
        crc_text,
        encoding,
        encrypted,
        violations,
        offset,
        source,
    )
