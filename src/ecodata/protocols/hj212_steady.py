"""The steady lane of the gateway: reads whose frames repeat one device's header and data layout.

A data logger sends the same header (ST, CN, PW, MN, Flag) and the same data layout packet after
packet; only the QN and the values change. Once the gateway has accepted a packet of a connection,
later reads of that connection made of such frames need neither the checks nor the plan worked
out again: :func:`steady_frames` returns the QN and the fields (``Packet.fields``) of each frame,
and :func:`data_answers` the 9014 answers to them — both in C when the extension is built.

The pure-Python functions here are the reference the C code is tested against: a frame is in the
lane when :func:`~ecodata.protocols.hj212_frame.fast_lane` decodes it without a deviation other
than the formats of ST and MN (which belong to the header, accepted already), it ends in CR LF,
its header after the 17-digit QN is the lane's, and its data-area names are the lane's, in order.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecodata.protocols.hj212_build import standard_frame
from ecodata.protocols.hj212_crc import CrcDialect
from ecodata.protocols.hj212_frame import fast_lane
from ecodata.protocols.hj212_packet import Packet
from ecodata.protocols.hj212_replies import reply_for

__all__ = ["Lane", "data_answers", "lane_of", "steady_frames"]

#: Deviations (``Packet.violations``) that depend on the header alone.
_HEADER_DEVIATIONS = frozenset({"st-format", "mn-format"})
_QN_END = 20  # b"QN=" and 17 digits (HJ 212-2017 §6.3.2 Table 3)

#: (QN, fields) of each frame of a read.
Frames = list[tuple[bytes, tuple[str, ...]]]


@dataclass(frozen=True, slots=True)
class Lane:
    """What the frames of a steady connection repeat."""

    head: bytes  # the data segment between the QN and "CP=&&": b";ST=…;CN=…;PW=…;MN=…;Flag=…;"
    names: tuple[str, ...]  # the names of the data area (``Packet.fields[0::2]``)
    tail: bytes | None  # the 9014 answer's data segment after its QN; None: no answer


def lane_of(packet: Packet) -> Lane | None:
    """The lane of packets like ``packet`` — one the C fast lane decodes, with a 17-digit QN,
    a data area, and a 9014 answer or none; None for any other packet."""
    raw = packet.raw
    if (
        packet.crc_dialect is not CrcDialect.STANDARD
        or packet.encrypted
        or not packet.fields
        or packet.qn is None
        or packet.pnum is not None
        or not raw.endswith(b"\r\n")
    ):
        return None
    segment = raw[6:-6]
    cp_at = segment.find(b"CP=&&")
    lane_names = packet.fields[0::2]
    head = segment[_QN_END:cp_at]
    if cp_at < _QN_END or not all(name.isascii() for name in lane_names):
        return None
    answer = reply_for(packet)
    tail = None
    if answer is not None:
        answer_segment = answer[6:-6]
        if not answer_segment.startswith(b"QN=" + packet.qn.encode()) or b";CN=9014;" not in answer:
            return None
        tail = answer_segment[_QN_END:]
    lane = Lane(head, lane_names, tail)
    if steady_frames(raw, head, lane_names) is None:
        return None
    return lane


def steady_frames_python(data: bytes, head: bytes, names: tuple[str, ...]) -> Frames | None:
    """(QN, fields) of each frame of ``data`` when every frame is in the lane of ``head`` and
    ``names``; None otherwise (the reference of the C ``steady_frames``)."""
    if not names or not data:
        return None
    frames: Frames = []
    at = 0
    while at < len(data):
        length = data[at + 2 : at + 6]
        if data[at : at + 2] != b"##" or len(length) != 4 or not length.isdigit():
            return None
        end = at + 6 + int(length) + 6
        frame = data[at:end]
        if end > len(data) or frame[-2:] != b"\r\n":
            return None
        packet = fast_lane(frame)
        segment = frame[6:-6]
        if (
            packet is None
            or not _HEADER_DEVIATIONS.issuperset(packet.violations)
            or segment[_QN_END : _QN_END + len(head)] != head
            or segment[_QN_END + len(head) : _QN_END + len(head) + 5] != b"CP=&&"
            or packet.fields[0::2] != names
        ):
            return None
        frames.append((segment[3:_QN_END], packet.fields))
        at = end
    return frames


def data_answers_python(qns: list[bytes], tail: bytes) -> bytes:
    """The 9014 answers to packets with QNs ``qns``, joined (the reference of the C code)."""
    return b"".join(standard_frame(b"QN=" + qn + tail) for qn in qns)


try:
    from ecodata.protocols._hj212_speedups import data_answers, steady_frames
except ImportError:  # pragma: no cover - a build without the C extension
    steady_frames = steady_frames_python
    data_answers = data_answers_python
