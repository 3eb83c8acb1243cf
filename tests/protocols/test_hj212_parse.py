"""Parsing single frames: the slips of real devices and of Appendix C are accepted and recorded;
what cannot be used is refused with an error that names the field and the byte offset."""

from __future__ import annotations

import pytest

from ecodata.errors import InputError
from ecodata.protocols.hj212 import (
    ALL_DIALECTS,
    VIOLATIONS,
    CrcDialect,
    CrcError,
    EncodingError,
    FieldSyntaxError,
    FramingError,
    Hj212Error,
    LengthError,
    MissingFieldError,
    TruncatedError,
    UnsupportedVersionError,
    Version,
    crc16_bitwise,
    parse_packet,
)

MN = "010000A8900016F000169DC0"
HEAD = f"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN={MN};Flag=5;"


def frame(
    segment: str | bytes,
    *,
    length: int | None = None,
    crc: str | None = None,
    encoding: str = "utf-8",
    tail: bytes = b"\r\n",
) -> bytes:
    """A frame around ``segment`` with its length and CRC computed by the literal algorithm."""
    data = segment if isinstance(segment, bytes) else segment.encode(encoding)
    check = crc if crc is not None else f"{crc16_bitwise(data):04X}"
    size = len(data) if length is None else length
    return b"##%04d" % size + data + check.encode() + tail


def test_the_appendix_a_frame() -> None:
    packet = parse_packet(
        b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
        b"Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
    )
    assert (packet.qn, packet.st, packet.cn, packet.pw, packet.mn) == (
        "20160801085857223",
        "32",
        "1062",
        "100000",
        MN,
    )
    assert (packet.flag, packet.version, packet.ack_requested, packet.split) == (
        5,
        Version.V2017,
        True,
        False,
    )
    assert packet.cp == (("RtdInterval", "30"),)
    assert packet.header_field("Flag") == "5"
    assert packet.violations == ()


@pytest.mark.parametrize(
    ("flag", "version", "ack", "split"),
    [
        (0, Version.V2005, False, False),
        (1, Version.V2005, True, False),
        (4, Version.V2017, False, False),
        (5, Version.V2017, True, False),
        (8, Version.V2025, False, False),
        (9, Version.V2025, True, False),
    ],
)
def test_flag_bits(flag: int, version: Version, ack: bool, split: bool) -> None:
    head = HEAD.replace("Flag=5", f"Flag={flag}")
    packet = parse_packet(frame(head + "CP=&&DataTime=20160801085857&&"))
    assert (packet.version, packet.ack_requested, packet.split) == (version, ack, split)


def test_flag_with_d_needs_pnum_and_pno() -> None:
    head = HEAD.replace("Flag=5", "Flag=7")
    with pytest.raises(MissingFieldError) as caught:
        parse_packet(frame(head + "PNUM=2;CP=&&&&"))
    assert caught.value.field == "PNO"
    packet = parse_packet(frame(head + "PNUM=2;PNO=2;CP=&&&&"))
    assert (packet.pnum, packet.pno, packet.split) == (2, 2, True)


@pytest.mark.parametrize(
    ("segment", "violations", "cp"),
    [
        # C.19: no ';' before CP
        (
            HEAD[:-1] + "CP=&&DataTime=20160801000000;SB1-RT=1.1&&",
            {"missing-separator-before-cp"},
            (("DataTime", "20160801000000"), ("SB1-RT", "1.1")),
        ),
        # C.22 / C.48: ',' after QN
        (
            HEAD.replace("223;ST", "223,ST") + "CP=&&&&",
            {"header-comma"},
            (),
        ),
        # C.2 / C.4: space after CP=&&; C.44: 'i13005-Info =40'
        (
            HEAD + "CP=&& PolId=w01018;i13004-Info=168.0; i13005-Info =40&&",
            {"spaces"},
            (("PolId", "w01018"), ("i13004-Info", "168.0"), ("i13005-Info", "40")),
        ),
        # C.4 / C.13: 'CP=&& &&'
        (HEAD + "CP=&& &&", set(), ()),
        # C.23 / C.41: ',' between top-level items
        (
            HEAD + "CP=&&BeginTime=20160801000000,EndTime=20160801000000&&",
            set(),
            (("BeginTime", "20160801000000"), ("EndTime", "20160801000000")),
        ),
        # C.15: the standard's elision '…' glued to a value, and an item without '='
        (
            HEAD + "CP=&&DataTime=20160801085857;SB1-RS=1;SB2-RS=0…;…&&",
            {"cp-item-without-equals"},
            (("DataTime", "20160801085857"), ("SB1-RS", "1"), ("SB2-RS", "0…")),
        ),
        # public sample 14: ';,MN=' and 'FLAG=0', no QN
        (
            f"ST=32;CN=2011;PW=123456;,MN={MN};FLAG=4;CP=&&&&",
            {"header-comma", "empty-header-item", "header-key-case", "missing-qn"},
            (),
        ),
        # header fields the standard does not define, and one given twice
        (
            HEAD + "XX=1;CN=2061;CP=&&&&",
            {"unknown-header-field", "duplicate-header-field"},
            (),
        ),
        # an empty item and a trailing separator in the data area
        (
            HEAD + "CP=&&a=1;;b=2;&&",
            set(),
            (("a", "1"), ("b", "2")),
        ),
    ],
)
def test_lenient_parsing_records_violations(
    segment: str, violations: set[str], cp: tuple[tuple[str, str], ...]
) -> None:
    packet = parse_packet(frame(segment))
    assert set(packet.violations) == violations
    assert packet.cp == cp
    assert set(packet.violations) <= set(VIOLATIONS)


