"""Every packet of ``../shared/data/hj212``: good ones decode with the right values, bad ones are
rejected with the right reason or accepted in the CRC dialect a device is configured with."""

from __future__ import annotations

from datetime import datetime

import pytest
from hj212_sample_files import Sample

from ecodata.model import CHINA_TZ, Period
from ecodata.protocols.hj212 import (
    ALL_DIALECTS,
    CrcDialect,
    CrcError,
    LengthError,
    Version,
    build_packet,
    execution_reply,
    parse_packet,
    records,
    reply_for,
    request_reply,
)

# sample number → (CN, version, dialect needed or None for standard, violations)
GOOD = {
    1: ("1062", Version.V2017, None, ()),
    2: ("1011", Version.V2025, None, ()),
    5: ("2011", Version.V2005, CrcDialect.LOWERCASE, ("missing-flag", "missing-qn")),
    6: ("2011", Version.V2017, CrcDialect.LOWERCASE, ("mn-format",)),
    8: ("2011", Version.V2025, CrcDialect.LOWERCASE, ("mn-format",)),
    9: ("2051", Version.V2017, None, ("mn-format",)),
    10: ("2011", Version.V2017, None, ()),
    11: ("9011", Version.V2017, None, ()),
    12: ("2011", Version.V2005, None, ("missing-flag", "missing-qn")),
    13: ("2011", Version.V2005, CrcDialect.MODBUS_SWAPPED, ("missing-flag", "missing-qn")),
    14: (
        "2011",
        Version.V2005,
        None,
        ("header-comma", "empty-header-item", "header-key-case", "missing-qn"),
    ),
    15: ("2011", Version.V2017, None, ("mn-format",)),
    16: ("2051", Version.V2005, None, ("length-over-1024", "missing-qn", "cp-over-950")),
    17: ("9014", Version.V2017, None, ("mn-format",)),
}


def sample(samples: list[Sample], number: int) -> bytes:
    return samples[number - 1].frame


def test_the_file_holds_17_packets(public_samples: list[Sample]) -> None:
    assert len(public_samples) == 17


@pytest.mark.parametrize("number", sorted(GOOD))
def test_good_samples_decode(public_samples: list[Sample], number: int) -> None:
    cn, version, dialect, violations = GOOD[number]
    frame = sample(public_samples, number)
    enabled = {CrcDialect.STANDARD} | ({dialect} if dialect else set())
    packet = parse_packet(frame, crc_dialects=enabled)
    assert packet.cn == cn
    assert packet.version is version
    assert packet.crc_dialect is (dialect or CrcDialect.STANDARD)
    assert packet.violations == violations
    assert packet.crc == frame[-6:-2].decode()


@pytest.mark.parametrize("number", [n for n, v in GOOD.items() if v[2] is not None])
def test_dialects_are_refused_unless_configured(public_samples: list[Sample], number: int) -> None:
    dialect = GOOD[number][2]
    with pytest.raises(CrcError) as caught:
        parse_packet(sample(public_samples, number))
    assert caught.value.matches_dialect == dialect
    assert caught.value.field == "CRC"
    assert dialect is not None and dialect.value in str(caught.value)


def test_declared_length_does_not_match(public_samples: list[Sample]) -> None:
    # sample 3 declares 428 bytes but its data segment holds 431
    with pytest.raises(LengthError) as caught:
        parse_packet(sample(public_samples, 3), crc_dialects=ALL_DIALECTS)
    assert caught.value.offset == 2
    assert caught.value.field == "length"
    assert "428" in caught.value.reason and "431" in caught.value.reason


@pytest.mark.parametrize(
    ("number", "carried", "expected"), [(4, "4980", "3C00"), (7, "2800", "D801")]
)
def test_bad_crc_is_rejected_in_every_dialect(
    public_samples: list[Sample], number: int, carried: str, expected: str
) -> None:
    frame = sample(public_samples, number)
    with pytest.raises(CrcError) as caught:
        parse_packet(frame, crc_dialects=ALL_DIALECTS)
    error = caught.value
    assert (error.carried, error.expected, error.matches_dialect) == (carried, expected, None)
    assert error.offset == len(frame) - 6  # the CRC follows the data segment


def test_realtime_values_of_a_2017_packet(public_samples: list[Sample]) -> None:
    packet = parse_packet(sample(public_samples, 6), crc_dialects={"lowercase"})
    readings = {(r.code, r.field): r for r in records(packet)}
    assert len(readings) == 7
    nox = readings["a21002", "Rtd"]
    assert nox.value == 49.20
    assert nox.raw == "49.20"
    assert nox.flag == "N"
    assert nox.valid
    assert nox.period is Period.REALTIME
    assert nox.time == datetime(2019, 10, 12, 13, 37, 10, tzinfo=CHINA_TZ)


def test_minute_values_and_units_of_an_air_station(public_samples: list[Sample]) -> None:
    packet = parse_packet(sample(public_samples, 9))
    readings = {(r.code, r.field): r.value for r in records(packet)}
    assert readings["a34004", "Avg"] == 14  # PM2.5
    assert readings["a34002", "Avg"] == 31  # PM10
    assert readings["a21005", "Avg"] == 0.427  # CO
    times = {r.time for r in records(packet)}
    assert times == {datetime(2022, 5, 13, 16, 26, tzinfo=CHINA_TZ)}  # start of the minute


