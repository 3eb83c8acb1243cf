"""Answers to HJ 212 packets (HJ 212-2017 §6.5, Appendix C). Pure: packets in, bytes out.

* 9014 数据应答 — the centre answers an upload whose Flag sets A (C.14-C.29, C.48, C.50);
* 9013 通知应答 — the receiver of a notification answers it (C.4 time-calibration request, C.11
  and C.13 stop commands; the HJ 212-2025 heartbeat 9015);
* 9011 请求应答 / 9012 执行结果 — the field answers a centre request (C.1-C.46).

Every answer echoes the QN, PW and MN of the packet it answers, uses ``ST=91`` (Table 5: system
interaction) and ``Flag`` with the packet's version bits and neither A nor D (Appendix C uses
``Flag=4`` for all answers). A packet without QN or Flag (HJ/T 212-2005 style) gets an answer
without them. The answer carries its CRC in the dialect the packet used, so that a device that
checks its own (non-standard) CRC accepts it.
"""

from __future__ import annotations

from ecodata.protocols.hj212_build import assemble_frame, standard_frame
from ecodata.protocols.hj212_codes import COMMANDS
from ecodata.protocols.hj212_crc import CrcDialect
from ecodata.protocols.hj212_packet import Packet, Version

__all__ = [
    "data_reply",
    "execution_reply",
    "heartbeat",
    "notification_reply",
    "reply_for",
    "request_reply",
]

#: Answers, which are never answered themselves.
_ANSWERS = frozenset({"9011", "9012", "9013", "9014"})


def _answer(packet: Packet, cn: str, area: str) -> bytes:
    if not area and packet.crc_dialect is CrcDialect.STANDARD:
        return _plain_answer(packet, cn)
    header: list[tuple[str, str]] = []
    if packet.qn is not None:
        header.append(("QN", packet.qn))
    header.append(("ST", "91"))
    header.append(("CN", cn))
    if packet.pw is not None:
        header.append(("PW", packet.pw))
    header.append(("MN", packet.mn))
    if packet.flag is not None:
        header.append(("Flag", str(packet.flag & 0xFC)))
    return assemble_frame(header, area, encoding=packet.encoding, dialect=packet.crc_dialect)


def _plain_answer(packet: Packet, cn: str) -> bytes:
    """The common answer (empty data area, standard CRC) without re-checking the echoed fields,
    which come from a packet the parser accepted; same bytes as :func:`assemble_frame`."""
    qn, pw, flag = packet.qn, packet.pw, packet.flag
    segment = (
        f"{'' if qn is None else f'QN={qn};'}ST=91;CN={cn};{'' if pw is None else f'PW={pw};'}"
        f"MN={packet.mn};{'' if flag is None else f'Flag={flag & 0xFC};'}CP=&&&&"
    ).encode(packet.encoding)
    return standard_frame(segment)


def data_reply(packet: Packet) -> bytes:
    """CN 9014 数据应答 to an upload (HJ 212-2017 C.14: ``ST=91;CN=9014;…;Flag=4;CP=&&&&``)."""
    return _answer(packet, "9014", "")


def notification_reply(packet: Packet) -> bytes:
    """CN 9013 通知应答 to a notification (C.4, C.11) or an HJ 212-2025 heartbeat 9015."""
    return _answer(packet, "9013", "")


def request_reply(packet: Packet, qn_rtn: int = 1) -> bytes:
    """CN 9011 请求应答 of the field to a centre request; ``QnRtn`` per Table 7 (1 = ready)."""
    return _answer(packet, "9011", f"QnRtn={qn_rtn}")


def execution_reply(packet: Packet, exe_rtn: int = 1) -> bytes:
    """CN 9012 执行结果 of the field after a centre request; ``ExeRtn`` per Table 6 (1 = done)."""
    return _answer(packet, "9012", f"ExeRtn={exe_rtn}")


def heartbeat(
    mn: str,
    pw: str,
    *,
    qn: str | None,
    st: str = "31",
    version: Version | str = Version.V2025,
    ack: bool = True,
    dialect: CrcDialect = CrcDialect.STANDARD,
) -> bytes:
    """CN 9015 heartbeat of a field device (HJ 212-2025; unverified against the official text),
    answered by the centre with 9013."""
    flag = (Version(version).bits << 2) | (1 if ack else 0)
    header = [("ST", st), ("CN", "9015"), ("PW", pw), ("MN", mn), ("Flag", str(flag))]
    if qn is not None:
        header.insert(0, ("QN", qn))
    return assemble_frame(header, "", dialect=dialect)


def reply_for(packet: Packet) -> bytes | None:
    """What a monitoring centre sends back for ``packet``, or None.

    * notifications from the field (1013, 2025's 1001/1014 and 9015 heartbeat) → 9013;
    * uploads (data 2011/2051/2061/2031…, 2081, 3019, 3020 …) and commands this codec does not
      know, when Flag sets A — or when there is no Flag at all, as many centres answer
      HJ/T 212-2005 devices → 9014;
    * answers (9011-9014), centre requests, and uploads with A = 0 → nothing.
    """
    if packet.cn in _ANSWERS:
        return None
    command = COMMANDS.get(packet.cn)
    kind = command.kind if command is not None else "upload"
    if kind == "notification":
        return notification_reply(packet)
    if kind != "upload":
        return None
    if packet.flag is None or packet.flag & 1:
        return data_reply(packet)
    return None
