"""The C fast lane of ``parse_packet`` (``_hj212_speedups``) decodes exactly as the pure-Python
reference: the same packet, field for field and type for type, or the same error."""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hj212_sample_files import read_samples
from hj212_strategies import mutate, mutation, names, values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecodata.model import CHINA_TZ

# Imported, not skipped: a build without the extension must fail here.
from ecodata.protocols import _hj212_speedups as speedups
from ecodata.protocols import hj212_frame
from ecodata.protocols.hj212 import (
    ALL_DIALECTS,
    CrcDialect,
    Packet,
    StreamDecoder,
    Version,
    build_packet,
    crc16,
    crc16_bitwise,
    simulated_packet,
)
from ecodata.protocols.hj212_crc import crc16_python
from ecodata.protocols.hj212_frame import fast_lane, parse_packet, parse_packet_python
from ecodata.protocols.hj212_records import reading_value, reading_values

MN = "010000A8900016F000169DC0"
AT = datetime(2024, 6, 1, 8, 0, tzinfo=CHINA_TZ)


def frame_of(
    segment: bytes,
    crc: str = "%04X",
    end: bytes = b"\r\n",
    crc_of: Callable[[bytes], int] = crc16,
) -> bytes:
    """A frame with the right length and the CRC of HJ 212-2017 Appendix A."""
    return b"##%04d" % (len(segment) % 10000) + segment + (crc % crc_of(segment)).encode() + end


def segment_of(frame: bytes) -> bytes:
    return frame[6:-6] if frame.endswith(b"\r\n") else frame[6:-4]


def described(packet: Packet) -> tuple[Any, ...]:
    """A packet's values with the type of each, down to the items of its tuples."""
    return (
        type(packet),
        tuple(packet),
        tuple(type(value) for value in packet),
        tuple(type(value) for value in packet.fields),
        tuple(type(value) for value in packet.header_fields),
        tuple(type(value) for value in packet.violations),
    )


def outcome(parse: Callable[..., Packet], frame: bytes, **options: Any) -> tuple[Any, ...]:
    try:
        packet = parse(frame, **options)
    except Exception as exc:
        return (type(exc), str(exc), getattr(exc, "offset", None), getattr(exc, "field", None))
    return described(packet)


def check(frame: bytes, **options: Any) -> Packet | None:
    """parse_packet with the C lane and without give the same result; the C lane takes exactly
    the frames of the Python fast lane, and returns the same packets. Returns the C packet."""
    assert outcome(parse_packet, frame, **options) == outcome(parse_packet_python, frame, **options)
    fast, reference = speedups.parse_fast(frame), fast_lane(frame)
    assert (fast is None) == (reference is None), (frame, reference)
    if fast is not None and reference is not None:
        assert described(fast) == described(reference)
    return fast


def test_the_extension_is_built_and_used() -> None:
    assert hj212_frame.accelerator is speedups.parse_fast
    frame = simulated_packet(MN, "123456", "wastewater", AT, 1)
    packet = speedups.parse_fast(frame)
    assert packet is not None
    assert packet.raw is frame
    assert packet.version is Version.V2017 and packet.crc_dialect is CrcDialect.STANDARD
    assert check(frame) is not None


def test_the_packet_files(shared_data: Path) -> None:
    files = sorted((shared_data / "hj212").glob("*.txt"))
    assert files
    accepted = 0
    for path in files:
        for sample in read_samples(path):
            frame = sample.frame
            for variant in (frame, frame[:-2], frame[:-1], frame + b"\r\n", frame.lower()):
                accepted += check(variant) is not None
                check(variant, crc_dialects=ALL_DIALECTS)
                check(variant, crc_dialects=ALL_DIALECTS, source="peer", offset=100)
            for variant in deterministic_mutations(frame):
                check(variant)
    assert accepted > 10  # the C lane does decode the common packets of the files


