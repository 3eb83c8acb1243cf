"""The gateway's steady lane (``hj212_steady``): the C functions give what their pure-Python
references give, read by read, and the answers are those of ``reply_for``."""

from __future__ import annotations

import sys
import tracemalloc
from datetime import datetime
from pathlib import Path

import pytest
from hj212_sample_files import read_samples
from hj212_strategies import mutate, mutation, values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecodata.model import CHINA_TZ
from ecodata.protocols import _hj212_speedups as speedups
from ecodata.protocols import hj212_steady
from ecodata.protocols.hj212 import (
    ALL_DIALECTS,
    CrcDialect,
    build_packet,
    crc16,
    parse_packet,
    reply_for,
    simulated_packet,
)
from ecodata.protocols.hj212_steady import (
    Lane,
    data_answers_python,
    lane_of,
    steady_frames_python,
)

MN = "010000A8900016F000169DC0"
AT = datetime(2024, 6, 1, 8, 0, tzinfo=CHINA_TZ)
BASES = [
    simulated_packet(MN, "123456", "cems", AT, 1),
    simulated_packet(MN, "123456", "wastewater", AT, 2, cn="2061"),
    simulated_packet(MN, "123456", "cems", AT, 3, "2005"),
    simulated_packet("SIMU0000000007", "pw", "wastewater", AT, 4, "2025"),
    build_packet("2011", MN, ack=False, qn="20240601080000000", cp={"DataTime": "20240601080000"}),
]


def lane_for(frame: bytes) -> Lane:
    lane = lane_of(parse_packet(frame))
    assert lane is not None
    return lane


def same(data: bytes, lane: Lane) -> list[tuple[bytes, tuple[str, ...]]] | None:
    """The C steady_frames and its reference agree on ``data``; the result."""
    fast = speedups.steady_frames(data, lane.head, lane.names)
    reference = steady_frames_python(data, lane.head, lane.names)
    assert fast == reference, data
    if fast is not None:
        assert all(type(qn) is bytes and type(fields) is tuple for qn, fields in fast)
    return fast


def test_the_c_functions_are_used() -> None:
    assert hj212_steady.steady_frames is speedups.steady_frames
    assert hj212_steady.data_answers is speedups.data_answers


@pytest.mark.parametrize("base", BASES)
def test_a_lane_takes_the_frames_of_its_packet_and_answers_as_reply_for(base: bytes) -> None:
    packet = parse_packet(base)
    lane = lane_for(base)
    assert lane.names == packet.fields[0::2]
    assert same(base, lane) == [(packet.qn.encode(), packet.fields)]  # type: ignore[union-attr]
    qns = [b"20240601080000%03d" % k for k in range(5)]
    frames = [base.replace(packet.qn.encode(), qn) for qn in qns]  # type: ignore[union-attr]
    frames = [f[:6] + f[6:-6] + b"%04X\r\n" % crc16(f[6:-6]) for f in frames]
    taken = same(b"".join(frames), lane)
    assert taken is not None
    assert [qn for qn, _ in taken] == qns
    assert [fields for _, fields in taken] == [parse_packet(f).fields for f in frames]
    replies = [reply_for(parse_packet(f)) for f in frames]
    if lane.tail is None:
        assert replies == [None] * 5
    else:
        assert speedups.data_answers(qns, lane.tail) == b"".join(r or b"" for r in replies)
        assert data_answers_python(qns, lane.tail) == b"".join(r or b"" for r in replies)


def test_packets_without_a_lane() -> None:
    key = b"K" * 16
    at, qn = "20240601080000", "20240601080000000"
    assert lane_of(parse_packet(build_packet("2011", MN, qn=qn, cp={"DataTime": at}))) is not None
    others = [
        build_packet("2011", MN, qn=qn, pnum=2, pno=1, cp={"DataTime": at}),  # a sub-packet
        build_packet("2011", MN, qn=None, cp={"DataTime": at}),
        build_packet("2011", MN, qn="123", cp={"DataTime": at}),  # QN not of 17 digits
        build_packet("9014", MN, qn=qn, cp=""),  # no data area
        build_packet("2011", MN, qn=qn, cp={"DataTime": at}, crc_dialect=CrcDialect.MODBUS),
        simulated_packet(MN, "123456", "cems", AT, 1, "2025", sm4_key=key),
        simulated_packet(MN, "123456", "cems", AT, 1)[:-2],  # no CR LF
    ]
    for frame in others:
        packet = parse_packet(frame, crc_dialects=ALL_DIALECTS, sm4_key=key)
        assert lane_of(packet) is None, frame


def test_reads_the_lane_leaves_to_the_decoder() -> None:
    base = BASES[0]
    lane = lane_for(base)
    other = simulated_packet(MN, "654321", "cems", AT, 2)  # another password
    split = base.index(b"CP=")
    for data in (
        base + base[:split],  # a frame and half of the next
        base[:split],
        base + other,
        base + b"\r\n" + base,  # bytes between frames
        b"",
        base.replace(b"a21026-Rtd", b"a21026-Avg"),  # another layout (and so another CRC)
        base.lower(),
    ):
        assert same(data, lane) is None
    assert speedups.steady_frames(base, lane.head, ()) is None


