"""C fast lane of :func:`ecodata.protocols.hj212_frame.parse_packet`, the HJ 212 CRC, plain
numbers of readings and the gateway's steady lane (:mod:`ecodata.protocols.hj212_steady`;
``_hj212_speedups.c``)."""

from ecodata.protocols.hj212_crc import CrcDialect
from ecodata.protocols.hj212_packet import Packet, Version

def configure(
    packet_class: type[Packet],
    versions: tuple[Version, Version, Version],
    standard_dialect: CrcDialect,
    max_length: int,
    max_cp: int,
    /,
) -> None: ...
def parse_fast(frame: bytes, /) -> Packet | None: ...
def crc16(data: bytes, /) -> int: ...
def plain_numbers(texts: tuple[str, ...], /) -> list[float | None] | None: ...
def steady_frames(
    data: bytes, head: bytes, names: tuple[str, ...], /
) -> list[tuple[bytes, tuple[str, ...]]] | None: ...
def data_answers(qns: list[bytes], tail: bytes, /) -> bytes: ...