def deterministic_mutations(frame: bytes) -> list[bytes]:
    """The slips of real devices, and edits at every separator of the header."""
    segment = segment_of(frame)
    crc = frame[6 + len(segment) : 10 + len(segment)]
    variants = [
        frame_of(segment, "%04x"),  # lower-case CRC
        frame_of(segment, "%X"),  # CRC without its leading zeros
        frame_of(segment, end=b""),
        frame_of(segment, end=b"\n"),
        frame_of(segment, end=b"\r\n**"),
        frame_of(segment, end=b"**"),
        frame_of(segment, end=b"\n\r"),
        frame_of(segment, end=b"\r\r"),
        frame_of(segment, end=b"\n\n"),
        b"##%04d" % (len(segment) + 1) + segment + crc + b"\r\n",  # bad lengths
        b"##%04d" % (len(segment) - 1) + segment + crc + b"\r\n",
        b"##" + b"%05d" % len(segment) + segment + crc + b"\r\n",
        b"## %03d" % len(segment) + segment + crc + b"\r\n",
        frame[:-3],  # truncations
        frame[: len(frame) // 2],
        frame[:6],
        frame[:5],
        b"#" + frame[1:],
    ]
    for at in range(len(segment)):
        if segment[at : at + 1] in (b";", b"=", b","):
            for blob in (b" ", b",", b"//", b"=", b"\xe4\xb8\xad"):
                variants.append(frame_of(segment[:at] + blob + segment[at:]))
            variants.append(frame_of(segment[:at] + b"," + segment[at + 1 :]))
            variants.append(frame_of(segment[:at] + segment[at + 1 :]))
    return variants


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, ()),
        ({"qn": "2024060108000000"}, ("qn-format",)),
        ({"qn": "2024060108000000A"}, ("qn-format",)),
        ({"st": "3a"}, ("st-format",)),
        ({"st": "321"}, ("st-format",)),
        ({"mn": "010000A8900016F000169DC"}, ("mn-format",)),
        ({"mn": "010000A8900016F000169DCG"}, ("mn-format",)),
        ({"mn": "abc", "version": "2005"}, ()),
        ({"mn": "abc", "version": "2025"}, ("mn-format",)),
        (  # a short header: CP over 950 bytes in a segment within 1024
            {"qn": "1", "st": "", "pw": "", "mn": "x", "cp": [("a", "1" * 950)]},
            ("qn-format", "st-format", "mn-format", "cp-over-950"),
        ),
        ({"mn": MN[:-1] + "g"}, ("mn-format",)),
        ({"mn": MN.lower()}, ()),
        (
            {"qn": "", "st": "", "pw": "", "mn": "x", "cp": "a=" + "1" * 941},
            ("qn-format", "st-format", "mn-format"),
        ),  # CP of 950 bytes
        (
            {"qn": "", "st": "", "pw": "", "mn": "x", "cp": "a=" + "1" * 942},
            ("qn-format", "st-format", "mn-format", "cp-over-950"),
        ),
        ({"cp": [("a", "1" * 1010)]}, ("length-over-1024", "cp-over-950")),
        (
            {"qn": "1", "st": "", "mn": "x", "cp": [("a", "1" * 1010)]},
            ("length-over-1024", "qn-format", "st-format", "mn-format", "cp-over-950"),
        ),
        ({"pnum": 3, "pno": 2}, ()),
        ({"pnum": 9999, "pno": 10000}, None),  # PNO of 5 digits: the general parser decides
        ({"flag": 6}, None),  # D without PNUM
        ({"flag": 5, "pnum": 1, "pno": 1}, None),  # PNUM without D
        ({"flag": 12}, None),  # unknown version bits
        ({"include_flag": False}, None),
        ({"rf": True}, None),
        ({"qn": None}, None),
        ({"pw": None}, None),
        ({"cn": "201"}, None),
        ({"cp": "a=1;b"}, None),
        ({"cp": "abc"}, ()),  # no separators in the data area: no fields (as in Python)
        ({"cp": "aCP=&&b"}, ()),  # the first "CP=&&" opens the data area
        ({"cp": "aCP=&&{0b"}, None),  # SM4-encrypted look, anywhere
        ({"cp": "{0a=1"}, None),
        ({"cp": ""}, ()),
    ],
)
def test_deviations_and_refusals(options: dict[str, Any], expected: tuple[str, ...] | None) -> None:
    arguments: dict[str, Any] = {"qn": "20240601080000000", "cp": [("DataTime", "20240601080000")]}
    arguments.update(options)
    cn = arguments.pop("cn", "2011")
    mn = arguments.pop("mn", MN)
    packet = check(build_packet(cn, mn, **arguments))
    assert (packet.violations if packet else None) == expected


