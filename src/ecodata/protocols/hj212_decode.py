"""The JSON objects of ``ecodata hj212 decode``: one per packet, from the gateway's own parser.

Input is either one packet per line (lines not starting with ``##`` are skipped when they start
with ``#``, and text after a tab is ignored, so annotated sample files decode as they are) or a
raw byte stream (a capture), framed by :class:`~ecodata.protocols.hj212.StreamDecoder`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ecodata.protocols.hj212 import StreamDecoder
from ecodata.protocols.hj212_errors import Hj212Error
from ecodata.protocols.hj212_frame import parse_packet
from ecodata.protocols.hj212_packet import ALL_DIALECTS, Packet
from ecodata.protocols.hj212_records import coded_values

__all__ = ["decode_lines", "packet_json", "peek_header"]

_HEADER_NAMES = ("QN", "ST", "CN", "PW", "MN", "Flag")


def peek_header(frame: bytes) -> dict[str, str]:
    """Header fields read from a frame that failed to decode, as far as they can be read (for
    error reports: which device sent it). Never raises."""
    text = frame[6:].decode("utf-8", "replace")
    head = text.split("CP=", 1)[0].replace(",", ";")
    found: dict[str, str] = {}
    for item in head.split(";"):
        name, sep, value = item.partition("=")
        name = name.strip()
        for known in _HEADER_NAMES:
            if sep and name.upper() == known.upper() and known not in found:
                found[known] = value.strip()
    return found


def _number_or_text(raw: str) -> float | str:
    try:
        return float(raw)
    except ValueError:
        return raw


def packet_json(packet: Packet) -> dict[str, Any]:
    """The JSON object of a decoded packet."""
    items = coded_values(packet)
    values = []
    for item in items:
        entry: dict[str, Any] = {
            "code": item.code,
            "field": item.field,
            "value": _number_or_text(item.raw),
            "flag": item.flag,
        }
        if item.original_code != item.code:
            entry["original_code"] = item.original_code
        values.append(entry)
    return {
        "ok": True,
        "error": None,
        "crc_dialect": packet.crc_dialect.value,
        "version": packet.version.value,
        "qn": packet.qn,
        "st": packet.st,
        "cn": packet.cn,
        "pw": packet.pw,
        "mn": packet.mn,
        "flag": packet.flag,
        "pnum": packet.pnum,
        "pno": packet.pno,
        "length": packet.length,
        "encrypted": packet.encrypted,
        "violations": list(packet.violations),
        "fields": {
            name: value
            for name, value in zip(packet.fields[0::2], packet.fields[1::2], strict=True)
            if "-" not in name
        },
        "values": values,
        "unknown_codes": sorted({item.code for item in items if not item.known_code}),
    }


def _error_json(error: Hj212Error) -> dict[str, Any]:
    header = peek_header(error.frame) if error.frame.startswith(b"##") else {}
    flag = header.get("Flag", "")
    return {
        "ok": False,
        "error": error.reason,
        "error_kind": error.kind,
        "offset": error.offset,
        "field": error.field,
        "crc_dialect": None,
        "version": None,
        "qn": header.get("QN"),
        "st": header.get("ST"),
        "cn": header.get("CN"),
        "pw": header.get("PW"),
        "mn": header.get("MN"),
        "flag": int(flag) if flag.isdigit() and flag.isascii() else None,
        "values": [],
    }


def _is_line_input(lines: list[bytes]) -> bool:
    meaningful = [line.strip() for line in lines if line.strip()]
    meaningful = [
        line for line in meaningful if line.startswith(b"##") or not line.startswith(b"#")
    ]
    return bool(meaningful) and all(line.startswith(b"##") for line in meaningful)


def decode_lines(
    data: bytes,
    *,
    crc_dialects: Iterable[str] = ALL_DIALECTS,
    sm4_key: bytes | None = None,
    encoding: str | None = None,
    source: str = "",
) -> Iterator[dict[str, Any]]:
    """One JSON-ready dict per packet in ``data`` (see the module doc for the input forms).

    Every CRC dialect is accepted by default — this is a diagnostic tool, and ``crc_dialect``
    says which one each packet used; pass ``crc_dialects`` to check as the gateway would.
    With line input each dict carries its ``line``; errors carry the byte ``offset``.
    """
    dialects = frozenset(crc_dialects)
    lines = data.splitlines()
    if _is_line_input(lines):
        for number, line in enumerate(lines, start=1):
            frame = line.split(b"\t", 1)[0].strip()
            if not frame.startswith(b"##"):
                continue
            try:
                packet = parse_packet(
                    frame, crc_dialects=dialects, sm4_key=sm4_key, encoding=encoding, source=source
                )
                result = packet_json(packet)
            except Hj212Error as exc:
                result = _error_json(exc)
            result["line"] = number
            yield result
        return
    decoder = StreamDecoder(
        crc_dialects=dialects, sm4_key=sm4_key, encoding=encoding, source=source
    )
    events = decoder.feed(data) + decoder.close()
    for event in events:
        yield packet_json(event) if isinstance(event, Packet) else _error_json(event)