@pytest.mark.parametrize("base", BASES)
def test_the_packet_files_never_pass_as_another_lane(base: bytes, shared_data: Path) -> None:
    lane = lane_for(base)
    for path in sorted((shared_data / "hj212").glob("*.txt")):
        for sample in read_samples(path):
            same(sample.frame, lane)
            same(base + sample.frame, lane)


def test_the_lanes_of_the_packet_files(shared_data: Path) -> None:
    lanes = 0
    for path in sorted((shared_data / "hj212").glob("*.txt")):
        for sample in read_samples(path):
            frame = sample.frame if sample.frame.endswith(b"\r\n") else sample.frame + b"\r\n"
            try:
                packet = parse_packet(frame)
            except Exception:
                continue
            lane = lane_of(packet)
            if lane is None:
                continue
            lanes += 1
            assert same(frame * 3, lane) == [(packet.qn.encode(), packet.fields)] * 3  # type: ignore[union-attr]
            if lane.tail is not None:
                answer = reply_for(packet)
                assert answer is not None
                assert speedups.data_answers([packet.qn.encode()] * 2, lane.tail) == answer * 2  # type: ignore[union-attr]
    assert lanes > 5


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(BASES),
    edits=st.lists(mutation, min_size=1, max_size=4),
    recrc=st.booleans(),
)
def test_mutated_frames(base: bytes, edits: list[tuple[str, int, bytes]], recrc: bool) -> None:
    lane = lane_for(base)
    broken = mutate(base, edits)
    if recrc and len(broken) > 12:
        segment = broken[6:-6]
        broken = b"##%04d" % (len(segment) % 10000) + segment + b"%04X\r\n" % crc16(segment)
    same(broken, lane)
    same(base + broken, lane)
    same(broken + base, lane)


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(values, min_size=4, max_size=4), qn=st.from_regex(r"[0-9]{17}", fullmatch=True)
)
def test_frames_of_one_layout_with_any_values(texts: list[str], qn: str) -> None:
    def frame(values: list[str], qn: str = "20240601080000000") -> bytes:
        cp = [("DataTime", values[0]), ("a21026-Rtd", values[1]), ("a21026-Flag", values[2]),
              ("a01012-Rtd", values[3])]  # fmt: skip
        return build_packet("2011", MN, qn=qn, cp=cp)

    lane = lane_for(frame(["20240601080000", "1", "N", "2"]))
    data = frame(texts, qn)
    taken = same(data, lane)
    if taken is not None:
        assert taken == [(qn.encode(), parse_packet(data).fields)]


@given(qns=st.lists(st.binary(max_size=30), max_size=5), tail=st.binary(max_size=60))
def test_data_answers_is_its_reference(qns: list[bytes], tail: bytes) -> None:
    assert speedups.data_answers(qns, tail) == data_answers_python(qns, tail)


def test_wrong_calls() -> None:
    lane = lane_for(BASES[0])
    with pytest.raises(TypeError):
        speedups.steady_frames(bytearray(BASES[0]), lane.head, lane.names)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        speedups.steady_frames(BASES[0], lane.head, list(lane.names))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        speedups.steady_frames(BASES[0], lane.head, ("名称",))
    with pytest.raises(TypeError):
        speedups.steady_frames(BASES[0], lane.head)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        speedups.data_answers([b"1", "2"], b"")  # type: ignore[list-item]
    with pytest.raises(TypeError):
        speedups.data_answers((b"1",), b"")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="9999"):
        speedups.data_answers([b"1"], b"x" * 9997)
    assert speedups.data_answers([b"1"], b"x" * 9995).startswith(b"##9999")


def test_reference_counts_stay_stable_and_nothing_leaks() -> None:
    base = BASES[0]
    lane = lane_for(base)
    data = base * 4
    taken = speedups.steady_frames(data, lane.head, lane.names)
    assert taken is not None
    name = lane.names[1]
    before = (sys.getrefcount(data), sys.getrefcount(name))
    for _ in range(1000):
        speedups.steady_frames(data, lane.head, lane.names)
        speedups.steady_frames(base[:-3], lane.head, lane.names)
    assert (sys.getrefcount(data), sys.getrefcount(name)) == before
    tracemalloc.start()
    try:
        for _ in range(200):
            speedups.steady_frames(data, lane.head, lane.names)
            speedups.data_answers([qn for qn, _ in taken], lane.tail or b"")
        first = tracemalloc.get_traced_memory()[0]
        for _ in range(5000):
            speedups.steady_frames(data, lane.head, lane.names)
            speedups.data_answers([qn for qn, _ in taken], lane.tail or b"")
        assert tracemalloc.get_traced_memory()[0] - first < 20_000
    finally:
        tracemalloc.stop()