HEAD = "QN=20240601080000000;ST=32;CN=2011;PW=123456;MN=" + MN


def padded(size: int) -> str:
    """A standard segment of ``size`` bytes."""
    start = HEAD + ";Flag=4;CP=&&a="
    return start + "1" * (size - len(start) - 2) + "&&"


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        (HEAD + ";Flag=004;CP=&&a=1&&", ()),
        (HEAD + ";Flag=0004;CP=&&a=1&&", None),
        (HEAD + ";Flag=;CP=&&a=1&&", None),
        (HEAD + ";Flag=4a;CP=&&a=1&&", None),
        (HEAD + ";Flag=6;PNUM=0002;PNO=0001;CP=&&a=1&&", ()),
        (HEAD + ";Flag=6;PNUM=00002;PNO=1;CP=&&a=1&&", None),
        (HEAD + ";Flag=6;PNUM=2;PNO=00001;CP=&&a=1&&", None),
        (HEAD + ";Flag=6;PNUM=;PNO=1;CP=&&a=1&&", None),
        (HEAD + ";Flag=6;PNUM=2;PNO=x;CP=&&a=1&&", None),
        (HEAD + ";Flag=6;PNO=1;PNUM=2;CP=&&a=1&&", None),
        (HEAD + ";Flag=4;XCP=&&a=1&&", None),
        (HEAD + ";Flag=4;;CP=&&a=1&&", None),
        (HEAD + ";Flag=4CP=&&a=1&&", None),
        (HEAD.replace("MN=" + MN, "MN=") + ";Flag=4;CP=&&a=1&&", None),
        (HEAD.replace("CN=2011", "CN=20a1") + ";Flag=4;CP=&&a=1&&", None),
        (HEAD.replace("QN", "qn") + ";Flag=4;CP=&&a=1&&", None),
        ("ST=32;" + HEAD.replace(";ST=32", "") + ";Flag=4;CP=&&a=1&&", None),
        (HEAD + ";Flag=4;CP=&&a=1;b=2,c=3&&", ()),
        (HEAD + ";Flag=4;CP=&&a=1;;b=2&&", None),
        (HEAD + ";Flag=4;CP=&&a=1,b&&", None),
        (HEAD + ";Flag=4;CP=&&a==1&&", None),
        (HEAD + ";Flag=4;CP=&&;a=1&&", None),
        (HEAD + ";Flag=4;CP=&&&&", ()),
        (HEAD + ";Flag=4;CP=&&&", None),
        (HEAD + ";Flag=4;CP=&&", None),
        (HEAD + ";Flag=4;CP=&&a=1&&&&", ()),
        (HEAD + ";Flag=4;CP=&&a=1&&b", None),
        (HEAD + ";Flag=4;CP=&&a=1\t&&", ()),
        (HEAD + ";Flag=4;CP=&&a=/1/&&", ()),
        (HEAD + ";Flag=4;CP=&&a=//1//&&", None),
        (HEAD + ";Flag=4;CP=&&a=\x7f&&", ()),
        (HEAD + ";Flag=4;CP=&&a=\x80&&", None),
        (padded(1024), ()),
        (padded(1025), ("length-over-1024",)),
        (padded(9999), ("length-over-1024", "cp-over-950")),
    ],
)
def test_segments(segment: str, expected: tuple[str, ...] | None) -> None:
    packet = check(frame_of(segment.encode("latin-1")))
    assert (packet.violations if packet else None) == expected


def test_the_c_crc_at_every_length() -> None:
    """The folded CRC of the C code, for data segments of every length modulo 8 and up to the
    longest the length field allows."""
    for size in [*range(120), 1023, 1024, 1025, 4096, 9990]:
        head = b"QN=20240601080000000;ST=32;CN=2011;PW=123456;MN=" + MN.encode() + b";Flag=4;"
        segment = head + b"CP=&&a=" + b"7" * size + b"&&"
        if len(segment) > 9999:
            continue
        assert check(frame_of(segment, crc_of=crc16_bitwise)) is not None, size
        changed = segment[:-3] + b"8&&"
        assert check(frame_of(changed, crc_of=crc16_bitwise)) is not None, size
        broken = frame_of(segment)
        broken = broken[:-6] + b"%04X\r\n" % (crc16_bitwise(segment) ^ 1)
        assert check(broken) is None


