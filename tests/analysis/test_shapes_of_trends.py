"""Smooth trends and change points."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from ecodata.analysis import changepoint, frames, smooth_trend


def _monthly(values: np.ndarray) -> pd.Series:
    return pd.Series(
        values, index=pd.date_range("2000-01-01", periods=len(values), freq="MS", tz="UTC")
    )


def test_change_points_of_a_step_series_are_found() -> None:
    rng = np.random.default_rng(0)
    values = np.r_[np.full(40, 10.0), np.full(50, 14.0), np.full(30, 8.0)] + rng.normal(0, 1, 120)
    result = changepoint.detect_change_points(_monthly(values))
    assert [t.strftime("%Y-%m") for t in result.times] == ["2003-05", "2007-07"]
    assert result.segments["mean"].round().tolist() == [10.0, 14.0, 8.0]
    assert result.segments["n"].tolist() == [40, 50, 30]


def test_white_noise_rarely_has_change_points() -> None:
    found = 0
    for seed in range(40):
        noise = np.random.default_rng(seed).normal(0, 1, 120)
        found += bool(changepoint.detect_change_points(_monthly(noise)).times)
    assert found <= 4


def _objective(values: np.ndarray, changes: list[int], penalty: float) -> float:
    bounds = [0, *changes, len(values)]
    cost = sum(values[a:b].var() * (b - a) for a, b in itertools.pairwise(bounds))
    return float(cost + penalty * len(changes))


def test_pelt_finds_the_exact_optimum() -> None:
    rng = np.random.default_rng(5)
    values = np.r_[np.zeros(25), np.full(35, 3.0)] + rng.normal(0, 1, 60)
    assert changepoint.pelt_mean(values, penalty=1e9) == []
    penalty = 10.0
    found = changepoint.pelt_mean(values, penalty=penalty)
    assert len(found) <= 2
    n = len(values)
    candidates = [[]] + [[k] for k in range(2, n - 1)]
    candidates += [[a, b] for a in range(2, n - 3) for b in range(a + 2, n - 1)]
    best = min(_objective(values, c, penalty) for c in candidates)
    assert _objective(values, found, penalty) == pytest.approx(best)
    assert 25 in found


def test_smooth_trend_follows_the_monthly_means(mydata: pd.DataFrame) -> None:
    result = smooth_trend.smooth_trend(mydata["nox_ppb"], n_boot=60)
    frame = result.frame
    monthly = frames.time_average(mydata["nox_ppb"], "MS").dropna()
    assert len(frame) == len(monthly)
    assert (frame["lower"] <= frame["fit"] + 1e-9).all()
    assert (frame["fit"] <= frame["upper"] + 1e-9).all()
    residual = frame["value"] - frame["fit"]
    assert abs(residual.mean()) < 2.0
    assert residual.std() < monthly.std()
    # NOx fell over the period: the smooth fit ends well below where it starts
    assert frame["fit"].iloc[-1] < frame["fit"].iloc[0] - 20


def test_smooth_trend_of_a_straight_line_is_the_line() -> None:
    series = _monthly(3.0 + 0.2 * np.arange(60))
    result = smooth_trend.smooth_trend(series, n_boot=20)
    np.testing.assert_allclose(result.frame["fit"], series.to_numpy(), atol=1e-3)
    assert result.to_json()["points"][0]["value"] == pytest.approx(3.0)
