"""The meaning of data packets: periods, interval start times, fields, flags, code translation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hj212_sample_files import Sample

from ecodata.model import CHINA_TZ, Period
from ecodata.protocols.hj212 import (
    FieldSyntaxError,
    MissingFieldError,
    Version,
    build_packet,
    parse_packet,
    records,
)
from ecodata.protocols.hj212_records import parse_data_time

MN = "010000A8900016F000169DC0"


def packet_with(cn: str, cp: list[tuple[str, str]], **options: Any) -> bytes:
    return build_packet(cn, MN, qn="20160801085857223", cp=cp, **options)


@pytest.mark.parametrize(
    ("cn", "period"),
    [
        ("2011", Period.REALTIME),
        ("2021", Period.REALTIME),
        ("2051", Period.MINUTE),
        ("2061", Period.HOUR),
        ("2031", Period.DAY),
        ("2041", Period.DAY),
    ],
)
def test_data_commands_map_to_periods(cn: str, period: Period) -> None:
    packet = parse_packet(packet_with(cn, [("DataTime", "20160801080000"), ("w01018-Avg", "40.1")]))
    (reading,) = records(packet)
    assert reading.period is period
    assert reading.cn == cn


@pytest.mark.parametrize("cn", ["1011", "1062", "2081", "3020", "9014", "9999"])
def test_other_commands_carry_no_readings(cn: str) -> None:
    packet = parse_packet(packet_with(cn, [("DataTime", "20160801080000"), ("w01018-Avg", "1")]))
    assert records(packet) == []


def test_minute_data_of_appendix_c16(standard_vectors: list[Sample]) -> None:
    readings = records(parse_packet(standard_vectors[9].frame))
    # HJ 212-2017 C.16: a 10-minute interval starting 08:40:00, DataTime is its start
    assert {r.time for r in readings} == {datetime(2016, 8, 1, 8, 40, tzinfo=CHINA_TZ)}
    assert {r.time.utcoffset() for r in readings} == {timedelta(hours=8)}
    table = {(r.code, r.field): r.value for r in readings}
    assert table == {
        ("w00000", "Cou"): 10.5,
        ("w00000", "Min"): 16.4,
        ("w00000", "Avg"): 17.5,
        ("w00000", "Max"): 20.1,
        ("w01001", "Min"): 7.1,
        ("w01001", "Avg"): 7.5,
        ("w01001", "Max"): 7.8,
        ("w01018", "Cou"): 10.5,
        ("w01018", "Min"): 40.1,
        ("w01018", "Avg"): 40.1,
        ("w01018", "Max"): 40.1,
    }
    assert all(r.flag == "N" and r.valid and r.known_code for r in readings)


def test_realtime_qualifiers_of_appendix_c14(standard_vectors: list[Sample]) -> None:
    readings = records(parse_packet(standard_vectors[7].frame))
    cod = next(r for r in readings if r.code == "w01018")
    assert (cod.field, cod.value, cod.flag, cod.eflag) == ("Rtd", 2.2, "N", "A01")
    assert cod.sample_time == datetime(2016, 8, 1, 7, 0, tzinfo=CHINA_TZ)
    assert cod.time == datetime(2016, 8, 1, 8, 58, 57, tzinfo=CHINA_TZ)  # acquisition instant
    assert len(readings) == 2  # Flag, EFlag and SampleTime qualify, they are not readings


def test_converted_values_and_amounts_are_their_own_series() -> None:
    packet = parse_packet(
        packet_with(
            "2061",
            [
                ("DataTime", "20240601130000"),
                ("a21026-Cou", "1.25"),
                ("a21026-Avg", "18.2"),
                ("a21026-ZsAvg", "19.6"),
                ("a21026-ZsMax", "25.0"),
                ("a21026-Flag", "N"),
            ],
        )
    )
    fields = {r.field: r.value for r in records(packet)}
    assert fields == {"Cou": 1.25, "Avg": 18.2, "ZsAvg": 19.6, "ZsMax": 25.0}


@pytest.mark.parametrize(
    ("flag", "valid"),
    [
        ("N", True),
        (None, True),
        ("F", False),
        ("M", False),
        ("S", False),
        ("D", False),
        ("C", False),
        ("T", False),
        ("B", False),
        ("St", False),
    ],
)
def test_flags_set_validity(flag: str | None, valid: bool) -> None:
    cp = [("DataTime", "20240601120000"), ("a21002-Rtd", "30.1")]
    if flag is not None:
        cp.append(("a21002-Flag", flag))
    (reading,) = records(parse_packet(packet_with("2011", cp)))
    assert reading.flag == flag
    assert reading.valid is valid


def test_2005_air_station_flags() -> None:
    cp = [
        ("DataTime", "20240601120000"),
        ("a21026-Rtd", "12"),
        ("a21026-Flag", "3"),
        ("a21002-Rtd", "30"),
        ("a21002-Flag", "2"),
    ]
    packet = parse_packet(packet_with("2011", cp, version=Version.V2005, st="22"))
    assert {r.code: r.valid for r in records(packet)} == {"a21026": True, "a21002": False}


def test_values_that_are_not_numbers_are_kept_as_text() -> None:
    cp = [
        ("DataTime", "20240601120000"),
        ("a21002-Rtd", "nan"),
        ("a21026-Rtd", "1_0"),
        ("a34013-Rtd", ""),
        ("a19001-Rtd", "-0.5"),
        ("a01012-Rtd", "+85"),
    ]
    readings = {r.code: r for r in records(parse_packet(packet_with("2011", cp)))}
    assert readings["a21002"].value is None and readings["a21002"].raw == "nan"
    assert readings["a21026"].value is None and not readings["a21026"].valid
    assert readings["a34013"].value is None
    assert readings["a19001"].value == -0.5
    assert readings["a01012"].value == 85.0


def test_unknown_codes_are_kept_and_marked() -> None:
    cp = [
        ("DataTime", "20240601120000"),
        ("ua19004-Rtd", "1.5"),
        ("a21026-Rtd", "2"),
        ("e20201-Rtd", "30"),
        ("SB1-RS", "1"),
        ("i33312-Info", "850"),
    ]
    known = {r.code: r.known_code for r in records(parse_packet(packet_with("2011", cp)))}
    assert known == {"ua19004": False, "a21026": True, "e20201": True, "SB1": True, "i33312": True}


def test_a_device_code_map_wins() -> None:
    cp = [("DataTime", "20240601120000"), ("801-Rtd", "3.1"), ("01-Rtd", "2.2")]
    packet = parse_packet(packet_with("2011", cp, st="31", version=Version.V2005))
    got = {r.original_code: r.code for r in records(packet, code_map={"801": "a21026"})}
    assert got == {"801": "a21026", "01": "a34013"}


def test_noise_data() -> None:
    # HJ 212-2017 C.26: noise minute data use the field 'Data'
    packet = parse_packet(
        packet_with(
            "2051",
            [("DataTime", "20160801084000"), ("L5-Data", "53.0"), ("Leq-Data", "50.0")],
            st="23",
        )
    )
    assert {(r.code, r.field, r.value, r.known_code) for r in records(packet)} == {
        ("L5", "Data", 53.0, True),
        ("Leq", "Data", 50.0, True),
    }


def test_data_packet_without_datatime() -> None:
    packet = parse_packet(packet_with("2011", [("a21026-Rtd", "2")]))
    with pytest.raises(MissingFieldError) as caught:
        records(packet)
    assert caught.value.field == "DataTime"


@pytest.mark.parametrize(
    "text", ["2016080108585", "20161301000000", "2016080125000a", "20160230120000"]
)
def test_impossible_datatime(text: str) -> None:
    packet = parse_packet(packet_with("2011", [("DataTime", text), ("a21026-Rtd", "2")]))
    with pytest.raises(FieldSyntaxError) as caught:
        records(packet)
    assert caught.value.field == "DataTime"


def test_datatime_with_milliseconds() -> None:
    # hj-t212-parser issue #5: 17-digit DataTime seen in the field
    assert parse_data_time("20160824003817123") == datetime(
        2016, 8, 24, 0, 38, 17, 123000, tzinfo=CHINA_TZ
    )
