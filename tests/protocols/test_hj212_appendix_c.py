"""All 155 example packets of HJ 212-2017 Appendix C (C.1-C.50), as printed with their slips:
each decodes, and where the standard prints the answer to a packet, ecodata's answer is the same."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

from ecodata.protocols.hj212 import (
    VIOLATIONS,
    Packet,
    crc16_bitwise,
    execution_reply,
    parse_packet,
    records,
    reply_for,
    request_reply,
)

TABLE = Path(__file__).resolve().parents[1] / "data" / "hj212_appendix_c.tsv"
CENTRE = "上位机→现场机"
FIELD = "现场机→上位机"


@dataclass(frozen=True)
class Example:
    table: str
    direction: str
    segment: str

    @property
    def frame(self) -> bytes:
        data = self.segment.encode("utf-8")
        return b"##%04d" % len(data) + data + b"%04X\r\n" % crc16_bitwise(data)


def examples() -> list[Example]:
    rows = [line.split("\t") for line in TABLE.read_text("utf-8").splitlines()]
    return [Example(*row) for row in rows if not row[0].startswith("#")]


EXAMPLES = examples()


def segment_of(answer: bytes) -> str:
    return answer[6:-6].decode("utf-8")


def test_all_tables_are_there() -> None:
    assert len(EXAMPLES) == 155
    assert {e.table for e in EXAMPLES} == {f"C.{n}" for n in range(1, 51)}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.table}-{e.segment[40:52]}")
def test_every_example_decodes(example: Example) -> None:
    packet = parse_packet(example.frame)
    assert set(packet.violations) <= set(VIOLATIONS)
    if "…" not in example.segment:
        assert "cp-item-without-equals" not in packet.violations
    records(packet)  # data examples carry a valid DataTime; requests carry no values


def _pairs(kind: str) -> list[tuple[Example, Example]]:
    """(packet, the answer printed right after it) for answers of CN ``kind``."""
    found = []
    for first, second in pairwise(EXAMPLES):
        if f"CN={kind};" in second.segment and first.table == second.table:
            found.append((first, second))
    return found


@pytest.mark.parametrize("kind", ["9013", "9014"])
def test_the_centre_answers_as_printed(kind: str) -> None:
    pairs = _pairs(kind)
    assert len(pairs) == (3 if kind == "9013" else 19)
    for sent, printed in pairs:
        answer = reply_for(parse_packet(sent.frame))
        assert answer is not None, sent.table
        # C.4 and C.13 print 'CP=&& &&', a stray space
        assert segment_of(answer) == printed.segment.replace(" ", ""), sent.table


def test_the_logger_answers_requests_as_printed() -> None:
    checked = 0
    for index, example in enumerate(EXAMPLES):
        if example.direction != CENTRE or "ST=91" in example.segment:
            continue
        request: Packet = parse_packet(example.frame)
        answers = [e for e in EXAMPLES[index + 1 :] if e.table == example.table]
        for printed in answers:
            if "CN=9011;" in printed.segment and f"QN={request.qn};" in printed.segment:
                assert segment_of(request_reply(request)) == printed.segment
                checked += 1
            if "CN=9012;" in printed.segment:
                assert segment_of(execution_reply(request)) == printed.segment.replace(" ", "")
                checked += 1
    assert checked > 60


def test_realtime_minute_hour_and_day_examples_give_readings() -> None:
    periods = {}
    for example in EXAMPLES:
        if example.direction == FIELD and "DataTime=" in example.segment:
            packet = parse_packet(example.frame)
            for reading in records(packet):
                periods.setdefault(packet.cn, set()).add(reading.period.label)
    assert periods["2011"] == {"realtime"}
    assert periods["2051"] == {"minute"}
    assert periods["2061"] == {"hour"}
    assert periods["2031"] == {"day"}
    assert periods["2041"] == {"day"}
