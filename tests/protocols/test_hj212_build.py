"""Building packets and answers; build → parse round trips; sub-packet reassembly."""

from __future__ import annotations

import pytest
from hj212_sample_files import Sample
from hj212_strategies import names, values
from hypothesis import given, settings
from hypothesis import strategies as st

from ecodata.protocols.hj212 import (
    CrcDialect,
    FieldSyntaxError,
    LengthError,
    Packet,
    SubpacketAssembler,
    SubpacketError,
    Version,
    build_packet,
    build_split_packets,
    crc16_bitwise,
    data_reply,
    format_data_area,
    heartbeat,
    notification_reply,
    parse_packet,
    records,
    reply_for,
)

MN = "010000A8900016F000169DC0"


@settings(max_examples=200, deadline=None)
@given(
    cn=st.from_regex(r"[0-9]{4}", fullmatch=True),
    st_code=st.from_regex(r"[0-9A-Z]{2}", fullmatch=True),
    pw=st.from_regex(r"[0-9A-Za-z]{1,12}", fullmatch=True),
    qn=st.none() | st.from_regex(r"[0-9]{17}", fullmatch=True),
    version=st.sampled_from(list(Version)),
    ack=st.booleans(),
    parts=st.none() | st.tuples(st.integers(1, 99), st.integers(1, 99)),
    cp=st.lists(st.tuples(names, values), max_size=25),
    dialect=st.sampled_from(list(CrcDialect)),
)
def test_build_then_parse_round_trip(
    cn: str,
    st_code: str,
    pw: str,
    qn: str | None,
    version: Version,
    ack: bool,
    parts: tuple[int, int] | None,
    cp: list[tuple[str, str]],
    dialect: CrcDialect,
) -> None:
    pnum, pno = parts if parts else (None, None)
    frame = build_packet(
        cn,
        MN,
        pw=pw,
        st=st_code,
        qn=qn,
        version=version,
        ack=ack,
        pnum=pnum,
        pno=pno,
        cp=cp,
        crc_dialect=dialect,
    )
    packet = parse_packet(frame, crc_dialects={dialect})
    assert (packet.cn, packet.st, packet.pw, packet.mn, packet.qn) == (cn, st_code, pw, MN, qn)
    assert packet.version is version
    assert packet.ack_requested is ack
    assert (packet.pnum, packet.pno) == (pnum, pno)
    assert packet.cp == tuple(cp)
    # a CRC that reads the same in the standard algorithm or without letters counts as standard
    assert packet.crc_dialect in {dialect, CrcDialect.STANDARD}
    assert int(frame[2:6]) == len(frame) - 12


def test_the_data_area_groups_categories_of_one_item() -> None:
    text = format_data_area(
        [
            ("DataTime", "20160801085857"),
            ("w01001-Rtd", "7.1"),
            ("w01001-Flag", "N"),
            ("w01018-Rtd", "2.2"),
            ("w01018-Flag", "N"),
            ("PolId", "w01018"),
        ]
    )
    assert text == (
        "DataTime=20160801085857;w01001-Rtd=7.1,w01001-Flag=N;w01018-Rtd=2.2,w01018-Flag=N;"
        "PolId=w01018"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("a-Rtd", "1;2"),
        ("a-Rtd", "1,2"),
        ("a-Rtd", "x=y"),
        ("a-Rtd", "a&&b"),
        ("a Rtd", "1"),
        ("", "1"),
        ("i11001-Info", "//a//b//"),
    ],
)
def test_reserved_characters_are_refused(name: str, value: str) -> None:
    with pytest.raises(FieldSyntaxError):
        build_packet("2011", MN, cp=[(name, value)])


def test_build_refuses_segments_over_9999_bytes() -> None:
    cp = [(f"a{n:05d}-Rtd", "1234567.891") for n in range(600)]
    with pytest.raises(LengthError):
        build_packet("2011", MN, cp=cp)


def test_chinese_text_counts_bytes() -> None:
    frame = build_packet("3020", MN, cp=[("i11001-Info", "//清洗管路//")])
    segment = frame[6:-6]
    assert int(frame[2:6]) == len(segment)
    assert frame[-6:-2] == b"%04X" % crc16_bitwise(segment)


def test_2005_style_without_flag() -> None:
    frame = build_packet("2011", "LD130133000015", version=Version.V2005, include_flag=False)
    packet = parse_packet(frame)
    assert packet.flag is None and packet.version is Version.V2005
    answer = parse_packet(reply_for(packet) or b"")
    assert answer.cn == "9014" and answer.flag is None and answer.qn is None


def test_answers_echo_qn_pw_mn_and_keep_the_version() -> None:
    upload = parse_packet(
        build_packet(
            "2011",
            MN,
            qn="20260101000000001",
            pw="654321",
            version="2025",
            ack=True,
            cp=[("DataTime", "20260101000000")],
        )
    )
    answer = parse_packet(data_reply(upload))
    assert (answer.qn, answer.pw, answer.mn, answer.st, answer.cn) == (
        "20260101000000001",
        "654321",
        MN,
        "91",
        "9014",
    )
    assert answer.flag == 8 and answer.cp == ()