def test_repeated_fields_are_all_kept() -> None:
    # C.29 prints two e01001-Rtd values
    packet = parse_packet(
        frame(HEAD + "CP=&&DataTime=20160801085857;e01001-Rtd=1.1;e01001-Rtd=2.2&&")
    )
    assert packet.cp[1:] == (("e01001-Rtd", "1.1"), ("e01001-Rtd", "2.2"))
    assert packet.get("e01001-Rtd") == "1.1"


def test_info_text_may_hold_separators() -> None:
    packet = parse_packet(frame(HEAD + "CP=&&DataTime=20160801085857;i11001-Info=//a=1;b,c//&&"))
    assert packet.get("i11001-Info") == "//a=1;b,c//"


def test_duplicated_header_keeps_the_first() -> None:
    packet = parse_packet(frame(HEAD + "MN=OTHER;CP=&&&&"))
    assert packet.mn == MN


@pytest.mark.parametrize(
    ("segment", "error", "field"),
    [
        (HEAD.replace("CN=2011", "CN=20x1") + "CP=&&&&", FieldSyntaxError, "CN"),
        (HEAD.replace("CN=2011", "CN=20111") + "CP=&&&&", FieldSyntaxError, "CN"),
        (HEAD.replace("CN=2011;", "") + "CP=&&&&", MissingFieldError, "CN"),
        (HEAD.replace(f"MN={MN};", "") + "CP=&&&&", MissingFieldError, "MN"),
        (HEAD.replace("Flag=5", "Flag=five") + "CP=&&&&", FieldSyntaxError, "Flag"),
        (HEAD.replace("Flag=5", "Flag=300") + "CP=&&&&", UnsupportedVersionError, "Flag"),
        (HEAD.replace("Flag=5", "Flag=13") + "CP=&&&&", UnsupportedVersionError, "Flag"),
        (HEAD.replace("Flag=5", "Flag=7") + "PNUM=x;PNO=1;CP=&&&&", FieldSyntaxError, "PNUM"),
        (HEAD + "CP=&&DataTime=1", FieldSyntaxError, "CP"),
        (HEAD + "RtdInterval=30", MissingFieldError, "CP"),
        (HEAD.replace("ST=32", "ST") + "CP=&&&&", FieldSyntaxError, "ST"),
    ],
)
def test_unusable_packets_say_what_and_where(
    segment: str, error: type[Hj212Error], field: str
) -> None:
    with pytest.raises(error) as caught:
        parse_packet(frame(segment))
    assert caught.value.field == field
    assert caught.value.offset is not None and 6 <= caught.value.offset <= 6 + len(segment)
    assert isinstance(caught.value, InputError)
    assert f"byte {caught.value.offset}" in str(caught.value)


def test_the_offset_points_at_the_field() -> None:
    segment = HEAD.replace("Flag=5", "Flag=300") + "CP=&&&&"
    with pytest.raises(UnsupportedVersionError) as caught:
        parse_packet(frame(segment), offset=1000)
    assert caught.value.offset == 1000 + 6 + segment.index("Flag=")


@pytest.mark.parametrize(
    ("raw", "error", "field"),
    [
        (b"#0101QN=1", FramingError, "header"),
        (b"##01", TruncatedError, "length"),
        (b"##01a1QN=20160801085857223", FramingError, "length"),
        (b"##0101QN=2016", TruncatedError, "length"),
    ],
)
def test_framing_errors(raw: bytes, error: type[Hj212Error], field: str) -> None:
    with pytest.raises(error) as caught:
        parse_packet(raw, source="10.0.0.8:40211")
    assert caught.value.field == field
    assert str(caught.value).startswith("10.0.0.8:40211:")


