"""GB 3838-2002 single-factor classes, river vs lake TP, main pollutants, CWQI, and the published
classes of 2,199 automatic-station readings (2024)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecodata.errors import InputError
from ecodata.standards import gb3838
from ecodata.standards.verification import verify_water_class, verify_water_sections


@pytest.mark.parametrize(
    ("key", "value", "body", "klass"),
    [
        ("codmn", 2.0, "river", 1),
        ("codmn", 2.01, "river", 2),
        ("codmn", 15, "river", 5),
        ("codmn", 15.1, "river", 6),
        ("nh3_n", 0.15, "river", 1),
        ("nh3_n", 1.0, "river", 3),
        ("nh3_n", 2.1, "river", 6),
        ("do", 7.5, "river", 1),
        ("do", 7.49, "river", 2),
        ("do", 2.0, "river", 5),
        ("do", 1.9, "river", 6),
        ("ph", 6.0, "river", 1),
        ("ph", 9.0, "river", 1),
        ("ph", 9.01, "river", 6),
        ("ph", 5.99, "lake", 6),
        ("tp", 0.02, "river", 1),
        ("tp", 0.02, "lake", 2),
        ("tp", 0.05, "river", 2),
        ("tp", 0.05, "lake", 3),
        ("tp", 0.2, "river", 3),
        ("tp", 0.2, "lake", 5),
        ("tp", 0.21, "lake", 6),
        ("hg", 0.0001, "river", 3),
        ("cu", 0.5, "river", 2),
        ("fecal_coliform", 10000, "river", 3),
    ],
)
def test_class_boundaries(key: str, value: float, body: gb3838.WaterBody, klass: int) -> None:
    """A value equal to a class limit belongs to that class (≤; ≥ for DO)."""
    assert gb3838.classify(key, value, body) == klass
    assert gb3838.classify_array(key, [value], body)[0] == klass


def test_single_factor_evaluation_and_main_pollutants() -> None:
    values = {"ph": 7.8, "do": 4.2, "codmn": 8.0, "nh3_n": 2.4, "tp": 0.35, "tn": 3.1}
    river = gb3838.evaluate(values, water_body="river")
    assert (
        river.klass == 6
        and river.label == "劣Ⅴ"
        and river.grade == ("重度污染", "heavily polluted", "red")
    )
    assert {i.key: i.klass for i in river.items} == {
        "ph": 1,
        "do": 4,
        "codmn": 4,
        "nh3_n": 6,
        "tp": 5,
    }
    main = river.main_pollutants
    assert [m.key for m in main] == ["nh3_n", "tp", "codmn"]
    assert main[0].multiple == pytest.approx(1.4)  # (2.4 − 1.0) / 1.0
    assert main[1].multiple == pytest.approx(0.75)  # (0.35 − 0.2) / 0.2
    assert river.reference_items == ()  # TN is not evaluated for rivers
    lake = gb3838.evaluate(values, water_body="湖库")
    assert lake.klass == 6 and [r.key for r in lake.reference_items] == ["tn"]
    assert lake.reference_items[0].klass == 6
    assert gb3838.exceedance_multiple("do", 4.2) is None


def test_missing_items_are_listed_not_counted() -> None:
    result = gb3838.evaluate({"codmn": 3.0, "nh3_n": None, "tp": float("nan")})
    assert result.klass == 2 and result.missing == ("nh3_n", "tp")
    assert gb3838.evaluate({}).klass is None


def test_cwqi() -> None:
    """CWQI per item: C/C_Ⅲ, DO 5/C, pH linear; lakes use the lake TP limit 0.05."""
    assert gb3838.cwqi_item("codmn", 12.0) == pytest.approx(2.0)
    assert gb3838.cwqi_item("do", 10.0) == pytest.approx(0.5)
    assert gb3838.cwqi_item("ph", 6.5) == pytest.approx(0.5)
    assert gb3838.cwqi_item("ph", 8.0) == pytest.approx(0.5)
    assert gb3838.cwqi_item("tp", 0.1, "river") == pytest.approx(0.5)
    assert gb3838.cwqi_item("tp", 0.1, "lake") == pytest.approx(2.0)
    total = gb3838.cwqi({"ph": 8.0, "do": 10.0, "codmn": 3.0, "nh3_n": 0.5, "tp": 0.1, "tn": 5})
    assert total == pytest.approx(0.5 + 0.5 + 0.5 + 0.5 + 0.5)  # TN does not count


def test_class_labels_and_basin_grade() -> None:
    assert [gb3838.parse_class(t) for t in ("Ⅰ", "II", "3", "Ⅳ类", "劣Ⅴ", "劣V")] == [
        1,
        2,
        3,
        4,
        6,
        6,
    ]
    with pytest.raises(InputError):
        gb3838.parse_class("*")
    assert gb3838.basin_grade([1, 2, 2, 3, 3, 3, 3, 3, 3, 2]) == ("优", 100.0, 0.0)
    assert gb3838.basin_grade([1, 2, 3, 4, 6])[0] == "中度污染"
    assert gb3838.basin_grade([6, 6, 4, 3, 2])[0] == "重度污染"
    with pytest.raises(InputError, match="≥ 5 sections"):
        gb3838.basin_grade([1, 2])


def test_bad_water_input() -> None:
    with pytest.raises(InputError, match="unknown item"):
        gb3838.evaluate({"cod_mn": 3})
    with pytest.raises(InputError, match="not a valid measurement"):
        gb3838.evaluate({"codmn": -1})
    with pytest.raises(InputError, match="unknown water body"):
        gb3838.evaluate({"codmn": 1}, water_body="sea")


COLUMNS = {
    "pH(无量纲)": "ph",
    "溶氧量(mg/L)": "do",
    "高锰酸盐指数（mg/L）": "codmn",
    "氨氮（mg/L）": "nh3_n",
    "总磷（mg/L）": "tp",
}


@pytest.fixture(scope="module")
def water_sample(shared_data: Path) -> pd.DataFrame:
    raw = pd.read_excel(shared_data / "water" / "surface_water_sample_2024.xlsx")
    frame = pd.DataFrame(
        {
            key: pd.to_numeric(raw[column].replace("--", np.nan), errors="coerce")
            for column, key in COLUMNS.items()
        }
    )

    def published(text: object) -> float:
        try:
            return float(gb3838.parse_class(str(text)))
        except InputError:
            return float("nan")  # empty or "*" (station in maintenance)

    frame["class"] = raw["水质类别"].map(lambda t: published(t) if isinstance(t, str) else np.nan)
    return frame


def test_published_classes_river_and_lake_rules(water_sample: pd.DataFrame) -> None:
    river = verify_water_class(water_sample, water_body="river")
    lake = verify_water_class(water_sample, water_body="lake")
    assert river.compared == lake.compared == 2133
    assert river.matched == 2068  # 96.95 %
    assert lake.matched == 880  # 41.26 %: the sample is mostly river sections
    # 23 rows match only under the lake/reservoir TP row: stations of unknown type
    assert river.mismatches["other_tp_rule"] == 23
    either = (river.matched + river.mismatches["other_tp_rule"]) / river.compared
    assert either >= 0.98
    assert river.mismatches == {
        "other_tp_rule": 23,
        "on_limit": 4,  # e.g. CODMn exactly 2.00 published as class II
        "ph_not_counted": 7,
        "one_class": 26,
        "unexplained": 5,
    }


def test_unknown_section_type_is_judged_under_both_rules(water_sample: pd.DataFrame) -> None:
    result = verify_water_sections(water_sample, [None] * len(water_sample))
    assert result.by_section_type == {
        "unknown": {
            "compared": 2133,
            "matched_river": 2068,
            "matched_lake": 880,
            "matched_either": 2091,
            "matched_both": 857,
        }
    }
    assert result.overall.matched == 2091
    assert result.match_rate >= 0.98  # the gate: 98.03 %
    assert result.overall.mismatches == {
        "on_limit": 8,
        "ph_not_counted": 7,
        "one_class": 23,
        "unexplained": 4,
    }


def test_known_section_types_use_their_own_rule(water_sample: pd.DataFrame) -> None:
    types = ["river"] * 1000 + ["lake"] * (len(water_sample) - 1000)
    result = verify_water_sections(water_sample, types)
    river = verify_water_class(water_sample.iloc[:1000], water_body="river")
    lake = verify_water_class(water_sample.iloc[1000:], water_body="lake")
    assert result.by_section_type["river"] == {
        "compared": river.compared,
        "matched": river.matched,
    }
    assert result.by_section_type["lake"] == {"compared": lake.compared, "matched": lake.matched}
    assert result.overall.matched == river.matched + lake.matched
    with pytest.raises(InputError, match="section types for"):
        verify_water_sections(water_sample, ["river"])


def test_exclusive_limits_and_values_on_a_limit() -> None:
    values = [2.0, 1.99, 2.01]
    assert gb3838.classify_array("codmn", values).tolist() == [1, 1, 2]
    assert gb3838.classify_array("codmn", values, inclusive=False).tolist() == [2, 1, 2]
    assert gb3838.on_limit_array("codmn", values).tolist() == [True, False, False]
    assert gb3838.classify_array("do", [7.5], inclusive=False).tolist() == [2]
    assert gb3838.classify_array("ph", [9.0, 6.0], inclusive=False).tolist() == [6, 6]
    assert gb3838.on_limit_array("tp", [0.05, 0.025], "lake").tolist() == [True, True]
