"""HJ 663 statistics and GB 3095 evaluation: the validity rules, the percentile method, and the
Dongsi 2016 cross-check figures of the reference (computed independently there, not official)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecodata.errors import InputError
from ecodata.model import CHINA_TZ
from ecodata.standards import gb3095, hj663
from ecodata.standards.hj633_arrays import aqi_arrays

PRSA_POLLUTANTS = {
    "PM2.5": "pm2_5",
    "PM10": "pm10",
    "SO2": "so2",
    "NO2": "no2",
    "CO": "co",
    "O3": "o3",
}


@pytest.fixture(scope="module")
def dongsi_2016(shared_data: Path) -> pd.DataFrame:
    """Dongsi (UCI PRSA) hourly values of 2016 as a long frame; CO converted µg/m³ → mg/m³; the
    row hour h is taken as the hour starting at h:00 China time."""
    raw = pd.read_csv(
        shared_data / "air" / "beijing_multisite" / "PRSA_Data_Dongsi_20130301-20170228.csv"
    )
    raw = raw[raw["year"] == 2016].copy()
    raw["time"] = pd.to_datetime(raw[["year", "month", "day", "hour"]])
    raw["CO"] = raw["CO"] / 1000
    long = raw.melt(id_vars=["time"], value_vars=list(PRSA_POLLUTANTS), var_name="parameter")
    long["parameter"] = long["parameter"].map(PRSA_POLLUTANTS)
    long["site"] = "Dongsi"
    return long


def _levels(levels: np.ndarray) -> list[int]:
    return [int((levels == k).sum()) for k in range(1, 7)]


def test_dongsi_days_by_category(dongsi_2016: pd.DataFrame) -> None:
    daily = hj663.daily_indicators(dongsi_2016, naive_tz=CHINA_TZ)
    columns = {k: daily[k] for k in ("so2", "no2", "co", "o3", "o3_8h", "pm10", "pm2_5")}
    r2012 = aqi_arrays(columns, version="2012", period="day")
    assert int(np.isfinite(r2012.aqi).sum()) == 350
    assert _levels(r2012.level) == [49, 132, 82, 42, 29, 16]
    good, days, share = hj663.good_day_share(r2012.aqi)
    assert (good, days, round(100 * share, 1)) == (181, 350, 51.7)

    r2026 = aqi_arrays(columns, version="2026", period="day")
    # the reference counts every day with a computable AQI (no completeness rule) …
    good, days, share = hj663.good_day_share(r2026.aqi_from_available)
    assert (good, days, round(100 * share, 1)) == (152, 350, 43.4)
    # … HJ 633-2026 §5.3.1 blanks 7 incomplete days with AQI ≤ 100
    assert int(np.isfinite(r2026.aqi).sum()) == 343
    assert _levels(r2026.level) == [46, 99, 111, 42, 29, 16]


def test_dongsi_annual_statistics_and_composite_index(dongsi_2016: pd.DataFrame) -> None:
    means = hj663.daily_means(dongsi_2016, naive_tz=CHINA_TZ)
    mda8 = hj663.o3_mda8(dongsi_2016, naive_tz=CHINA_TZ)
    daily = pd.concat([means, mda8.loc[:, ["site", "parameter", "date", "value"]]])
    stats = {str(k): v for k, v in hj663.annual_statistics(daily).iloc[0].items()}
    assert stats["year"] == 2016 and stats["n_pm2_5"] == 345 and stats["n_so2"] == 348
    # ≥ 324 days, but GB 3095 Table 4 also needs 27 days in every month: June (SO2 26 days) and
    # July (PM2.5 24 days) fall short, so strictly the 2016 annual values are not valid
    assert not stats["valid"] and not stats["valid_so2"] and not stats["valid_pm2_5"]
    reference = {
        "pm2_5": 80.6,
        "pm2_5_p95": 235.4,
        "pm10": 103.4,
        "pm10_p95": 279.2,
        "so2": 11.5,
        "so2_p98": 47.1,
        "no2_p98": 121.1,
        "o3_8h_p90": 182.8,
    }
    assert {k: round(stats[k], 1) for k in reference} == reference
    assert round(stats["co_p95"], 2) == 3.17
    # NO2 mean: 51.1 from the rounded daily values, 51.2 (the reference) from unrounded ones
    assert round(stats["no2"], 1) == 51.1
    unrounded = hj663.annual_statistics(daily, round_daily=False).iloc[0]
    assert round(unrounded["no2"], 1) == 51.2

    index = hj663.composite_index(stats)
    assert round(index.total, 2) == 7.19
    assert round(index.weighted, 2) == 14.21
    assert {k: round(v, 2) for k, v in index.parts.items()} == {
        "so2": 0.19,
        "no2": 1.28,
        "pm10": 1.48,
        "pm2_5": 2.30,
        "co": 0.79,
        "o3": 1.14,
    }

    evaluation = gb3095.evaluate_annual(stats, version="2012")
    assert evaluation.attains is False
    assert evaluation.exceeding == ("no2", "pm10", "pm2_5", "o3")


def test_daily_mean_needs_20_hours() -> None:
    start = datetime(2024, 5, 1, tzinfo=CHINA_TZ)
    times = pd.date_range(start, periods=48, freq="h")
    values = np.r_[np.full(20, 10.0), np.full(4, np.nan), np.full(19, 30.0), np.full(5, np.nan)]
    frame = pd.DataFrame({"site": "A", "time": times, "parameter": "pm2_5", "value": values})
    out = hj663.daily_means(frame)
    assert out["n"].tolist() == [20, 19]
    assert out["valid"].tolist() == [True, False]
    assert out["value"].iloc[0] == 10.0 and np.isnan(out["value"].iloc[1])


def test_natural_day_is_china_local_time() -> None:
    """An hour at 2024-05-01 16:00 UTC is 2024-05-02 00:00 China time: it belongs to 2 May."""
    frame = pd.DataFrame(
        {
            "site": "A",
            "time": pd.to_datetime(["2024-05-01 16:00"]),
            "parameter": "so2",
            "value": [5.0],
        }
    )
    out = hj663.daily_means(frame, min_hours=1)
    assert out["date"].iloc[0] == pd.Timestamp("2024-05-02")


def test_mda8_windows_and_validity() -> None:
    """17 windows starting 00…16 h of the day, each valid with ≥ 6 hours; the day with ≥ 14."""
    start = datetime(2024, 7, 1, tzinfo=CHINA_TZ)
    o3 = np.arange(24, dtype=float) * 10  # rising through the day
    frame = pd.DataFrame(
        {
            "site": "A",
            "time": pd.date_range(start, periods=24, freq="h"),
            "parameter": "o3",
            "value": o3,
        }
    )
    out = hj663.o3_mda8(frame)
    assert out["n_windows"].iloc[0] == 17
    assert out["value"].iloc[0] == pytest.approx(np.mean(o3[16:24]))  # window 16–23 h
    sparse = frame.copy()
    sparse.loc[sparse.index[::3], "value"] = np.nan  # 8 of 24 hours missing
    out = hj663.o3_mda8(sparse)
    assert out["n_windows"].iloc[0] < 14 and not out["valid"].iloc[0]
    kept = hj663.o3_mda8(sparse, exceed_limit=160)
    assert kept["valid"].iloc[0] and kept["value"].iloc[0] > 160


def test_o3_8h_moving_mean_is_aligned_like_the_national_publication(shared_data: Path) -> None:
    """The published O3_8h of hour h is the mean of hours h-7…h: our moving mean reproduces the
    integer for most station-hours with that alignment and for few with any other."""
    wide = pd.read_csv(shared_data / "air" / "national_hourly" / "china_sites_20190101.csv")
    sites = [c for c in wide.columns if c not in ("date", "hour", "type")][:200]
    rows = wide[wide["type"].isin(["O3", "O3_8h"])]
    long = rows.melt(id_vars=["date", "hour", "type"], value_vars=sites, var_name="site")
    long["time"] = pd.to_datetime(long["date"].astype(str)) + pd.to_timedelta(long["hour"], "h")
    hourly = long[long["type"] == "O3"].assign(parameter="o3")
    published = long[long["type"] == "O3_8h"].set_index(["site", "time"])["value"]
    moving = hj663.o3_8h_moving(hourly, naive_tz=CHINA_TZ)
    moving["time"] = moving["time"].dt.tz_localize(None)
    rates = {}
    for shift in (-1, 0, 1):
        ours = moving.assign(time=moving["time"] + pd.Timedelta(hours=shift))
        joined = ours.join(published.rename("published"), on=["site", "time"])
        joined = joined[joined["time"].dt.hour >= 8].dropna(subset=["value", "published"])
        rates[shift] = float((np.floor(joined["value"] + 0.5) == joined["published"]).mean())
    assert rates[0] > 0.75
    assert rates[-1] < 0.3 and rates[1] < 0.3


def test_percentile_method() -> None:
    """k = 1 + (n − 1)·p/100, interpolating between the floor(k)-th and next value."""
    values = np.arange(1.0, 11.0)
    assert hj663.percentile(values, 95) == pytest.approx(9.55)
    assert hj663.percentile(values, 100) == 10.0
    assert hj663.percentile([5.0], 98) == 5.0
    assert np.isnan(hj663.percentile([], 90))
    with pytest.raises(InputError):
        hj663.percentile(values, 101)


@given(st.lists(st.floats(0, 1000), min_size=1, max_size=400), st.floats(0, 100))
def test_percentile_equals_numpy_linear(values: list[float], p: float) -> None:
    assert hj663.percentile(values, p) == pytest.approx(
        float(np.percentile(values, p, method="linear")), rel=1e-12, abs=1e-9
    )


def test_period_means_validity() -> None:
    dates = pd.date_range("2023-01-01", "2023-12-31", freq="D")
    daily = pd.DataFrame({"site": "A", "parameter": "no2", "date": dates, "value": 40.0})
    assert hj663.period_means(daily)["valid"].tolist() == [True]
    february_short = daily[~((dates.month == 2) & (dates.day > 24))]  # 24 days in February
    months = hj663.period_means(february_short, freq="month")
    assert months.loc[months["period"] == "2023-02", "valid"].tolist() == [False]
    assert hj663.period_means(february_short)["valid"].tolist() == [False]
    sparse = daily[dates.day <= 27]  # 27 days in every month: 324 in the year
    year = hj663.period_means(sparse).iloc[0]
    assert (int(year["n_days"]), bool(year["valid"])) == (324, True)
    one_less = sparse.iloc[1:]
    assert hj663.period_means(one_less)["valid"].tolist() == [False]


class TestGb3095:
    def test_limits_per_edition(self) -> None:
        assert gb3095.limit("pm2_5", "24h", version="2012") == 75
        assert gb3095.limit("pm2_5", "24h", version="2026-transitional") == 60
        assert gb3095.limit("pm2_5", "24h", version="2026") == 50
        assert gb3095.limit("pm2_5", "annual", version="2026", klass=1) == 10
        assert gb3095.limit("so2", "annual", version="2026") == 20
        assert gb3095.limit("no2", "24h", version="2026") == 50
        assert gb3095.limit("nox", "annual", version="2026-transitional") == 50
        assert gb3095.limit("nox", "annual", version="2026") == 40
        assert gb3095.limit("o3", "8h", version="2026") == 160

    def test_exceedance(self) -> None:
        at_limit = gb3095.evaluate("pm2_5", "24h", 75.4, version="2012")
        assert at_limit.value == 75 and not at_limit.exceeds
        over = gb3095.evaluate("pm2_5", "24h", 75.5, version="2012")  # GB/T 8170: 76
        assert over.exceeds and over.multiple == pytest.approx(1 / 75)
        exceeds, multiple = gb3095.exceedance_array(
            "co", "24h", [4.04, 4.05, 4.06, np.nan], version="2012"
        )
        assert exceeds.tolist() == [False, False, True, False]
        assert multiple[2] == pytest.approx(0.025)

    def test_days_meeting(self) -> None:
        daily = pd.DataFrame(
            {
                "site": "A",
                "parameter": ["pm2_5"] * 4 + ["o3_8h"] * 2,
                "date": pd.date_range("2026-03-01", periods=6),
                "value": [30, 60, 61, np.nan, 160, 161],
            }
        )
        out = hj663.days_meeting(daily, version="2026-transitional").set_index("parameter")
        assert out.loc["pm2_5", "days_exceeding"] == 1 and out.loc["pm2_5", "n_days"] == 3
        assert out.loc["o3_8h", "days_meeting"] == 1

    def test_validity_constants(self) -> None:
        assert gb3095.MIN_HOURS_PER_DAY == 20 and gb3095.MIN_HOURS_PER_8H == 6
        assert gb3095.min_days_in_month(2024, 2) == 25 and gb3095.min_days_in_month(2024, 3) == 27

    def test_errors(self) -> None:
        with pytest.raises(InputError, match="no limit for"):
            gb3095.limit("co", "annual", version="2012")
        with pytest.raises(InputError, match="class must be 1 or 2"):
            gb3095.limit("co", "24h", version="2012", klass=3)


def test_monthly_statistics_of_dongsi(dongsi_2016: pd.DataFrame) -> None:
    means = hj663.daily_means(dongsi_2016, naive_tz=CHINA_TZ)
    monthly = hj663.period_statistics(means, freq="month")
    assert monthly["period"].tolist() == [f"2016-{m:02d}" for m in range(1, 13)]
    january = monthly.iloc[0]
    january_days = means[(means["parameter"] == "pm2_5") & (means["date"].dt.month == 1)]
    assert january["n_pm2_5"] == january_days["value"].notna().sum()
    assert january["pm2_5"] == pytest.approx(
        hj663.round_daily_values(january_days.dropna(subset=["value"]))["value"].mean()
    )
    # a month is valid with ≥ 27 days of every parameter (25 in February)
    invalid = monthly.loc[~monthly["valid"], "period"].tolist()
    assert invalid == ["2016-06", "2016-07"]
    assert monthly.loc[5, "n_so2"] == 26 and monthly.loc[6, "n_pm2_5"] == 24