def test_a_crc_that_is_not_hex() -> None:
    with pytest.raises(CrcError) as caught:
        parse_packet(frame(HEAD + "CP=&&&&", crc="1G80"))
    assert "4 hex digits" in caught.value.reason


def test_mismatched_crc_names_the_expected_value() -> None:
    good = frame(HEAD + "CP=&&&&")
    bad = good[:-6] + b"0000\r\n"
    with pytest.raises(CrcError) as caught:
        parse_packet(bad)
    assert caught.value.carried == "0000"
    assert caught.value.expected == good[-6:-2].decode()
    assert caught.value.expected in caught.value.reason


@pytest.mark.parametrize("dialect", [CrcDialect.MODBUS, CrcDialect.MODBUS_SWAPPED])
def test_modbus_dialects_in_either_case(dialect: CrcDialect) -> None:
    from ecodata.protocols.hj212_crc import crc_for_dialect

    segment = (HEAD + "CP=&&DataTime=20160801085857;w01018-Rtd=2.2&&").encode()
    value = crc_for_dialect(segment, dialect)
    for text in (f"{value:04X}", f"{value:04x}"):
        packet = parse_packet(frame(segment, crc=text), crc_dialects={dialect})
        assert packet.crc_dialect is dialect
        with pytest.raises(CrcError):
            parse_packet(frame(segment, crc=text))


def test_crlf_is_optional_and_a_lone_lf_is_accepted() -> None:
    for tail in (b"", b"\n", b"\r\n"):
        assert parse_packet(frame(HEAD + "CP=&&&&", tail=tail)).cn == "2011"


def test_trailing_bytes_after_a_good_crc() -> None:
    # one vendor appends '**' to reverse-control packets
    packet = parse_packet(frame(HEAD + "CP=&&&&", tail=b"**\r\n"))
    assert packet.violations == ("trailing-bytes",)


def test_length_that_counts_characters() -> None:
    segment = HEAD + "CP=&&DataTime=20100301145000;i11001-Info=//清洗管路//&&"
    packet = parse_packet(frame(segment, length=len(segment)))
    assert "length-counts-characters" in packet.violations
    assert packet.get("i11001-Info") == "//清洗管路//"


def test_declared_length_larger_than_the_segment() -> None:
    segment = HEAD + "CP=&&&&"
    with pytest.raises(LengthError) as caught:
        parse_packet(frame(segment, length=len(segment) + 3))
    assert str(len(segment)) in caught.value.reason


def test_gbk_text_falls_back_and_is_recorded() -> None:
    segment = HEAD + "CP=&&DataTime=20100301145000;i11001-Info=//清洗管路//&&"
    raw = frame(segment, encoding="gbk")
    packet = parse_packet(raw)
    assert packet.encoding == "gbk"
    assert "gbk-text" in packet.violations
    assert packet.get("i11001-Info") == "//清洗管路//"
    assert parse_packet(raw, encoding="gbk").violations == ()


def test_text_in_no_known_encoding() -> None:
    raw = frame((HEAD + "CP=&&i11001-Info=//").encode() + b"\xff\xff\xff//&&")
    with pytest.raises(EncodingError) as caught:
        parse_packet(raw)
    assert caught.value.offset == 6 + len(HEAD + "CP=&&i11001-Info=//")
    with pytest.raises(EncodingError):
        parse_packet(frame(HEAD + "CP=&&i11001-Info=//清洗//&&"), encoding="ascii")


def test_lowercase_is_a_dialect() -> None:
    raw = frame(HEAD + "CP=&&DataTime=20160801085857&&")
    assert raw[-6:-2] == b"E681"
    lower = raw[:-6] + b"e681\r\n"
    with pytest.raises(CrcError):
        parse_packet(lower)
    assert parse_packet(lower, crc_dialects=ALL_DIALECTS).crc_dialect is CrcDialect.LOWERCASE


def test_oversize_packets_are_accepted_and_flagged() -> None:
    values = ";".join(f"a{n:05d}-Rtd={n}.5" for n in range(120))
    packet = parse_packet(frame(HEAD + f"CP=&&DataTime=20160801085857;{values}&&"))
    assert packet.oversize and packet.length > 1024
    assert {"length-over-1024", "cp-over-950"} <= set(packet.violations)
    assert len(packet.cp) == 121
