"""The JSON objects of ``ecodata hj212 decode`` (one per packet, line or stream input)."""

from __future__ import annotations

import json
from pathlib import Path

from ecodata.protocols.hj212_decode import decode_lines, peek_header


def test_the_public_sample_file_as_it_is(shared_data: Path) -> None:
    data = (shared_data / "hj212" / "samples_public.txt").read_bytes()
    results = list(decode_lines(data))
    assert len(results) == 17
    json.dumps(results, ensure_ascii=False)  # JSON-ready
    ok = [r["line"] for r in results if r["ok"]]
    bad = {r["line"]: r for r in results if not r["ok"]}
    assert len(ok) == 14
    assert [r["error_kind"] for r in bad.values()] == ["length", "crc", "crc"]
    dialects = {r["crc_dialect"] for r in results if r["ok"]}
    assert dialects == {"standard", "lowercase", "modbus-swapped"}
    first = results[0]
    assert {k: first[k] for k in ("qn", "st", "cn", "pw", "mn", "flag", "version")} == {
        "qn": "20160801085857223",
        "st": "32",
        "cn": "1062",
        "pw": "100000",
        "mn": "010000A8900016F000169DC0",
        "flag": 5,
        "version": "2017",
    }
    assert first["fields"] == {"RtdInterval": "30"}
    crc_error = next(r for r in bad.values() if r["error_kind"] == "crc")
    assert crc_error["mn"] == "LD130133000015" and crc_error["cn"] == "2011"
    assert crc_error["error"].startswith("CRC mismatch")


def test_values_of_a_2005_packet(shared_data: Path) -> None:
    data = (shared_data / "hj212" / "samples_public.txt").read_bytes()
    sample_14 = list(decode_lines(data))[13]
    assert sample_14["values"][:2] == [
        {"code": "w01001", "field": "Rtd", "value": 6.951, "flag": "N", "original_code": "001"},
        {"code": "w21003", "field": "Rtd", "value": 23.4, "flag": "N", "original_code": "060"},
    ]
    assert sample_14["unknown_codes"] == ["B00"]


def test_configured_dialects_only(shared_data: Path) -> None:
    data = (shared_data / "hj212" / "samples_public.txt").read_bytes()
    results = list(decode_lines(data, crc_dialects={"standard"}))
    assert sum(r["ok"] for r in results) == 10


def test_a_raw_stream(shared_data: Path) -> None:
    lines = (shared_data / "hj212" / "samples_from_standard.txt").read_bytes().splitlines()
    stream = b"noise" + b"".join(line.split(b"\t")[0] for line in lines if line.startswith(b"##"))
    results = list(decode_lines(stream))
    assert [r["ok"] for r in results] == [False] + [True] * 17
    assert results[0]["error_kind"] == "framing" and results[0]["offset"] == 0
    assert results[8]["values"][0] == {"code": "w01001", "field": "Rtd", "value": 7.1, "flag": "N"}


def test_peek_header_never_fails() -> None:
    assert peek_header(b"##0010ST=32;cn=2011;MN=ABC;Flag=x;CP=&&") == {
        "ST": "32",
        "CN": "2011",
        "MN": "ABC",
        "Flag": "x",
    }
    assert peek_header(b"\xff\xfe") == {}