# --- generated packets --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    cn=st.from_regex(r"[0-9]{4}", fullmatch=True),
    mn=st.sampled_from([MN, MN.lower(), "abc", MN + "0"])
    | st.from_regex(r"[0-9A-Fa-z]{1,26}", fullmatch=True),
    st_code=st.from_regex(r"[0-9A-Za-z]{0,3}", fullmatch=True),
    pw=st.from_regex(r"[0-9A-Za-z]{0,12}", fullmatch=True),
    qn=st.none() | st.from_regex(r"[0-9]{15,18}", fullmatch=True),
    version=st.sampled_from(list(Version)),
    ack=st.booleans(),
    flag=st.none() | st.integers(0, 300),
    parts=st.none() | st.tuples(st.integers(0, 12000), st.integers(0, 12000)),
    cp=st.lists(st.tuples(names, values), max_size=25),
    padding=st.integers(0, 1100),
    dialect=st.sampled_from(list(CrcDialect)),
)
def test_built_packets(
    cn: str,
    mn: str,
    st_code: str,
    pw: str,
    qn: str | None,
    version: Version,
    ack: bool,
    flag: int | None,
    parts: tuple[int, int] | None,
    cp: list[tuple[str, str]],
    padding: int,
    dialect: CrcDialect,
) -> None:
    pnum, pno = parts if parts else (None, None)
    if padding > 900:  # long packets: over the 950 and 1024 bytes of Tables 2 and 3
        cp = [*cp, ("Pad", "9" * padding)]
    frame = build_packet(
        cn,
        mn,
        pw=pw,
        st=st_code,
        qn=qn,
        version=version,
        ack=ack,
        flag=flag,
        pnum=pnum,
        pno=pno,
        cp=cp,
        crc_dialect=dialect,
    )
    check(frame)
    check(frame, crc_dialects={dialect})
    check(frame[:-2])


header_names = st.sampled_from(["QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO", "flag", "RF"])
header_values = st.from_regex(r"[0-9]{0,5}", fullmatch=True) | st.from_regex(
    r"[-0-9A-Za-z =;,/&{}]{0,8}", fullmatch=True
)
STANDARD_ITEMS = [
    ("QN", "20240601080000000"),
    ("ST", "32"),
    ("CN", "2011"),
    ("PW", "123456"),
    ("MN", MN),
    ("Flag", "4"),
]


@settings(max_examples=400, deadline=None)
@given(
    edits=st.lists(st.tuples(st.integers(0, 9), header_names, header_values), max_size=3),
    drop=st.lists(st.integers(0, 9), max_size=2),
    separators=st.lists(st.sampled_from([";", ";", ";", ",", "", ";;", "=", " ;"]), max_size=10),
    area=st.from_regex(r"[-0-9A-Za-z=;,./ &{}]{0,40}", fullmatch=True),
    before_cp=st.sampled_from([";", ";", "", ","]),
)
def test_generated_segments(
    edits: list[tuple[int, str, str]],
    drop: list[int],
    separators: list[str],
    area: str,
    before_cp: str,
) -> None:
    """Headers near the standard one: fields replaced, dropped, renamed; odd separators."""
    items = [*STANDARD_ITEMS, ("PNUM", "2"), ("PNO", "1")] if len(drop) == 1 else STANDARD_ITEMS[:]
    for at, name, value in edits:
        items[at % len(items)] = (name, value)
    for at in drop[1:]:
        del items[at % len(items)]
    head = ""
    for index, (name, value) in enumerate(items):
        separator = separators[index] if index < len(separators) else ";"
        head += f"{name}={value}" + (separator if index < len(items) - 1 else before_cp)
    segment = f"{head}CP=&&{area}&&".encode()
    check(frame_of(segment))
    check(frame_of(segment), crc_dialects=ALL_DIALECTS)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    for candidate in (data, b"##" + data, b"##%04d" % len(data) + data, frame_of(data)):
        check(candidate)