def test_2005_water_codes_are_translated(public_samples: list[Sample]) -> None:
    packet = parse_packet(sample(public_samples, 14))
    got = {(r.original_code, r.code, r.value, r.known_code) for r in records(packet)}
    assert got == {
        ("001", "w01001", 6.951, True),  # pH
        ("060", "w21003", 23.400, True),  # NH3-N
        ("011", "w01018", 134.119, True),  # COD
        ("B01", "w00000", 382.222, True),  # wastewater flow
        ("B00", "B00", 156720160.0, False),  # no such code: kept, reported
    }


def test_2005_flue_gas_split_packet_over_1024_bytes(public_samples: list[Sample]) -> None:
    packet = parse_packet(sample(public_samples, 16))
    assert packet.length == 1045 and packet.oversize
    assert (packet.flag, packet.pnum, packet.pno, packet.split) == (2, 2, 1, True)
    readings = records(packet)
    codes = {r.original_code: r.code for r in readings}
    assert codes["B02"] == "a00000"
    assert codes["01"] == "a34013"
    assert codes["02"] == "a21026"
    assert codes["03"] == "a21002"
    assert codes["30"] == "a05001"
    so2 = {r.field: r for r in readings if r.code == "a21026"}
    assert set(so2) == {"Min", "Avg", "Max", "Cou", "ZsMin", "ZsAvg", "ZsMax"}
    assert so2["ZsAvg"].flag == "D" and not so2["ZsAvg"].valid
    over_range = {r.original_code for r in readings if r.flag == "T"}
    assert over_range == {"33", "34"}


def test_vendor_codes_of_a_flue_gas_packet_are_kept_unknown(public_samples: list[Sample]) -> None:
    packet = parse_packet(sample(public_samples, 12))
    readings = records(packet)
    assert len(readings) == 31
    # '023' is the 2005 code of a water pollutant; in a flue-gas packet (ST=31) it stays as sent
    assert {r.code for r in readings if r.original_code == "023"} == {"023"}
    assert not any(r.known_code for r in readings)
    assert all(r.valid for r in readings)


def test_flags_mark_invalid_data(public_samples: list[Sample]) -> None:
    packet = parse_packet(sample(public_samples, 15))
    readings = records(packet)
    assert {r.flag for r in readings} == {"D"}
    assert not any(r.valid for r in readings)
    assert {r.field for r in readings if r.code == "a21026"} == {"Rtd", "ZsRtd"}


def test_answer_with_qnrtn_in_a_9014(public_samples: list[Sample]) -> None:
    packet = parse_packet(sample(public_samples, 17))
    assert packet.get("QnRtn") == "1"
    assert packet.get("UTP") == "MICRO_DEV_DOWNLOAD_DATA_YSRDWQGQ1000001001"
    assert reply_for(packet) is None  # answers are not answered


# --- Appendix C vectors ------------------------------------------------------------------------


def test_every_appendix_c_vector_decodes(standard_vectors: list[Sample]) -> None:
    assert len(standard_vectors) == 17
    for vector in standard_vectors:
        packet = parse_packet(vector.frame)
        assert packet.violations == (), vector.note
        assert packet.crc_dialect is CrcDialect.STANDARD


def test_appendix_c_vectors_rebuild_byte_for_byte(standard_vectors: list[Sample]) -> None:
    for vector in standard_vectors:
        packet = parse_packet(vector.frame)
        rebuilt = build_packet(
            packet.cn,
            packet.mn,
            pw=packet.pw,
            st=packet.st,
            qn=packet.qn,
            flag=packet.flag,
            pnum=packet.pnum,
            pno=packet.pno,
            cp=packet.cp,
        )
        assert rebuilt == vector.frame, vector.note


def test_the_length_counts_bytes_of_chinese_text(standard_vectors: list[Sample]) -> None:
    packet = parse_packet(standard_vectors[16].frame)  # C.40, 144 characters in 152 bytes
    assert packet.length == 152
    assert packet.get("i11001-Info") == "//清洗管路//"
    assert records(packet) == []  # 3020 is site information, not monitoring data


def test_centre_answers_match_appendix_c(standard_vectors: list[Sample]) -> None:
    v = standard_vectors
    # C.14 realtime upload → 9014; C.16 minute upload → 9014 (echoing each upload's QN)
    assert reply_for(parse_packet(v[7].frame)) == v[8].frame
    assert reply_for(parse_packet(v[9].frame)) == v[10].frame
    # C.11 stop-realtime notification → 9013
    assert reply_for(parse_packet(v[5].frame)) == v[6].frame
    # C.1 request → field answers 9011 QnRtn=1 then 9012 ExeRtn=1
    request = parse_packet(v[0].frame)
    assert request_reply(request) == v[1].frame
    assert execution_reply(request) == v[2].frame
    assert reply_for(request) is None  # a centre does not answer its own kind of request


def test_split_vectors_carry_their_part_numbers(standard_vectors: list[Sample]) -> None:
    first, second = (parse_packet(standard_vectors[i].frame) for i in (14, 15))
    assert (first.pnum, first.pno, second.pnum, second.pno) == (2, 1, 2, 2)
    assert first.qn != second.qn  # each sub-packet has its own QN (C.49)
    assert reply_for(first) is None  # Flag=6: no answer wanted
    hour = records(first) + records(second)
    assert {r.period for r in hour} == {Period.HOUR}
    assert {r.time for r in hour} == {datetime(2016, 8, 1, 8, 0, tzinfo=CHINA_TZ)}
    assert {(r.code, r.field): r.value for r in hour}["w01018", "Cou"] == 63.0
