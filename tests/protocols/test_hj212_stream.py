"""Framing a byte stream: packets split across reads, several per read, junk, resync, truncation."""

from __future__ import annotations

from datetime import datetime

import pytest
from hj212_sample_files import Sample
from hypothesis import given, settings
from hypothesis import strategies as st

from ecodata.model import CHINA_TZ
from ecodata.protocols.hj212 import (
    ALL_DIALECTS,
    CrcError,
    FramingError,
    Hj212Error,
    LengthError,
    Packet,
    StreamDecoder,
    TruncatedError,
    build_packet,
    crc16_bitwise,
    simulated_packet,
)

MN = "010000A8900016F000169DC0"


def feed_all(decoder: StreamDecoder, chunks: list[bytes]) -> list[Packet | Hj212Error]:
    events: list[Packet | Hj212Error] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.close()


def kinds(events: list[Packet | Hj212Error]) -> list[str]:
    return [e.cn if isinstance(e, Packet) else type(e).__name__ for e in events]


def frames(events: list[Packet | Hj212Error]) -> list[bytes]:
    """The frames decoded, without CR LF (a packet is decoded as soon as its CRC has arrived,
    so whether its CR LF is part of ``raw`` depends on the read boundaries)."""
    return [e.raw.rstrip(b"\r\n") for e in events if isinstance(e, Packet)]


@pytest.fixture
def stream(standard_vectors: list[Sample]) -> bytes:
    return b"".join(v.frame for v in standard_vectors)


def test_one_read_with_many_packets(stream: bytes, standard_vectors: list[Sample]) -> None:
    events = feed_all(StreamDecoder(), [stream])
    assert all(isinstance(e, Packet) for e in events)
    assert [e.raw for e in events if isinstance(e, Packet)] == [v.frame for v in standard_vectors]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64, 100, 1000])
def test_packets_split_across_reads(
    stream: bytes, standard_vectors: list[Sample], size: int
) -> None:
    decoder = StreamDecoder()
    chunks = [stream[i : i + size] for i in range(0, len(stream), size)]
    events = feed_all(decoder, chunks)
    assert frames(events) == [v.frame[:-2] for v in standard_vectors]
    assert len(events) == len(standard_vectors)
    assert decoder.buffered == 0
    assert decoder.position == len(stream)


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=30))
def test_random_read_boundaries_do_not_matter(cuts: list[int]) -> None:
    at = datetime(2024, 6, 1, 12, 0, tzinfo=CHINA_TZ)
    packets = [simulated_packet(MN, "123456", "cems", at, n) for n in range(8)]
    stream = b"\x00junk".join(packets)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    whole = feed_all(StreamDecoder(), [stream])
    pieces = feed_all(StreamDecoder(), chunks)
    assert kinds(pieces) == kinds(whole)
    assert frames(pieces) == [p[:-2] for p in packets]


def test_junk_between_packets_is_reported_and_skipped(standard_vectors: list[Sample]) -> None:
    a, b = standard_vectors[0].frame, standard_vectors[1].frame
    events = feed_all(StreamDecoder(), [b"GARBAGE" + a + b"\r\n\r\n  **" + b + b"tail"])
    assert kinds(events) == ["FramingError", "1000", "9011", "FramingError"]
    first = events[0]
    assert isinstance(first, FramingError) and first.offset == 0
    last = events[-1]
    assert isinstance(last, FramingError) and last.offset == 7 + len(a) + 8 + len(b)


def test_resync_after_a_false_header(standard_vectors: list[Sample]) -> None:
    a = standard_vectors[0].frame
    events = feed_all(StreamDecoder(), [b"##ab" + a, b"###" + a, b"##" + a])
    assert kinds(events) == ["FramingError", "1000", "FramingError", "1000", "FramingError", "1000"]
    assert [e.offset for e in events if isinstance(e, FramingError)] == [
        0,
        4 + len(a),
        4 + len(a) + 3 + len(a),
    ]


def test_a_bad_crc_does_not_lose_the_next_packet(standard_vectors: list[Sample]) -> None:
    good = standard_vectors[0].frame
    bad = good[:-6] + b"0000\r\n"
    events = feed_all(StreamDecoder(), [bad + good])
    assert kinds(events) == ["CrcError", "1000"]
    error = events[0]
    assert isinstance(error, CrcError) and error.offset == len(good) - 6


def test_a_wrong_length_is_reported_and_the_stream_goes_on(
    public_samples: list[Sample], standard_vectors: list[Sample]
) -> None:
    too_short = public_samples[2].frame  # declares 428 bytes, holds 431
    good = standard_vectors[0].frame
    events = feed_all(StreamDecoder(crc_dialects=ALL_DIALECTS), [too_short + good])
    assert kinds(events) == ["LengthError", "1000"]


