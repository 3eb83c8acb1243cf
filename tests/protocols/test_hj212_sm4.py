"""SM4 encryption of the data area (HJ 212-2025, as documented; unverified against the official
text) on top of the ``cryptography`` SM4 implementation."""

from __future__ import annotations

from datetime import datetime

import pytest

from ecodata.model import CHINA_TZ
from ecodata.protocols.hj212 import (
    CrcError,
    DecryptionError,
    Version,
    build_packet,
    crc16_bitwise,
    parse_packet,
    records,
    simulated_packet,
)
from ecodata.protocols.hj212_sm4 import decrypt_data_area, encrypt_data_area, sm4_ecb

MN = "010000A8900016F000169DC0"
KEY = b"0" * 16  # the test key of the 2025 examples: 16 × 0x30


def test_sm4_standard_vector() -> None:
    # GB/T 32907-2016 Appendix A.1: key = plaintext = 0123456789ABCDEFFEDCBA9876543210
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    sealed = sm4_ecb(key, key)
    assert sealed.hex().upper() == "681EDF34D206965E86B3E94F536E4246"
    assert sm4_ecb(key, sealed, decrypt=True) == key


def test_whole_blocks_are_encrypted_and_the_tail_stays_plain() -> None:
    plain = b"DataTime=20260105093000;w01018-Rtd=28.1,w01018-Flag=N"  # 53 bytes: 3 blocks + 5
    wire = encrypt_data_area(plain, KEY)
    assert wire.startswith(b"{0x") and wire.endswith(b"}" + plain[48:])
    assert wire.count(b"0x") == 48
    assert decrypt_data_area(wire, KEY) == plain
    assert encrypt_data_area(b"QnRtn=1", KEY) == b"QnRtn=1"  # shorter than one block


def test_encrypted_packet_round_trip() -> None:
    cp = [
        ("DataTime", "20260105093000"),
        ("w01018-Rtd", "28.1"),
        ("w01018-Flag", "N"),
        ("i11001-Info", "//清洗管路//"),
    ]
    frame = build_packet("2011", MN, version=Version.V2025, ack=True, cp=cp, sm4_key=KEY)
    assert b"DataTime" not in frame
    packet = parse_packet(frame, sm4_key=KEY)
    assert packet.encrypted and packet.cp == tuple(cp)
    # the length field counts the plaintext segment, the CRC covers the plaintext
    plain_segment = (
        f"ST=32;CN=2011;PW=123456;MN={MN};Flag=9;CP=&&DataTime=20260105093000;"
        "w01018-Rtd=28.1,w01018-Flag=N;i11001-Info=//清洗管路//&&"
    ).encode()
    assert int(frame[2:6]) == len(plain_segment)
    assert frame[-6:-2] == b"%04X" % crc16_bitwise(plain_segment)


def test_length_of_the_transmitted_segment_is_accepted_too() -> None:
    cp = [("DataTime", "20260105093000"), ("w01018-Rtd", "28.1")]
    frame = build_packet("2011", MN, version="2025", cp=cp, sm4_key=KEY, sm4_length="transmitted")
    assert int(frame[2:6]) == len(frame) - 12
    assert parse_packet(frame, sm4_key=KEY).cp == tuple(cp)


def test_without_a_key() -> None:
    frame = build_packet(
        "2011", MN, version="2025", cp=[("DataTime", "20260105093000")], sm4_key=KEY
    )
    with pytest.raises(DecryptionError) as caught:
        parse_packet(frame)
    assert caught.value.field == "CP"
    assert "no SM4 key" in caught.value.reason


def test_with_the_wrong_key() -> None:
    frame = build_packet(
        "2011", MN, version="2025", cp=[("DataTime", "20260105093000")], sm4_key=KEY
    )
    with pytest.raises(CrcError) as caught:
        parse_packet(frame, sm4_key=b"1" * 16)
    assert "wrong SM4 key" in caught.value.reason


@pytest.mark.parametrize(
    ("area", "message"),
    [(b"{0x01,0x02", "no closing"), (b"{0x01,0xZZ}", "0xHH"), (b"{0x01,0x02}", "multiple of 16")],
)
def test_malformed_ciphertext(area: bytes, message: str) -> None:
    segment = f"ST=32;CN=2011;PW=123456;MN={MN};Flag=9;CP=&&".encode() + area + b"&&"
    frame = b"##%04d" % len(segment) + segment + b"%04X\r\n" % crc16_bitwise(segment)
    with pytest.raises(DecryptionError) as caught:
        parse_packet(frame, sm4_key=KEY)
    assert message in caught.value.reason


def test_a_key_that_is_not_16_bytes() -> None:
    with pytest.raises(DecryptionError):
        sm4_ecb(b"short", b"0" * 16)


def test_plain_packets_from_a_device_with_a_key_are_flagged() -> None:
    packet = parse_packet(
        build_packet("2011", MN, qn="20260105093000000", version="2025"), sm4_key=KEY
    )
    assert packet.violations == ("unencrypted",)


def test_simulated_2025_device() -> None:
    at = datetime(2026, 1, 5, 9, 30, tzinfo=CHINA_TZ)
    frame = simulated_packet(MN, "123456", "cems", at, 3, "2025", sm4_key=KEY)
    packet = parse_packet(frame, sm4_key=KEY)
    assert packet.version is Version.V2025 and packet.flag == 9 and packet.encrypted
    assert {r.code for r in records(packet)} >= {"a21026", "a21002", "a34013"}
