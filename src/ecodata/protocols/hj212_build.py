"""Building HJ 212 packets: fields → bytes (HJ 212-2017 §6.3). Pure, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from ecodata.protocols.hj212_crc import CrcDialect, crc16, crc_for_dialect, format_crc
from ecodata.protocols.hj212_errors import EncodingError, FieldSyntaxError, LengthError
from ecodata.protocols.hj212_packet import MAX_STANDARD_CP, MAX_STANDARD_LENGTH, Version
from ecodata.protocols.hj212_sm4 import encrypt_data_area

__all__ = ["assemble_frame", "build_packet", "build_split_packets", "format_data_area"]

_FORBIDDEN_IN_NAME: Final = frozenset(";,=& \r\n")
_FORBIDDEN_IN_VALUE: Final = frozenset(";,=\r\n")


def _check_value(name: str, value: str, *, is_name: bool = False) -> None:
    forbidden = _FORBIDDEN_IN_NAME if is_name else _FORBIDDEN_IN_VALUE
    if is_name and not value:
        raise FieldSyntaxError("a field name cannot be empty", field=name)
    if value.startswith("//") and value.endswith("//") and len(value) >= 4 and not is_name:
        if "//" in value[2:-2] or "&&" in value:
            raise FieldSyntaxError(f"text value of {name} cannot contain '//' or '&&'", field=name)
        return
    bad = sorted(forbidden.intersection(value)) + (["&&"] if "&&" in value else [])
    if bad:
        what = "name" if is_name else "value"
        raise FieldSyntaxError(
            f"the {what} {value[:30]!r} of {name} contains {', '.join(map(repr, bad))}, which "
            "the HJ 212 grammar reserves",
            field=name,
        )


def format_data_area(items: Iterable[tuple[str, str]] | Mapping[str, str]) -> str:
    """The data-area text of ``items``: categories of one item (same code before ``-``) joined by
    ``,``, different items by ``;`` (HJ 212-2017 §6.3.3.1)."""
    pairs = list(items.items()) if isinstance(items, Mapping) else list(items)
    out: list[str] = []
    previous_code: str | None = None
    for key, given in pairs:
        value = str(given)
        _check_value(key, key, is_name=True)
        _check_value(key, value)
        code, dash, _ = key.partition("-")
        if out:
            out.append("," if dash and code == previous_code else ";")
        out.append(f"{key}={value}")
        previous_code = code if dash else None
    return "".join(out)


def build_packet(
    cn: str,
    mn: str,
    *,
    pw: str | None = "123456",
    st: str | None = "32",
    qn: str | None = None,
    version: Version | str = Version.V2017,
    ack: bool = False,
    flag: int | None = None,
    include_flag: bool = True,
    pnum: int | None = None,
    pno: int | None = None,
    rf: bool = False,
    cp: Iterable[tuple[str, str]] | Mapping[str, str] | str = (),
    sm4_key: bytes | None = None,
    sm4_length: str = "plaintext",
    encoding: str = "utf-8",
    crc_dialect: CrcDialect | str = CrcDialect.STANDARD,
) -> bytes:
    """Encode one packet, CR LF included.

    ``flag`` defaults to version bits + D (when ``pnum``/``pno`` are given) + A (``ack``);
    ``include_flag=False`` leaves Flag out (2005 style). ``cp`` is a sequence of (field, value),
    a mapping, or ready data-area text. With ``sm4_key`` the data area is SM4-encrypted
    (HJ 212-2025); the length field then counts the plaintext segment (``sm4_length="plaintext"``,
    as the 2025 examples are reported to do) or the transmitted one (``"transmitted"``).
    """
    version = Version(version)
    if flag is None:
        flag = (version.bits << 2) | (2 if pnum is not None else 0) | (1 if ack else 0)
    header: list[tuple[str, str]] = []
    if qn is not None:
        header.append(("QN", qn))
    if st is not None:
        header.append(("ST", st))
    header.append(("CN", cn))
    if pw is not None:
        header.append(("PW", pw))
    header.append(("MN", mn))
    if include_flag:
        header.append(("Flag", str(flag)))
    if pnum is not None or pno is not None:
        header.append(("PNUM", str(pnum if pnum is not None else 1)))
        header.append(("PNO", str(pno if pno is not None else 1)))
    if rf:
        header.append(("RF", "1"))
    area = cp if isinstance(cp, str) else format_data_area(cp)
    return assemble_frame(header, area, sm4_key, sm4_length, encoding, CrcDialect(crc_dialect))


def assemble_frame(
    header: Iterable[tuple[str, str]],
    area: str,
    sm4_key: bytes | None = None,
    sm4_length: str = "plaintext",
    encoding: str = "utf-8",
    dialect: CrcDialect = CrcDialect.STANDARD,
) -> bytes:
    """A frame from header fields (in the order given) and data-area text, CR LF included."""
    header = list(header)
    for key, value in header:
        _check_value(key, value)
    head = "".join(f"{key}={value};" for key, value in header)
    try:
        plain_area = area.encode(encoding)
        head_bytes = head.encode(encoding)
    except UnicodeEncodeError as exc:
        raise EncodingError(f"the packet text cannot be written in {encoding}: {exc}") from None
    plain = head_bytes + b"CP=&&" + plain_area + b"&&"
    segment = plain
    if sm4_key is not None:
        segment = head_bytes + b"CP=&&" + encrypt_data_area(plain_area, sm4_key) + b"&&"
    counted = plain if sm4_length == "plaintext" else segment
    if len(counted) > 9999:
        raise LengthError(
            f"the data segment holds {len(counted)} bytes; the 4-digit length field allows 9999 "
            "(split the data area with build_split_packets)",
            field="length",
        )
    crc = format_crc(crc_for_dialect(plain, dialect), dialect)
    return b"##%04d" % len(counted) + segment + crc + b"\r\n"


def standard_frame(segment: bytes) -> bytes:
    """The frame of a plain data segment of at most 9999 bytes with the standard CRC (HJ 212-2017
    §6.3.2 Table 2, Appendix A): ``##``, the length, the segment, the CRC in upper-case hex and
    CR LF."""
    return b"##%04d%s%04X\r\n" % (len(segment), segment, crc16(segment))


def build_split_packets(
    cn: str,
    mn: str,
    *,
    cp: Iterable[tuple[str, str]] | Mapping[str, str],
    qn: str | None = None,
    max_segment: int = MAX_STANDARD_LENGTH,
    max_cp: int = MAX_STANDARD_CP,
    **options: Any,
) -> list[bytes]:
    """Encode a data area too long for one packet as sub-packets (HJ 212-2017 C.49/C.50), each
    within the standard's limits (data segment ≤ 1024 bytes, ``CP=&&…&&`` ≤ 950 bytes).

    Each sub-packet repeats the leading fields without a code (``DataTime`` …), keeps the
    categories of one item together, and gets its own QN (the previous one plus 1 ms, as in
    Appendix C). Options are those of :func:`build_packet`.
    """
    pairs = list(cp.items()) if isinstance(cp, Mapping) else list(cp)
    common: list[tuple[str, str]] = []
    while len(common) < len(pairs) and "-" not in pairs[len(common)][0]:
        common.append(pairs[len(common)])
    groups: list[list[tuple[str, str]]] = []
    for key, value in pairs[len(common) :]:
        code = key.partition("-")[0]
        if groups and groups[-1][0][0].partition("-")[0] == code:
            groups[-1].append((key, value))
        else:
            groups.append([(key, value)])
    encoding = str(options.get("encoding", "utf-8"))
    # the header of a sub-packet at its widest: the QN and PNUM/PNO of the last part
    header = len(build_packet(cn, mn, qn=qn, pnum=9999, pno=9999, cp="", **options)) - 12 - 7

    def fits(items: list[tuple[str, str]]) -> bool:
        area = len(format_data_area(common + items).encode(encoding)) + 7  # CP=&& … &&
        return area <= max_cp and header + area <= max_segment

    chunks: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for group in groups:
        trial = current + group
        if current and not fits(trial):
            chunks.append(current)
            current = list(group)
        else:
            current = trial
    chunks.append(current)
    if len(chunks) == 1:
        return [build_packet(cn, mn, cp=common + chunks[0], qn=qn, **options)]
    return [
        build_packet(
            cn,
            mn,
            cp=common + chunk,
            qn=_next_qn(qn, number - 1),
            pnum=len(chunks),
            pno=number,
            **options,
        )
        for number, chunk in enumerate(chunks, start=1)
    ]


def _next_qn(qn: str | None, step: int) -> str | None:
    if qn is None or step == 0:
        return qn
    try:
        moment = datetime.strptime(qn[:14], "%Y%m%d%H%M%S") + timedelta(milliseconds=int(qn[14:]))
    except ValueError:
        return qn
    moment += timedelta(milliseconds=step)
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"
