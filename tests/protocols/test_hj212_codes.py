"""The code tables against HJ 212-2017 (Tables 5-9, Appendix B) and the shared code list."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ecodata.model import DataFlag, Period
from ecodata.protocols.hj212_codes import (
    COMMANDS,
    DATA_FLAGS,
    EXE_RTN,
    QN_RTN,
    SYSTEM_CODES,
    flag_is_valid,
    is_known_code,
    old_code_of,
    pollutant,
    pollutants,
    translate_2005_code,
    unit_symbol,
)


def test_the_packaged_table_is_the_shared_one_with_the_unit_fix(shared_data: Path) -> None:
    with (shared_data / "hj212" / "hj212.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    assert len(rows) == 379
    table = pollutants()
    assert len(table) == 377  # e701xx and g119xx are printed twice in the standard
    fixed = {"a34001", "a34002", "a34004", "a34005"}
    for code, name, old, unit, *_ in rows:
        entry = table[code]
        assert entry.old_code == (old or None)
        if code in fixed:
            assert unit == "纳克/立方米" and entry.unit == "微克/立方米"
        elif entry.note.startswith("HJ 212-2017 also prints") and entry.name != name:
            continue
        else:
            assert (entry.name, entry.unit) == (name, unit)


@pytest.mark.parametrize(
    ("old", "st", "new"),
    [
        # HJ 212-2017 Appendix B 原编码, the CEMS and wastewater core
        ("02", "31", "a21026"),
        ("03", "31", "a21002"),
        ("01", "31", "a34013"),
        ("S01", "31", "a19001"),
        ("S03", "31", "a01012"),
        ("S08", "31", "a01013"),
        ("S02", "31", "a01011"),
        ("S05", "31", "a01014"),
        ("B02", "31", "a00000"),
        ("04", "31", "a21005"),
        ("S07", "31", "a01016"),
        ("S04", "31", "a01017"),
        ("B01", "32", "w00000"),
        ("011", "32", "w01018"),
        ("060", "32", "w21003"),
        ("001", "32", "w01001"),
        ("101", "32", "w21011"),
        ("065", "32", "w21001"),
        ("003", "32", "w01012"),
        ("010", "32", "w01017"),
        ("011", None, "w01018"),
    ],
)
def test_2005_codes(old: str, st: str | None, new: str) -> None:
    assert translate_2005_code(old, st) == new
    assert old_code_of(new) == old


def test_old_codes_follow_the_system_code() -> None:
    assert translate_2005_code("023", "32") is not None  # a water pollutant
    assert translate_2005_code("023", "31") is None  # not in a flue-gas packet
    assert translate_2005_code("02", "32") is None


@pytest.mark.parametrize(
    ("code", "known"),
    [
        ("a21026", True),
        ("w01018", True),
        ("LA", True),
        ("e20201", True),
        ("g12701", True),
        ("i33321", True),
        ("i12001", True),
        ("SB1", True),
        ("SB12", True),
        ("a99999", False),
        ("801", False),
        ("ua19004", False),
        ("", False),
    ],
)
def test_known_codes(code: str, known: bool) -> None:
    assert is_known_code(code) is known


def test_units() -> None:
    so2 = pollutant("a21026")
    assert so2 is not None and unit_symbol(so2.unit) == "mg/m³"
    pm25 = pollutant("a34004")
    assert pm25 is not None and unit_symbol(pm25.unit) == "µg/m³"
    flow = pollutant("w00000")
    assert flow is not None and (unit_symbol(flow.unit), unit_symbol(flow.amount_unit)) == (
        "L/s",
        "m³",
    )
    assert unit_symbol("吨/平方千米x月") == "吨/平方千米x月"


def test_tables_5_to_8() -> None:
    assert SYSTEM_CODES["31"].startswith("大气环境污染源")
    assert SYSTEM_CODES["91"].startswith("系统交互")
    assert set(EXE_RTN) == {1, 2, 3, 4, 5, 6, 100}
    assert {1, 2, 3, 4, 5, 6, 7, 8, 9, 100} <= set(QN_RTN)
    assert set(DATA_FLAGS) - {"P"} == {f.value for f in DataFlag}
    assert flag_is_valid("N") and flag_is_valid(None)
    assert not flag_is_valid("D") and not flag_is_valid("3")
    assert flag_is_valid("3", "2005") and not flag_is_valid("0", "2005")


def test_table_9_commands() -> None:
    data = {cn: c.period for cn, c in COMMANDS.items() if c.period is not None}
    assert data["2011"] is Period.REALTIME
    assert data["2051"] is Period.MINUTE
    assert data["2061"] is Period.HOUR
    assert data["2031"] is Period.DAY
    assert COMMANDS["1013"].kind == "notification"
    assert COMMANDS["9015"].version == "2025"
    assert all(len(cn) == 4 and cn.isdigit() for cn in COMMANDS)
