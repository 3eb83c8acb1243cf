"""calc_record: one record, both editions, both periods; levels, categories, primary pollutants and
the missing-data rules."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np
import pytest

from ecodata.errors import InputError
from ecodata.model import CHINA_TZ, Period
from ecodata.standards.hj633 import calc_record, category_of, level_of
from ecodata.standards.hj633_tables import CATEGORIES, SENSITIVE_GROUPS_2026

# A station-hour of the national publication (site 1001A, 2019-01-01 00h; published AQI 73, with
# O3 missing): SO2 15, NO2 75, CO 1.2, PM10 76, PM2.5 53.
STATION_HOUR = {"so2": 15, "no2": 75, "co": 1.2, "o3": None, "pm10": 76, "pm2_5": 53}


def test_published_station_hour() -> None:
    result = calc_record(STATION_HOUR, version="2012", period="hour")
    assert result.iaqi == {"so2": 5, "no2": 38, "co": 12, "o3": None, "pm10": 63, "pm2_5": 73}
    assert result.aqi == 73
    assert result.level == 2
    assert result.category is not None and result.category.name_zh == "良"
    assert result.primary == ("pm2_5",)
    assert result.missing == ("o3",)
    assert result.aqi_status == "partial"


def test_same_hour_under_2026_is_na_because_o3_is_missing() -> None:
    """HJ 633-2026 §5.3.1: a missing pollutant and AQI ≤ 100 → AQI, level and category are NA."""
    result = calc_record(STATION_HOUR, version="2026", period="hour")
    assert result.aqi is None and result.level is None and result.category is None
    assert result.aqi_status == "na_incomplete"
    assert result.aqi_from_available == 86  # PM2.5 53 on the 2026 table: 50 + 18/25·50
    assert result.iaqi["pm2_5"] == 86


def test_2026_incomplete_but_over_100_is_published() -> None:
    result = calc_record({"pm2_5": 90, "pm10": None}, version="2026", period="day")
    assert result.aqi == 128 and result.aqi_status == "partial" and result.level == 3
    assert result.sensitive_groups == {"pm2_5": SENSITIVE_GROUPS_2026["pm2_5"]}


def test_not_monitored_pollutant_does_not_block_publication() -> None:
    """HJ 633-2026 §5.3.2: a pollutant outside the monitoring plan is not 'missing'."""
    values = {"so2": 5, "no2": 20, "co": 0.5, "o3_8h": 80, "pm10": 40}
    assert calc_record(values, version="2026", period="day").aqi is None
    result = calc_record(values, version="2026", period="day", not_monitored=["pm2_5"])
    assert result.aqi == 40 and result.aqi_status == "ok"


def test_version_from_the_time_of_the_data() -> None:
    values = {"pm2_5": 70, "pm10": 60, "so2": 5, "no2": 20, "co": 0.5, "o3": 50}
    before = calc_record(values, at=datetime(2026, 2, 28, 23, tzinfo=CHINA_TZ), period="hour")
    after = calc_record(values, at=datetime(2026, 3, 1, 0, tzinfo=CHINA_TZ), period="hour")
    assert (before.version, before.aqi, before.category and before.category.name_zh) == (
        "2012",
        94,
        "良",
    )
    assert (after.version, after.aqi, after.category and after.category.name_zh) == (
        "2026",
        110,
        "轻度污染",
    )


def test_explicit_version_against_the_time_is_noted() -> None:
    result = calc_record(
        {"pm2_5": 70}, version="2012", at=datetime(2026, 3, 2, tzinfo=CHINA_TZ), period="day"
    )
    assert result.version == "2012"
    assert any("fall under HJ 633-2026" in n for n in result.notes)


def test_daily_2012_has_seven_indicators_and_2026_six() -> None:
    values = {"so2": 10, "no2": 30, "co": 0.8, "o3": 180, "o3_8h": 150, "pm10": 70, "pm2_5": 40}
    d2012 = calc_record(values, version="2012", period=Period.DAY)
    d2026 = calc_record(values, version="2026", period="day")
    assert set(d2012.iaqi) == {"so2", "no2", "co", "o3", "o3_8h", "pm10", "pm2_5"}
    assert set(d2026.iaqi) == {"so2", "no2", "co", "o3_8h", "pm10", "pm2_5"}
    assert d2012.iaqi["o3"] == 75 and d2012.iaqi["o3_8h"] == 92 and d2012.aqi == 92
    assert d2026.aqi == 92 and d2026.primary == ("o3",)
    assert d2026.shown == {"o3": 180}
    assert any("not a daily indicator" in n for n in d2026.notes)


def test_primary_pollutants_ties_and_threshold() -> None:
    tie = calc_record({"pm10": 150, "pm2_5": 75, "so2": 5}, version="2012", period="day")
    assert tie.aqi == 100 and tie.primary == ("pm10", "pm2_5")
    low = calc_record({"pm10": 50, "pm2_5": 35}, version="2012", period="day")
    assert low.aqi == 50 and low.primary == ()
    ozone = calc_record({"o3": 250, "o3_8h": 900}, version="2012", period="day")
    assert ozone.iaqi == {
        "so2": None,
        "no2": None,
        "co": None,
        "o3": 125,
        "o3_8h": 125,
        "pm10": None,
        "pm2_5": None,
    }
    assert ozone.primary == ("o3",) and ozone.primary_indicators == ("o3", "o3_8h")


def test_non_attainment_pollutants_only_in_2012() -> None:
    values = {"pm2_5": 80, "pm10": 160, "no2": 50}
    assert calc_record(values, version="2012", period="day").exceeding == ("pm10", "pm2_5")
    as_json = calc_record(values, version="2026", period="day").to_json()
    assert as_json["exceeding"] is None


def test_above_the_table() -> None:
    undefined = calc_record({"pm2_5": 600, "pm10": 100}, version="2012", period="hour")
    assert undefined.aqi is None and undefined.aqi_status == "above_scale"
    assert undefined.level == 6 and undefined.primary == ("pm2_5",)
    capped = calc_record(
        {"pm2_5": 600, "pm10": 100}, version="2012", period="hour", above_scale="cap"
    )
    assert capped.aqi == 500 and capped.level == 6 and capped.primary == ("pm2_5",)


def test_2012_strict_realtime_rule_uses_24h_pm() -> None:
    values = {**STATION_HOUR, "pm10_24h": 68, "pm2_5_24h": 44, "o3": 20, "o3_8h": 11}
    strict = calc_record(values, version="2012", period="hour", rule="strict")
    assert strict.iaqi["pm2_5_24h"] == 62 and strict.iaqi["pm10_24h"] == 59
    assert "pm2_5" not in strict.iaqi and strict.shown["pm2_5"] == 53
    assert strict.aqi == 62
    published = calc_record(values, version="2012", period="hour")
    assert published.aqi == 73


def test_so2_fallback_in_a_record() -> None:
    result = calc_record({"so2": 900, "so2_24h": 300}, version="2012", period="hour")
    assert result.iaqi["so2"] == 124 and result.aqi == 124
    assert calc_record({"so2": 900}, version="2026", period="hour").aqi == 200


@pytest.mark.parametrize(
    ("aqi", "level"),
    [
        (0, 1),
        (50, 1),
        (51, 2),
        (100, 2),
        (101, 3),
        (150, 3),
        (151, 4),
        (200, 4),
        (201, 5),
        (300, 5),
        (301, 6),
        (500, 6),
    ],
)
def test_levels(aqi: int, level: int) -> None:
    assert level_of(aqi) == level


def test_categories_follow_the_standards() -> None:
    """HJ 633-2012 Table 2 / Appendix A and HJ 633-2026 Table 1 / Appendix A."""
    c12, c26 = CATEGORIES["2012"], CATEGORIES["2026"]
    assert [c.name_zh for c in c12] == ["优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"]
    assert [c.rgb for c in c26] == [
        (0, 228, 0),
        (255, 255, 0),
        (255, 126, 0),
        (255, 0, 0),
        (153, 0, 76),
        (126, 0, 35),
    ]
    assert [c.cmyk for c in c12] == [
        (40, 0, 100, 0),
        (0, 0, 100, 0),
        (0, 52, 100, 0),
        (0, 100, 100, 0),
        (10, 100, 40, 30),
        (30, 100, 100, 30),
    ]
    assert c12[4].hex == "#99004C"
    assert c12[0].aqi_range == "0～50" and c26[0].aqi_range == "1～50"
    assert c12[2].health_effects_zh.startswith("易感人群") and c26[2].health_effects_zh.startswith(
        "敏感人群"
    )
    assert "青少年儿童" in c26[5].advice_zh and "青少年儿童" not in c12[5].advice_zh
    assert category_of(301, "2026").colour_zh == "褐红色"


def test_to_json_is_serialisable() -> None:
    data = calc_record(STATION_HOUR, version="2012", period="hour").to_json()
    text = json.dumps(data, ensure_ascii=False)
    assert {"iaqi", "aqi", "level", "category", "primary"} <= set(json.loads(text))
    assert data["category"]["hex"] == "#FFFF00"  # type: ignore[index]


@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        ({"pm25": 10}, {"version": "2012"}, "unknown pollutant key"),
        ({"pm2_5": -3}, {"version": "2012"}, "pm2_5: concentration -3.0"),
        ({"pm2_5": "high"}, {"version": "2012"}, "not a number"),
        ({"pm2_5": 10}, {"version": "2020"}, "unknown version"),
        ({"pm2_5": 10}, {}, "give the HJ 633 version"),
        ({"pm2_5": 10}, {"at": datetime(2026, 3, 1)}, "no time zone"),
        ({"pm2_5": 10}, {"version": "2012", "period": "week"}, "unknown AQI period"),
        ({"pm2_5": 10}, {"version": "2012", "rule": "lenient"}, "unknown HJ 633 rule"),
    ],
)
def test_bad_input_gets_a_clear_error(values: dict, kwargs: dict, message: str) -> None:  # type: ignore[type-arg]
    kwargs.setdefault("period", "hour")
    with pytest.raises(InputError, match=message):
        calc_record(values, **kwargs)


def test_numpy_scalars_are_numbers() -> None:
    values: dict[str, Any] = {"pm2_5": np.int64(53), "pm10": np.float32(76), "so2": np.float64(15)}
    assert calc_record(values, version="2012", period="hour").aqi == 73
