"""Water classes of stored readings and `verify water` on the real surface-water sample (both
backends). The sample names no station: every reading is its own site of unknown section type."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ecodata.errors import InputError, NotFoundError
from ecodata.evaluation.water_quality import verify_water, water_quality_page, water_readings
from ecodata.store.stores import Stores
from tests.evaluation.conftest import BACKENDS

pytestmark = BACKENDS


def test_published_classes_are_reproduced(water: Stores) -> None:
    report = verify_water(water)
    # 2,133 rows of the file have all five items and a class; one of them has no date and is
    # quarantined by the importer
    assert report["compared"] == 2132
    assert report["match_rate"] >= 0.98  # the gate of the issue
    assert report["matched"] == 2090  # 98.03 %
    assert report["by_section_type"] == {
        "unknown": {
            "compared": 2132,
            "matched_river": 2067,
            "matched_lake": 880,
            "matched_either": 2090,
            "matched_both": 857,
        }
    }
    assert report["mismatches"] == {
        "one_class": 23,
        "on_limit": 8,
        "ph_not_counted": 7,
        "unexplained": 4,
    }
    example = report["examples"]["on_limit"][0]
    assert example["site"] == "WQ-00138" and example["values"]["ph"] == 9.0
    assert (example["published"], example["computed"]) == (6, {"river": 4, "lake": 4})
    # readings of stations under maintenance (flag M) left out
    valid = report["valid_data_only"]
    assert valid["compared"] == 2088 and valid["matched"] == 2046


def test_reading_classes_under_both_rules(water: Stores) -> None:
    page = water_quality_page(water, sites=["WQ-00003"])
    (reading,) = page.rows
    assert reading["time"] == "2024-04-11T00:00:00+08:00"
    assert reading["values"]["tp"] == 0.051 and reading["section_type"] == "unknown"
    assert reading["class"] is None  # no own rule: both are given
    river, lake = reading["classes"]["river"], reading["classes"]["lake"]
    assert (river["class"], river["label"], river["grade"]) == (3, "Ⅲ", "良好")
    assert (lake["class"], lake["items"]["tp"]) == (4, 4)  # TP 0.051 > 0.05 (lake row, Ⅲ)
    assert lake["main_pollutants"] == [{"item": "tp", "class": 4, "multiple": 0.02}]
    assert lake["reference_items"] == {"tn": 6}  # TN 7.95 counts for lakes, as a reference
    assert reading["published_class"] == 3 and reading["matches_published"] is True


def _dated_rows_with_values(shared: Path) -> int:
    """Rows of the sample with a date and at least one number or class, counted on the file."""
    raw = pd.read_excel(shared / "water" / "surface_water_sample_2024.xlsx")
    values = raw.drop(columns=["监测时间", "站点情况"]).replace({"--": None, "*": None})
    return int((raw["监测时间"].notna() & values.notna().any(axis=1)).sum())


def test_pages_follow_site_and_time(water: Stores, shared_data: Path) -> None:
    first = water_quality_page(water, limit=50)
    second = water_quality_page(water, limit=50, cursor=first.next_cursor)
    keys = [(r["site"], r["time"]) for r in first.rows + second.rows]
    assert keys == sorted(keys) and len(set(keys)) == 100
    assert len(water_readings(water)) == _dated_rows_with_values(shared_data) == 2171
    with pytest.raises(NotFoundError, match="WQ-99999"):
        water_quality_page(water, sites=["WQ-99999"])
    with pytest.raises(InputError, match="cursor"):
        water_quality_page(water, cursor="x")


@contextmanager
def section_type(stores: Stores, code: str, value: Any) -> Iterator[None]:
    site = stores.registry.site(code)
    before = dict(site["attributes"])
    stores.registry.upsert_sites([{**site, "attributes": {**before, "section_type": value}}])
    try:
        yield
    finally:
        stores.registry.upsert_sites([{**site, "attributes": before}])


def test_a_known_section_type_picks_its_rule(water: Stores) -> None:
    with section_type(water, "WQ-00003", "湖库"):
        (reading,) = water_quality_page(water, sites=["WQ-00003"]).rows
        assert reading["section_type"] == "lake" and list(reading["classes"]) == ["lake"]
        assert reading["class"] == 4 and reading["matches_published"] is False
        report = verify_water(water)
        assert report["by_section_type"]["lake"] == {"compared": 1, "matched": 0}
        assert report["mismatches"]["other_tp_rule"] == 1  # the river row gives the class
    with section_type(water, "WQ-00003", "sea"), pytest.raises(InputError, match="WQ-00003"):
        water_quality_page(water, sites=["WQ-00003"])