def test_answers_use_the_dialect_of_the_device() -> None:
    upload = parse_packet(
        build_packet("2011", MN, ack=True, crc_dialect="modbus-swapped"),
        crc_dialects={"modbus-swapped"},
    )
    answer = reply_for(upload)
    assert answer is not None
    assert (
        parse_packet(answer, crc_dialects={"modbus-swapped"}).crc_dialect
        is CrcDialect.MODBUS_SWAPPED
    )


@pytest.mark.parametrize(
    ("cn", "flag", "answer"),
    [
        ("2011", 5, "9014"),
        ("2011", 4, None),
        ("2061", 7, "9014"),
        ("2061", 6, None),
        ("2081", 5, "9014"),
        ("3020", 5, "9014"),
        ("1013", 5, "9013"),
        ("1013", 4, "9013"),
        ("9015", 9, "9013"),
        ("9011", 4, None),
        ("9012", 4, None),
        ("9013", 4, None),
        ("9014", 4, None),
        ("1062", 5, None),
        ("4321", 5, "9014"),
    ],
)
def test_which_packets_a_centre_answers(cn: str, flag: int, answer: str | None) -> None:
    packet = parse_packet(
        build_packet(cn, MN, flag=flag, pnum=2 if flag & 2 else None, pno=1 if flag & 2 else None)
    )
    reply = reply_for(packet)
    assert (parse_packet(reply).cn if reply else None) == answer


def test_heartbeat_of_2025() -> None:
    beat = heartbeat(MN, "123456", qn="20260105093000123", st="21")
    packet = parse_packet(beat)
    assert (packet.cn, packet.flag, packet.version) == ("9015", 9, Version.V2025)
    assert parse_packet(notification_reply(packet)).cn == "9013"


def test_split_packets_and_reassembly() -> None:
    cp = [("DataTime", "20160801080000")]
    for n in range(60):
        cp += [(f"a{n:05d}-Avg", f"{n}.5"), (f"a{n:05d}-Flag", "N")]
    frames = build_split_packets("2061", MN, cp=cp, qn="20160801085857999", ack=True)
    assert len(frames) > 1
    parts = [parse_packet(f) for f in frames]
    assert all(p.violations == () and p.split and p.flag == 7 for p in parts)
    assert [p.pno for p in parts] == list(range(1, len(parts) + 1))
    assert parts[1].qn == "20160801085858000"  # each part its own QN: +1 ms
    assembler = SubpacketAssembler()
    out: list[Packet | None] = [assembler.add(p, now=0.0) for p in reversed(parts)]
    whole = out[-1]
    assert out[:-1] == [None] * (len(parts) - 1)
    assert whole is not None
    assert whole.cp == tuple(cp)
    assert len(records(whole)) == 60
    assert len(assembler) == 0


def test_duplicates_timeouts_and_eviction() -> None:
    def part(pno: int, mn: str = MN, time: str = "20160801080000") -> Packet:
        return parse_packet(
            build_packet(
                "2061", mn, flag=6, pnum=2, pno=pno, cp=[("DataTime", time), (f"w0{pno}-Avg", "1")]
            )
        )

    assembler = SubpacketAssembler(timeout=60, max_groups=2)
    assert assembler.add(part(1), now=0) is None
    assert assembler.add(part(1), now=1) is None
    assert assembler.duplicates == 1
    assert assembler.add(part(1, time="20160801090000"), now=2) is None
    assert assembler.add(part(1, time="20160801100000"), now=3) is None  # evicts the oldest
    assert assembler.expire(now=30)[0].reason == "evicted"
    expired = assembler.expire(now=62)
    assert [g.reason for g in expired] == ["timeout"]
    assert expired[0].parts[0].pno == 1
    assert len(assembler) == 1
    unsplit = parse_packet(build_packet("2011", MN))
    assert assembler.add(unsplit, now=70) is unsplit


def test_pno_outside_pnum() -> None:
    packet = parse_packet(build_packet("2061", MN, flag=6, pnum=2, pno=3))
    with pytest.raises(SubpacketError):
        SubpacketAssembler().add(packet, now=0)


def test_appendix_c_split_vectors_reassemble(standard_vectors: list[Sample]) -> None:
    first, second = (parse_packet(standard_vectors[i].frame) for i in (14, 15))
    assembler = SubpacketAssembler()
    assert assembler.add(first, now=0) is None
    whole = assembler.add(second, now=1)
    assert whole is not None
    assert [name for name, _ in whole.cp].count("DataTime") == 1
    assert {r.code for r in records(whole)} == {"w00000", "w01001", "w01018"}