SEEDS = [
    simulated_packet(MN, "123456", "cems", AT, 1),
    simulated_packet(MN, "123456", "wastewater", AT, 2, cn="2061"),
    simulated_packet(MN, "123456", "cems", AT, 3, "2005"),
    simulated_packet(MN, "123456", "wastewater", AT, 4, "2025", sm4_key=b"K" * 16),
    build_packet("2061", MN, flag=7, pnum=2, pno=1, cp=[("DataTime", "20160801080000")]),
    build_packet("9014", MN, qn="20160801085857223", cp=""),
]

@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), edits=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_packets(seed: bytes, edits: list[tuple[str, int, bytes]]) -> None:
    broken = mutate(seed, edits)
    for candidate in (broken, frame_of(segment_of(broken)), frame_of(segment_of(broken), "%04x")):
        check(candidate)
        check(candidate, crc_dialects=ALL_DIALECTS)


def test_other_options_take_the_python_way() -> None:
    frame = SEEDS[0]
    key = b"K" * 16
    assert outcome(parse_packet, frame, sm4_key=key) == outcome(
        parse_packet_python, frame, sm4_key=key
    )
    assert "unencrypted" in parse_packet(frame, sm4_key=key).violations
    assert outcome(parse_packet, frame, encoding="gbk") == outcome(
        parse_packet_python, frame, encoding="gbk"
    )
    assert parse_packet(frame, encoding="gbk").encoding == "gbk"


def test_any_bytes_like_frame() -> None:
    class Frame(bytes):
        pass

    frame = SEEDS[0]
    for variant in (bytearray(frame), memoryview(frame), Frame(frame)):
        packet = parse_packet(variant)  # type: ignore[arg-type]
        assert type(packet.raw) is bytes
        assert described(packet) == described(parse_packet_python(variant))  # type: ignore[arg-type]


# --- the C interface ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame", ["##0000", bytearray(SEEDS[0]), memoryview(SEEDS[0]), None, 12, [SEEDS[0]]]
)
def test_parse_fast_refuses_what_is_not_bytes(frame: object) -> None:
    with pytest.raises(TypeError, match="must be bytes"):
        speedups.parse_fast(frame)  # type: ignore[arg-type]


def test_parse_fast_refuses_bytes_subclasses_and_wrong_calls() -> None:
    class Frame(bytes):
        pass

    with pytest.raises(TypeError):
        speedups.parse_fast(Frame(SEEDS[0]))
    with pytest.raises(TypeError):
        speedups.parse_fast()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        speedups.parse_fast(SEEDS[0], SEEDS[0])  # type: ignore[call-arg]


def test_configure_checks_its_arguments() -> None:
    versions = (Version.V2005, Version.V2017, Version.V2025)
    standard = CrcDialect.STANDARD
    with pytest.raises(TypeError):
        speedups.configure(int, versions, standard, 1024, 950)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        speedups.configure(Packet, list(versions), standard, 1024, 950)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        speedups.configure(Packet, versions, standard, "1024", 950)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        speedups.configure(Packet, versions, standard)  # type: ignore[call-arg]
    assert [version.bits for version in versions] == [0, 1, 2]
    assert check(SEEDS[0]) is not None  # still configured as hj212_frame left it


def test_reference_counts_stay_stable() -> None:
    frames = [
        SEEDS[0],  # decoded
        build_packet("2061", "x", qn="1", flag=7, pnum=2, pno=1, cp=[("a", "1" * 1010)]),
        SEEDS[0][:-3] + b"0\r\n",  # bad CRC: None
        SEEDS[3],  # encrypted: None
    ]
    packet = speedups.parse_fast(frames[1])
    assert packet is not None
    assert packet.violations == ("length-over-1024", "qn-format", "mn-format", "cp-over-950")
    watched = [
        Packet,
        Version.V2005,
        Version.V2017,
        Version.V2025,
        CrcDialect.STANDARD,
        packet.encoding,
        packet.header_fields[0],
        *packet.violations,
        *frames,
    ]

    def run() -> None:  # (a function: no loop variable left holding a frame)
        for _ in range(10_000):
            for frame in frames:
                speedups.parse_fast(frame)
            with suppress(TypeError):
                speedups.parse_fast(bytearray(frames[0]))  # type: ignore[arg-type]

    before = [sys.getrefcount(item) for item in watched]
    run()
    assert [sys.getrefcount(item) for item in watched] == before


