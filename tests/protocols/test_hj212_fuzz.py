"""Random and mutated input never raises anything but the codec's own errors."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from hj212_strategies import mutate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecodata.model import CHINA_TZ
from ecodata.protocols.hj212 import (
    ALL_DIALECTS,
    Hj212Error,
    Packet,
    StreamDecoder,
    SubpacketAssembler,
    build_packet,
    crc16_bitwise,
    parse_packet,
    records,
    reply_for,
    simulated_packet,
)
from ecodata.protocols.hj212_decode import decode_lines

MN = "010000A8900016F000169DC0"
AT = datetime(2024, 6, 1, 12, 0, tzinfo=CHINA_TZ)
KEY = b"K" * 16

SEEDS = [
    simulated_packet(MN, "123456", "cems", AT, 1),
    simulated_packet(MN, "123456", "wastewater", AT, 2, cn="2061"),
    simulated_packet(MN, "123456", "cems", AT, 3, "2005"),
    simulated_packet(MN, "123456", "wastewater", AT, 4, "2025", sm4_key=KEY),
    build_packet("3020", MN, cp=[("DataTime", "20100301145000"), ("i11001-Info", "//清洗管路//")]),
    build_packet("2061", MN, flag=7, pnum=2, pno=1, cp=[("DataTime", "20160801080000")]),
]


def use(packet: Packet) -> None:
    """Everything a gateway does with a decoded packet."""
    with suppress(Hj212Error):
        records(packet)
    reply_for(packet)
    with suppress(Hj212Error):
        SubpacketAssembler().add(packet, now=0.0)


def refit(frame: bytes) -> bytes:
    """Give a mutated frame a consistent length and CRC, so the mutation reaches the parser."""
    segment = frame[6:-6] if frame.endswith(b"\r\n") else frame[6:-4]
    return b"##%04d" % (len(segment) % 10000) + segment + b"%04X\r\n" % crc16_bitwise(segment)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    for candidate in (data, b"##" + data, b"##%04d" % len(data) + data):
        with suppress(Hj212Error):
            use(parse_packet(candidate, crc_dialects=ALL_DIALECTS, sm4_key=KEY))


mutation = st.tuples(
    st.sampled_from(["replace", "insert", "delete"]),
    st.integers(min_value=0, max_value=2000),
    st.binary(min_size=1, max_size=4)
    | st.sampled_from([b";", b",", b"=", b"&&", b"-", b"//", b" ", b"\r\n", b"##", b"{0x", b"}"]),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), edits=st.lists(mutation, min_size=1, max_size=6))
def test_mutated_packets(seed: bytes, edits: list[tuple[str, int, bytes]]) -> None:
    broken = mutate(seed, edits)
    for candidate in (broken, refit(broken)):
        with suppress(Hj212Error):
            use(parse_packet(candidate, crc_dialects=ALL_DIALECTS, sm4_key=KEY))


@settings(max_examples=150, deadline=None)
@given(
    edits=st.lists(mutation, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=10),
)
def test_mutated_streams(edits: list[tuple[str, int, bytes]], cuts: list[int]) -> None:
    stream = mutate(b"".join(SEEDS), edits)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    decoder = StreamDecoder(crc_dialects=ALL_DIALECTS, sm4_key=KEY)
    events: list[Packet | Hj212Error] = []
    for a, b in zip([0, *points], [*points, len(stream)], strict=True):
        events += decoder.feed(stream[a:b])
    events += decoder.close()
    for event in events:
        assert isinstance(event, (Packet, Hj212Error))
        if isinstance(event, Packet):
            use(event)
    assert decoder.buffered == 0


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=800))
def test_decode_lines_never_fails(data: bytes) -> None:
    for result in decode_lines(data + b"\n" + SEEDS[0]):
        assert isinstance(result["ok"], bool)