def test_a_header_claiming_too_much_does_not_swallow_later_packets(
    standard_vectors: list[Sample],
) -> None:
    a, b = standard_vectors[0].frame, standard_vectors[1].frame
    decoder = StreamDecoder()
    events = decoder.feed(b"##9000xyz\r\n" + a + b)
    assert kinds(events) == ["TruncatedError", "1000", "9011"]
    assert "declares a 9000-byte data segment" in str(events[0])
    assert decoder.buffered == 0


def test_a_header_claiming_too_much_at_the_end_of_the_stream(
    standard_vectors: list[Sample],
) -> None:
    a = standard_vectors[0].frame
    events = feed_all(StreamDecoder(), [b"##0900" + a])
    assert kinds(events) == ["TruncatedError", "1000"]


def test_truncated_packet_at_end_of_stream(standard_vectors: list[Sample]) -> None:
    a = standard_vectors[0].frame
    decoder = StreamDecoder(source="peer")
    assert decoder.feed(a + a[:50]) != []
    assert decoder.buffered == 50
    rest = decoder.close()
    assert len(rest) == 1
    error = rest[0]
    assert isinstance(error, TruncatedError)
    assert error.offset == len(a)
    assert "50 bytes into a packet" in error.reason and "117 bytes" in error.reason
    assert decoder.buffered == 0


@pytest.mark.parametrize("tail", [b"#", b"##", b"##01"])
def test_stream_ending_inside_a_header(tail: bytes) -> None:
    events = feed_all(StreamDecoder(), [b"x" * 3, tail])
    assert isinstance(events[-1], (TruncatedError, FramingError))


def test_packets_without_crlf_back_to_back(standard_vectors: list[Sample]) -> None:
    frames = [v.frame[:-2] for v in standard_vectors]
    events = feed_all(StreamDecoder(), [b"".join(frames)])
    assert [e.raw for e in events if isinstance(e, Packet)] == frames


def test_length_counted_in_characters_is_recovered_from_the_line() -> None:
    segment = (
        f"QN=20160801085857223;ST=32;CN=3020;PW=123456;MN={MN};Flag=5;"
        "CP=&&DataTime=20100301145000;PolId=w01018;i11001-Info=//清洗管路//&&"
    )
    data = segment.encode()
    wrong = b"##%04d" % len(segment) + data + b"%04X\r\n" % crc16_bitwise(data)
    decoder = StreamDecoder()
    events = decoder.feed(wrong[:100]) + decoder.feed(wrong[100:]) + decoder.close()
    assert kinds(events) == ["3020"]
    packet = events[0]
    assert isinstance(packet, Packet) and "length-counts-characters" in packet.violations


def test_encrypted_2025_frames_with_the_plaintext_length() -> None:
    key = bytes(range(16))
    at = datetime(2026, 1, 5, 9, 30, tzinfo=CHINA_TZ)
    frames = [
        simulated_packet(MN, "123456", "wastewater", at, n, "2025", sm4_key=key) for n in (1, 2)
    ]
    decoder = StreamDecoder(sm4_key=key)
    events = feed_all(decoder, [frames[0] + frames[1][:80], frames[1][80:]])
    assert kinds(events) == ["2011", "2011"]
    assert all(isinstance(e, Packet) and e.encrypted for e in events)


def test_junk_without_packets_is_not_kept() -> None:
    decoder = StreamDecoder()
    assert decoder.feed(b"x" * 100_000) == []
    assert decoder.buffered == 0
    assert decoder.feed(b"abc#") == []
    assert decoder.buffered == 1  # a lone '#' may start the next header
    events = decoder.close()
    assert len(events) == 1
    error = events[0]
    assert isinstance(error, FramingError)
    assert (error.offset, error.reason.split()[0]) == (0, "100004")


def test_quiet_junk_is_not_an_error(standard_vectors: list[Sample]) -> None:
    a = standard_vectors[0].frame
    assert kinds(feed_all(StreamDecoder(), [b"\r\n " + a + b"**\r\n" + a])) == ["1000", "1000"]


def test_errors_carry_stream_offsets(standard_vectors: list[Sample]) -> None:
    good = standard_vectors[0].frame
    bad = good.replace(b"CN=1000", b"CN=10x0")
    segment = bad[6:-6]
    bad = bad[:-6] + b"%04X\r\n" % crc16_bitwise(segment)
    events = feed_all(StreamDecoder(), [good + good + bad])
    error = events[2]
    assert isinstance(error, Hj212Error)
    assert error.offset == 2 * len(good) + bad.index(b"CN=")


def test_one_length_error_per_bad_frame() -> None:
    frame = build_packet("2011", MN, cp=[("DataTime", "20240101000000")])
    broken = frame.replace(b"##0", b"##1", 1)  # declares 1000 bytes more
    events = feed_all(StreamDecoder(), [broken + frame])
    assert kinds(events) == ["LengthError", "2011"]
    assert isinstance(events[0], LengthError)