def test_no_memory_is_leaked() -> None:
    frames = [SEEDS[0], SEEDS[4], SEEDS[0][:-3] + b"0\r\n"]
    tracemalloc.start()
    try:
        for _ in range(1_000):
            for frame in frames:
                speedups.parse_fast(frame)
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(5_000):
            for frame in frames:
                speedups.parse_fast(frame)
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert end - start < 64 * 1024  # a leak of one object a call would be megabytes


# --- crc16 and plain_numbers -------------------------------------------------------------------


@given(st.binary(max_size=2100))
def test_the_c_crc_is_the_python_crc(data: bytes) -> None:
    assert speedups.crc16(data) == crc16_python(data) == crc16(data)
    assert crc16(bytearray(data)) == crc16_python(data)  # bytes-like: the Python way


_NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(width=32).map(lambda x: f"{x:.3f}"),
    st.integers(-(10**400), 10**400).map(str),
    st.text(alphabet="0123456789+-.eE", max_size=12),
    st.text(alphabet="0123456789+-.eE_ naifINFA", max_size=12),
    st.text(max_size=8),
)


@given(st.lists(_NUMBER_TEXT, max_size=20))
def test_plain_numbers_read_as_reading_value_does(texts: list[str]) -> None:
    values = speedups.plain_numbers(tuple(texts))
    expected = [reading_value(text) for text in texts]
    if values is not None:  # C read them: exactly as Python does, type included
        assert [(type(v), v) for v in values] == [(type(v), v) for v in expected]
        assert all(set(text) <= set("0123456789+-.eE") for text in texts)
    else:
        assert any(not set(text) <= set("0123456789+-.eE") for text in texts)
    assert reading_values(tuple(texts)) == expected


def test_plain_numbers_edge_cases() -> None:
    texts = ("1.5", "-0", "+2", ".5", "3.", "1e400", "-1e400", "", "1e", "--1", "1.2.3", "E5")
    assert speedups.plain_numbers(texts) == [1.5, -0.0, 2.0, 0.5, 3.0] + [None] * 7
    assert speedups.plain_numbers(("1_000",)) is None  # '_' and spaces: Python's rules
    assert speedups.plain_numbers(("nan", "1")) is None
    assert speedups.plain_numbers(("１",)) is None  # not ASCII
    with pytest.raises(TypeError):
        speedups.plain_numbers(["1"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        speedups.crc16("text")  # type: ignore[arg-type]


# --- the stream decoder's whole-packet reads ----------------------------------------------------


def _events(decoder: StreamDecoder, reads: list[bytes]) -> list[Any]:
    out: list[Any] = []
    for data in reads:
        out += decoder.feed(data)
    out += decoder.close()
    return [e if isinstance(e, Packet) else (type(e), str(e), e.offset) for e in out]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.integers(0, 40).map(lambda n: simulated_packet(MN, "123456", "cems", AT, n)),
            st.sampled_from([b"junk", b"\r\n", b"##", b"##0012", b" ", b"##9999QN="]),
            st.binary(max_size=8),
        ),
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_whole_packet_reads_decode_as_the_search_does(parts: list[bytes], rng: Any) -> None:
    """Reads of exactly one packet go straight to the C fast lane; whatever the reads, the events
    (and their stream offsets) are those of the general search."""
    reads = []
    for part in parts:  # some parts whole, some cut in two
        cut = rng.randint(0, len(part)) if rng.random() < 0.3 else len(part)
        reads += [part[:cut], part[cut:]]
    fast = StreamDecoder()
    slow = StreamDecoder()
    slow._whole = None  # the general search only
    assert fast._whole is not None
    assert _events(fast, reads) == _events(slow, reads)
