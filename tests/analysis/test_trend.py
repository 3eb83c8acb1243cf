"""Theil–Sen trends: openair's published figure, known properties, the Mann–Kendall test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymannkendall
import pytest

from ecodata.analysis import frames, trend
from ecodata.analysis.frames import InsufficientDataError
from ecodata.errors import InputError


def _monthly(values: np.ndarray, start: str = "2000-01-01") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq="MS", tz="UTC")
    return pd.Series(values, index=index, name="x")


def test_reproduces_openair_deseasonalised_ozone_trend(mydata: pd.DataFrame) -> None:
    # openair book, "Theil-Sen trends": TheilSen(mydata, pollutant = "o3", deseason = TRUE)
    # prints 0.38 [0.21, 0.51] units/year ***
    result = trend.theil_sen_trend(mydata["o3_ppb"], units="ppb", deseason=True)
    assert result.deseasonalised
    assert result.n == 90  # Jan 1998 … Jun 2005, July 1998 filled
    assert result.slope == pytest.approx(0.38, abs=0.05)
    assert result.lower == pytest.approx(0.21, abs=0.05)
    assert result.upper == pytest.approx(0.51, abs=0.05)
    assert result.stars == "***"
    assert result.units == "ppb/year"


def test_openair_figure_does_not_depend_on_the_seed(mydata: pd.DataFrame) -> None:
    for seed in (1, 7):
        result = trend.theil_sen_trend(mydata["o3_ppb"], deseason=True, seed=seed)
        assert result.lower == pytest.approx(0.21, abs=0.05)
        assert result.upper == pytest.approx(0.51, abs=0.05)


def test_mann_kendall_matches_pymannkendall_on_real_monthly_means(mydata: pd.DataFrame) -> None:
    monthly = frames.time_average(mydata["nox_ppb"], "MS").dropna().to_numpy()
    ours = trend.mann_kendall(monthly)
    theirs = pymannkendall.original_test(monthly)
    assert ours.s == theirs.s
    assert ours.var_s == pytest.approx(theirs.var_s)
    assert ours.z == pytest.approx(theirs.z)
    assert ours.p == pytest.approx(theirs.p)
    assert trend.theil_sen(np.arange(len(monthly)), monthly)[0] == pytest.approx(
        pymannkendall.sens_slope(monthly).slope
    )


def test_mann_kendall_counts_ties() -> None:
    values = np.array([1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0])
    ours = trend.mann_kendall(values)
    theirs = pymannkendall.original_test(values)
    assert ours.var_s == pytest.approx(theirs.var_s)
    assert ours.p == pytest.approx(theirs.p)


def test_linear_series_gives_its_slope_back() -> None:
    months = 96
    series = _monthly(5.0 + 0.25 * np.arange(months) / 12)  # 0.25 units per year
    result = trend.theil_sen_trend(series, n_boot=199)
    # a month is 365.25/12 days on average; openair's slope is per 365 days
    days = (series.index[-1] - series.index[0]).days
    expected = 0.25 * (months - 1) / 12 / days * 365
    assert result.slope == pytest.approx(expected, rel=1e-3)
    assert result.lower == pytest.approx(result.slope, rel=0.02)
    assert result.upper == pytest.approx(result.slope, rel=0.02)


def test_noisy_linear_series_gives_its_slope_back_within_the_interval() -> None:
    rng = np.random.default_rng(11)
    series = _monthly(20 - 1.5 * np.arange(120) / 12 + rng.normal(0, 2, 120))
    result = trend.theil_sen_trend(series)
    assert result.lower < -1.5 * 365 / 365.25 < result.upper
    assert result.slope == pytest.approx(-1.5, abs=0.2)
    assert result.p < 0.001
    assert result.stars == "***"


def test_deseasonalising_a_pure_trend_leaves_it_unchanged() -> None:
    series = _monthly(10 + 0.1 * np.arange(96))
    out = trend.deseasonalise(series)
    np.testing.assert_allclose(out.to_numpy(), series.to_numpy(), atol=1e-6)


def test_deseasonalising_removes_the_seasonal_cycle_and_keeps_the_slope() -> None:
    months = np.arange(96)
    season = 8 * np.sin(2 * np.pi * months / 12)
    series = _monthly(30 + 0.05 * months + season)
    plain = trend.theil_sen_trend(series, n_boot=99)
    deseason = trend.theil_sen_trend(series, deseason=True, n_boot=99)
    per_year = 0.05 * 12 * 365 / 365.25
    assert deseason.slope == pytest.approx(per_year, rel=0.02)
    # the interval of the seasonal series is wide, the deseasonalised one is tight
    assert (deseason.upper - deseason.lower) < 0.2 * (plain.upper - plain.lower)


def test_block_bootstrap_widens_the_interval_for_autocorrelated_data() -> None:
    rng = np.random.default_rng(3)
    noise = np.zeros(120)
    for k in range(1, 120):
        noise[k] = 0.8 * noise[k - 1] + rng.normal()
    series = _monthly(0.02 * np.arange(120) + noise)
    iid = trend.theil_sen_trend(series)
    blocks = trend.theil_sen_trend(series, autocorrelation=True)
    assert blocks.slope == iid.slope
    assert (blocks.upper - blocks.lower) > 1.2 * (iid.upper - iid.lower)


def test_kalman_fill_stays_within_the_seasonal_range(mydata: pd.DataFrame) -> None:
    monthly = frames.time_average(mydata["o3_ppb"], "MS")
    filled = trend.fill_missing_months(monthly, "kalman")
    july = filled[filled.index.month == 7]
    assert not filled.isna().any()
    assert july.min() > 3.0
    assert july.max() < 15.0
    result = trend.theil_sen_trend(mydata["o3_ppb"], deseason=True, fill="kalman")
    assert result.slope == pytest.approx(0.38, abs=0.05)


def test_data_capture_threshold_drops_thin_months(mydata: pd.DataFrame) -> None:
    series = mydata["o3_ppb"]
    thin = series.copy()
    thin["2001-03-01":"2001-03-25"] = np.nan
    monthly = frames.time_average(thin, "MS", data_capture=0.75)
    assert np.isnan(monthly[pd.Timestamp("2001-03-01", tz="UTC")])
    assert not np.isnan(frames.time_average(thin, "MS")[pd.Timestamp("2001-03-01", tz="UTC")])


def test_too_few_months_is_a_clear_error() -> None:
    with pytest.raises(InsufficientDataError, match="at least 6"):
        trend.theil_sen_trend(_monthly(np.arange(4.0)))


def test_bad_alpha_is_rejected(mydata: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="alpha"):
        trend.theil_sen_trend(mydata["o3_ppb"], alpha=1.5)


def test_result_json_has_the_cli_keys(mydata: pd.DataFrame) -> None:
    result = trend.theil_sen_trend(mydata["nox_ppb"], units="ppb", n_boot=99)
    data = result.to_json()
    assert {"slope", "lower", "upper", "p", "units"} <= set(data)
    assert data["units"] == "ppb/year"
    assert data["slope"] < 0  # NOx fell at Marylebone Road over 1998–2005
    assert result.slope_percent < 0
