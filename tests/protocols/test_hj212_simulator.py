"""Simulated CEMS and wastewater devices: valid, deterministic, physically consistent packets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ecodata.model import CHINA_TZ, Period
from ecodata.protocols.hj212 import Version, parse_packet, records, reply_for, simulated_packet

MN = "010000A8900016F000169DC0"
AT = datetime(2024, 6, 1, 14, 23, 41, tzinfo=CHINA_TZ)


@pytest.mark.parametrize("kind", ["cems", "wastewater"])
@pytest.mark.parametrize("cn", ["2011", "2051", "2061", "2031"])
@pytest.mark.parametrize("version", ["2005", "2017", "2025"])
def test_packets_are_valid(kind: str, cn: str, version: str) -> None:
    frame = simulated_packet(MN, "123456", kind, AT, 42, version, cn=cn)
    packet = parse_packet(frame)
    assert packet.violations == ()
    assert packet.length <= 1024
    assert packet.version is Version(version)
    assert packet.st == ("31" if kind == "cems" else "32")
    assert (packet.cn, packet.pw, packet.mn, packet.ack_requested) == (cn, "123456", MN, True)
    readings = records(packet)
    assert readings and all(r.known_code for r in readings)
    assert reply_for(packet) is not None


def test_times_are_china_standard_time() -> None:
    utc = AT.astimezone(UTC)
    assert simulated_packet(MN, "123456", "cems", utc, 7) == simulated_packet(
        MN, "123456", "cems", AT, 7
    )
    packet = parse_packet(simulated_packet(MN, "123456", "cems", utc, 7))
    assert packet.data_time == "20240601142341"


def test_same_arguments_same_bytes() -> None:
    a = simulated_packet(MN, "123456", "cems", AT, 7)
    assert a == simulated_packet(MN, "123456", "cems", AT, 7)
    assert a != simulated_packet(MN, "123456", "cems", AT, 8)


def test_realtime_cems_values_are_plausible_and_consistent() -> None:
    for seq in range(50):
        packet = parse_packet(simulated_packet(MN, "123456", "cems", AT, seq))
        values = {(r.code, r.field): r.value for r in records(packet)}
        o2 = values["a19001", "Rtd"]
        assert o2 is not None and 3 < o2 < 10
        for code, limit in (("a34013", 10), ("a21026", 35), ("a21002", 50)):
            measured, converted = values[code, "Rtd"], values[code, "ZsRtd"]
            assert measured is not None and converted is not None
            assert 0 <= measured < limit * 1.5
            # HJ 212-2017 D.2 (28), reference O2 6 %
            assert converted == pytest.approx(measured * 15 / (21 - o2), rel=0.02, abs=0.02)
        velocity, flow = values["a01011", "Rtd"], values["a00000", "Rtd"]
        assert velocity is not None and flow is not None
        assert flow == pytest.approx(velocity * 12.56, rel=0.01)


def test_interval_data() -> None:
    packet = parse_packet(simulated_packet(MN, "123456", "wastewater", AT, 5, cn="2061"))
    readings = records(packet)
    assert {r.period for r in readings} == {Period.HOUR}
    assert {r.time for r in readings} == {datetime(2024, 6, 1, 14, 0, tzinfo=CHINA_TZ)}
    values = {(r.code, r.field): r.value for r in readings}
    for code in ("w00000", "w01018", "w21003"):
        low, avg, high = (values[code, f] for f in ("Min", "Avg", "Max"))
        assert low is not None and avg is not None and high is not None
        assert low <= avg <= high
    volume, cod_mass, cod = (
        values["w00000", "Cou"],
        values["w01018", "Cou"],
        values["w01018", "Avg"],
    )
    assert volume is not None and cod_mass is not None and cod is not None
    assert cod_mass == pytest.approx(
        volume * cod * 1e-3, rel=0.01
    )  # D.1 (8): kg = m³ × mg/L × 1e-3
    minute = parse_packet(simulated_packet(MN, "123456", "cems", AT, 5, cn="2051"))
    assert {r.time.minute for r in records(minute)} == {20}  # 10-minute interval 14:20-14:30
    day = parse_packet(simulated_packet(MN, "123456", "cems", AT, 5, cn="2031"))
    assert {r.time for r in records(day)} == {datetime(2024, 6, 1, tzinfo=CHINA_TZ)}


def test_2005_devices_send_old_codes() -> None:
    packet = parse_packet(simulated_packet(MN, "123456", "cems", AT, 1, "2005"))
    originals = {r.original_code: r.code for r in records(packet)}
    assert (
        originals["02"] == "a21026"
        and originals["S01"] == "a19001"
        and originals["B02"] == "a00000"
    )


def test_flags_vary_but_mostly_normal() -> None:
    flags = [
        r.flag
        for seq in range(300)
        for r in records(parse_packet(simulated_packet(MN, "123456", "wastewater", AT, seq)))
    ]
    assert flags.count("N") / len(flags) > 0.97
    assert {"C", "M"} & set(flags)


def test_unknown_kind_or_command() -> None:
    with pytest.raises(ValueError, match="kind"):
        simulated_packet(MN, "123456", "noise", AT, 1)
    with pytest.raises(ValueError, match="CN"):
        simulated_packet(MN, "123456", "cems", AT, 1, cn="2081")
