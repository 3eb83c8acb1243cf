"""US EPA AQI (TAD May 2024): the worked examples printed in the TAD and its special rules."""

from __future__ import annotations

import pytest

from ecodata.errors import InputError
from ecodata.standards import us_epa_aqi as epa


def test_tad_single_pollutant_example() -> None:
    """8-h O3 0.07853333 ppm → truncated 0.078 → 125.5 → 126."""
    assert epa.truncate(0.07853333, 3) == 0.078
    assert epa.index_of("o3_8h", 0.07853333) == 126


def test_tad_multiple_pollutants_example() -> None:
    result = epa.calc({"o3_8h": 0.078, "pm2_5": 35.9, "co": 8.4})
    assert result.indices == {"o3_8h": 126, "pm2_5": 102, "co": 90}
    assert result.aqi == 126 and result.main == ("o3",)
    assert result.category is not None
    assert result.category.name == "Unhealthy for Sensitive Groups"


def test_tad_one_hour_ozone_examples() -> None:
    """The TAD prints 148 for 1-h O3 0.162 ppm; its own equation gives
    (150 − 101)/(0.164 − 0.125)·(0.162 − 0.125) + 101 = 147.49, which rounds to 147."""
    both = epa.calc({"o3_1h": 0.162, "o3_8h": 0.078})
    assert both.indices == {"o3_8h": 126, "o3_1h": 147}
    assert both.aqi == 147 and both.main == ("o3",)
    low = epa.calc({"o3_1h": 0.104, "o3_8h": 0.078})
    assert low.aqi == 126 and low.indices["o3_1h"] is None


def test_so2_rules() -> None:
    assert epa.calc({"so2_1h": 304}).aqi == 200
    assert epa.calc({"so2_1h": 400, "so2_24h": 200}).aqi == 200  # fixed at 200
    assert epa.calc({"so2_1h": 400, "so2_24h": 305}).aqi == 201
    assert epa.calc({"so2_1h": 35}).aqi == 50


@pytest.mark.parametrize(
    ("key", "c", "aqi"),
    [
        ("pm2_5", 9.0, 50),
        ("pm2_5", 9.1, 51),
        ("pm2_5", 35.4, 100),
        ("pm2_5", 35.5, 101),
        ("pm2_5", 125.4, 200),
        ("pm2_5", 225.5, 301),
        ("pm2_5", 325.4, 500),
        ("pm10", 54, 50),
        ("pm10", 55, 51),
        ("pm10", 604, 500),
        ("co", 4.4, 50),
        ("co", 50.4, 500),
        ("no2", 53, 50),
        ("no2", 2049, 500),
        ("o3_8h", 0.054, 50),
        ("o3_8h", 0.200, 300),
        ("o3_1h", 0.604, 500),
    ],
)
def test_breakpoints_of_table_6(key: str, c: float, aqi: int) -> None:
    assert epa.index_of(key, c) == aqi


def test_above_500_is_extrapolated_and_8h_ozone_stops_at_300() -> None:
    """Table 6 note 4: above AQI 500 use the last segment; note 2: 8-h O3 does not define ≥ 301."""
    assert epa.index_of("pm2_5", 425.4) == 699  # 199/99.9·199.9 + 301 = 699.2
    assert epa.index_of("o3_8h", 0.201) is None
    assert epa.calc({"o3_8h": 0.25, "o3_1h": 0.45}).aqi == 346


def test_truncation_is_decimal() -> None:
    assert epa.truncate(35.9, 1) == 35.9
    assert epa.truncate(9.09, 1) == 9.0
    assert epa.round_index(124.5) == 125


def test_colours_differ_from_china() -> None:
    assert epa.CATEGORIES[4].rgb == (143, 63, 151)
    assert epa.category_of(301).name == "Hazardous"


def test_nowcast() -> None:
    steady = epa.nowcast([10.0] * 12)
    assert steady == pytest.approx(10.0)
    # range/max = 0.9 → weight floored at 0.5
    rising = epa.nowcast([100.0, 10.0, 10.0, 10.0])
    assert rising == pytest.approx((100 + 5 + 2.5 + 1.25) / (1 + 0.5 + 0.25 + 0.125))
    assert epa.nowcast([None, None, 10.0, 10.0]) is None


def test_unit_conversion() -> None:
    assert epa.ugm3_to_ppb("so2", 64.066) == pytest.approx(24.45)


def test_bad_input() -> None:
    with pytest.raises(InputError, match="unknown item"):
        epa.calc({"pm25": 3})
    with pytest.raises(InputError, match="must be ≥ 0"):
        epa.calc({"pm2_5": -1})
